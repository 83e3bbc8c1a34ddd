"""A local HTTP server for RSS/Atom feeds: conditional GET (ETag, Last-Modified -> 304), a
broken document, a huge body, a slow answer, a body dripped a byte at a time, a redirect and a
404, each at its own path; it notes when each request arrived."""

from __future__ import annotations

import asyncio
import time
from dataclasses import dataclass, field

from aiohttp import web

from tests.fakes.loopback import serve


@dataclass
class Served:
    body: bytes
    etag: str | None = None
    last_modified: str | None = None
    delay: float = 0.0
    status: int = 200
    content_type: str = "application/rss+xml"
    drip: float = 0.0  # seconds between single bytes of the body
    location: str | None = None  # a redirect's target (with status 301/302/307/308)


@dataclass
class FeedServer:
    paths: dict[str, Served] = field(default_factory=dict)
    hits: list[tuple[str, dict[str, str]]] = field(default_factory=list)
    port: int = 0
    arrived: list[float] = field(default_factory=list)  # time.monotonic() of each request
    _runner: web.AppRunner | None = None

    def url(self, path: str) -> str:
        return f"http://127.0.0.1:{self.port}{path}"

    async def start(self) -> None:
        app = web.Application()
        app.router.add_get("/{tail:.*}", self._serve)
        self._runner, self.port = await serve(app)

    async def stop(self) -> None:
        if self._runner is not None:
            await self._runner.cleanup()

    async def _serve(self, request: web.Request) -> web.StreamResponse:
        self.hits.append((request.path, dict(request.headers)))
        self.arrived.append(time.monotonic())
        served = self.paths.get(request.path)
        if served is None:
            return web.Response(status=404)
        if served.delay:
            await asyncio.sleep(served.delay)
        if served.etag and request.headers.get("If-None-Match") == served.etag:
            return web.Response(status=304)
        if (
            served.last_modified
            and request.headers.get("If-Modified-Since") == served.last_modified
        ):
            return web.Response(status=304)
        headers = {}
        if served.location:
            headers["Location"] = served.location
        if served.etag:
            headers["ETag"] = served.etag
        if served.last_modified:
            headers["Last-Modified"] = served.last_modified
        response = web.StreamResponse(status=served.status, headers=headers)
        response.content_type = served.content_type
        await response.prepare(request)
        if served.drip:
            try:
                for byte in served.body:
                    await response.write(bytes([byte]))
                    await asyncio.sleep(served.drip)
            except ConnectionResetError:  # the client gave up: what a drip is for
                return response
        else:
            for start in range(0, len(served.body), 65536):
                await response.write(served.body[start : start + 65536])
        await response.write_eof()
        return response

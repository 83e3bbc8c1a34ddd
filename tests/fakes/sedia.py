"""A local stand-in for the EU portal's search API: it checks the request the way the real one
behaves (multipart JSON parts required; form fields answer 500) and serves results in pages,
or drips them a byte at a time (`drip` seconds apart) like a stalled server."""

from __future__ import annotations

import asyncio
import json
from dataclasses import dataclass, field
from typing import Any

from aiohttp import web

from tests.fakes.loopback import serve


@dataclass
class SediaRequest:
    params: dict[str, str]
    parts: dict[str, tuple[str, Any]] = field(default_factory=dict)  # name -> (type, JSON)


class FakeSedia:
    def __init__(self, results: list[dict[str, Any]]) -> None:
        self.results = results
        self.requests: list[SediaRequest] = []
        self._runner: web.AppRunner | None = None
        self.port = 0
        self.drip = 0.0

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}/search-api/prod/rest/search"

    async def start(self) -> None:
        app = web.Application()
        app.router.add_post("/search-api/prod/rest/search", self._search)
        self._runner, self.port = await serve(app)

    async def stop(self) -> None:
        if self._runner is not None:
            await self._runner.cleanup()

    async def _search(self, request: web.Request) -> web.StreamResponse:
        seen = SediaRequest(dict(request.query))
        self.requests.append(seen)
        if not request.content_type.startswith("multipart/"):
            return web.Response(status=500, text="Internal Server Error")
        reader = await request.multipart()
        async for part in reader:
            kind = part.headers.get("Content-Type", "")
            seen.parts[part.name or ""] = (kind, json.loads(await part.text()))
        if any(kind != "application/json" for kind, _v in seen.parts.values()):
            return web.Response(status=500, text="Internal Server Error")
        if request.query.get("apiKey") != "SEDIA":
            return web.json_response({"error": "apiKey"}, status=401)
        size = int(request.query.get("pageSize", "50"))
        number = int(request.query.get("pageNumber", "1"))
        page = self.results[(number - 1) * size : number * size]
        answer = {
            "apiVersion": "2.151",
            "totalResults": len(self.results),
            "pageNumber": number,
            "pageSize": size,
            "results": page,
        }
        if not self.drip:
            return web.json_response(answer)
        response = web.StreamResponse(headers={"Content-Type": "application/json"})
        await response.prepare(request)
        try:
            for byte in json.dumps(answer).encode():
                await response.write(bytes([byte]))
                await asyncio.sleep(self.drip)
        except ConnectionResetError:  # the client gave up
            pass
        return response

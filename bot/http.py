"""The bot's one HTTP server: platform webhooks and the answer pages register routes here.

Its own routes are for operations:
GET /healthz   liveness: the process answers (no database involved)
GET /readyz    readiness: the database answers and its schema is current, with the outbox and
               due-task lag (JSON; 503 when not ready)
GET /metrics   Prometheus text format (bot.metrics, and the database's numbers from bot.health)

The reverse proxy publishes only the webhooks and the pages (deploy/Caddyfile); /readyz and
/metrics are for the machine's own monitoring.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING, Any

from aiohttp import web
from prometheus_client import CONTENT_TYPE_LATEST, CollectorRegistry, generate_latest

from bot import metrics

if TYPE_CHECKING:
    from bot.health import Health

log = logging.getLogger("empirie.http")
RouteHandler = Callable[[web.Request], Awaitable[web.StreamResponse]]
# on every answer that does not set its own (the pages set stricter ones under /p)
SECURITY_HEADERS = {
    "Cache-Control": "no-store",
    "Content-Security-Policy": "default-src 'none'; frame-ancestors 'none'; base-uri 'none'",
    "Referrer-Policy": "no-referrer",
    "X-Content-Type-Options": "nosniff",
    "X-Frame-Options": "DENY",
    "X-Robots-Tag": "noindex, nofollow",
}


@web.middleware
async def security_headers(request: web.Request, handler: Any) -> web.StreamResponse:
    try:
        response: web.StreamResponse = await handler(request)
    except web.HTTPException as answer:  # 404, 405 …: the exception is the response
        for name, value in SECURITY_HEADERS.items():
            answer.headers.setdefault(name, value)
        raise
    for name, value in SECURITY_HEADERS.items():
        response.headers.setdefault(name, value)
    return response


class HttpServer:
    def __init__(self, host: str, port: int, health: Health | None = None) -> None:
        self.host, self.port = host, port
        self.app = web.Application(client_max_size=2 * 1024 * 1024, middlewares=[security_headers])
        self.app.router.add_get("/healthz", self._health)
        self.app.router.add_get("/readyz", self._ready)
        self.app.router.add_get("/metrics", self._metrics)
        self.health = health
        self._runner: web.AppRunner | None = None

    async def _health(self, request: web.Request) -> web.Response:
        return web.json_response({"status": "ok"})

    async def _ready(self, request: web.Request) -> web.Response:
        if self.health is None:
            return web.json_response({"status": "unavailable", "database": "none"}, status=503)
        ready, body = await asyncio.to_thread(self.health.readiness)
        return web.json_response(body, status=200 if ready else 503)

    async def _metrics(self, request: web.Request) -> web.Response:
        body = await asyncio.to_thread(self._exposition)
        response = web.Response(body=body)
        response.headers["Content-Type"] = CONTENT_TYPE_LATEST
        return response

    def _exposition(self) -> bytes:
        """The process's metrics, then the database's (read now)."""
        text = generate_latest(metrics.REGISTRY)
        if self.health is not None:
            database = CollectorRegistry(auto_describe=False)
            database.register(self.health)
            text += generate_latest(database)
        return text

    def add_route(self, method: str, path: str, handler: RouteHandler) -> None:
        self.app.router.add_route(method, path, handler)

    async def start(self) -> None:
        self._runner = web.AppRunner(self.app, access_log=None)
        await self._runner.setup()
        site = web.TCPSite(self._runner, self.host, self.port)
        await site.start()
        if self.port == 0:  # an ephemeral port was asked for: remember which one we got
            server = site._server
            self.port = server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
        log.info("http.started", extra={"host": self.host, "port": self.port})

    async def stop(self) -> None:
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None

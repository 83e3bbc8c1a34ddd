"""Wiring: the store, the router, the transports; starting and stopping them together."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import signal
from typing import TextIO

from bot.clock import Clock, SystemClock
from bot.config import Settings
from bot.http import HttpServer
from bot.migrate import upgrade
from bot.router import Router
from bot.transports import Transport
from models import seed
from models.db import Database

log = logging.getLogger("empirie.app")


def prepare_database(settings: Settings, clock: Clock) -> Database:
    """Migrate to the newest schema and make sure the networks (and demo cast) exist."""
    upgrade(settings.database_url)
    db = Database(settings.database_url)
    with db.session() as s:
        if settings.seed_demo:
            if seed.seed_demo(s, clock.now()):
                log.info("seed.demo_loaded")
        else:
            seed.ensure_networks(s)
    return db


class App:
    def __init__(self, settings: Settings, clock: Clock | None = None,
                 db: Database | None = None) -> None:
        self.settings = settings
        self.clock = clock or SystemClock()
        self.db = db or prepare_database(settings, self.clock)
        self.router = Router(self.db, self.clock, settings)
        self.transports: dict[str, Transport] = {}
        self._stop = asyncio.Event()

    def stop(self) -> None:
        self._stop.set()

    async def run(self, stdin: TextIO | None = None, stdout: TextIO | None = None) -> None:
        """Run until stopped: platforms when tokens are set, else the console chat."""
        loop = asyncio.get_running_loop()
        for sig in (signal.SIGINT, signal.SIGTERM):
            with contextlib.suppress(NotImplementedError, RuntimeError):
                loop.add_signal_handler(sig, self.stop)
        if self.settings.telegram_enabled:
            from bot.transports.telegram import TelegramTransport

            http = HttpServer(self.settings.http_host, self.settings.http_port)
            telegram = TelegramTransport(self.router, self.settings, http)
            self.transports[telegram.platform] = telegram
            await http.start()
            await telegram.start()
            try:
                await self._stop.wait()
            finally:
                await telegram.stop()
                await http.stop()
            return
        from bot.transports.console import ConsoleTransport

        console = ConsoleTransport(self.router, stdin, stdout, self.settings.files_dir)
        self.transports[console.platform] = console
        await console.run()

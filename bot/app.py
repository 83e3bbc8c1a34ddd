"""Wiring: the store, the router, the transports, the outbox and the clock; start and stop."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import signal
from datetime import timedelta
from typing import TextIO

from bot import metrics
from bot.health import Health
from bot.migrate import upgrade
from bot.outbox import OutboxDispatcher
from bot.router import Router
from bot.transports import Service, Transport
from core import links
from core.clock import Clock, SystemClock
from core.config import Settings
from core.messages import Outgoing
from core.outbox import enqueue_to_person
from jobs.dispatch import DueDispatcher
from jobs.scheduler import Scheduler
from models import seed
from models import teams as teams_store
from models.db import Database
from models.enums import Platform
from models.errors import N_

log = logging.getLogger("empirie.app")
LOGIN_LOST = N_(
    "⚠️ The bot's Microsoft Teams sign-in has expired or was revoked. Teams "
    "messages are kept until an administrator runs “empirie-bot teams login” on "
    "the server and restarts the bot."
)


def prepare_database(settings: Settings, clock: Clock, demo: bool | None = None) -> Database:
    """Migrate to the newest schema and make sure the networks (and, for the console or when
    asked, the demo cast) exist. A real deployment starts with no people: the log says how
    to load the roster."""
    upgrade(settings.database_url)
    db = Database(settings.database_url)
    with db.session() as s:
        if settings.demo_cast if demo is None else demo:
            if seed.seed_demo(s, clock.now()):
                log.info("seed.demo_loaded")
        else:
            seed.ensure_networks(s)
            if not seed.has_people(s):
                log.warning(
                    "roster.empty: no people yet. Load the office's roster with "
                    "`empirie-bot roster import FILE` (XLSX or CSV), then link the "
                    "first coordinator with `empirie-bot invite EMAIL`."
                )
    return db


class App:
    def __init__(
        self, settings: Settings, clock: Clock | None = None, db: Database | None = None
    ) -> None:
        self.settings = settings
        self.clock = clock or SystemClock()
        self.db = db or prepare_database(settings, self.clock)
        self.router = Router(self.db, self.clock, settings)
        self.transports: dict[str, Transport] = {}
        self.due = DueDispatcher(self.db, self.clock, settings)
        self.outbox = OutboxDispatcher(
            self.db,
            self.clock,
            self.transports,
            lease=timedelta(seconds=settings.outbox_lease_seconds),
            max_attempts=settings.outbox_max_attempts,
            unrecorded=settings.outbox_unrecorded,
            after_batch=self._after_batch,
        )
        self.scheduler = Scheduler(self.outbox, self.due, settings)
        self.router.wake_outbox = self.scheduler.wake_outbox
        self._stop = asyncio.Event()

    async def _after_batch(self) -> None:
        await self.due.run_once()  # e.g. a finished broadcast's delivery report

    def stop(self) -> None:
        self._stop.set()

    def _handle_signals(self) -> None:
        loop = asyncio.get_running_loop()
        for sig in (signal.SIGINT, signal.SIGTERM):
            with contextlib.suppress(NotImplementedError, RuntimeError):
                loop.add_signal_handler(sig, self.stop)

    async def run(self, stdin: TextIO | None = None, stdout: TextIO | None = None) -> None:
        """Run until stopped: platforms when tokens are set, else the console chat."""
        self._handle_signals()
        if self.settings.platforms_enabled:
            await self._run_platforms()
        else:
            await self._run_console(stdin, stdout)

    async def run_worker(self) -> None:
        """Deliver the outbox and run due work only (e.g. a second process beside a webhook)."""
        self._handle_signals()
        await self._run_platforms(receive=False)

    async def _run_platforms(self, receive: bool = True) -> None:
        """Telegram and Teams side by side (whichever is configured), one HTTP server."""
        from bot import pages
        from bot.http import HttpServer
        from bot.sources.poll import FundingPoller

        serve_http = receive or self.settings.worker_http
        http = HttpServer(self.settings.http_host, self.settings.http_port) if serve_http else None
        if http is not None:
            http.health = self.health()
        started: list[Service] = []
        if self.settings.telegram_enabled:
            from bot.transports.telegram import TelegramTransport

            telegram = TelegramTransport(
                self.router, self.settings, http if receive else None, receive=receive
            )
            self.transports[telegram.platform] = telegram
            started.append(telegram)
        if self.settings.teams_enabled:
            from bot.transports.teams.transport import TeamsTransport  # heavy: only when used

            teams = TeamsTransport(
                self.router,
                self.settings,
                http if receive else None,
                receive=receive,
                on_login_lost=self._teams_login_lost,
            )
            self.transports[teams.platform] = teams
            started.append(teams)
            self.scheduler.every(teams.maintain, self.settings.teams_upkeep_seconds, "teams_upkeep")
            if receive and self.settings.teams_calendar_poll_seconds > 0:  # one process
                self.scheduler.every(
                    teams.sync_calendar, self.settings.teams_calendar_poll_seconds, "teams_calendar"
                )
        poller = FundingPoller(self.db, self.clock, self.settings)
        self.scheduler.every(poller.run_once, 15 * 60, "funding")
        if http is not None:
            if receive and links.enabled(self.settings):
                pages.install(http, self.router)
            await http.start()
        for transport in started:
            await transport.start()
        self.scheduler.start()
        log.info("app.ready platforms=%s", ",".join(t.platform for t in started) or "none")
        try:
            await self._stop.wait()
        finally:
            self.scheduler.stop()
            for transport in reversed(started):
                await transport.stop()
            await poller.close()
            if http is not None:
                await http.stop()

    def health(self) -> Health:
        """Readiness and the database's metrics for this process's HTTP server."""
        return Health(
            self.db,
            self.clock,
            lambda: self.transports,
            [p for p in self.settings.active_platforms if p != "console"],
        )

    def _teams_login_lost(self) -> None:
        """Hold Teams messages in the outbox (not retried in a loop) and tell the coordinating
        team on another running platform."""
        self.transports.pop(Platform.TEAMS, None)
        metrics.LOGINS_LOST.inc()
        others = [p for p in self.settings.active_platforms if p != Platform.TEAMS]
        if not self.settings.telegram_enabled or not others:
            return
        now = self.clock.now()
        with self.db.session() as s:
            for person_id in teams_store.coordinating_team(s):
                enqueue_to_person(
                    s,
                    person_id,
                    self.settings.model_copy(
                        update={"teams_client_id": "", "teams_graph_base_url": ""}
                    ),
                    now,
                    lambda t: Outgoing(t(LOGIN_LOST)),
                    kind="teams_login_lost",
                    dedupe_key=f"teams_login_lost:{now:%Y-%m-%d}:{person_id}",
                )
        self.scheduler.wake_outbox()

    async def _run_console(self, stdin: TextIO | None, stdout: TextIO | None) -> None:
        from bot.transports.console import ConsoleTransport

        console = ConsoleTransport(self.router, stdin, stdout, self.settings.files_dir)
        self.transports[console.platform] = console
        http = None
        if links.enabled(self.settings):  # the printed page links open on this machine
            from bot import pages  # aiohttp and jinja2 only when pages are served
            from bot.http import HttpServer

            http = HttpServer(self.settings.http_host, self.settings.http_port, self.health())
            pages.install(http, self.router)
            await http.start()
        self.scheduler.start()
        log.info("app.ready platforms=console")  # input is read from here on
        try:
            await console.run()
            await self.outbox.flush()  # piped scripts: show what was queued before leaving
        finally:
            self.scheduler.stop()
            if http is not None:
                await http.stop()

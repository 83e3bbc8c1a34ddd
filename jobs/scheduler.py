"""APScheduler is the clock: it wakes the outbox and the due-task dispatcher. The work itself
is state in the database, so a restart loses nothing."""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime
from typing import Any, Protocol

from apscheduler.schedulers.asyncio import AsyncIOScheduler

from core.config import Settings
from jobs.dispatch import DueDispatcher


class Runs(Protocol):
    """Anything woken by the clock (the outbox dispatcher lives in bot/)."""

    def run_once(self) -> Awaitable[int]: ...


logging.getLogger("apscheduler.executors.default").setLevel(logging.ERROR)


class Scheduler:
    def __init__(self, outbox: Runs, due: DueDispatcher, settings: Settings) -> None:
        self.outbox, self.due = outbox, due
        self._scheduler = AsyncIOScheduler(timezone=UTC)
        now = datetime.now(UTC)
        self._scheduler.add_job(
            outbox.run_once,
            "interval",
            id="outbox",
            seconds=settings.outbox_poll_seconds,
            next_run_time=now,
            max_instances=1,
            coalesce=True,
        )
        self._scheduler.add_job(
            self._due_then_outbox,
            "interval",
            id="due",
            seconds=settings.jobs_poll_seconds,
            next_run_time=now,
            max_instances=1,
            coalesce=True,
        )

    async def _due_then_outbox(self) -> None:
        if await self.due.run_once():
            self.wake_outbox()

    def every(self, run: Callable[[], Awaitable[Any]], seconds: float, job_id: str) -> None:
        """Another clock-driven job (e.g. a transport's subscription upkeep)."""
        self._scheduler.add_job(
            run,
            "interval",
            id=job_id,
            seconds=seconds,
            next_run_time=datetime.now(UTC),
            max_instances=1,
            coalesce=True,
        )

    def start(self) -> None:
        self._scheduler.start()

    def stop(self) -> None:
        if self._scheduler.running:
            self._scheduler.shutdown(wait=False)

    def wake_outbox(self) -> None:
        """Deliver now rather than at the next tick (after a command queued messages)."""
        if self._scheduler.running:
            self._scheduler.modify_job("outbox", next_run_time=datetime.now(UTC))

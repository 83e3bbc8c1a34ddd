"""APScheduler is the clock: it wakes the outbox and the due-task dispatcher. The work itself
is state in the database, so a restart loses nothing.

A tick only starts work: each job runs as an asyncio task of its own (`Kick`), and the
scheduler's job returns at once. A pass that takes longer than the tick (a broadcast drains
for minutes at the platform's rate) therefore never overlaps its next tick — APScheduler
would skip that one with a warning, dozens a minute — and a tick (or a wake) that comes while
the pass runs asks for one more pass after it, so nothing queued meanwhile waits for the
next tick. A tick the busy event loop started late is still run (no misfire grace: late is
better than skipped); missed ticks are coalesced into one.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime
from typing import Any, Protocol

from apscheduler.schedulers.asyncio import AsyncIOScheduler

from core.config import Settings
from jobs.dispatch import DueDispatcher

log = logging.getLogger("empirie.jobs")
# "Running job …" / "… executed successfully" at every tick is noise; warnings still show
logging.getLogger("apscheduler.executors.default").setLevel(logging.WARNING)


class Runs(Protocol):
    """Anything woken by the clock (the outbox dispatcher lives in bot/)."""

    def run_once(self) -> Awaitable[int]: ...


class Kick:
    """Starts `work` as a task unless it is running; a kick while it runs asks for one more
    run right after it. Both return at once; call them on the event loop's thread."""

    def __init__(self, work: Callable[[], Awaitable[Any]], name: str) -> None:
        self.work, self.name = work, name
        self.task: asyncio.Task[None] | None = None
        self.again = False

    async def tick(self) -> None:
        """The scheduler's job (a coroutine function: APScheduler runs it on the loop)."""
        self.kick()

    def kick(self) -> None:
        if self.task is not None and not self.task.done():
            self.again = True
            return
        self.again = False
        self.task = asyncio.create_task(self._run(), name=f"job-{self.name}")

    async def _run(self) -> None:
        while True:
            try:
                await self.work()
            except Exception:
                log.exception("job.crash id=%s", self.name)
            if not self.again:
                return
            self.again = False


class Scheduler:
    def __init__(self, outbox: Runs, due: DueDispatcher, settings: Settings) -> None:
        self.outbox, self.due = outbox, due
        self._scheduler = AsyncIOScheduler(timezone=UTC)
        self._kicks: dict[str, Kick] = {}
        self._loop: asyncio.AbstractEventLoop | None = None
        self.every(outbox.run_once, settings.outbox_poll_seconds, "outbox")
        self.every(self._due_then_outbox, settings.jobs_poll_seconds, "due")

    async def _due_then_outbox(self) -> None:
        if await self.due.run_once():
            self.wake_outbox()

    def every(self, run: Callable[[], Awaitable[Any]], seconds: float, job_id: str) -> None:
        """A clock-driven job (the outbox, due work, a transport's subscription upkeep)."""
        kick = self._kicks[job_id] = Kick(run, job_id)
        self._scheduler.add_job(
            kick.tick,
            "interval",
            id=job_id,
            name=job_id,
            seconds=seconds,
            next_run_time=datetime.now(UTC),
            max_instances=1,
            coalesce=True,
            misfire_grace_time=None,
        )

    def start(self) -> None:
        self._loop = asyncio.get_running_loop()
        self._scheduler.start()

    def stop(self) -> None:
        if self._scheduler.running:
            self._scheduler.shutdown(wait=False)
        for kick in self._kicks.values():  # as APScheduler cancels the jobs it runs
            kick.again = False
            if kick.task is not None:
                kick.task.cancel()

    def wake_outbox(self) -> None:
        """Deliver now rather than at the next tick (after a command queued messages)."""
        if (
            self._scheduler.running and self._loop is not None
        ):  # from any thread: the kick runs on the loop
            self._loop.call_soon_threadsafe(self._kicks["outbox"].kick)

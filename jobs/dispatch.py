"""Running due tasks: each one's effects (outbox rows) commit together with its `done` mark."""

from __future__ import annotations

import asyncio
import logging
import socket
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlmodel import Session

from core.clock import Clock
from core.config import Settings
from core.i18n import Translator
from models import due, outbox, queue
from models.db import Database
from models.due import DueTask

log = logging.getLogger("empirie.jobs")


@dataclass(frozen=True)
class Job:
    """What a job gets, as a handler gets its Context: the transaction it runs in (its effects
    commit with the task's done mark), the moment it runs for, and the settings."""

    session: Session
    now: datetime
    settings: Settings

    @property
    def t(self) -> Translator:
        """The bot's default language, for what goes to a whole group."""
        return Translator(self.settings.default_language, self.settings.tz)


TaskHandler = Callable[[Job, DueTask], None]
BatchHandler = Callable[[Job, list[DueTask]], int]  # rows queued
Sweep = Callable[[Job], int]
HANDLERS: dict[str, TaskHandler] = {}
# Kinds whose handler takes many tasks at once (1,000 reminders due together: one lookup of
# every recipient and one insert of their messages per batch, not a transaction per task).
BATCHES: dict[str, BatchHandler] = {}
# Periodic sweeps that are not tied to one task (e.g. delivery reports when a broadcast ends).
SWEEPS: list[Sweep] = []


# Housekeeping kinds: they send nothing, so they do not count as effects (nothing to wake).
QUIET: set[str] = set()


def task(kind: str, *, quiet: bool = False) -> Callable[[TaskHandler], TaskHandler]:
    def register(handler: TaskHandler) -> TaskHandler:
        HANDLERS[kind] = handler
        if quiet:
            QUIET.add(kind)
        return handler

    return register


def batch_task(kind: str) -> Callable[[BatchHandler], BatchHandler]:
    """Register a handler of many tasks of one kind; it also runs a single task (a batch that
    fails is retried one task at a time, so one bad task does not hold up the others)."""

    def register(handler: BatchHandler) -> BatchHandler:
        BATCHES[kind] = handler

        def one(job: Job, item: DueTask) -> None:
            handler(job, [item])

        HANDLERS[kind] = one
        return handler

    return register


def sweep(fn: Sweep) -> Sweep:
    SWEEPS.append(fn)
    return fn


class _Skip(Exception):
    """The task was cancelled or done elsewhere meanwhile: roll its effects back."""


class DueDispatcher:
    def __init__(
        self,
        db: Database,
        clock: Clock,
        settings: Settings,
        *,
        owner: str | None = None,
        lease: timedelta = timedelta(minutes=5),
        batch: int = 100,
        max_batches: int = 50,
    ) -> None:
        from jobs import load_all

        load_all()
        self.db, self.clock, self.settings = db, clock, settings
        self.owner = owner or f"{socket.gethostname()}-{uuid.uuid4().hex[:8]}"
        self.lease, self.batch, self.max_batches = lease, batch, max_batches
        self._queued = 0  # messages queued by batches in this run

    async def run_once(self) -> int:
        """Run everything that is due (in batches, until none is left or `max_batches` were
        run), then the sweeps; returns how many effects there were. The database work runs in
        a worker thread, so chat updates are served meanwhile."""
        return await asyncio.to_thread(self._run_sync, self.clock.now())

    def _run_sync(self, now: datetime) -> int:
        done, self._queued = 0, 0
        for _ in range(self.max_batches):
            with self.db.session() as s:
                tasks = list(
                    queue.claim(
                        s,
                        DueTask,
                        due_column=DueTask.__table__.c.due_at,  # type: ignore[attr-defined]
                        now=now,
                        owner=self.owner,
                        lease=self.lease,
                        limit=self.batch,
                    )
                )
            done += self._run_tasks(tasks, now)
            if len(tasks) < self.batch:
                break
        if self._queued >= outbox.ANALYZE_AFTER:  # before the outbox claims them
            with self.db.session() as s:
                outbox.refresh_statistics(s)
        for fn in SWEEPS:
            try:
                with self.db.session() as s:
                    done += fn(Job(s, now, self.settings))
            except Exception:  # rolled back; the other sweeps still run, this one next tick
                log.exception("jobs.sweep_crash sweep=%s", fn.__name__)
        return done

    def _run_tasks(self, tasks: list[DueTask], now: datetime) -> int:
        """Batchable kinds together (one transaction per kind), the rest one by one; in the
        order they fell due."""
        groups: dict[str, list[DueTask]] = {}
        for item in tasks:
            groups.setdefault(item.kind if item.kind in BATCHES else f"#{item.id}", []).append(item)
        done = 0
        for items in groups.values():
            kind = items[0].kind
            if kind in BATCHES and len(items) > 1:
                ran = self._run_batch(kind, items, now)
                if ran is not None:
                    done += ran
                    continue
            for item in items:
                done += self._run_one(item, now)
        return done

    def _run_batch(self, kind: str, items: list[DueTask], now: datetime) -> int | None:
        """Effects of the batch and the done marks of its tasks commit together; None when
        it failed (rolled back: the caller runs its tasks one by one)."""
        try:
            with self.db.session() as s:
                mine = due.finish_many(s, items, self.owner, now)
                queued = BATCHES[kind](Job(s, now, self.settings), mine) if mine else 0
        except Exception:
            log.exception("jobs.batch_crash kind=%s tasks=%s", kind, len(items))
            return None
        self._queued += queued
        log.info("jobs.done kind=%s tasks=%s messages=%s", kind, len(mine), queued)
        return 0 if kind in QUIET else len(mine)

    def _run_one(self, item: DueTask, now: datetime) -> int:
        handler = HANDLERS.get(item.kind)
        try:
            with self.db.session() as s:
                if not due.finish(s, item, self.owner, now):
                    raise _Skip
                if handler is not None:
                    handler(Job(s, now, self.settings), item)
                else:
                    log.error("jobs.unknown_kind kind=%s id=%s", item.kind, item.id)
            log.info("jobs.done kind=%s ref=%s", item.kind, item.ref_id)
            return int(item.kind not in QUIET)
        except _Skip:
            return 0
        except Exception:
            log.exception("jobs.crash kind=%s id=%s", item.kind, item.id)
            return 0

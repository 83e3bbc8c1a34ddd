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


@dataclass(frozen=True)
class Lateness:
    """How late a kind of due work may still run (after downtime). Later than `max_late` it
    is dropped (marked done, nothing sent), or, when the kind has a `rewrite`, that runs
    instead: the message reworded for the moment it really goes out (never "tomorrow" about
    today)."""

    max_late: timedelta
    rewrite: TaskHandler | None = None


# Kinds without an entry run however late they are (state changes: expiry, closing a poll).
LATENESS: dict[str, Lateness] = {}


def _declare_lateness(kind: str, max_late: timedelta | None, rewrite: TaskHandler | None) -> None:
    if max_late is not None:
        LATENESS[kind] = Lateness(max_late, rewrite)
    elif rewrite is not None:
        raise ValueError(f"{kind}: a rewrite needs max_late")


def task(
    kind: str,
    *,
    quiet: bool = False,
    max_late: timedelta | None = None,
    rewrite: TaskHandler | None = None,
) -> Callable[[TaskHandler], TaskHandler]:
    def register(handler: TaskHandler) -> TaskHandler:
        HANDLERS[kind] = handler
        if quiet:
            QUIET.add(kind)
        _declare_lateness(kind, max_late, rewrite)
        return handler

    return register


def batch_task(
    kind: str, *, max_late: timedelta | None = None, rewrite: TaskHandler | None = None
) -> Callable[[BatchHandler], BatchHandler]:
    """Register a handler of many tasks of one kind; it also runs a single task (a batch that
    fails is retried one task at a time, so one bad task does not hold up the others)."""

    def register(handler: BatchHandler) -> BatchHandler:
        BATCHES[kind] = handler
        _declare_lateness(kind, max_late, rewrite)

        def one(job: Job, item: DueTask) -> None:
            handler(job, [item])

        HANDLERS[kind] = one
        return handler

    return register


def sweep(fn: Sweep) -> Sweep:
    SWEEPS.append(fn)
    return fn


def _too_late(item: DueTask, now: datetime) -> bool:
    rule = LATENESS.get(item.kind)
    return rule is not None and now - item.due_at > rule.max_late


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
        self._swept: datetime | None = None  # when the sweeps last ran (this clock)

    async def run_once(self) -> int:
        """Run everything that is due (in batches, until none is left or `max_batches` were
        run), then the sweeps; returns how many effects there were. The database work runs in
        a worker thread, so chat updates are served meanwhile."""
        return await asyncio.to_thread(self._run_sync, self.clock.now())

    def _run_sync(self, now: datetime) -> int:
        done, self._queued = 0, 0
        with self.db.session() as s:
            first = due.first_due(s)  # an idle tick ends here: one indexed read
        for _ in range(self.max_batches if first is not None and first <= now else 0):
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
        if not self._sweep_due(now):
            return done
        self._swept = now
        for fn in SWEEPS:
            try:
                with self.db.session() as s:
                    done += fn(Job(s, now, self.settings))
            except Exception:  # rolled back; the other sweeps still run, this one next tick
                log.exception("jobs.sweep_crash sweep=%s", fn.__name__)
        return done

    def _sweep_due(self, now: datetime) -> bool:
        """The sweeps run every `sweep_seconds` of this dispatcher's clock (first at its first
        tick; again at once if the clock went back), not at every tick: each is a query and
        a transaction of its own, and what they look for is measured in minutes."""
        last = self._swept
        return (
            last is None
            or now < last
            or now - last >= timedelta(seconds=self.settings.sweep_seconds)
        )

    def _run_tasks(self, tasks: list[DueTask], now: datetime) -> int:
        """Batchable kinds together (one transaction per kind), the rest one by one; in the
        order they fell due. Work later than its kind allows is dropped or rewritten first
        (the one rule for staleness: jobs declare only how late they may run)."""
        stale = [item for item in tasks if _too_late(item, now)]
        done = self._run_stale(stale, now) if stale else 0
        late = {id(item) for item in stale}
        groups: dict[str, list[DueTask]] = {}
        for item in tasks:
            if id(item) in late:
                continue
            groups.setdefault(item.kind if item.kind in BATCHES else f"#{item.id}", []).append(item)
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

    def _run_stale(self, items: list[DueTask], now: datetime) -> int:
        """Late work: rewritten (one by one) where its kind says how, else dropped."""
        done = 0
        dropped = [item for item in items if LATENESS[item.kind].rewrite is None]
        for item in items:
            rewrite = LATENESS[item.kind].rewrite
            if rewrite is not None:
                log.info(
                    "jobs.late kind=%s ref=%s late=%s", item.kind, item.ref_id, now - item.due_at
                )
                done += self._run_one(item, now, rewrite)
        if dropped:
            try:
                with self.db.session() as s:
                    mine = due.finish_many(s, dropped, self.owner, now)
            except Exception:  # the lease runs out; the next tick drops them
                log.exception("jobs.drop_crash tasks=%s", len(dropped))
                return done
            for item in mine:
                log.warning(
                    "jobs.stale kind=%s ref=%s late=%s: dropped",
                    item.kind,
                    item.ref_id,
                    now - item.due_at,
                )
        return done

    def _run_one(self, item: DueTask, now: datetime, handler: TaskHandler | None = None) -> int:
        handler = handler or HANDLERS.get(item.kind)
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

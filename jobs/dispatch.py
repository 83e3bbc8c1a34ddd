"""Running due tasks: each one's effects (outbox rows) commit together with its `done` mark."""

from __future__ import annotations

import logging
import socket
import uuid
from collections.abc import Callable
from datetime import datetime, timedelta

from sqlmodel import Session

from core.clock import Clock
from core.config import Settings
from models import due, queue
from models.db import Database
from models.due import DueTask

log = logging.getLogger("empirie.jobs")

TaskHandler = Callable[[Session, DueTask, datetime, Settings], None]
HANDLERS: dict[str, TaskHandler] = {}
# Periodic sweeps that are not tied to one task (e.g. delivery reports when a broadcast ends).
SWEEPS: list[Callable[[Session, datetime, Settings], int]] = []


# Housekeeping kinds: they send nothing, so they do not count as effects (nothing to wake).
QUIET: set[str] = set()


def task(kind: str, *, quiet: bool = False) -> Callable[[TaskHandler], TaskHandler]:
    def register(handler: TaskHandler) -> TaskHandler:
        HANDLERS[kind] = handler
        if quiet:
            QUIET.add(kind)
        return handler
    return register


def sweep(fn: Callable[[Session, datetime, Settings], int]
          ) -> Callable[[Session, datetime, Settings], int]:
    SWEEPS.append(fn)
    return fn


class _Skip(Exception):
    """The task was cancelled or done elsewhere meanwhile: roll its effects back."""


class DueDispatcher:
    def __init__(self, db: Database, clock: Clock, settings: Settings, *,
                 owner: str | None = None, lease: timedelta = timedelta(minutes=5)) -> None:
        from jobs import load_all

        load_all()
        self.db, self.clock, self.settings = db, clock, settings
        self.owner = owner or f"{socket.gethostname()}-{uuid.uuid4().hex[:8]}"
        self.lease = lease

    async def run_once(self) -> int:
        """Run every task that is due, then the sweeps; returns how many effects there were."""
        done = 0
        now = self.clock.now()
        with self.db.session() as s:
            tasks = list(queue.claim(s, DueTask, due_column=DueTask.__table__.c.due_at,
                                     now=now, owner=self.owner, lease=self.lease, limit=100))
        for item in tasks:
            handler = HANDLERS.get(item.kind)
            try:
                with self.db.session() as s:
                    if not due.finish(s, item, self.owner, now):
                        raise _Skip
                    if handler is not None:
                        handler(s, item, now, self.settings)
                    else:
                        log.error("jobs.unknown_kind kind=%s id=%s", item.kind, item.id)
                done += item.kind not in QUIET
                log.info("jobs.done kind=%s ref=%s", item.kind, item.ref_id)
            except _Skip:
                continue
            except Exception:
                log.exception("jobs.crash kind=%s id=%s", item.kind, item.id)
        for fn in SWEEPS:
            with self.db.session() as s:
                done += fn(s, now, self.settings)
        return done

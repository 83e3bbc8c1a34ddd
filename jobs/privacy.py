"""Once a day, forget bookkeeping that has served its time (models.retention).

The daily run is a due task like any other (one row per day, so two processes never both run
it and a restart neither skips nor repeats a day); a sweep makes sure today's row exists.
"""

from __future__ import annotations

import logging
from datetime import datetime, timedelta

from sqlmodel import Session

from core.config import Settings
from jobs.dispatch import sweep, task
from models import due, retention
from models.due import DueTask

log = logging.getLogger("empirie.retention")
KIND = "retention"


def _key(now: datetime) -> str:
    return f"{KIND}:{now.date().isoformat()}"


@sweep
def plan(s: Session, now: datetime, settings: Settings) -> int:
    due.schedule_once(s, KIND, 0, _key(now), now)
    return 0


@task(KIND, quiet=True)
def run(s: Session, item: DueTask, now: datetime, settings: Settings) -> None:
    counts = retention.purge(s, now, timedelta(days=settings.processed_events_days))
    log.info("retention.purged %s", " ".join(f"{k}={v}" for k, v in sorted(counts.items())))

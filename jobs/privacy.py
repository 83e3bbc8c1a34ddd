"""Once a day, forget bookkeeping that has served its time (models.retention).

The daily run is a due task like any other (one row per day, so two processes never both run
it and a restart neither skips nor repeats a day); a sweep makes sure today's row exists.
"""

from __future__ import annotations

import logging
from datetime import datetime, timedelta

from jobs.dispatch import Job, sweep, task
from models import due, retention
from models.due import DueTask

log = logging.getLogger("empirie.retention")
KIND = "retention"


def _key(now: datetime) -> str:
    return f"{KIND}:{now.date().isoformat()}"


@sweep
def plan(job: Job) -> int:
    due.schedule_once(job.session, KIND, 0, _key(job.now), job.now)
    return 0


@task(KIND, quiet=True)
def run(job: Job, item: DueTask) -> None:
    counts = retention.purge(
        job.session, job.now, timedelta(days=job.settings.processed_events_days)
    )
    counts |= retention.compact_outbox(
        job.session, job.now, timedelta(days=job.settings.outbox_keep_days)
    )
    log.info("retention.purged %s", " ".join(f"{k}={v}" for k, v in sorted(counts.items())))

"""Scheduled announcements go out when due; authors get a delivery report when all is done."""

from __future__ import annotations

from datetime import datetime

from sqlmodel import Session

from core.config import Settings
from core.outbox import enqueue_to_person
from handlers.announcements import delivery_report, queue_announcement
from jobs.dispatch import sweep, task
from models import outbox
from models.announcements import Announcement, unreported
from models.due import DueTask


@task("announcement")
def send_scheduled(s: Session, item: DueTask, now: datetime, settings: Settings) -> None:
    ann = s.get(Announcement, item.ref_id)
    if ann is not None and ann.status == "scheduled":
        queue_announcement(s, ann, now, settings)


@sweep
def report_finished(s: Session, now: datetime, settings: Settings) -> int:
    """Tell each author how their broadcast went, once nothing of it is waiting any more."""
    sent = 0
    waiting = unreported(s)
    pending = outbox.pending_by_announcement(s, [a.id or 0 for a in waiting])
    for ann in waiting:
        if pending.get(ann.id or 0, 0) > 0:
            continue
        ann.reported_at = now
        s.add(ann)
        if ann.author_id is not None and enqueue_to_person(
            s,
            ann.author_id,
            settings,
            now,
            lambda t, a=ann: delivery_report(s, t, a),
            kind="report",
            dedupe_key=f"ann-report:{ann.id}",
        ):
            sent += 1
    return sent

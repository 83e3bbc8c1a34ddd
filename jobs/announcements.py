"""Scheduled announcements go out when due; authors get a delivery report when all is done."""

from __future__ import annotations

from datetime import datetime

from sqlmodel import Session, col, select

from bot.config import Settings
from bot.i18n import Translator
from bot.messages import Target
from bot.outbox import enqueue
from handlers.announcements import delivery_report, queue_announcement
from jobs.dispatch import sweep, task
from models import directory, outbox
from models.announcements import Announcement
from models.core import Person
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
    for ann in s.exec(select(Announcement).where(Announcement.status == "queued",
                                                 col(Announcement.reported_at).is_(None))).all():
        if outbox.pending_count(s, ann.id) > 0:
            continue
        ann.reported_at = now
        s.add(ann)
        author = s.get(Person, ann.author_id) if ann.author_id else None
        if author is None or author.erased_at is not None:
            continue
        for platform in settings.active_platforms:
            account = directory.account_of(s, author.id or 0, platform)
            if account is not None:
                t = Translator(author.language or settings.default_language, settings.tz)
                enqueue(s, Target(platform, account.external_id),
                        delivery_report(s, t, ann), now, person_id=author.id,
                        kind="report", dedupe_key=f"ann-report:{ann.id}")
                sent += 1
                break
    return sent

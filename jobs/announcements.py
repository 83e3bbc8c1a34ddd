"""Scheduled announcements go out when due; authors get a delivery report when all is done."""

from __future__ import annotations

from core.i18n import Translator
from core.messages import Outgoing
from core.outbox import enqueue_to_person
from handlers.announcements.render import delivery_report, queue_announcement
from jobs.dispatch import Job, sweep, task
from models import outbox
from models.announcements import Announcement, AnnouncementStatus, unreported
from models.due import DueTask


@task("announcement")
def send_scheduled(job: Job, item: DueTask) -> None:
    ann = job.session.get(Announcement, item.ref_id)
    if ann is not None and ann.status == AnnouncementStatus.SCHEDULED:
        queue_announcement(job.session, ann, job.now, job.settings)


@sweep
def report_finished(job: Job) -> int:
    """Tell each author how their broadcast went, once nothing of it is waiting any more."""
    sent = 0
    waiting = unreported(job.session)
    pending = outbox.pending_by_announcement(job.session, [a.id or 0 for a in waiting])
    for ann in waiting:
        if pending.get(ann.id or 0, 0) > 0:
            continue
        ann.reported_at = job.now
        job.session.add(ann)

        def build(t: Translator, a: Announcement = ann) -> Outgoing:
            return delivery_report(job.session, t, a)

        if ann.author_id is not None and enqueue_to_person(
            job.session,
            ann.author_id,
            job.settings,
            job.now,
            build,
            kind="report",
            dedupe_key=f"ann-report:{ann.id}",
        ):
            sent += 1
    return sent

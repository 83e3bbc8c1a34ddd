"""Feedback polls as due tasks: opened after a meeting ends, one reminder, closed on time."""

from __future__ import annotations

from datetime import timedelta

from handlers.feedback import poll as feedback
from jobs.dispatch import Job, task
from models.due import DueTask


@task("feedback_open")
def open_poll(job: Job, item: DueTask) -> None:
    feedback.open_for_meeting(job.session, item.ref_id, job.now, job.settings)


@task("feedback_remind", max_late=timedelta(days=1))
def remind(job: Job, item: DueTask) -> None:
    feedback.remind(job.session, item.ref_id, job.now, job.settings)


@task("feedback_close")
def close(job: Job, item: DueTask) -> None:
    feedback.close(job.session, item.ref_id, job.now, job.settings)

"""Feedback polls as due tasks: opened after a meeting ends, one reminder, closed on time."""

from __future__ import annotations

from datetime import datetime

from sqlmodel import Session

from core.config import Settings
from handlers.feedback import poll as feedback
from jobs.dispatch import task
from models.due import DueTask


@task("feedback_open")
def open_poll(s: Session, item: DueTask, now: datetime, settings: Settings) -> None:
    feedback.open_for_meeting(s, item.ref_id, now, settings)


@task("feedback_remind")
def remind(s: Session, item: DueTask, now: datetime, settings: Settings) -> None:
    feedback.remind(s, item.ref_id, now, settings)


@task("feedback_close")
def close(s: Session, item: DueTask, now: datetime, settings: Settings) -> None:
    feedback.close(s, item.ref_id, now, settings)

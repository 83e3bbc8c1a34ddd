"""Time-driven work as rows: what is due, when, and whether it was done.

APScheduler only wakes the dispatcher; the truth is here, so a restart loses nothing and a
task done in the same transaction as its effects is never done twice.
"""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from sqlalchemy import Index, String, update
from sqlalchemy.exc import IntegrityError
from sqlmodel import Field, Session, SQLModel, col, select

from models.types import UTCDateTime


class TaskStatus(StrEnum):
    PENDING = "pending"
    DONE = "done"
    CANCELLED = "cancelled"


class DueTask(SQLModel, table=True):
    __tablename__ = "due_task"
    __table_args__ = (
        Index("ix_due_task_due", "status", "due_at"),
        Index("ix_due_task_ref", "kind", "ref_id"),
    )

    id: int | None = Field(default=None, primary_key=True)
    kind: str = Field(sa_type=String(32))
    ref_id: int
    key: str = Field(sa_type=String(128), unique=True)  # one task per (kind, subject, moment)
    due_at: datetime = Field(sa_type=UTCDateTime)
    status: str = Field(default=TaskStatus.PENDING, sa_type=String(12))  # TaskStatus
    lease_owner: str | None = Field(default=None, sa_type=String(64))
    lease_until: datetime | None = Field(default=None, sa_type=UTCDateTime)
    done_at: datetime | None = Field(default=None, sa_type=UTCDateTime)


def schedule(session: Session, kind: str, ref_id: int, key: str, due_at: datetime) -> DueTask:
    """Create or move the task with this key (a moved meeting moves its reminders)."""
    task = session.exec(select(DueTask).where(DueTask.key == key)).first()
    if task is None:
        task = DueTask(kind=kind, ref_id=ref_id, key=key, due_at=due_at)
    elif task.status != TaskStatus.DONE:
        task.due_at, task.status, task.lease_until = due_at, TaskStatus.PENDING, None
    session.add(task)
    return task


def cancel(session: Session, kind: str, ref_id: int) -> int:
    result = session.execute(
        update(DueTask)
        .where(
            col(DueTask.kind) == kind,
            col(DueTask.ref_id) == ref_id,
            col(DueTask.status) == TaskStatus.PENDING,
        )
        .values(status=TaskStatus.CANCELLED)
    )
    return int(result.rowcount)  # type: ignore[attr-defined]


def cancel_key(session: Session, key: str) -> None:
    session.execute(
        update(DueTask)
        .where(col(DueTask.key) == key, col(DueTask.status) == TaskStatus.PENDING)
        .values(status=TaskStatus.CANCELLED)
    )


def finish(session: Session, task: DueTask, owner: str, now: datetime) -> bool:
    result = session.execute(
        update(DueTask)
        .where(
            col(DueTask.id) == task.id,
            col(DueTask.lease_owner) == owner,
            col(DueTask.status) == TaskStatus.PENDING,
        )
        .values(status=TaskStatus.DONE, done_at=now, lease_until=None)
    )
    return bool(result.rowcount)  # type: ignore[attr-defined]


def finish_many(session: Session, tasks: list[DueTask], owner: str, now: datetime) -> list[DueTask]:
    """`finish` for many tasks in one statement; returns those that were still this owner's
    and pending (the others were cancelled or done elsewhere meanwhile)."""
    ids = {
        row[0]
        for row in session.execute(
            update(DueTask)
            .where(
                col(DueTask.id).in_([t.id for t in tasks]),
                col(DueTask.lease_owner) == owner,
                col(DueTask.status) == TaskStatus.PENDING,
            )
            .values(status=TaskStatus.DONE, done_at=now, lease_until=None)
            .returning(col(DueTask.id))
        )
    }
    return [t for t in tasks if t.id in ids]


def schedule_once(session: Session, kind: str, ref_id: int, key: str, due_at: datetime) -> bool:
    """Create the task with this key unless it exists (made here or, at the same moment, by
    another process: a savepoint keeps the caller's transaction usable then)."""
    if exists_key(session, key):
        return False
    try:
        with session.begin_nested():
            session.add(DueTask(kind=kind, ref_id=ref_id, key=key, due_at=due_at))
    except IntegrityError:
        return False
    return True


def exists_key(session: Session, key: str) -> bool:
    """Whether a task with this key was ever scheduled."""
    return session.exec(select(DueTask.id).where(DueTask.key == key)).first() is not None


def first_due(session: Session) -> datetime | None:
    """When the earliest pending task falls due (None: nothing pending): one read of the
    first entry of the (status, due_at) index, so an idle tick costs one indexed lookup."""
    return session.exec(
        select(DueTask.due_at)
        .where(DueTask.status == TaskStatus.PENDING)
        .order_by(col(DueTask.due_at))
        .limit(1)
    ).first()

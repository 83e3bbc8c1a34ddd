"""What the readiness probe and the metrics read: is the database there, how far behind are
the outbox and the due tasks. Small indexed queries, read on every probe and every scrape."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import func
from sqlmodel import Session, col, select

from models.core import Account, ChatBinding, NetworkRole, Person
from models.due import DueTask, TaskStatus
from models.enums import Role
from models.outbox import FAILED, PENDING, OutboxMessage


@dataclass(frozen=True)
class Backlog:
    """The outbox by platform, and the due work, as of `now`."""

    now: datetime
    pending: dict[str, int] = field(default_factory=dict)  # rows still to send, by platform
    failed: dict[str, int] = field(default_factory=dict)  # rows given up on, by platform
    oldest_due: datetime | None = None  # the earliest `not_before` of a pending row already due
    tasks_overdue: int = 0  # due tasks whose time has come and that are not done
    oldest_task: datetime | None = None  # the earliest of their due times

    @property
    def outbox_lag(self) -> float:
        """Seconds the oldest sendable message has waited (0: nothing is waiting)."""
        return _since(self.oldest_due, self.now)

    @property
    def task_lag(self) -> float:
        """Seconds the oldest overdue task has waited past its time (0: none)."""
        return _since(self.oldest_task, self.now)


def _since(moment: datetime | None, now: datetime) -> float:
    return max(0.0, (now - moment).total_seconds()) if moment is not None else 0.0


def ping(session: Session) -> None:
    """A round trip to the database (raises when it is not reachable)."""
    session.exec(select(1)).one()


def backlog(session: Session, now: datetime) -> Backlog:
    counts = session.exec(
        select(OutboxMessage.platform, OutboxMessage.status, func.count())
        .where(col(OutboxMessage.status).in_([PENDING, FAILED]))
        .group_by(col(OutboxMessage.platform), col(OutboxMessage.status))
    ).all()
    oldest_due = session.exec(
        select(func.min(OutboxMessage.not_before)).where(
            OutboxMessage.status == PENDING, OutboxMessage.not_before <= now
        )
    ).one()
    overdue, oldest_task = session.exec(
        select(func.count(), func.min(DueTask.due_at)).where(
            DueTask.status == TaskStatus.PENDING, DueTask.due_at <= now
        )
    ).one()
    return Backlog(
        now=now,
        pending={p: int(n) for p, s, n in counts if s == PENDING},
        failed={p: int(n) for p, s, n in counts if s == FAILED},
        oldest_due=_aware(oldest_due),
        tasks_overdue=int(overdue or 0),
        oldest_task=_aware(oldest_task),
    )


def _aware(value: datetime | None) -> datetime | None:
    """min() keeps the column's type (UTC, aware); a driver that drops it gives naive UTC."""
    if value is None:
        return None
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value


@dataclass(frozen=True)
class Roster:
    people: int  # in the roster (not erased)
    linked: int  # of them, with an account on some platform
    coordinators: int  # holding an active coordinator role
    coordinators_linked: int
    chats: int  # group chats bound to a network


def roster(session: Session) -> Roster:
    people = select(Person.id).where(col(Person.erased_at).is_(None))
    linked = select(Account.person_id).where(col(Account.person_id).in_(people))
    coordinators = select(NetworkRole.person_id).where(
        NetworkRole.role == Role.COORDINATOR,
        col(NetworkRole.ended_at).is_(None),
        col(NetworkRole.person_id).in_(people),
    )

    def count(query: Any) -> int:
        return int(
            session.exec(select(func.count()).select_from(query.distinct().subquery())).one()
        )

    return Roster(
        people=count(people),
        linked=count(linked),
        coordinators=count(coordinators),
        coordinators_linked=count(coordinators.where(col(NetworkRole.person_id).in_(linked))),
        chats=int(session.exec(select(func.count()).select_from(ChatBinding)).one()),
    )

"""The outbox: every message the bot sends on its own (broadcasts, reminders, reports).

Written in the same transaction as the decision to send; delivered by bot.outbox.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import JSON, Column, Index, String, func, update
from sqlmodel import Field, Session, SQLModel, col, select

from models import queue
from models.types import UTCDateTime

PENDING, SENT, FAILED = "pending", "sent", "failed"


class OutboxMessage(SQLModel, table=True):
    __tablename__ = "outbox_message"
    __table_args__ = (Index("ix_outbox_due", "status", "not_before"),)

    id: int | None = Field(default=None, primary_key=True)
    created_at: datetime = Field(sa_type=UTCDateTime)
    platform: str = Field(sa_type=String(16))
    chat_id: str = Field(sa_type=String(128))
    person_id: int | None = Field(default=None, foreign_key="person.id", index=True)
    network_id: int | None = Field(default=None, foreign_key="network.id")
    announcement_id: int | None = Field(default=None, foreign_key="announcement.id", index=True)
    kind: str = Field(default="message", sa_type=String(32))
    dedupe_key: str | None = Field(default=None, sa_type=String(128), unique=True)
    payload: dict[str, Any] = Field(default_factory=dict, sa_column=Column(JSON, nullable=False))
    status: str = Field(default=PENDING, sa_type=String(12))
    attempts: int = 0
    not_before: datetime = Field(sa_type=UTCDateTime)
    lease_owner: str | None = Field(default=None, sa_type=String(64))
    lease_until: datetime | None = Field(default=None, sa_type=UTCDateTime)
    sent_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    sent_by: str | None = Field(default=None, sa_type=String(64))
    last_error: str | None = Field(default=None, sa_type=String(500))


def add(session: Session, *, platform: str, chat_id: str, payload: dict[str, Any],
        now: datetime, person_id: int | None = None, network_id: int | None = None,
        announcement_id: int | None = None, kind: str = "message",
        dedupe_key: str | None = None, not_before: datetime | None = None) -> OutboxMessage:
    row = OutboxMessage(created_at=now, platform=platform, chat_id=chat_id, payload=payload,
                        person_id=person_id, network_id=network_id,
                        announcement_id=announcement_id, kind=kind, dedupe_key=dedupe_key,
                        not_before=not_before or now)
    session.add(row)
    return row


def claim_due(session: Session, *, now: datetime, owner: str, lease: timedelta, limit: int,
              platforms: Sequence[str]) -> Sequence[OutboxMessage]:
    return queue.claim(session, OutboxMessage, due_column=OutboxMessage.__table__.c.not_before,
                       now=now, owner=owner, lease=lease, limit=limit,
                       extra=col(OutboxMessage.platform).in_(platforms))


def mark_sent(session: Session, row_id: int, owner: str, now: datetime) -> bool:
    """Exactly once: only the lease holder of a still-pending row can mark it."""
    result = session.execute(
        update(OutboxMessage).where(col(OutboxMessage.id) == row_id,
                                    col(OutboxMessage.lease_owner) == owner,
                                    col(OutboxMessage.status) == PENDING)
        .values(status=SENT, sent_at=now, sent_by=owner, lease_until=None,
                attempts=OutboxMessage.attempts + 1))
    return bool(result.rowcount)  # type: ignore[attr-defined]


def mark_failed(session: Session, row_id: int, owner: str, reason: str, now: datetime,
                retry_at: datetime | None) -> None:
    """Permanent failure (retry_at None) or a later retry."""
    values: dict[str, Any] = {"attempts": OutboxMessage.attempts + 1,
                              "last_error": reason[:500], "lease_until": None,
                              "lease_owner": None}
    if retry_at is None:
        values.update(status=FAILED, sent_at=now)
    else:
        values["not_before"] = retry_at
    session.execute(update(OutboxMessage).where(col(OutboxMessage.id) == row_id,
                                                col(OutboxMessage.lease_owner) == owner,
                                                col(OutboxMessage.status) == PENDING)
                    .values(values))


def pending_count(session: Session, announcement_id: int | None = None) -> int:
    query = select(func.count()).select_from(OutboxMessage).where(
        OutboxMessage.status == PENDING)
    if announcement_id is not None:
        query = query.where(OutboxMessage.announcement_id == announcement_id)
    return int(session.exec(query).one())


def for_announcement(session: Session, announcement_id: int) -> Sequence[OutboxMessage]:
    return session.exec(select(OutboxMessage).where(
        OutboxMessage.announcement_id == announcement_id,
        OutboxMessage.kind == "announcement").order_by(col(OutboxMessage.id))).all()

"""After a send: parts, sent or failed marks, live messages and their edits, what waits."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import (
    func,
    or_,
    update,
)
from sqlmodel import Session, col, select

from models.outbox.tables import EDIT, FAILED, PENDING, REPLY, SENT, OutboxMessage


def mark_part(
    session: Session,
    row_id: int,
    owner: str,
    parts_done: int,
    sent_ids: list[str],
    lease_until: datetime,
) -> bool:
    """Record that parts up to `parts_done` went out (and extend the lease for the next)."""
    result = session.execute(
        update(OutboxMessage)
        .where(
            col(OutboxMessage.id) == row_id,
            col(OutboxMessage.lease_owner) == owner,
            col(OutboxMessage.status) == PENDING,
        )
        .values(parts_done=parts_done, sent_ids=list(sent_ids), lease_until=lease_until)
    )
    return bool(result.rowcount)  # type: ignore[attr-defined]


def live_original(
    session: Session, platform: str, chat_id: str, live_key: str
) -> OutboxMessage | None:
    """The newest message queued under this key (not an edit)."""
    return session.exec(
        select(OutboxMessage)
        .where(
            OutboxMessage.platform == platform,
            OutboxMessage.chat_id == chat_id,
            OutboxMessage.live_key == live_key,
            OutboxMessage.kind != EDIT,
        )
        .order_by(col(OutboxMessage.id).desc())
    ).first()


def live_edits(
    session: Session, platform: str, chat_id: str, live_key: str
) -> Sequence[OutboxMessage]:
    """Edits of the keyed message, newest first."""
    return session.exec(
        select(OutboxMessage)
        .where(
            OutboxMessage.platform == platform,
            OutboxMessage.chat_id == chat_id,
            OutboxMessage.live_key == live_key,
            OutboxMessage.kind == EDIT,
        )
        .order_by(col(OutboxMessage.id).desc())
        .limit(2)
    ).all()


def waiting_edits(session: Session, live_key: str, now: datetime) -> set[tuple[str, str]]:
    """The chats where an edit of the keyed message marked for a refresh (see
    core.outbox.refresh_live) waits, not being sent. The rows are locked (PostgreSQL) until
    the caller's transaction ends: a claim passes them by meanwhile, so an edit rendered
    when sent always sees the change that relied on it."""
    rows = session.exec(
        select(OutboxMessage.platform, OutboxMessage.chat_id, OutboxMessage.payload)
        .where(
            OutboxMessage.live_key == live_key,
            OutboxMessage.kind == EDIT,
            OutboxMessage.status == PENDING,
            or_(col(OutboxMessage.lease_until).is_(None), col(OutboxMessage.lease_until) < now),
        )
        .with_for_update()
    ).all()
    return {(platform, chat_id) for platform, chat_id, payload in rows if "refresh" in payload}


def live_chats(session: Session, live_key: str) -> Sequence[tuple[str, str]]:
    """Every chat holding a message queued under this key."""
    return session.exec(
        select(OutboxMessage.platform, OutboxMessage.chat_id)
        .where(
            OutboxMessage.live_key == live_key,
            OutboxMessage.kind != EDIT,
            OutboxMessage.status != FAILED,
        )
        .distinct()
    ).all()


def move_chat(session: Session, platform: str, old_chat_id: str, new_chat_id: str) -> int:
    """A chat got a new id (a Telegram group became a supergroup): its rows follow."""
    result = session.execute(
        update(OutboxMessage)
        .where(col(OutboxMessage.platform) == platform, col(OutboxMessage.chat_id) == old_chat_id)
        .values(chat_id=new_chat_id)
    )
    return int(result.rowcount)  # type: ignore[attr-defined]


def mark_sent(
    session: Session,
    row_id: int,
    owner: str,
    now: datetime,
    parts_done: int | None = None,
    sent_ids: list[str] | None = None,
) -> bool:
    """Exactly once: only the lease holder of a still-pending row can mark it."""
    values: dict[str, Any] = {
        "status": SENT,
        "sent_at": now,
        "sent_by": owner,
        "lease_until": None,
        "attempts": OutboxMessage.attempts + 1,
    }
    if parts_done is not None:
        values.update(parts_done=parts_done, sent_ids=list(sent_ids or []))
    result = session.execute(
        update(OutboxMessage)
        .where(
            col(OutboxMessage.id) == row_id,
            col(OutboxMessage.lease_owner) == owner,
            col(OutboxMessage.status) == PENDING,
        )
        .values(values)
    )
    return bool(result.rowcount)  # type: ignore[attr-defined]


def mark_failed(
    session: Session, row_id: int, owner: str, reason: str, now: datetime, retry_at: datetime | None
) -> None:
    """Permanent failure (retry_at None) or a later retry."""
    values: dict[str, Any] = {
        "attempts": OutboxMessage.attempts + 1,
        "last_error": reason[:500],
        "lease_until": None,
        "lease_owner": None,
    }
    if retry_at is None:
        values.update(status=FAILED, sent_at=now)
    else:
        values["not_before"] = retry_at
    session.execute(
        update(OutboxMessage)
        .where(
            col(OutboxMessage.id) == row_id,
            col(OutboxMessage.lease_owner) == owner,
            col(OutboxMessage.status) == PENDING,
        )
        .values(values)
    )


def chat_waiting(
    session: Session, platform: str, chat_id: str, since: datetime | None = None
) -> bool:
    """Something is still queued for this chat (perhaps waiting for a retry) that a direct
    reply would overtake. `since`: the moment the update being answered began — bulk work
    queued before it may be overtaken (see the reply lane), earlier replies and what the
    update itself queued may not."""
    query = select(OutboxMessage.id).where(
        OutboxMessage.platform == platform,
        OutboxMessage.chat_id == chat_id,
        OutboxMessage.status == PENDING,
    )
    if since is not None:
        query = query.where(
            or_(col(OutboxMessage.kind) == REPLY, col(OutboxMessage.created_at) >= since)
        )
    return session.exec(query.limit(1)).first() is not None


def pending_count(session: Session, announcement_id: int | None = None) -> int:
    query = select(func.count()).select_from(OutboxMessage).where(OutboxMessage.status == PENDING)
    if announcement_id is not None:
        query = query.where(OutboxMessage.announcement_id == announcement_id)
    return int(session.exec(query).one())


def pending_by_announcement(session: Session, announcement_ids: Sequence[int]) -> dict[int, int]:
    """How many rows of each of these broadcasts are still waiting, in one query."""
    if not announcement_ids:
        return {}
    rows = session.exec(
        select(OutboxMessage.announcement_id, func.count())
        .where(
            OutboxMessage.status == PENDING,
            col(OutboxMessage.announcement_id).in_(list(announcement_ids)),
        )
        .group_by(col(OutboxMessage.announcement_id))
    ).all()
    return {int(a): int(n) for a, n in rows if a is not None}

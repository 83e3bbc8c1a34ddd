"""What happened to the messages: an announcement's copies, compaction into the delivery log,
the files still referred to."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import (
    delete,
    func,
    insert,
    or_,
)
from sqlalchemy import (
    select as sa_select,
)
from sqlmodel import Session, col

from models.outbox.tables import EDIT, FAILED, SENT, Delivery, OutboxMessage


@dataclass(frozen=True)
class Outcome:
    """One copy's delivery, from the outbox or its delivery log (what the report shows)."""

    person_id: int | None
    platform: str
    chat_id: str
    status: str
    last_error: str | None
    sent_at: datetime | None


def for_announcement(session: Session, announcement_id: int) -> list[Outcome]:
    """Every copy of the announcement, waiting, sent or failed, also those compacted into
    the delivery log, in the order they were queued."""
    fields = ("id", "person_id", "platform", "chat_id", "status", "last_error", "sent_at")
    found: list[Any] = []
    tables: list[Any] = [OutboxMessage.__table__, Delivery.__table__]  # type: ignore[attr-defined]
    for table in tables:
        found += session.execute(
            sa_select(*(table.c[f] for f in fields)).where(
                table.c.announcement_id == announcement_id, table.c.kind == "announcement"
            )
        ).all()
    return [Outcome(*row[1:]) for row in sorted(found, key=lambda row: row[0])]


LOGGED = (  # what the delivery log keeps of a message
    "id",
    "created_at",
    "platform",
    "chat_id",
    "person_id",
    "network_id",
    "announcement_id",
    "kind",
    "dedupe_key",
    "status",
    "attempts",
    "sent_at",
    "last_error",
)
COMPACT_BATCH = 2000


def compact(session: Session, before: datetime) -> int:
    """Move the messages sent or failed before `before` into the delivery log (their texts
    and files are dropped); a live message (one that may still be edited in place) stays.
    Returns how many rows were compacted."""
    table = OutboxMessage.__table__  # type: ignore[attr-defined]
    done = 0
    while True:
        ids = [
            int(i)
            for i in session.execute(
                sa_select(table.c.id)
                .where(
                    table.c.status.in_([SENT, FAILED]),
                    func.coalesce(table.c.sent_at, table.c.created_at) < before,
                    or_(table.c.live_key.is_(None), table.c.kind == EDIT),
                )
                .order_by(table.c.id)
                .limit(COMPACT_BATCH)
            ).scalars()
        ]
        if not ids:
            return done
        session.execute(
            insert(Delivery).from_select(
                list(LOGGED),
                sa_select(*(table.c[f] for f in LOGGED)).where(table.c.id.in_(ids)),
            )
        )
        session.execute(delete(OutboxMessage).where(col(OutboxMessage.id).in_(ids)))
        done += len(ids)


def referenced_files(session: Session, where: Any = None) -> set[int]:
    """The stored files (models.blobs) the outbox's messages (those matching `where`) still
    refer to."""
    found: set[int] = set()
    query = sa_select(OutboxMessage.__table__.c.payload)  # type: ignore[attr-defined]
    rows = session.execute(query if where is None else query.where(where)).scalars()
    for payload in rows:
        for spec in (payload or {}).get("files") or []:
            if "blob" in spec:
                found.add(int(spec["blob"]))
    return found

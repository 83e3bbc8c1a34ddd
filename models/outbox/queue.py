"""Queuing messages and claiming the due ones (the lease), in chat order."""

from __future__ import annotations

import base64
from collections.abc import Sequence
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import (
    Integer,
    String,
    and_,
    bindparam,
    exists,
    insert,
    literal_column,
    or_,
    text,
    update,
)
from sqlalchemy import (
    select as sa_select,
)
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import aliased
from sqlmodel import Session, col, select

from models import blobs
from models.outbox.tables import PENDING, REPLY, Delivery, OutboxMessage
from models.types import UTCDateTime


def add(
    session: Session,
    *,
    platform: str,
    chat_id: str,
    payload: dict[str, Any],
    now: datetime,
    person_id: int | None = None,
    network_id: int | None = None,
    announcement_id: int | None = None,
    kind: str = "message",
    dedupe_key: str | None = None,
    not_before: datetime | None = None,
    live_key: str | None = None,
) -> OutboxMessage:
    row = OutboxMessage(
        created_at=now,
        platform=platform,
        chat_id=chat_id,
        payload=with_files_stored(session, payload, now),
        person_id=person_id,
        network_id=network_id,
        announcement_id=announcement_id,
        kind=kind,
        dedupe_key=dedupe_key,
        not_before=not_before or now,
        live_key=live_key,
        sent_ids=[],
    )
    session.add(row)
    return row


def with_files_stored(
    session: Session,
    payload: dict[str, Any],
    now: datetime,
    known: dict[str, dict[str, Any]] | None = None,
) -> dict[str, Any]:
    """The payload with its inline files (base64) stored as blobs (models.blobs.stored: one
    copy per file version) and referred to by id; `known` caches them across many rows."""
    files = payload.get("files") or []
    if not any("b64" in spec for spec in files):
        return payload
    known = {} if known is None else known
    refs = []
    for spec in files:
        if "b64" not in spec:
            refs.append(spec)
            continue
        key = f"{spec['name']}\0{spec['mime']}\0{spec['b64']}"
        if key not in known:
            content = base64.b64decode(spec["b64"])
            blob_id = blobs.stored(session, spec["name"], spec["mime"], content, now)
            known[key] = {"blob": blob_id, "name": spec["name"], "mime": spec["mime"]}
        refs.append(known[key])
    return {**payload, "files": refs}


def queued(session: Session, dedupe_key: str) -> bool:
    """Whether a message with this key was ever queued (also one compacted since)."""
    found = session.exec(select(OutboxMessage.id).where(OutboxMessage.dedupe_key == dedupe_key))
    if found.first() is not None:
        return True
    logged = session.exec(select(Delivery.id).where(Delivery.dedupe_key == dedupe_key))
    return logged.first() is not None


def queued_keys(session: Session, keys: Sequence[str]) -> set[str]:
    """Those of the keys with which a message was ever queued (`queued` for many at once)."""
    found: set[str] = set()
    for table in (OutboxMessage, Delivery):
        for start in range(0, len(keys), 500):
            chunk = list(keys[start : start + 500])
            found.update(
                k
                for k in session.exec(
                    select(table.dedupe_key).where(col(table.dedupe_key).in_(chunk))
                )
                if k is not None
            )
    return found


def add_once(session: Session, *, dedupe_key: str, **fields: Any) -> OutboxMessage | None:
    """`add` unless a message with this key was ever queued (here, or at the same moment by
    another process: a savepoint keeps the caller's transaction usable); None then."""
    if queued(session, dedupe_key):
        return None
    try:
        with session.begin_nested():
            return add(session, dedupe_key=dedupe_key, **fields)
    except IntegrityError:
        return None


def add_many(session: Session, rows: list[dict[str, Any]]) -> None:
    """Queue many messages in one statement (fan-out of due work); a file shared by many
    rows is stored once."""
    if rows:
        known: dict[str, dict[str, Any]] = {}
        payloads: dict[int, dict[str, Any]] = {}  # rows of one fan-out share a payload
        for row in rows:
            payload = row.get("payload")
            if payload is not None and id(payload) not in payloads:
                payloads[id(payload)] = with_files_stored(
                    session, payload, row["created_at"], known
                )
        session.execute(
            insert(OutboxMessage),
            [
                {
                    "status": PENDING,
                    "attempts": 0,
                    "parts_done": 0,
                    "sent_ids": [],
                    **row,
                    "payload": payloads.get(id(row.get("payload")), row.get("payload")),
                }
                for row in rows
            ],
        )


ANALYZE_AFTER = 1000  # rows queued at once


def refresh_statistics(session: Session) -> None:
    """Tell PostgreSQL's planner how many rows are pending now, after thousands were queued.

    Autovacuum re-analyses a table only after 10 % of it changed, so 10,000 rows queued into
    a table of 100,000 sent ones leave the statistics saying "nothing pending". The claim's
    "first in its chat" (NOT EXISTS an older pending row) is then planned as a loop of every
    pending row over every other: 136 s for one claim of 50 (benchmarks/scale.py), instead
    of milliseconds. SQLite plans without statistics: nothing to do there."""
    if session.get_bind().dialect.name == "postgresql":
        session.execute(text("ANALYZE outbox_message"))


_PENDING_SQL: Any = literal_column("'pending'")  # a literal, so that the partial indexes apply
_CLAIMS: dict[tuple[str, bool | None], Any] = {}


def _claim_statement(dialect: str, replies: bool | None) -> Any:
    """The claim of one lane, built once per dialect (its values are bound parameters)."""
    table = OutboxMessage.__table__  # type: ignore[attr-defined]
    older = aliased(OutboxMessage)
    ahead = and_(
        col(older.platform) == table.c.platform,
        col(older.chat_id) == table.c.chat_id,
        col(older.status) == _PENDING_SQL,
        col(older.id) < table.c.id,
    )
    pending = table.c.status == _PENDING_SQL
    if replies:  # earlier replies, and what the same update queued, still go first
        ahead = and_(
            ahead,
            or_(col(older.kind) == REPLY, col(older.created_at) >= table.c.created_at),
        )
        where = and_(pending, table.c.kind == REPLY)
    else:
        # written as the index's condition, so that SQLite and PostgreSQL both use it
        where = and_(pending, text("head = 1" if dialect == "sqlite" else "head"))
        if replies is False:
            where = and_(where, table.c.kind != REPLY)
    now = bindparam("now", type_=UTCDateTime)
    candidates = (
        sa_select(table.c.id)
        .where(
            where,
            table.c.not_before <= now,
            or_(table.c.lease_until.is_(None), table.c.lease_until < now),
            table.c.platform.in_(bindparam("platforms", expanding=True)),
            ~exists().where(ahead),
        )
        .order_by(table.c.not_before, table.c.id)
        .limit(bindparam("limit", type_=Integer))
    )
    if dialect == "postgresql":
        candidates = candidates.with_for_update(skip_locked=True)
    return (
        update(OutboxMessage)
        .where(col(OutboxMessage.id).in_(candidates.scalar_subquery()))
        .values(
            lease_owner=bindparam("owner", type_=String),
            lease_until=bindparam("until", type_=UTCDateTime),
        )
        .returning(OutboxMessage)
        .execution_options(synchronize_session=False)
    )


def claim_due(
    session: Session,
    *,
    now: datetime,
    owner: str,
    lease: timedelta,
    limit: int,
    platforms: Sequence[str],
    replies: bool | None = None,
) -> Sequence[OutboxMessage]:
    """Due rows that are first in their chat's queue (at most one per chat and lane), leased
    to `owner` and committed. `replies`: True for the reply lane only, False for the rest,
    None for both (in the order of the rest: a reply overtakes nothing).

    The rest is read from the chats' heads (`ix_outbox_head`) in due order, so a claim reads
    about one batch however many rows wait behind those heads; the reply lane reads the
    pending replies (`ix_outbox_lane`), which are few. On PostgreSQL the rows are picked with
    `FOR UPDATE SKIP LOCKED`; SQLite serialises writers, so its single UPDATE is atomic."""
    dialect = session.get_bind().dialect.name
    statement = _CLAIMS.get((dialect, replies))
    if statement is None:
        statement = _CLAIMS[(dialect, replies)] = _claim_statement(dialect, replies)
    rows = (
        session.execute(
            statement,
            {
                "now": now,
                "until": now + lease,
                "owner": owner,
                "limit": limit,
                "platforms": list(platforms),
            },
        )
        .scalars()
        .all()
    )
    session.commit()
    return sorted(rows, key=lambda r: r.id or 0)


def renew(session: Session, row_ids: Sequence[int], owner: str, lease_until: datetime) -> list[int]:
    """Keep the leases of rows still being delivered (a paced group may wait for its slot);
    returns the ids still ours (a row whose lease ran out may have been claimed by another
    process: that one is not ours to send any more)."""
    result = session.execute(
        update(OutboxMessage)
        .where(
            col(OutboxMessage.id).in_(list(row_ids)),
            col(OutboxMessage.lease_owner) == owner,
            col(OutboxMessage.status) == PENDING,
        )
        .values(lease_until=lease_until)
        .returning(col(OutboxMessage.id))
    )
    return [int(row_id) for row_id in result.scalars()]


def lease_owners(session: Session, now: datetime) -> list[str]:
    """The holders of running leases on pending rows."""
    return [
        str(owner)
        for owner in session.exec(
            select(OutboxMessage.lease_owner)
            .where(
                OutboxMessage.status == PENDING,
                col(OutboxMessage.lease_until) >= now,
                col(OutboxMessage.lease_owner).is_not(None),
            )
            .distinct()
        )
    ]


def release(session: Session, owners: Sequence[str]) -> int:
    """End the leases of these owners (processes known to be dead): their pending rows can be
    claimed at once. Returns how many rows were freed."""
    result = session.execute(
        update(OutboxMessage)
        .where(
            col(OutboxMessage.lease_owner).in_(list(owners)),
            col(OutboxMessage.status) == PENDING,
        )
        .values(lease_until=None)
    )
    return int(result.rowcount)  # type: ignore[attr-defined]

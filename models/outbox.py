"""The outbox: every message the bot sends on its own (broadcasts, reminders, reports).

Written in the same transaction as the decision to send; delivered by bot.outbox. Messages to
one chat go out in the order they were queued: a row is claimed only when no older row to the
same chat is still pending (so a failed message waiting for its retry is never overtaken).
Which row is first in its chat is kept in the row itself (`head`, see `HEAD_DDL`), so a
claim reads one batch of heads in `not_before` order and never the chats' queues behind them.
One exception, the reply lane: an answer to someone who just wrote (kind "reply", queued
with the moment the update began as its `created_at`) overtakes the bulk work queued for the
chat before that moment (a broadcast's copy, a reminder) — never an earlier reply, nor what
the same update queued.
A row remembers how many of its parts went out (`parts_done`) and their platform ids, so a
retry resumes after the last part sent. A row with a `live_key` can be edited later: an edit
is a row of kind "edit" with the same key and the new text and buttons.
"""

from __future__ import annotations

import base64
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum
from typing import Any

from sqlalchemy import (
    JSON,
    Boolean,
    Column,
    Index,
    Integer,
    String,
    and_,
    bindparam,
    delete,
    event,
    exists,
    func,
    insert,
    literal_column,
    or_,
    text,
    true,
    update,
)
from sqlalchemy import (
    select as sa_select,
)
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import aliased
from sqlmodel import Field, Session, SQLModel, col, select

from models import blobs
from models.types import UTCDateTime


class OutboxStatus(StrEnum):
    PENDING = "pending"
    SENT = "sent"
    FAILED = "failed"


PENDING, SENT, FAILED = OutboxStatus.PENDING, OutboxStatus.SENT, OutboxStatus.FAILED
EDIT = "edit"
REPLY = "reply"  # an answer to someone who just wrote: the reply lane


class Failure(StrEnum):
    """Why a message could not be delivered, as recorded in `last_error` (the platform's own
    words go to the log only: staff read a reason in their language, see the delivery report)."""

    BLOCKED = "blocked"  # the person blocked the bot, or the bot was removed from the chat
    DEACTIVATED = "deactivated"  # the account was deleted or deactivated
    CHAT_NOT_FOUND = "chat_not_found"
    TOO_LONG = "too_long"  # the message or file is larger than the platform takes
    RETRIED = "retried"  # the platform did not answer or asked to wait, until attempts ran out
    OTHER = "other"


_FAILURE_WORDS: tuple[tuple[Failure, tuple[str, ...]], ...] = (
    (Failure.DEACTIVATED, ("deactivated", "user is deleted")),
    (Failure.BLOCKED, ("blocked", "kicked", "forbidden", "not a member", "initiate conversation")),
    (Failure.CHAT_NOT_FOUND, ("chat not found", "chat_not_found", "user not found", "peer_id")),
    (Failure.TOO_LONG, ("too long", "too_long", "too big", "too large")),
    (Failure.RETRIED, ("network", "rate_limited", "retry", "timed out", "unexpected", "login")),
)


def failure_of(reason: str | None) -> Failure:
    """The kind of a failure from a recorded reason, or from a platform's error text (also
    the raw texts recorded by older versions, e.g. "forbidden: Forbidden: bot was blocked by
    the user")."""
    text = (reason or "").lower()
    if text in Failure.__members__.values():
        return Failure(text)
    for failure, words in _FAILURE_WORDS:
        if any(word in text for word in words):
            return failure
    return Failure.OTHER


class OutboxMessage(SQLModel, table=True):
    __tablename__ = "outbox_message"
    __table_args__ = (
        Index("ix_outbox_due", "status", "not_before"),
        Index("ix_outbox_chat", "platform", "chat_id", "status", "id"),
        Index("ix_outbox_live", "platform", "chat_id", "live_key"),
        Index("ix_outbox_lane", "kind", "status", "not_before"),  # the reply lane's claim
        # the claim: heads of the chats' queues in the order they are due (see HEAD_DDL)
        Index(
            "ix_outbox_head",
            "not_before",
            "id",
            sqlite_where=text("status = 'pending' AND head = 1"),
            postgresql_where=text("status = 'pending' AND head"),
        ),
        # room in each page, so that a lease or a mark rewrites its row in place (a HOT
        # update) instead of adding an entry to every index
        {"postgresql_with": {"fillfactor": 80}},
    )

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
    parts_done: int = 0  # parts already delivered; a retry resumes after them
    sent_ids: list[str] = Field(default_factory=list, sa_column=Column(JSON, nullable=False))
    live_key: str | None = Field(default=None, sa_type=String(64))  # editable later by this key
    # may be the first pending row of its chat: kept by the database (HEAD_DDL), never set here
    head: bool = Field(
        default=True,
        sa_column=Column(Boolean, nullable=False, default=True, server_default=true()),
    )


# Keeping `head`: every chat with pending rows has its oldest pending row flagged (a flag on a
# row that is not first is harmless: the claim checks "first in its chat" exactly, on the few
# rows it reads). Triggers keep it, whatever path queues, marks, moves or deletes a row:
# - a queued row is flagged unless an older row to its chat is pending;
# - a flagged row leaving "pending" (sent, failed, deleted, moved) flags its chat's next one;
# - a row put back to "pending" is flagged.
# On PostgreSQL two transactions can race (a row queued while the row ahead of it is being
# marked): the queuing one holds the row it waits behind FOR SHARE until it commits (the mark
# then waits, and its trigger sees the new row), and when every older row is locked it flags
# its own row instead of waiting; the marking one takes the next pending row under its lock
# and looks again when that row left "pending" meanwhile (a reply sent out of turn).
_SQLITE_NEXT = """
    UPDATE outbox_message SET head = 1
    WHERE id = (SELECT min(id) FROM outbox_message
                WHERE platform = OLD.platform AND chat_id = OLD.chat_id AND status = 'pending')
      AND head = 0;
"""
HEAD_DDL: dict[str, tuple[str, ...]] = {
    "sqlite": (
        """CREATE TRIGGER outbox_head_queued AFTER INSERT ON outbox_message
        WHEN NEW.status = 'pending' AND EXISTS (
            SELECT 1 FROM outbox_message o WHERE o.platform = NEW.platform
            AND o.chat_id = NEW.chat_id AND o.status = 'pending' AND o.id < NEW.id)
        BEGIN UPDATE outbox_message SET head = 0 WHERE id = NEW.id; END""",
        f"""CREATE TRIGGER outbox_head_done AFTER UPDATE OF status ON outbox_message
        WHEN OLD.status = 'pending' AND NEW.status <> 'pending' AND OLD.head
        BEGIN {_SQLITE_NEXT} END""",
        """CREATE TRIGGER outbox_head_again AFTER UPDATE OF status ON outbox_message
        WHEN OLD.status <> 'pending' AND NEW.status = 'pending' AND NOT NEW.head
        BEGIN UPDATE outbox_message SET head = 1 WHERE id = NEW.id; END""",
        f"""CREATE TRIGGER outbox_head_moved AFTER UPDATE OF platform, chat_id ON outbox_message
        WHEN OLD.status = 'pending' AND OLD.head
        BEGIN {_SQLITE_NEXT} END""",
        f"""CREATE TRIGGER outbox_head_deleted AFTER DELETE ON outbox_message
        WHEN OLD.status = 'pending' AND OLD.head
        BEGIN {_SQLITE_NEXT} END""",
    ),
    "postgresql": (
        """CREATE OR REPLACE FUNCTION outbox_head_queued() RETURNS trigger
        LANGUAGE plpgsql AS $$
        BEGIN
            IF NEW.status = 'pending' THEN
                PERFORM 1 FROM outbox_message o
                WHERE o.platform = NEW.platform AND o.chat_id = NEW.chat_id
                  AND o.status = 'pending' AND o.id < NEW.id
                ORDER BY o.id LIMIT 1 FOR SHARE SKIP LOCKED;
                NEW.head := NOT FOUND;
            END IF;
            RETURN NEW;
        END $$""",
        """CREATE OR REPLACE FUNCTION outbox_head_next() RETURNS trigger
        LANGUAGE plpgsql AS $$
        DECLARE
            next_id bigint;
        BEGIN
            LOOP
                SELECT min(id) INTO next_id FROM outbox_message
                WHERE platform = OLD.platform AND chat_id = OLD.chat_id AND status = 'pending';
                EXIT WHEN next_id IS NULL;
                UPDATE outbox_message SET head = true
                WHERE id = next_id AND status = 'pending';
                EXIT WHEN FOUND;
            END LOOP;
            RETURN NULL;
        END $$""",
        """CREATE TRIGGER outbox_head_queued BEFORE INSERT ON outbox_message
        FOR EACH ROW EXECUTE FUNCTION outbox_head_queued()""",
        """CREATE TRIGGER outbox_head_again BEFORE UPDATE OF status ON outbox_message
        FOR EACH ROW WHEN (OLD.status <> 'pending' AND NEW.status = 'pending')
        EXECUTE FUNCTION outbox_head_queued()""",
        """CREATE TRIGGER outbox_head_done AFTER UPDATE OF status ON outbox_message
        FOR EACH ROW WHEN (OLD.status = 'pending' AND NEW.status <> 'pending' AND OLD.head)
        EXECUTE FUNCTION outbox_head_next()""",
        """CREATE TRIGGER outbox_head_moved AFTER UPDATE OF platform, chat_id ON outbox_message
        FOR EACH ROW WHEN (OLD.status = 'pending' AND OLD.head)
        EXECUTE FUNCTION outbox_head_next()""",
        """CREATE TRIGGER outbox_head_deleted AFTER DELETE ON outbox_message
        FOR EACH ROW WHEN (OLD.status = 'pending' AND OLD.head)
        EXECUTE FUNCTION outbox_head_next()""",
    ),
}


def _create_head_triggers(target: Any, connection: Any, **_: Any) -> None:
    for statement in HEAD_DDL.get(connection.dialect.name, ()):
        connection.exec_driver_sql(statement)


event.listen(
    OutboxMessage.__table__,  # type: ignore[attr-defined]
    "after_create",
    _create_head_triggers,
)


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


class Delivery(SQLModel, table=True):
    """The delivery log: a sent or failed message once its content is no longer needed
    (`compact`, after EMPIRIE_OUTBOX_KEEP_DAYS): to whom, what kind, when, how it went —
    for the delivery reports, the audit and "was this ever queued" (its dedupe key)."""

    __tablename__ = "outbox_delivery"

    id: int | None = Field(default=None, primary_key=True)  # the outbox row's id
    created_at: datetime = Field(sa_type=UTCDateTime)
    platform: str = Field(sa_type=String(16))
    chat_id: str = Field(sa_type=String(128))
    person_id: int | None = Field(default=None, foreign_key="person.id", index=True)
    network_id: int | None = Field(default=None, foreign_key="network.id")
    announcement_id: int | None = Field(default=None, foreign_key="announcement.id", index=True)
    kind: str = Field(default="message", sa_type=String(32))
    dedupe_key: str | None = Field(default=None, sa_type=String(128), unique=True)
    status: str = Field(sa_type=String(12))
    attempts: int = 0
    sent_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    last_error: str | None = Field(default=None, sa_type=String(500))


_LOGGED = (
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
                list(_LOGGED),
                sa_select(*(table.c[f] for f in _LOGGED)).where(table.c.id.in_(ids)),
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

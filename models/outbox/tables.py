"""The outbox's tables: the queue (`OutboxMessage`, with the triggers that keep each chat's
head) and the delivery log (`Delivery`); the statuses and the kinds of failure."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import (
    JSON,
    Boolean,
    Column,
    Index,
    String,
    event,
    text,
    true,
)
from sqlmodel import Field, SQLModel

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
# PostgreSQL plans a trigger's statements once for any row (a generic plan), from statistics
# that say few rows are pending — while a fan-out of 10,000 is being queued they all are, and
# "status = 'pending'" led it to the (status, not_before) index: every row's trigger read every
# row queued before it (1.3 ms a row at 10,000). Written `(status || '') = 'pending'`, the
# condition cannot use that index, so the chat's own rows are read (ix_outbox_chat, few).
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
                  AND (o.status || '') = 'pending' AND o.id < NEW.id
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
                WHERE platform = OLD.platform AND chat_id = OLD.chat_id
                  AND (status || '') = 'pending';
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

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

The package: `tables` (the queue, its head triggers, the delivery log), `queue` (queuing
and claiming), `marks` (after a send), `log` (reports and compaction)."""

from models.outbox.log import (
    COMPACT_BATCH,
    LOGGED,
    Outcome,
    compact,
    for_announcement,
    referenced_files,
)
from models.outbox.marks import (
    chat_waiting,
    live_chats,
    live_edits,
    live_original,
    mark_failed,
    mark_part,
    mark_sent,
    move_chat,
    pending_by_announcement,
    pending_count,
    waiting_edits,
)
from models.outbox.queue import (
    ANALYZE_AFTER,
    add,
    add_many,
    add_once,
    claim_due,
    lease_owners,
    queued,
    queued_keys,
    refresh_statistics,
    release,
    renew,
    with_files_stored,
)
from models.outbox.tables import (
    EDIT,
    FAILED,
    HEAD_DDL,
    PENDING,
    REPLY,
    SENT,
    Delivery,
    Failure,
    OutboxMessage,
    OutboxStatus,
    failure_of,
)

__all__ = [
    "ANALYZE_AFTER",
    "COMPACT_BATCH",
    "EDIT",
    "FAILED",
    "HEAD_DDL",
    "LOGGED",
    "PENDING",
    "REPLY",
    "SENT",
    "Delivery",
    "Failure",
    "OutboxMessage",
    "OutboxStatus",
    "Outcome",
    "add",
    "add_many",
    "add_once",
    "chat_waiting",
    "claim_due",
    "compact",
    "failure_of",
    "for_announcement",
    "lease_owners",
    "live_chats",
    "live_edits",
    "live_original",
    "mark_failed",
    "mark_part",
    "mark_sent",
    "move_chat",
    "pending_by_announcement",
    "pending_count",
    "queued",
    "queued_keys",
    "referenced_files",
    "refresh_statistics",
    "release",
    "renew",
    "waiting_edits",
    "with_files_stored",
]

"""Bookkeeping that must not pile up: expired button tokens, old processed-event ids, ended
wrong-code bursts, undecided link requests, join requests never filed (unfinished or stopped,
e.g. refused by a network's hourly cap and not tried again); the texts and files of messages
sent long ago (their delivery stays in the delivery log). Each is safe to forget after its
time."""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import delete, update
from sqlmodel import Session, col

from models import blobs, buttons, outbox
from models.core import ProcessedEvent
from models.joins import LIFETIME, JoinRequest, JoinStatus
from models.trust import CodeGuess, LinkRequest, LinkStatus


def purge(session: Session, now: datetime, events_kept: timedelta) -> dict[str, int]:
    """Delete what has expired; returns how many rows of each kind went."""
    counts = {"action_token": buttons.purge_expired(session, now)}
    # platforms redeliver within minutes or hours: an id older than this will not come back
    result = session.execute(
        delete(ProcessedEvent).where(col(ProcessedEvent.at) < now - events_kept)
    )
    counts["processed_event"] = int(result.rowcount)  # type: ignore[attr-defined]
    result = session.execute(
        delete(CodeGuess).where(
            col(CodeGuess.burst_started) < now - timedelta(days=1),
            (col(CodeGuess.locked_until).is_(None)) | (col(CodeGuess.locked_until) < now),
        )
    )
    counts["code_guess"] = int(result.rowcount)  # type: ignore[attr-defined]
    result = session.execute(
        update(LinkRequest)
        .where(col(LinkRequest.status) == LinkStatus.PENDING, col(LinkRequest.expires_at) <= now)
        .values(status="expired", external_id=None, username=None)
    )
    counts["link_request"] = int(result.rowcount)  # type: ignore[attr-defined]
    result = session.execute(
        delete(JoinRequest).where(
            col(JoinRequest.status).in_((JoinStatus.DRAFT, JoinStatus.CANCELLED)),
            col(JoinRequest.created_at) < now - LIFETIME,
        )
    )
    counts["join_draft"] = int(result.rowcount)  # type: ignore[attr-defined]
    return counts


def compact_outbox(session: Session, now: datetime, kept: timedelta) -> dict[str, int]:
    """Messages sent or failed more than `kept` ago keep only their delivery (the delivery
    log); the files no message refers to any more (and none queued for a day) are deleted."""
    compacted = outbox.compact(session, now - kept)
    session.flush()
    files = blobs.unreferenced(
        session, outbox.referenced_files(session), now - min(kept, timedelta(days=1))
    )
    return {"outbox_compacted": compacted, "outbox_file": files}

"""What the Teams transport must remember: Graph change-notification subscriptions (one per
bound channel or chat, renewed before they expire), the calendar events that mirror
meetings with the attendee answers last read from them, the inbox of notifications (stored
before Graph is answered, processed with retries) and which 1:1 chat is whose."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import JSON, Column, Index, String, delete, func, update
from sqlalchemy.exc import IntegrityError
from sqlmodel import Field, Session, SQLModel, col, or_, select

from models import directory
from models.core import ChatBinding, Network, NetworkRole, Person
from models.enums import Role, Standing
from models.meetings import Meeting
from models.types import UTCDateTime


class SubscriptionKind(StrEnum):
    CHANNEL = "channel"  # a team's channel, keyed `<team id>/<channel id>`
    GROUP = "group"  # a group chat
    PRIVATE = "private"  # a 1:1 chat with one person
    CALENDAR = "calendar"  # the service account's events (calendar answers)


class SubscriptionStatus(StrEnum):
    PENDING = "pending"  # to be created with Graph by the running bot
    ACTIVE = "active"
    FAILED = "failed"  # Graph refused it (400/403/404)


class TeamsSubscription(SQLModel, table=True):
    """A Graph subscription on one chat's or channel's messages."""

    __tablename__ = "teams_subscription"

    id: int | None = Field(default=None, primary_key=True)
    chat_id: str = Field(sa_type=String(300), unique=True)  # our key: chat id or team/channel
    resource: str = Field(sa_type=String(400))
    kind: str = Field(default=SubscriptionKind.CHANNEL, sa_type=String(16))  # SubscriptionKind
    subscription_id: str | None = Field(default=None, sa_type=String(128), index=True)
    expires_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    status: str = Field(default=SubscriptionStatus.PENDING, sa_type=String(16))
    last_error: str | None = Field(default=None, sa_type=String(300))
    # the newest message seen, so missed messages are read once after downtime
    last_message_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    created_at: datetime = Field(sa_type=UTCDateTime)
    updated_at: datetime = Field(sa_type=UTCDateTime)


class TeamsEvent(SQLModel, table=True):
    """The calendar event (in the service account's calendar) that mirrors one meeting."""

    __tablename__ = "teams_event"

    id: int | None = Field(default=None, primary_key=True)
    meeting_id: int = Field(foreign_key="meeting.id", unique=True)
    event_id: str = Field(sa_type=String(300))
    synced_sequence: int = 0  # the meeting's sequence the event shows
    cancelled: bool = False
    # attendee e-mail (lower case) -> the response last read, so each change applies once
    responses: dict[str, Any] = Field(default_factory=dict, sa_column=Column(JSON, nullable=False))
    answers_digest: str | None = Field(default=None, sa_type=String(64))
    created_at: datetime = Field(sa_type=UTCDateTime)
    polled_at: datetime | None = Field(default=None, sa_type=UTCDateTime)


class InboxStatus(StrEnum):
    PENDING = "pending"  # to process (again, from `not_before`)
    DONE = "done"
    OWN = "own"  # a message the bot posted itself: its notification needs no fetch
    SKIPPED = "skipped"  # nothing to do (deleted meanwhile, unknown subscription)
    FAILED = "failed"  # given up after many attempts (logged)


class TeamsInbox(SQLModel, table=True):
    """One change notification, stored before Graph is answered 202 (Graph never sends a
    notification again once answered): processed by the transport's workers, retried after
    a 429 or an outage, picked up again after a restart. `key` (chat key + message id) makes
    a message's notification count once, and marks the bot's own posts without a fetch."""

    __tablename__ = "teams_inbox"
    __table_args__ = (Index("ix_teams_inbox_lane", "status", "lane", "id"),)

    id: int | None = Field(default=None, primary_key=True)
    key: str | None = Field(default=None, sa_type=String(400), unique=True)
    lane: str = Field(sa_type=String(300))  # processed in order per lane: a chat key, or
    # "calendar" / "lifecycle"
    payload: dict[str, Any] = Field(default_factory=dict, sa_column=Column(JSON, nullable=False))
    status: str = Field(default=InboxStatus.PENDING, sa_type=String(12))  # InboxStatus
    attempts: int = 0
    not_before: datetime = Field(sa_type=UTCDateTime)
    last_error: str | None = Field(default=None, sa_type=String(300))
    received_at: datetime = Field(sa_type=UTCDateTime)
    done_at: datetime | None = Field(default=None, sa_type=UTCDateTime)


class TeamsPrivateChat(SQLModel, table=True):
    """A person's 1:1 chat with the service account: a private message to the Entra user id
    goes there without asking Graph again, and what the person types there is handled as
    written in their private chat (keyed by that same user id, as everywhere else)."""

    __tablename__ = "teams_private_chat"

    user_id: str = Field(sa_type=String(128), primary_key=True)
    chat_id: str = Field(sa_type=String(300), unique=True)
    learned_at: datetime = Field(sa_type=UTCDateTime)


def inbox_add(
    session: Session,
    lane: str,
    key: str | None,
    payload: dict[str, Any],
    now: datetime,
    status: InboxStatus = InboxStatus.PENDING,
) -> bool:
    """Store a notification; False when its key is already there (a redelivery, or the
    echo of the bot's own post)."""
    if key is not None and session.exec(select(TeamsInbox.id).where(TeamsInbox.key == key)).first():
        return False
    row = TeamsInbox(
        key=key,
        lane=lane,
        payload=payload,
        status=status,
        not_before=now,
        received_at=now,
        done_at=None if status == InboxStatus.PENDING else now,
    )
    try:
        with session.begin_nested():
            session.add(row)
    except IntegrityError:  # stored meanwhile by another request
        return False
    return True


def inbox_mark_own(session: Session, lane: str, key: str, now: datetime) -> None:
    """The bot posted this message: its notification (stored or still to come) is skipped."""
    if not inbox_add(session, lane, key, {}, now, InboxStatus.OWN):
        session.execute(
            update(TeamsInbox)
            .where(col(TeamsInbox.key) == key, col(TeamsInbox.status) == InboxStatus.PENDING)
            .values(status=InboxStatus.OWN, done_at=now)
        )


def inbox_head(session: Session, lane: str) -> TeamsInbox | None:
    """The oldest notification of a lane still to process."""
    return session.exec(
        select(TeamsInbox)
        .where(TeamsInbox.status == InboxStatus.PENDING, TeamsInbox.lane == lane)
        .order_by(col(TeamsInbox.id))
    ).first()


def inbox_lanes(session: Session) -> Sequence[str]:
    """Lanes with notifications still to process (after a restart, at every upkeep)."""
    return session.exec(
        select(TeamsInbox.lane).where(TeamsInbox.status == InboxStatus.PENDING).distinct()
    ).all()


def inbox_close(session: Session, row_id: int, status: InboxStatus, now: datetime) -> None:
    row = session.get(TeamsInbox, row_id)
    if row is not None and row.status == InboxStatus.PENDING:
        row.status, row.done_at = status, now
        session.add(row)


def inbox_close_lane(session: Session, lane: str, now: datetime) -> None:
    """Every notification of a lane handled at once (a calendar sync reads all events)."""
    session.execute(
        update(TeamsInbox)
        .where(col(TeamsInbox.lane) == lane, col(TeamsInbox.status) == InboxStatus.PENDING)
        .values(status=InboxStatus.DONE, done_at=now)
    )


def inbox_retry(
    session: Session, row_id: int, not_before: datetime, error: str, give_up: bool = False
) -> TeamsInbox | None:
    row = session.get(TeamsInbox, row_id)
    if row is None:
        return None
    row.attempts += 1
    row.not_before, row.last_error = not_before, error[:300]
    if give_up:
        row.status, row.done_at = InboxStatus.FAILED, not_before
    session.add(row)
    return row


def inbox_prune(session: Session, before: datetime) -> int:
    """Forget notifications handled before `before` (Graph redelivers within minutes)."""
    result = session.execute(
        delete(TeamsInbox).where(
            col(TeamsInbox.status) != InboxStatus.PENDING, col(TeamsInbox.received_at) < before
        )
    )
    return int(getattr(result, "rowcount", 0) or 0)


def private_chat_of(session: Session, user_id: str) -> str | None:
    row = session.get(TeamsPrivateChat, user_id)
    return row.chat_id if row is not None else None


def private_chats(session: Session) -> dict[str, str]:
    """Every known 1:1 chat: user id -> chat id."""
    return {r.user_id: r.chat_id for r in session.exec(select(TeamsPrivateChat)).all()}


def remember_private_chat(session: Session, user_id: str, chat_id: str, now: datetime) -> None:
    row = session.get(TeamsPrivateChat, user_id)
    if row is not None:
        if row.chat_id != chat_id:
            row.chat_id, row.learned_at = chat_id, now
            session.add(row)
        return
    session.execute(delete(TeamsPrivateChat).where(col(TeamsPrivateChat.chat_id) == chat_id))
    session.add(TeamsPrivateChat(user_id=user_id, chat_id=chat_id, learned_at=now))


def subscription_for(session: Session, chat_id: str) -> TeamsSubscription | None:
    return session.exec(
        select(TeamsSubscription).where(TeamsSubscription.chat_id == chat_id)
    ).first()


def subscription_by_graph_id(session: Session, subscription_id: str) -> TeamsSubscription | None:
    return session.exec(
        select(TeamsSubscription).where(TeamsSubscription.subscription_id == subscription_id)
    ).first()


def subscriptions(session: Session) -> Sequence[TeamsSubscription]:
    return session.exec(select(TeamsSubscription).order_by(col(TeamsSubscription.id))).all()


def ensure_subscription(
    session: Session, chat_id: str, resource: str, kind: str, now: datetime
) -> TeamsSubscription:
    """The row for a chat (created pending: the running bot subscribes it with Graph)."""
    row = subscription_for(session, chat_id)
    if row is None:
        row = TeamsSubscription(
            chat_id=chat_id, resource=resource, kind=kind, created_at=now, updated_at=now
        )
        session.add(row)
        session.flush()
    return row


def delete_subscription(session: Session, row_id: int) -> None:
    row = session.get(TeamsSubscription, row_id)
    if row is not None:
        session.delete(row)


def due_for_renewal(session: Session, before: datetime) -> Sequence[TeamsSubscription]:
    """Subscriptions to create (pending) or to renew (expiring before `before`)."""
    return session.exec(
        select(TeamsSubscription)
        .where(
            or_(
                col(TeamsSubscription.status) == SubscriptionStatus.PENDING,
                col(TeamsSubscription.expires_at) < before,
            )
        )
        .order_by(col(TeamsSubscription.id))
    ).all()


def person_by_email(session: Session, address: str) -> Person | None:
    """The one roster person with this e-mail address (case-insensitive), if exactly one."""
    found = session.exec(
        select(Person).where(
            func.lower(col(Person.email)) == address.strip().lower(),
            col(Person.erased_at).is_(None),
        )
    ).all()
    return found[0] if len(found) == 1 else None


def event_for(session: Session, meeting_id: int) -> TeamsEvent | None:
    return session.exec(select(TeamsEvent).where(TeamsEvent.meeting_id == meeting_id)).first()


def bound_chats(session: Session) -> Sequence[ChatBinding]:
    """Teams channels and chats bound to a network."""
    return session.exec(
        select(ChatBinding).where(ChatBinding.platform == "teams").order_by(col(ChatBinding.id))
    ).all()


def coordinating_team(session: Session) -> Sequence[int]:
    """Ids of the coordinating team (told when the Teams sign-in is lost)."""
    return session.exec(
        select(NetworkRole.person_id)
        .where(
            NetworkRole.role == Role.COORDINATING_TEAM,
            col(NetworkRole.ended_at).is_(None),
            col(NetworkRole.network_id).is_(None),
        )
        .distinct()
    ).all()


def meetings_to_mirror(
    session: Session, since: datetime
) -> Sequence[tuple[Meeting, Network, TeamsEvent | None]]:
    """Meetings (not yet over) of networks bound to a Teams chat, with their event if any."""
    bound = select(ChatBinding.network_id).where(ChatBinding.platform == "teams")
    rows = session.exec(
        select(Meeting, Network, TeamsEvent)
        .join(Network, col(Network.id) == col(Meeting.network_id))
        .join(TeamsEvent, col(TeamsEvent.meeting_id) == col(Meeting.id), isouter=True)
        .where(col(Meeting.network_id).in_(bound), Meeting.starts_at > since)
        .order_by(col(Meeting.id))
    ).all()
    return [(m, n, e) for m, n, e in rows]


def invitees(session: Session, meeting: Meeting) -> list[tuple[Person, str]]:
    """Representatives invited to the meeting who have a roster e-mail: core cities, and
    observer cities when there is an open part they may follow."""
    found = []
    for person, role, _city in directory.members(session, meeting.network_id):
        if role != Role.REPRESENTATIVE or not person.email:
            continue
        standing = directory.standing_of(session, person.city_id, meeting.network_id)
        if standing is Standing.OBSERVER and not meeting.open_part:
            continue
        found.append((person, person.email))
    return found

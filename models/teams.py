"""What the Teams transport must remember: Graph change-notification subscriptions (one per
bound channel or chat, renewed before they expire) and the calendar events that mirror
meetings, with the attendee answers last read from them."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import JSON, Column, String, func
from sqlmodel import Field, Session, SQLModel, col, or_, select

from models import directory
from models.core import ChatBinding, Network, NetworkRole, Person
from models.enums import Role, Standing
from models.meetings import Meeting
from models.types import UTCDateTime


class TeamsSubscription(SQLModel, table=True):
    """A Graph subscription on one chat's or channel's messages."""

    __tablename__ = "teams_subscription"

    id: int | None = Field(default=None, primary_key=True)
    chat_id: str = Field(sa_type=String(300), unique=True)  # our key: chat id or team/channel
    resource: str = Field(sa_type=String(400))
    kind: str = Field(default="channel", sa_type=String(16))  # channel | group | private
    subscription_id: str | None = Field(default=None, sa_type=String(128), index=True)
    expires_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    status: str = Field(default="pending", sa_type=String(16))  # pending | active | failed
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
                col(TeamsSubscription.status) == "pending",
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

"""Announcements and who they reach."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from typing import ClassVar

from sqlalchemy import JSON, Column, String, Text
from sqlmodel import Field, Session, SQLModel, col, select

from models import directory
from models.blobs import Blob as Blob
from models.core import Account, ChatBinding, CityStanding, Network, NetworkRole, Person
from models.enums import Office, Role, Standing
from models.types import UTCDateTime


class AnnouncementStatus(StrEnum):
    """draft → scheduled → queued (in the outbox) | cancelled."""

    DRAFT = "draft"
    SCHEDULED = "scheduled"
    QUEUED = "queued"
    CANCELLED = "cancelled"


AUDIENCES = ("all", "core", "leaders")
DELIVERIES = ("chats", "private")  # private = the chats and privately to each person


class Announcement(SQLModel, table=True):
    __pii_columns__: ClassVar[tuple[str, ...]] = ()

    id: int | None = Field(default=None, primary_key=True)
    author_id: int | None = Field(default=None, foreign_key="person.id", index=True)
    created_at: datetime = Field(sa_type=UTCDateTime)
    text: str = Field(sa_type=Text)
    blob_id: int | None = Field(default=None, foreign_key="blob.id")  # the attached file
    network_ids: list[int] = Field(default_factory=list, sa_column=Column(JSON, nullable=False))
    audience: str = Field(default="all", sa_type=String(12))
    delivery: str = Field(default="chats", sa_type=String(12))
    pin: bool = False
    send_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    status: str = Field(default=AnnouncementStatus.DRAFT, sa_type=String(12))
    queued_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    reported_at: datetime | None = Field(default=None, sa_type=UTCDateTime)


@dataclass(frozen=True)
class Recipient:
    platform: str
    chat_id: str
    person_id: int | None = None
    network_id: int | None = None
    language: str | None = None


def _people(session: Session, network_ids: Sequence[int], audience: str) -> list[Person]:
    rows = session.exec(
        select(Person, NetworkRole.role, NetworkRole.network_id, CityStanding.standing)
        .join(NetworkRole, col(NetworkRole.person_id) == col(Person.id))
        .join(
            CityStanding,
            (col(CityStanding.city_id) == col(Person.city_id))
            & (col(CityStanding.network_id) == col(NetworkRole.network_id)),
            isouter=True,
        )
        .where(
            col(NetworkRole.network_id).in_(network_ids),
            col(Person.erased_at).is_(None),
            col(NetworkRole.ended_at).is_(None),
        )
        .order_by(col(Person.id))
    ).all()
    chosen: dict[int, Person] = {}
    for person, role, _network_id, standing in rows:
        representative = role == Role.REPRESENTATIVE
        if audience == "core" and not (representative and standing and Standing(standing).is_core):
            continue
        if audience == "leaders" and not (representative and Office(person.office).may_lead):
            continue
        chosen.setdefault(person.id or 0, person)
    return list(chosen.values())


def recipients(
    session: Session,
    network_ids: Sequence[int],
    audience: str,
    delivery: str,
    platforms: Iterable[str],
    exclude: int | None = None,
) -> tuple[list[Recipient], list[Recipient]]:
    """(group chats, private chats) an announcement reaches on the running platforms.

    Group chats hold everyone, observers included, so a restricted audience is reached only
    privately. A person gets one private copy, on the first platform (in `platforms` order)
    where they have an account.
    """
    platforms = list(platforms)
    chats: list[Recipient] = []
    if audience == "all":
        bindings = session.exec(
            select(ChatBinding)
            .where(
                col(ChatBinding.network_id).in_(network_ids),
                col(ChatBinding.platform).in_(platforms),
            )
            .order_by(col(ChatBinding.id))
        ).all()
        chats = [Recipient(b.platform, b.chat_id, network_id=b.network_id) for b in bindings]
    if delivery == "chats" and audience == "all":
        return chats, []
    people = [p for p in _people(session, network_ids, audience) if p.id != exclude]
    accounts: dict[int, dict[str, str]] = {}
    for account in session.exec(
        select(Account).where(col(Account.person_id).in_([p.id for p in people]))
    ).all():
        accounts.setdefault(account.person_id, {})[account.platform] = account.external_id
    private = []
    for person in people:
        mine = accounts.get(person.id or 0, {})
        platform = next((p for p in platforms if p in mine), None)
        if platform is not None:
            private.append(Recipient(platform, mine[platform], person.id, None, person.language))
    return chats, private


def unreachable(
    session: Session, network_ids: Sequence[int], audience: str, platforms: Iterable[str]
) -> int:
    """People in the audience with no account on a running platform (for the preview)."""
    _, private = recipients(session, network_ids, audience, "private", platforms)
    return len(_people(session, network_ids, audience)) - len(private)


def network_names(session: Session, network_ids: Sequence[int]) -> list[str]:
    return [
        n.name
        for n in session.exec(
            select(Network).where(col(Network.id).in_(network_ids)).order_by(col(Network.id))
        ).all()
    ]


def by_author(session: Session, person_id: int, limit: int = 15) -> Sequence[Announcement]:
    """A person's latest announcements, newest first."""
    return session.exec(
        select(Announcement)
        .where(Announcement.author_id == person_id)
        .order_by(col(Announcement.id).desc())
        .limit(limit)
    ).all()


def unreported(session: Session) -> Sequence[Announcement]:
    """Broadcasts queued whose author has not had the delivery report yet."""
    return session.exec(
        select(Announcement).where(
            Announcement.status == AnnouncementStatus.QUEUED,
            col(Announcement.reported_at).is_(None),
        )
    ).all()


def of_author(session: Session, number: int, person_id: int) -> Announcement | None:
    """The announcement if this person wrote it (the coordinating team: any one). Someone
    else's is None, as a number that does not exist is: numbers reveal nothing."""
    ann = session.get(Announcement, number)
    if ann is None or ann.author_id == person_id:
        return ann
    team = Role.COORDINATING_TEAM in directory.roles_of(session, person_id, None)
    return ann if team else None

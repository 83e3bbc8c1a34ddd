"""Opinions on the network's results, and needs from the cities.

A consultation is a result (a text, a document, a link) the coordinator puts before an
audience — observer cities, the core cities, or both — until a deadline; each person gives one
opinion (named, by city: consultations are not anonymous), which they may rewrite until the
deadline. A need (or an observation) is reported by any representative at any time, for the
coordinator and the expert preparing the next programme."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from enum import StrEnum

from sqlalchemy import String, Text, UniqueConstraint
from sqlalchemy.exc import IntegrityError
from sqlmodel import Field, Session, SQLModel, col, select

from models.core import City, CityStanding, Network, NetworkRole, Person
from models.enums import Role, Standing
from models.meetings import Meeting, MeetingStatus
from models.types import UTCDateTime

TITLE_MAX, BODY_MAX, LINK_MAX, OPINION_MAX, NEED_MAX = 200, 4000, 500, 4000, 2000
REMINDER, CLOSE = "consultation_reminder", "consultation_close"


class Audience(StrEnum):
    OBSERVERS = "observers"
    CORE = "core"
    ALL = "all"


class ConsultationStatus(StrEnum):
    OPEN = "open"
    CLOSED = "closed"


class Consultation(SQLModel, table=True):
    id: int | None = Field(default=None, primary_key=True)
    network_id: int = Field(foreign_key="network.id", index=True)
    title: str = Field(sa_type=String(TITLE_MAX))
    body: str | None = Field(default=None, sa_type=Text)  # the result itself, as text
    link: str | None = Field(default=None, sa_type=String(LINK_MAX))  # or where it lives
    blob_id: int | None = Field(default=None, foreign_key="blob.id")  # or the document
    file_name: str | None = Field(default=None, sa_type=String(200))
    audience: str = Field(sa_type=String(12))  # Audience
    deadline: datetime = Field(sa_type=UTCDateTime)
    status: str = Field(default=ConsultationStatus.OPEN, sa_type=String(12))
    created_by: int | None = Field(default=None, foreign_key="person.id")
    created_at: datetime = Field(sa_type=UTCDateTime)
    closed_at: datetime | None = Field(default=None, sa_type=UTCDateTime)

    def open_at(self, now: datetime) -> bool:
        return self.status == ConsultationStatus.OPEN and now < self.deadline


class Opinion(SQLModel, table=True):
    __tablename__ = "consultation_opinion"
    __table_args__ = (UniqueConstraint("consultation_id", "person_id"),)

    id: int | None = Field(default=None, primary_key=True)
    consultation_id: int = Field(foreign_key="consultation.id", index=True)
    person_id: int = Field(foreign_key="person.id", index=True)
    city_id: int | None = Field(default=None, foreign_key="city.id")
    text: str = Field(sa_type=Text)
    created_at: datetime = Field(sa_type=UTCDateTime)
    updated_at: datetime = Field(sa_type=UTCDateTime)


class Need(SQLModel, table=True):
    """A need or an observation a representative reported for the network's work."""

    id: int | None = Field(default=None, primary_key=True)
    network_id: int = Field(foreign_key="network.id", index=True)
    person_id: int | None = Field(default=None, foreign_key="person.id", index=True)
    city_id: int | None = Field(default=None, foreign_key="city.id")
    text: str = Field(sa_type=String(NEED_MAX))
    created_at: datetime = Field(sa_type=UTCDateTime, index=True)


STANDINGS = {
    Audience.OBSERVERS: (Standing.OBSERVER,),
    Audience.CORE: (Standing.LAUREATE, Standing.FINALIST, Standing.CHANGE_LEADER),
    Audience.ALL: tuple(Standing),
}


# --- consultations ---------------------------------------------------------------------------


def audience(session: Session, network_id: int, chosen: Audience) -> list[int]:
    """The network's representatives (not erased) whose city's standing is in the audience."""
    rows = session.exec(
        select(Person.id)
        .join(NetworkRole, col(NetworkRole.person_id) == col(Person.id))
        .join(
            CityStanding,
            (col(CityStanding.city_id) == col(Person.city_id))
            & (col(CityStanding.network_id) == col(NetworkRole.network_id)),
        )
        .where(
            NetworkRole.network_id == network_id,
            NetworkRole.role == Role.REPRESENTATIVE,
            col(NetworkRole.ended_at).is_(None),
            col(Person.erased_at).is_(None),
            col(CityStanding.standing).in_([s.value for s in STANDINGS[chosen]]),
        )
    ).all()
    return sorted({p for p in rows if p is not None})


def in_audience(session: Session, consultation: Consultation, person: Person) -> bool:
    return (person.id or 0) in audience(
        session, consultation.network_id, Audience(consultation.audience)
    )


def of_network(session: Session, network_id: int, limit: int = 20) -> Sequence[Consultation]:
    return session.exec(
        select(Consultation)
        .where(Consultation.network_id == network_id)
        .order_by(col(Consultation.id).desc())
        .limit(limit)
    ).all()


def open_ones(session: Session, network_ids: Sequence[int], now: datetime) -> list[Consultation]:
    return list(
        session.exec(
            select(Consultation)
            .where(
                col(Consultation.network_id).in_(list(network_ids)),
                Consultation.status == ConsultationStatus.OPEN,
                Consultation.deadline > now,
            )
            .order_by(col(Consultation.deadline))
        ).all()
    )


def open_for(session: Session, person: Person, now: datetime) -> list[Consultation]:
    """Open consultations whose audience the person is in."""
    networks = session.exec(
        select(NetworkRole.network_id).where(
            NetworkRole.person_id == person.id,
            NetworkRole.role == Role.REPRESENTATIVE,
            col(NetworkRole.ended_at).is_(None),
        )
    ).all()
    found = open_ones(session, [n for n in networks if n is not None], now)
    return [c for c in found if in_audience(session, c, person)]


def opinion_of(session: Session, consultation_id: int, person_id: int) -> Opinion | None:
    return session.exec(
        select(Opinion).where(
            Opinion.consultation_id == consultation_id, Opinion.person_id == person_id
        )
    ).first()


def give_opinion(
    session: Session, consultation: Consultation, person: Person, text: str, now: datetime
) -> tuple[Opinion, bool]:
    """The person's opinion, new (True) or rewritten (False); one per person."""
    found = opinion_of(session, consultation.id or 0, person.id or 0)
    if found is None:
        row = Opinion(
            consultation_id=consultation.id or 0,
            person_id=person.id or 0,
            city_id=person.city_id,
            text=text,
            created_at=now,
            updated_at=now,
        )
        try:
            with session.begin_nested():
                session.add(row)
            return row, True
        except IntegrityError:  # the same person, at the same moment, elsewhere
            found = opinion_of(session, consultation.id or 0, person.id or 0)
            assert found is not None
    found.text, found.updated_at = text, now
    session.add(found)
    return found, False


def answered(session: Session, consultation_id: int) -> set[int]:
    return {
        p
        for p in session.exec(
            select(Opinion.person_id).where(Opinion.consultation_id == consultation_id)
        ).all()
    }


def opinions(
    session: Session, consultation_id: int
) -> list[tuple[Opinion, Person | None, City | None, str | None]]:
    """Each opinion with its author, their city and the city's standing, by city then name."""
    consultation = session.get(Consultation, consultation_id)
    network_id = consultation.network_id if consultation else 0
    rows = session.exec(
        select(Opinion, Person, City, CityStanding.standing)
        .join(Person, col(Person.id) == col(Opinion.person_id), isouter=True)
        .join(City, col(City.id) == col(Opinion.city_id), isouter=True)
        .join(
            CityStanding,
            (col(CityStanding.city_id) == col(Opinion.city_id))
            & (col(CityStanding.network_id) == network_id),
            isouter=True,
        )
        .where(Opinion.consultation_id == consultation_id)
    ).all()
    return sorted(
        rows,
        key=lambda r: ((r[2].name if r[2] else "~"), (r[1].name or "") if r[1] else "", r[0].id),
    )


# --- needs ---------------------------------------------------------------------------------


def add_need(session: Session, network: Network, person: Person, text: str, now: datetime) -> Need:
    need = Need(
        network_id=network.id or 0,
        person_id=person.id,
        city_id=person.city_id,
        text=text,
        created_at=now,
    )
    session.add(need)
    session.flush()
    return need


NeedRow = tuple[Need, Person | None, City | None]


def needs(session: Session, network_id: int, since: datetime | None = None) -> list[NeedRow]:
    """The network's needs (since a moment), newest first, with who reported them."""
    query = (
        select(Need, Person, City)
        .join(Person, col(Person.id) == col(Need.person_id), isouter=True)
        .join(City, col(City.id) == col(Need.city_id), isouter=True)
        .where(Need.network_id == network_id)
    )
    if since is not None:
        query = query.where(Need.created_at >= since)
    return list(session.exec(query.order_by(col(Need.created_at).desc(), col(Need.id).desc())))


def last_meeting_start(session: Session, network_id: int, now: datetime) -> datetime | None:
    """When the network's last published meeting before `now` began."""
    return session.exec(
        select(Meeting.starts_at)
        .where(
            Meeting.network_id == network_id,
            Meeting.starts_at <= now,
            Meeting.status == MeetingStatus.PUBLISHED,
        )
        .order_by(col(Meeting.starts_at).desc())
    ).first()


def new_meetings(session: Session, since: datetime, now: datetime) -> Sequence[Meeting]:
    """Published meetings created since `since` that are still ahead."""
    return session.exec(
        select(Meeting)
        .where(
            Meeting.created_at >= since,
            Meeting.starts_at > now,
            Meeting.status == MeetingStatus.PUBLISHED,
        )
        .order_by(col(Meeting.id))
    ).all()

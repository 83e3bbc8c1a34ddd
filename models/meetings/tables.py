"""The meetings' tables and their vocabulary: meetings, answers (RSVPs), programme parts."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import ClassVar

from sqlalchemy import String, Text, UniqueConstraint
from sqlmodel import Field, SQLModel

from models.types import UTCDateTime


class MeetingStatus(StrEnum):
    PUBLISHED = "published"
    CANCELLED = "cancelled"


class MeetingFormat(StrEnum):
    IN_PERSON = "stacjonarne"
    ONLINE = "online"
    HYBRID = "hybrydowe"


class Answer(StrEnum):
    """An RSVP, as people type it (`/rsvp 3 może`; stored without the diacritic, and typed
    either way: handlers.kit.dates.fold)."""

    IN_PERSON = "stacjonarnie"
    ONLINE = "online"
    NO = "nie"
    MAYBE = "moze"

    @property
    def word(self) -> str:
        """The word as shown to people: `może`, with its diacritic."""
        return "może" if self is Answer.MAYBE else self.value


FORMATS = tuple(MeetingFormat)
ANSWERS = tuple(Answer)
COMING = (Answer.IN_PERSON, Answer.ONLINE, Answer.MAYBE)


class Meeting(SQLModel, table=True):
    id: int | None = Field(default=None, primary_key=True)
    network_id: int = Field(foreign_key="network.id", index=True)
    title: str = Field(sa_type=String(200))
    starts_at: datetime = Field(sa_type=UTCDateTime, index=True)
    duration_minutes: int = 360
    format: str = Field(sa_type=String(12))  # MeetingFormat
    place: str | None = Field(default=None, sa_type=String(300))
    online_link: str | None = Field(default=None, sa_type=String(500))
    agenda: str | None = Field(default=None, sa_type=Text)
    rsvp_deadline: datetime = Field(sa_type=UTCDateTime)
    capacity: int | None = None  # in-person seats; None: no limit
    open_part: bool = False  # a streamed part observers may watch online
    status: str = Field(default=MeetingStatus.PUBLISHED, sa_type=String(12))  # MeetingStatus
    sequence: int = 0  # bumped on every change (iCalendar SEQUENCE)
    created_by: int | None = Field(default=None, foreign_key="person.id")
    created_at: datetime = Field(sa_type=UTCDateTime)


class Rsvp(SQLModel, table=True):
    __pii_columns__: ClassVar[tuple[str, ...]] = ("note",)
    __table_args__ = (UniqueConstraint("meeting_id", "person_id"),)

    id: int | None = Field(default=None, primary_key=True)
    meeting_id: int = Field(foreign_key="meeting.id", index=True)
    person_id: int = Field(foreign_key="person.id", index=True)
    answer: str = Field(sa_type=String(12))  # Answer
    waitlisted: bool = False
    answered_at: datetime = Field(sa_type=UTCDateTime)
    note: str | None = Field(default=None, sa_type=String(300))  # e.g. dietary needs
    checked_in_at: datetime | None = Field(default=None, sa_type=UTCDateTime)


class MeetingPart(SQLModel, table=True):
    """One part of a meeting's programme: from–to, title, open (observers may watch it
    online, on its own stream link if it has one) or closed (core cities only)."""

    __tablename__ = "meeting_part"

    id: int | None = Field(default=None, primary_key=True)
    meeting_id: int = Field(foreign_key="meeting.id", index=True)
    position: int = 0
    starts_at: datetime = Field(sa_type=UTCDateTime)
    ends_at: datetime = Field(sa_type=UTCDateTime)
    title: str = Field(sa_type=String(200))
    open: bool = False
    stream_link: str | None = Field(default=None, sa_type=String(500))

"""The office-hours tables: a series (an RRULE), its sessions as rows, bookings and the
waitlist, with their statuses.

The database enforces the rules a race could break:
- a slot is never given twice: UNIQUE(session_id, active_slot) on bookings;
- a city never holds two slots in one session: UNIQUE(session_id, active_city);
  (`active_*` are set while a booking holds its slot and cleared when it lets go; NULLs do not
  collide, so history stays in the table).
"""

from __future__ import annotations

from datetime import datetime, timedelta
from enum import StrEnum

from sqlalchemy import String, UniqueConstraint
from sqlmodel import Field, SQLModel

from models.types import UTCDateTime

TOPIC_MAX = 200


class SessionStatus(StrEnum):
    SCHEDULED = "scheduled"
    SKIPPED = "skipped"
    CANCELLED = "cancelled"


class BookingStatus(StrEnum):
    OFFERED = "offered"  # a freed slot waits for the city's answer
    BOOKED = "booked"
    DONE = "done"
    NO_SHOW = "no_show"
    CANCELLED = "cancelled"
    LATE_CANCELLED = "late_cancelled"  # after the cutoff
    DECLINED = "declined"  # an offer let go
    EXPIRED = "expired"  # an offer not answered in time
    LEFT = "left"  # never stored: a city that left the waitlist


class WaitlistStatus(StrEnum):
    WAITING = "waiting"
    OFFERED = "offered"
    BOOKED = "booked"
    GONE = "gone"


# statuses that keep the slot, and what the per-city cap counts
HOLDING = (
    BookingStatus.OFFERED,
    BookingStatus.BOOKED,
    BookingStatus.DONE,
    BookingStatus.NO_SHOW,
)
COUNTED = (BookingStatus.BOOKED, BookingStatus.DONE, BookingStatus.NO_SHOW)


class OfficeSeries(SQLModel, table=True):
    __tablename__ = "office_series"

    id: int | None = Field(default=None, primary_key=True)
    network_id: int = Field(foreign_key="network.id", index=True)
    expert_id: int | None = Field(default=None, foreign_key="person.id")
    rrule: str = Field(sa_type=String(300))  # expanded in local time from `dtstart`
    dtstart: datetime = Field(sa_type=UTCDateTime)
    until: datetime | None = Field(default=None, sa_type=UTCDateTime)  # exclusive
    duration_minutes: int = 60
    slot_minutes: int = 15
    link: str | None = Field(default=None, sa_type=String(500))
    place: str | None = Field(default=None, sa_type=String(300))
    open_days: int = 7
    cutoff_minutes: int = 120
    cap: int | None = None  # bookings per city per period; None: no cap
    cap_months: int = 3
    created_by: int | None = Field(default=None, foreign_key="person.id")
    created_at: datetime = Field(sa_type=UTCDateTime)

    @property
    def weeks(self) -> str:
        """The rule's interval in weeks, as written in it."""
        return next(
            (p.split("=")[1] for p in self.rrule.split(";") if p.startswith("INTERVAL=")), "1"
        )


class OfficeSession(SQLModel, table=True):
    __tablename__ = "office_session"
    __table_args__ = (UniqueConstraint("series_id", "occurrence"),)

    id: int | None = Field(default=None, primary_key=True)
    series_id: int | None = Field(default=None, foreign_key="office_series.id", index=True)
    network_id: int = Field(foreign_key="network.id", index=True)
    expert_id: int | None = Field(default=None, foreign_key="person.id")
    occurrence: datetime = Field(sa_type=UTCDateTime)  # the rule's date, kept when moved
    starts_at: datetime = Field(sa_type=UTCDateTime, index=True)
    duration_minutes: int = 60
    slot_minutes: int = 15
    link: str | None = Field(default=None, sa_type=String(500))
    place: str | None = Field(default=None, sa_type=String(300))
    opens_at: datetime = Field(sa_type=UTCDateTime)
    cutoff_minutes: int = 120
    status: str = Field(default=SessionStatus.SCHEDULED, sa_type=String(12))  # SessionStatus
    sequence: int = 0  # bumped on every change (iCalendar SEQUENCE)
    created_at: datetime = Field(sa_type=UTCDateTime)

    @property
    def ends_at(self) -> datetime:
        return self.starts_at + timedelta(minutes=self.duration_minutes)

    @property
    def slots(self) -> int:
        return max(1, self.duration_minutes // self.slot_minutes)

    @property
    def scheduled(self) -> bool:
        return self.status == SessionStatus.SCHEDULED

    def slot_start(self, slot: int) -> datetime:
        return self.starts_at + timedelta(minutes=(slot - 1) * self.slot_minutes)

    def cutoff(self, slot: int) -> datetime:
        return self.slot_start(slot) - timedelta(minutes=self.cutoff_minutes)


class OfficeBooking(SQLModel, table=True):
    __tablename__ = "office_booking"
    __table_args__ = (
        UniqueConstraint("session_id", "active_slot"),
        UniqueConstraint("session_id", "active_city"),
    )

    id: int | None = Field(default=None, primary_key=True)
    session_id: int = Field(foreign_key="office_session.id", index=True)
    slot: int
    city_id: int = Field(foreign_key="city.id", index=True)
    person_id: int = Field(foreign_key="person.id", index=True)
    topic: str = Field(sa_type=String(TOPIC_MAX))
    status: str = Field(sa_type=String(16))  # BookingStatus
    active_slot: int | None = None
    active_city: int | None = None
    created_at: datetime = Field(sa_type=UTCDateTime)
    offer_expires_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    called_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    ended_at: datetime | None = Field(default=None, sa_type=UTCDateTime)

    def release(self, status: BookingStatus, now: datetime) -> None:
        self.status, self.active_slot, self.active_city, self.ended_at = status, None, None, now


class OfficeWaitlist(SQLModel, table=True):
    __tablename__ = "office_waitlist"
    __table_args__ = (UniqueConstraint("session_id", "city_id"),)

    id: int | None = Field(default=None, primary_key=True)
    session_id: int = Field(foreign_key="office_session.id", index=True)
    city_id: int = Field(foreign_key="city.id")
    person_id: int = Field(foreign_key="person.id")
    topic: str = Field(sa_type=String(TOPIC_MAX))
    status: str = Field(default=WaitlistStatus.WAITING, sa_type=String(12))  # WaitlistStatus
    joined_at: datetime = Field(sa_type=UTCDateTime)

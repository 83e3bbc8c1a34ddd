"""Reading office hours: what a session holds, who waits, a city's bookings, the locks that
serialise bookings (PostgreSQL: FOR UPDATE; SQLite: a first write takes the database's write
lock)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import update
from sqlmodel import Session, col, func, select

from models.core import City, CityStanding
from models.errors import N_, DomainError
from models.office_hours.tables import (
    COUNTED,
    BookingStatus,
    OfficeBooking,
    OfficeSeries,
    OfficeSession,
    OfficeWaitlist,
    SessionStatus,
    WaitlistStatus,
)

NO_SESSION = N_("There is no office-hours session with the number “{id}”. /dyzur lists them.")
NO_SERIES = N_("There is no office-hours series with the number “{id}”.")


def get_session(s: Session, session_id: int) -> OfficeSession:
    session = s.get(OfficeSession, session_id)
    if session is None:
        raise DomainError(NO_SESSION, id=session_id)
    return session


def get_series(s: Session, series_id: int) -> OfficeSeries:
    series = s.get(OfficeSeries, series_id)
    if series is None:
        raise DomainError(NO_SERIES, id=series_id)
    return series


def lock_session(s: Session, session_id: int) -> OfficeSession:
    """The session row, locked for this transaction: bookings of one session go one by one."""
    if s.get_bind().dialect.name == "postgresql":
        found = s.exec(
            select(OfficeSession).where(OfficeSession.id == session_id).with_for_update()
        ).first()
    else:  # a write first: SQLite takes its write lock now, before anything is read
        s.execute(
            update(OfficeSession)
            .where(col(OfficeSession.id) == session_id)
            .values(sequence=OfficeSession.sequence)
        )
        found = s.get(OfficeSession, session_id, populate_existing=True)
    if found is None:
        raise DomainError(NO_SESSION, id=session_id)
    return found


def lock_city(s: Session, network_id: int, city_id: int) -> None:
    """The city's standing row, locked: two processes cannot both see "one left" of a cap."""
    if s.get_bind().dialect.name == "postgresql":
        s.exec(
            select(CityStanding)
            .where(CityStanding.network_id == network_id, CityStanding.city_id == city_id)
            .with_for_update()
        )


def holding(s: Session, session_id: int) -> Sequence[OfficeBooking]:
    """Bookings and offers that hold a slot, in slot order."""
    return s.exec(
        select(OfficeBooking)
        .where(OfficeBooking.session_id == session_id, col(OfficeBooking.active_slot).is_not(None))
        .order_by(col(OfficeBooking.slot))
    ).all()


def waiting(s: Session, session_id: int) -> Sequence[OfficeWaitlist]:
    return s.exec(
        select(OfficeWaitlist)
        .where(
            OfficeWaitlist.session_id == session_id,
            OfficeWaitlist.status == WaitlistStatus.WAITING,
        )
        .order_by(col(OfficeWaitlist.joined_at), col(OfficeWaitlist.id))
    ).all()


def waitlist_entry(s: Session, session_id: int, city_id: int) -> OfficeWaitlist | None:
    """The city's row on the session's waitlist, whatever its status."""
    return s.exec(
        select(OfficeWaitlist).where(
            OfficeWaitlist.session_id == session_id, OfficeWaitlist.city_id == city_id
        )
    ).first()


def free_slots(s: Session, session: OfficeSession, now: datetime) -> list[int]:
    return free_of(session, holding(s, session.id or 0), now)


def free_of(session: OfficeSession, held: Sequence[OfficeBooking], now: datetime) -> list[int]:
    """The session's slots not held (`held`: its `holding` rows) and not begun."""
    taken = {b.slot for b in held}
    return [
        n for n in range(1, session.slots + 1) if n not in taken and session.slot_start(n) > now
    ]


def city_booking(s: Session, session_id: int, city_id: int) -> OfficeBooking | None:
    return s.exec(
        select(OfficeBooking).where(
            OfficeBooking.session_id == session_id, OfficeBooking.active_city == city_id
        )
    ).first()


def used_by_city(s: Session, network_id: int, city_id: int, start: datetime, end: datetime) -> int:
    """The city's counted bookings in sessions of the network starting in [start, end)."""
    return s.exec(
        select(func.count())
        .select_from(OfficeBooking)
        .join(OfficeSession, col(OfficeSession.id) == col(OfficeBooking.session_id))
        .where(
            OfficeSession.network_id == network_id,
            OfficeBooking.city_id == city_id,
            col(OfficeBooking.status).in_(COUNTED),
            OfficeSession.starts_at >= start,
            OfficeSession.starts_at < end,
            OfficeSession.status == SessionStatus.SCHEDULED,
        )
    ).one()


def city_bookings(
    s: Session, city_id: int, since: datetime
) -> Sequence[tuple[OfficeBooking, OfficeSession]]:
    """The city's slots in scheduled sessions starting after `since`, by start."""
    return s.exec(
        select(OfficeBooking, OfficeSession)
        .join(OfficeSession, col(OfficeSession.id) == col(OfficeBooking.session_id))
        .where(
            OfficeBooking.active_city == city_id,
            OfficeSession.status == SessionStatus.SCHEDULED,
            OfficeSession.starts_at > since,
        )
        .order_by(col(OfficeSession.starts_at))
    ).all()


def city_waiting(
    s: Session, city_id: int, since: datetime
) -> Sequence[tuple[OfficeWaitlist, OfficeSession]]:
    """Where the city waits, in sessions starting after `since`."""
    return s.exec(
        select(OfficeWaitlist, OfficeSession)
        .join(OfficeSession, col(OfficeSession.id) == col(OfficeWaitlist.session_id))
        .where(
            OfficeWaitlist.city_id == city_id,
            OfficeWaitlist.status == WaitlistStatus.WAITING,
            OfficeSession.starts_at > since,
        )
    ).all()


def scheduled_of_series(s: Session, series_id: int, since: datetime) -> Sequence[OfficeSession]:
    """The series' scheduled sessions whose date is `since` or later."""
    return s.exec(
        select(OfficeSession).where(
            OfficeSession.series_id == series_id,
            OfficeSession.occurrence >= since,
            OfficeSession.status == SessionStatus.SCHEDULED,
        )
    ).all()


def occurrences_made(s: Session, series_id: int | None) -> set[datetime]:
    return set(
        s.exec(select(OfficeSession.occurrence).where(OfficeSession.series_id == series_id)).all()
    )


def no_shows(s: Session, network_id: int) -> dict[int, int]:
    """No-shows per city in a network (for the coordinator)."""
    rows = s.exec(
        select(OfficeBooking.city_id, func.count())
        .join(OfficeSession, col(OfficeSession.id) == col(OfficeBooking.session_id))
        .where(
            OfficeSession.network_id == network_id,
            OfficeBooking.status == BookingStatus.NO_SHOW,
        )
        .group_by(col(OfficeBooking.city_id))
    ).all()
    return {city: int(n) for city, n in rows}


def city_names(s: Session, city_ids: Sequence[int]) -> dict[int, str]:
    return {
        c.id or 0: c.name
        for c in s.exec(select(City).where(col(City.id).in_(list(city_ids)))).all()
    }


def sessions_between(
    s: Session, network_ids: Sequence[int], start: datetime, end: datetime
) -> Sequence[OfficeSession]:
    return s.exec(
        select(OfficeSession)
        .where(
            col(OfficeSession.network_id).in_(list(network_ids)),
            OfficeSession.starts_at >= start,
            OfficeSession.starts_at < end,
        )
        .order_by(col(OfficeSession.starts_at))
    ).all()


def active_series(s: Session) -> Sequence[OfficeSeries]:
    return s.exec(select(OfficeSeries).order_by(col(OfficeSeries.id))).all()


def summary(s: Session, session_id: int) -> list[OfficeBooking]:
    """The topics of a session as held (done, no-show, still booked), for the report."""
    return [b for b in holding(s, session_id) if b.status in COUNTED]

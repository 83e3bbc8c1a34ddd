"""Series and sessions over time: the series' dates (an RRULE in local time), the session rows
made from them, their due work, and the changes the expert makes (skip, move, a new rule from a
date on, the end of a series)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

from dateutil.rrule import rrulestr
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session

from core.workdays import DEFAULT as WORKDAYS
from core.workdays import Workdays
from models import due
from models.errors import N_, DomainError
from models.office_hours.queries import (
    holding,
    lock_session,
    occurrences_made,
    scheduled_of_series,
    waiting,
)
from models.office_hours.tables import (
    BookingStatus,
    OfficeBooking,
    OfficeSeries,
    OfficeSession,
    SessionStatus,
)

WEEKDAYS = ("MO", "TU", "WE", "TH", "FR", "SA", "SU")
SESSION_TASKS = {
    "office_open": None,
    "office_agenda_1d": timedelta(days=1),
    "office_agenda_1h": timedelta(hours=1),
    "office_end": None,
}
BOOKING_TASKS = {
    "office_remind_24h": timedelta(hours=24),
    "office_remind_15m": timedelta(minutes=15),
}


def weekly_rule(interval: int, weekday: int) -> str:
    return f"FREQ=WEEKLY;INTERVAL={interval};BYDAY={WEEKDAYS[weekday]}"


def with_weekday(rrule: str, weekday: int) -> str:
    return ";".join(
        p if not p.startswith("BYDAY=") else f"BYDAY={WEEKDAYS[weekday]}" for p in rrule.split(";")
    )


def successor(old: OfficeSeries, now: datetime, person_id: int | None) -> OfficeSeries:
    """A copy of the series to continue it with changes from a date on."""
    new = OfficeSeries(**{k: v for k, v in old.model_dump().items() if k != "id"})
    new.created_at, new.created_by = now, person_id
    return new


def occurrences(
    series: OfficeSeries,
    tz: ZoneInfo,
    start: datetime,
    end: datetime,
    workdays: Workdays = WORKDAYS,
) -> list[datetime]:
    """The series' dates in [start, end), UTC; expanded in local time so 10:00 stays 10:00
    across daylight-saving changes. Public holidays (and the office's days off) are skipped."""
    local_start = series.dtstart.astimezone(tz).replace(tzinfo=None)
    rule = rrulestr(series.rrule, dtstart=local_start)
    limit = min(end, series.until) if series.until else end
    found = []
    for naive in rule.xafter(local_start, inc=True):
        moment = naive.replace(tzinfo=tz).astimezone(UTC)
        if moment >= limit:
            break
        if moment >= start and not workdays.is_day_off(naive.date()):
            found.append(moment)
    return found


def new_session(series: OfficeSeries, when: datetime, now: datetime) -> OfficeSession:
    return OfficeSession(
        series_id=series.id,
        network_id=series.network_id,
        expert_id=series.expert_id,
        occurrence=when,
        starts_at=when,
        duration_minutes=series.duration_minutes,
        slot_minutes=series.slot_minutes,
        link=series.link,
        place=series.place,
        opens_at=when - timedelta(days=series.open_days),
        cutoff_minutes=series.cutoff_minutes,
        created_at=now,
    )


def materialise(
    s: Session,
    series: OfficeSeries,
    tz: ZoneInfo,
    now: datetime,
    horizon: timedelta,
    workdays: Workdays = WORKDAYS,
) -> list[OfficeSession]:
    """Create the sessions of the next `horizon` that have no row yet (a skipped or moved one
    keeps its row, so it is never re-created)."""
    have = occurrences_made(s, series.id)
    created = []
    for when in occurrences(series, tz, now, now + horizon, workdays):
        if when in have:
            continue
        session = new_session(series, when, now)
        try:
            with s.begin_nested():
                s.add(session)
                s.flush()
        except IntegrityError:  # another process made it meanwhile
            continue
        schedule_session(s, session, now)
        created.append(session)
    return created


def schedule_session(s: Session, session: OfficeSession, now: datetime) -> None:
    """(Re)schedule a session's due work; a moved session moves it, a cancelled one drops it."""
    if not session.scheduled:
        for kind in SESSION_TASKS:
            due.cancel(s, kind, session.id or 0)
        for b in holding(s, session.id or 0):
            cancel_booking_tasks(s, b)
        return
    for kind, before in SESSION_TASKS.items():
        if kind == "office_open":
            when = session.opens_at
        elif kind == "office_end":
            when = session.ends_at
        else:
            assert before is not None
            when = session.starts_at - before
        key = f"{kind}:{session.id}"
        if when > now or kind == "office_open":  # an opening already due is announced now
            due.schedule(s, kind, session.id or 0, key, max(when, now))
        else:
            due.cancel_key(s, key)
    for b in holding(s, session.id or 0):
        if b.status == BookingStatus.BOOKED:
            schedule_booking(s, session, b, now)


def schedule_booking(
    s: Session, session: OfficeSession, booking: OfficeBooking, now: datetime, new: bool = False
) -> None:
    """The booking's reminders; `new`: the booking was just inserted, so it has none yet
    (written without looking: two inserts, no reads, under the session's lock)."""
    for kind, before in BOOKING_TASKS.items():
        when = session.slot_start(booking.slot) - before
        key = f"{kind}:{booking.id}"
        if new:
            if when > now:
                s.add(due.DueTask(kind=kind, ref_id=booking.id or 0, key=key, due_at=when))
        elif when > now:
            due.schedule(s, kind, booking.id or 0, key, when)
        else:
            due.cancel_key(s, key)


def cancel_booking_tasks(s: Session, booking: OfficeBooking) -> None:
    for kind in BOOKING_TASKS:
        due.cancel(s, kind, booking.id or 0)


def end_series(
    s: Session, series: OfficeSeries, when: datetime, now: datetime
) -> list[OfficeSession]:
    """The series has no dates from `when` on. Returns its future sessions that had bookings
    (cancelled here; the caller tells the cities); unbooked ones are simply removed."""
    series.until = when if series.until is None else min(series.until, when)
    s.add(series)
    touched = []
    for session in scheduled_of_series(s, series.id or 0, when):
        if holding(s, session.id or 0) or waiting(s, session.id or 0):
            session.status, session.sequence = SessionStatus.CANCELLED, session.sequence + 1
            s.add(session)
            schedule_session(s, session, now)
            touched.append(session)
        else:
            for kind in SESSION_TASKS:
                due.cancel(s, kind, session.id or 0)
            s.delete(session)
    s.flush()
    return touched


def continue_series(
    s: Session,
    old: OfficeSeries,
    new: OfficeSeries,
    since: datetime,
    tz: ZoneInfo,
    now: datetime,
    horizon: timedelta,
) -> tuple[list[OfficeSession], list[OfficeSession]]:
    """From `since` on, `new` (already stored) continues `old`: the old series' future sessions
    move to the new one (same local date, keeping their numbers and bookings); sessions with
    no counterpart are cancelled (booked) or dropped (empty). Returns (moved, cancelled): the
    caller tells their cities."""
    future = scheduled_of_series(s, old.id or 0, since)
    targets = {
        w.astimezone(tz).date(): w
        for w in occurrences(new, tz, since - timedelta(days=7), now + horizon + timedelta(14))
    }
    moved: dict[int, OfficeSession] = {}
    for session in future:
        target = targets.get(session.occurrence.astimezone(tz).date())
        if target is not None and session.id is not None:
            moved[session.id] = session
            session.series_id, session.occurrence = new.id, target
            session.starts_at, session.duration_minutes = target, new.duration_minutes
            session.link, session.place = new.link, new.place
            session.opens_at = target - timedelta(days=new.open_days)
    old.until = since
    s.add(old)
    cancelled = end_series(s, old, since, now)
    for session in moved.values():
        session.sequence += 1
        s.add(session)
        s.flush()
        schedule_session(s, session, now)
    materialise(s, new, tz, now, horizon)
    return list(moved.values()), cancelled


def require_scheduled(session: OfficeSession) -> None:
    if not session.scheduled:
        raise DomainError(N_("This office-hours session has been cancelled."))


def drop_session(
    s: Session, session_id: int, status: SessionStatus, now: datetime
) -> OfficeSession:
    """One date will not take place (skipped or cancelled); the rest of the series stays. The
    caller tells the cities, then reschedules (see schedule_session)."""
    session = lock_session(s, session_id)
    require_scheduled(session)
    session.status, session.sequence = status, session.sequence + 1
    s.add(session)
    return session


def move_session(s: Session, session_id: int, starts: datetime, now: datetime) -> OfficeSession:
    """One session at another time: booking opens as much earlier, the due work moves."""
    session = lock_session(s, session_id)
    require_scheduled(session)
    shift = starts - session.starts_at
    session.starts_at, session.opens_at = starts, session.opens_at + shift
    session.sequence += 1
    s.add(session)
    s.flush()
    schedule_session(s, session, now)
    return session

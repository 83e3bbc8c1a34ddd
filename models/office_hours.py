"""Expert office hours: a series (an RRULE), its sessions as rows, bookings and the waitlist.

The rules live here, once, and the database enforces the ones a race could break:
- a slot is never given twice: UNIQUE(session_id, active_slot) on bookings;
- a city never holds two slots in one session: UNIQUE(session_id, active_city);
  (`active_*` are set while a booking holds its slot and cleared when it lets go; NULLs do not
  collide, so history stays in the table);
- bookings of one session are serialised by a lock on the session row (PostgreSQL: FOR UPDATE;
  SQLite: a first write takes the database's write lock), and the per-city cap by a lock on the
  city's standing row, so two processes cannot both see "one left".
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

from dateutil.rrule import rrulestr
from sqlalchemy import String, UniqueConstraint, update
from sqlalchemy.exc import IntegrityError
from sqlmodel import Field, Session, SQLModel, col, func, select

from models import due
from models.core import CityStanding
from models.errors import N_, DomainError
from models.types import UTCDateTime

TOPIC_MAX = 200
HOLDING = ("offered", "booked", "done", "no_show")  # statuses that keep the slot
COUNTED = ("booked", "done", "no_show")  # what the per-city cap counts
PERIODS = {"miesiac": 1, "month": 1, "kwartal": 3, "quarter": 3, "rok": 12, "year": 12}


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
    status: str = Field(default="scheduled", sa_type=String(12))  # scheduled|skipped|cancelled
    sequence: int = 0  # bumped on every change (iCalendar SEQUENCE)
    created_at: datetime = Field(sa_type=UTCDateTime)

    @property
    def ends_at(self) -> datetime:
        return self.starts_at + timedelta(minutes=self.duration_minutes)

    @property
    def slots(self) -> int:
        return max(1, self.duration_minutes // self.slot_minutes)

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
    # offered | booked | done | no_show | cancelled | late_cancelled | declined | expired
    status: str = Field(sa_type=String(16))
    active_slot: int | None = None
    active_city: int | None = None
    created_at: datetime = Field(sa_type=UTCDateTime)
    offer_expires_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    called_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    ended_at: datetime | None = Field(default=None, sa_type=UTCDateTime)

    def release(self, status: str, now: datetime) -> None:
        self.status, self.active_slot, self.active_city, self.ended_at = status, None, None, now


class OfficeWaitlist(SQLModel, table=True):
    __tablename__ = "office_waitlist"
    __table_args__ = (UniqueConstraint("session_id", "city_id"),)

    id: int | None = Field(default=None, primary_key=True)
    session_id: int = Field(foreign_key="office_session.id", index=True)
    city_id: int = Field(foreign_key="city.id")
    person_id: int = Field(foreign_key="person.id")
    topic: str = Field(sa_type=String(TOPIC_MAX))
    status: str = Field(default="waiting", sa_type=String(12))  # waiting|offered|booked|gone
    joined_at: datetime = Field(sa_type=UTCDateTime)


# --- series and sessions -------------------------------------------------------------------


def occurrences(
    series: OfficeSeries, tz: ZoneInfo, start: datetime, end: datetime
) -> list[datetime]:
    """The series' dates in [start, end), UTC; expanded in local time so 10:00 stays 10:00
    across daylight-saving changes."""
    local_start = series.dtstart.astimezone(tz).replace(tzinfo=None)
    rule = rrulestr(series.rrule, dtstart=local_start)
    limit = min(end, series.until) if series.until else end
    found = []
    for naive in rule.xafter(local_start, inc=True):
        moment = naive.replace(tzinfo=tz).astimezone(UTC)
        if moment >= limit:
            break
        if moment >= start:
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
    s: Session, series: OfficeSeries, tz: ZoneInfo, now: datetime, horizon: timedelta
) -> list[OfficeSession]:
    """Create the sessions of the next `horizon` that have no row yet (a skipped or moved one
    keeps its row, so it is never re-created)."""
    have = set(
        s.exec(select(OfficeSession.occurrence).where(OfficeSession.series_id == series.id)).all()
    )
    created = []
    for when in occurrences(series, tz, now, now + horizon):
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


def schedule_session(s: Session, session: OfficeSession, now: datetime) -> None:
    """(Re)schedule a session's due work; a moved session moves it, a cancelled one drops it."""
    if session.status != "scheduled":
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
        if b.status == "booked":
            schedule_booking(s, session, b, now)


def schedule_booking(
    s: Session, session: OfficeSession, booking: OfficeBooking, now: datetime
) -> None:
    for kind, before in BOOKING_TASKS.items():
        when = session.slot_start(booking.slot) - before
        key = f"{kind}:{booking.id}"
        if when > now:
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
    for session in s.exec(
        select(OfficeSession).where(
            OfficeSession.series_id == series.id,
            OfficeSession.occurrence >= when,
            OfficeSession.status == "scheduled",
        )
    ).all():
        if holding(s, session.id or 0) or waiting(s, session.id or 0):
            session.status, session.sequence = "cancelled", session.sequence + 1
            s.add(session)
            schedule_session(s, session, now)
            touched.append(session)
        else:
            for kind in SESSION_TASKS:
                due.cancel(s, kind, session.id or 0)
            s.delete(session)
    s.flush()
    return touched


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
        raise DomainError(
            N_("There is no office-hours session with the number “{id}”. /dyzur lists them."),
            id=session_id,
        )
    return found


def _lock_city(s: Session, network_id: int, city_id: int) -> None:
    if s.get_bind().dialect.name == "postgresql":
        s.exec(
            select(CityStanding)
            .where(CityStanding.network_id == network_id, CityStanding.city_id == city_id)
            .with_for_update()
        )


# --- bookings ------------------------------------------------------------------------------


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
        .where(OfficeWaitlist.session_id == session_id, OfficeWaitlist.status == "waiting")
        .order_by(col(OfficeWaitlist.joined_at), col(OfficeWaitlist.id))
    ).all()


def free_slots(s: Session, session: OfficeSession, now: datetime) -> list[int]:
    taken = {b.slot for b in holding(s, session.id or 0)}
    return [
        n for n in range(1, session.slots + 1) if n not in taken and session.slot_start(n) > now
    ]


def city_booking(s: Session, session_id: int, city_id: int) -> OfficeBooking | None:
    return s.exec(
        select(OfficeBooking).where(
            OfficeBooking.session_id == session_id, OfficeBooking.active_city == city_id
        )
    ).first()


def clean_topic(topic: str) -> str:
    topic = " ".join(topic.split())
    if not topic:
        raise DomainError(
            N_(
                "Add a short topic, e.g. /dyzur_rezerwuj 12 2 dotacje na "
                "e-usługi. The expert prepares for it."
            )
        )
    if len(topic) > TOPIC_MAX:
        raise DomainError(
            N_("The topic is too long ({length} characters); keep it under {limit}."),
            length=len(topic),
            limit=TOPIC_MAX,
        )
    return topic


def period_bounds(when: datetime, months: int, tz: ZoneInfo) -> tuple[datetime, datetime]:
    local = when.astimezone(tz)
    first = (local.month - 1) // months * months + 1
    start = local.replace(month=first, day=1, hour=0, minute=0, second=0, microsecond=0)
    year, month = divmod(first - 1 + months, 12)
    end = start.replace(year=start.year + year, month=month + 1)
    return start.astimezone(UTC), end.astimezone(UTC)


def _check_cap(s: Session, session: OfficeSession, city_id: int, tz: ZoneInfo) -> None:
    series = s.get(OfficeSeries, session.series_id) if session.series_id else None
    if series is None or series.cap is None:
        return
    _lock_city(s, session.network_id, city_id)
    start, end = period_bounds(session.starts_at, series.cap_months, tz)
    used = s.exec(
        select(func.count())
        .select_from(OfficeBooking)
        .join(OfficeSession, col(OfficeSession.id) == col(OfficeBooking.session_id))
        .where(
            OfficeSession.network_id == session.network_id,
            OfficeBooking.city_id == city_id,
            col(OfficeBooking.status).in_(COUNTED),
            OfficeSession.starts_at >= start,
            OfficeSession.starts_at < end,
            OfficeSession.status == "scheduled",
        )
    ).one()
    if used >= series.cap:
        raise DomainError(
            N_(
                "Your city has used its office hours for this period ({used} of "
                "{cap}). Let other cities have a turn; the next period starts on "
                "{date}."
            ),
            used=used,
            cap=series.cap,
            date=_day(end, tz),
        )


def _day(when: datetime, tz: ZoneInfo) -> str:
    return when.astimezone(tz).strftime("%d.%m.%Y")


def _clock(when: datetime, tz: ZoneInfo) -> str:
    return when.astimezone(tz).strftime("%d.%m.%Y %H:%M")


def _check_open(session: OfficeSession, now: datetime, tz: ZoneInfo) -> None:
    if session.status != "scheduled":
        raise DomainError(N_("This office-hours session has been cancelled."))
    if now < session.opens_at:
        raise DomainError(
            N_("Booking for this session opens on {date}."), date=_clock(session.opens_at, tz)
        )
    if now >= session.ends_at:
        raise DomainError(N_("This office-hours session is over."))


@dataclass
class Outcome:
    """What a booking attempt came to: a slot, the waitlist, or a taken slot with the rest."""

    booking: OfficeBooking | None = None
    waitlisted: OfficeWaitlist | None = None
    taken_free: list[int] | None = None  # the slot asked for is taken; these are free


def book(
    s: Session,
    session_id: int,
    city_id: int,
    person_id: int,
    topic: str,
    slot: int | None,
    now: datetime,
    tz: ZoneInfo,
) -> Outcome:
    """Book a slot for a city (the first free one when `slot` is None); a full session puts
    the city on the waitlist. Rules: open, one slot per city, the cap, the slot is free."""
    topic = clean_topic(topic)
    session = lock_session(s, session_id)
    _check_open(session, now, tz)
    if slot is not None and not 1 <= slot <= session.slots:
        raise DomainError(N_("This session has slots 1–{count}."), count=session.slots)
    mine = city_booking(s, session_id, city_id)
    if mine is not None:
        raise DomainError(
            N_(
                "Your city already has slot {slot} ({time}) in this session: "
                "“{topic}”. One slot per city; /moje_dyzury shows it."
            ),
            slot=mine.slot,
            time=_clock(session.slot_start(mine.slot), tz),
            topic=mine.topic,
        )
    _check_cap(s, session, city_id, tz)
    free = free_slots(s, session, now)
    if slot is not None and slot not in free:
        if session.slot_start(slot) <= now:
            raise DomainError(N_("Slot {slot} has already begun."), slot=slot)
        if free:
            return Outcome(taken_free=free)
    choice = slot if slot is not None and slot in free else (free[0] if free else None)
    if choice is None:
        return Outcome(waitlisted=join_waitlist(s, session_id, city_id, person_id, topic, now))
    booking = OfficeBooking(
        session_id=session_id,
        slot=choice,
        city_id=city_id,
        person_id=person_id,
        topic=topic,
        status="booked",
        active_slot=choice,
        active_city=city_id,
        created_at=now,
    )
    try:
        with s.begin_nested():
            s.add(booking)
            s.flush()
    except IntegrityError:
        # the constraints caught a race the lock did not (e.g. a lock-free store): say it
        # plainly rather than guess
        raise DomainError(
            N_(
                "Someone was faster: that slot or your city's place was just "
                "taken. Look again with /dyzur."
            )
        ) from None
    entry = s.exec(
        select(OfficeWaitlist).where(
            OfficeWaitlist.session_id == session_id, OfficeWaitlist.city_id == city_id
        )
    ).first()
    if entry is not None:  # booked after all: no longer waiting
        entry.status = "booked"
        s.add(entry)
    schedule_booking(s, session, booking, now)
    return Outcome(booking=booking)


def join_waitlist(
    s: Session, session_id: int, city_id: int, person_id: int, topic: str, now: datetime
) -> OfficeWaitlist:
    entry = s.exec(
        select(OfficeWaitlist).where(
            OfficeWaitlist.session_id == session_id, OfficeWaitlist.city_id == city_id
        )
    ).first()
    if entry is None:
        entry = OfficeWaitlist(
            session_id=session_id, city_id=city_id, person_id=person_id, topic=topic, joined_at=now
        )
    elif entry.status != "waiting":
        entry.status, entry.joined_at, entry.person_id = "waiting", now, person_id
    entry.topic = topic
    s.add(entry)
    s.flush()
    return entry


@dataclass
class Freed:
    """What a freed slot led to: an automatic promotion, a timed offer, or nothing."""

    booking: OfficeBooking
    late: bool
    promoted: OfficeBooking | None = None
    offered: OfficeBooking | None = None
    left_waitlist: bool = False


def cancel(
    s: Session, session_id: int, city_id: int, now: datetime, tz: ZoneInfo, offer_minutes: int
) -> Freed:
    """A city gives its slot back (or leaves the waitlist). Before the cutoff the first
    waiting city gets the slot at once; after it, waiting cities are offered it one by one."""
    session = lock_session(s, session_id)
    mine = city_booking(s, session_id, city_id)
    if mine is None or mine.status not in ("booked", "offered"):
        entry = s.exec(
            select(OfficeWaitlist).where(
                OfficeWaitlist.session_id == session_id,
                OfficeWaitlist.city_id == city_id,
                OfficeWaitlist.status == "waiting",
            )
        ).first()
        if entry is None:
            raise DomainError(N_("Your city has no booking in session {id}."), id=session_id)
        entry.status = "gone"
        s.add(entry)
        return Freed(
            booking=OfficeBooking(
                session_id=session_id,
                slot=0,
                city_id=city_id,
                person_id=entry.person_id,
                topic=entry.topic,
                status="left",
                created_at=now,
            ),
            late=False,
            left_waitlist=True,
        )
    if session.slot_start(mine.slot) <= now:
        raise DomainError(N_("Your slot has already begun; tell the expert instead."))
    if mine.status == "offered":
        return decline_offer(s, session, mine, now, tz, offer_minutes)
    late = now >= session.cutoff(mine.slot)
    mine.release("late_cancelled" if late else "cancelled", now)
    s.add(mine)
    cancel_booking_tasks(s, mine)
    s.flush()
    return _refill(s, session, mine, now, tz, offer_minutes, late)


def release_by_staff(
    s: Session, session_id: int, slot: int, now: datetime, tz: ZoneInfo, offer_minutes: int
) -> Freed:
    """The expert or coordinator frees a booked slot (e.g. the city said it cannot come)."""
    session = lock_session(s, session_id)
    booking = next((b for b in holding(s, session_id) if b.slot == slot), None)
    if booking is None or booking.status not in ("booked", "offered"):
        raise DomainError(
            N_("Slot {slot} of session {id} is not booked."), slot=slot, id=session_id
        )
    late = now >= session.cutoff(slot)
    booking.release("late_cancelled" if late else "cancelled", now)
    s.add(booking)
    cancel_booking_tasks(s, booking)
    s.flush()
    return _refill(s, session, booking, now, tz, offer_minutes, late)


def _refill(
    s: Session,
    session: OfficeSession,
    freed: OfficeBooking,
    now: datetime,
    tz: ZoneInfo,
    offer_minutes: int,
    late: bool,
) -> Freed:
    result = Freed(booking=freed, late=late)
    if session.slot_start(freed.slot) <= now:
        return result
    if not late:
        for entry in waiting(s, session.id or 0):
            try:
                with s.begin_nested():
                    _check_cap(s, session, entry.city_id, tz)
                    result.promoted = _give(s, session, entry, freed.slot, "booked", now)
                break
            except DomainError:  # over its cap by now: the next one
                continue
    else:
        result.offered = offer_next(s, session, freed.slot, now, tz, offer_minutes)
    return result


def _give(
    s: Session,
    session: OfficeSession,
    entry: OfficeWaitlist,
    slot: int,
    status: str,
    now: datetime,
    expires: datetime | None = None,
) -> OfficeBooking:
    booking = OfficeBooking(
        session_id=session.id or 0,
        slot=slot,
        city_id=entry.city_id,
        person_id=entry.person_id,
        topic=entry.topic,
        status=status,
        active_slot=slot,
        active_city=entry.city_id,
        created_at=now,
        offer_expires_at=expires,
    )
    s.add(booking)
    s.flush()
    entry.status = "booked" if status == "booked" else "offered"
    s.add(entry)
    if status == "booked":
        schedule_booking(s, session, booking, now)
    else:
        due.schedule(
            s,
            "office_offer_expire",
            booking.id or 0,
            f"office_offer_expire:{booking.id}",
            expires or now,
        )
    return booking


def offer_next(
    s: Session, session: OfficeSession, slot: int, now: datetime, tz: ZoneInfo, offer_minutes: int
) -> OfficeBooking | None:
    """Offer a slot to the first waiting city, for a limited time (never past the slot)."""
    expires = min(now + timedelta(minutes=offer_minutes), session.slot_start(slot))
    if expires <= now:
        return None
    for entry in waiting(s, session.id or 0):
        try:
            with s.begin_nested():
                _check_cap(s, session, entry.city_id, tz)
                return _give(s, session, entry, slot, "offered", now, expires)
        except DomainError:
            continue
    return None


def accept_offer(s: Session, session_id: int, city_id: int, now: datetime) -> OfficeBooking:
    session = lock_session(s, session_id)
    offer = city_booking(s, session_id, city_id)
    if offer is None or offer.status != "offered":
        raise DomainError(
            N_("There is no open offer for your city in session {id}."), id=session_id
        )
    if offer.offer_expires_at is not None and now >= offer.offer_expires_at:
        raise DomainError(N_("The offer has expired; the slot went to the next city."))
    offer.status, offer.offer_expires_at = "booked", None
    s.add(offer)
    due.cancel(s, "office_offer_expire", offer.id or 0)
    schedule_booking(s, session, offer, now)
    return offer


def decline_offer(
    s: Session,
    session: OfficeSession,
    offer: OfficeBooking,
    now: datetime,
    tz: ZoneInfo,
    offer_minutes: int,
    status: str = "declined",
) -> Freed:
    offer.release(status, now)
    s.add(offer)
    due.cancel(s, "office_offer_expire", offer.id or 0)
    entry = s.exec(
        select(OfficeWaitlist).where(
            OfficeWaitlist.session_id == session.id, OfficeWaitlist.city_id == offer.city_id
        )
    ).first()
    if entry is not None:
        entry.status = "gone"
        s.add(entry)
    s.flush()
    return Freed(
        booking=offer, late=True, offered=offer_next(s, session, offer.slot, now, tz, offer_minutes)
    )


def expire_offer(
    s: Session, booking_id: int, now: datetime, tz: ZoneInfo, offer_minutes: int
) -> Freed | None:
    offer = s.get(OfficeBooking, booking_id)
    if offer is None or offer.status != "offered":
        return None
    session = lock_session(s, offer.session_id)
    s.refresh(offer)
    if offer.status != "offered":
        return None
    return decline_offer(s, session, offer, now, tz, offer_minutes, status="expired")


def mark(s: Session, session_id: int, slot: int, status: str, now: datetime) -> OfficeBooking:
    """Done or no-show, recorded by the expert during or after the session."""
    booking = next((b for b in holding(s, session_id) if b.slot == slot), None)
    if booking is None or booking.status not in ("booked", "done", "no_show"):
        raise DomainError(
            N_("Slot {slot} of session {id} is not booked."), slot=slot, id=session_id
        )
    booking.status, booking.ended_at = status, now
    booking.called_at = booking.called_at or now
    s.add(booking)
    cancel_booking_tasks(s, booking)
    return booking


def call_next(s: Session, session_id: int, now: datetime) -> OfficeBooking | None:
    """The next booked city not yet called, in slot order; marks it called."""
    for booking in holding(s, session_id):
        if booking.status == "booked" and booking.called_at is None:
            booking.called_at = now
            s.add(booking)
            return booking
    return None


def no_shows(s: Session, network_id: int) -> dict[int, int]:
    """No-shows per city in a network (for the coordinator)."""
    rows = s.exec(
        select(OfficeBooking.city_id, func.count())
        .join(OfficeSession, col(OfficeSession.id) == col(OfficeBooking.session_id))
        .where(OfficeSession.network_id == network_id, OfficeBooking.status == "no_show")
        .group_by(col(OfficeBooking.city_id))
    ).all()
    return {city: int(n) for city, n in rows}


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

"""The booking state machine: a city books a slot (or joins the waitlist), cancels, is
promoted or offered a freed slot, takes or lets go of the offer; the expert calls the next
city and marks slots done or no-show.

Bookings of one session are serialised by a lock on the session row, and the per-city cap by a
lock on the city's standing row (queries.lock_session, queries.lock_city); the unique
constraints of the tables catch whatever a lock-free store lets through.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy.exc import IntegrityError
from sqlmodel import Session

from models import due
from models.errors import N_, DomainError, Nn_
from models.office_hours.queries import (
    city_booking,
    free_of,
    get_session,
    holding,
    lock_city,
    lock_session,
    used_by_city,
    waiting,
    waitlist_entry,
)
from models.office_hours.schedule import cancel_booking_tasks, schedule_booking
from models.office_hours.tables import (
    COUNTED,
    TOPIC_MAX,
    BookingStatus,
    OfficeBooking,
    OfficeSeries,
    OfficeSession,
    OfficeWaitlist,
    WaitlistStatus,
)

LETTABLE = (BookingStatus.BOOKED, BookingStatus.OFFERED)  # what a city or the staff may free


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
            N_("The topic is too long ({actual}); it can have at most {most}."),
            actual=Nn_("{n} character", "{n} characters", len(topic)),
            most=Nn_("{n} character", "{n} characters", TOPIC_MAX),
        )
    return topic


def period_bounds(when: datetime, months: int, tz: ZoneInfo) -> tuple[datetime, datetime]:
    local = when.astimezone(tz)
    first = (local.month - 1) // months * months + 1
    start = local.replace(month=first, day=1, hour=0, minute=0, second=0, microsecond=0)
    year, month = divmod(first - 1 + months, 12)
    end = start.replace(year=start.year + year, month=month + 1)
    return start.astimezone(UTC), end.astimezone(UTC)


def _check_cap(
    s: Session,
    session: OfficeSession,
    city_id: int,
    tz: ZoneInfo,
    series: OfficeSeries | None = None,
) -> None:
    """The city's bookings in the cap's period are under the series' cap (`series`: the
    session's, when the caller has read it already)."""
    if series is None and session.series_id:
        series = s.get(OfficeSeries, session.series_id)
    if series is None or series.cap is None:
        return
    lock_city(s, session.network_id, city_id)
    start, end = period_bounds(session.starts_at, series.cap_months, tz)
    used = used_by_city(s, session.network_id, city_id, start, end)
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
    if not session.scheduled:
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

    session: OfficeSession  # as locked and read for the booking
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
    the city on the waitlist. Rules: open, one slot per city, the cap, the slot is free.

    The session's row lock (which serialises its bookings) is held from `lock_session` to the
    commit, so what does not need it is read first: the city's own booking and waitlist row
    (the unique constraints stand behind the first), the series; under the lock only the
    free slots are read and the booking and its two reminders written. Whatever the caller
    builds from the outcome (the reply, its .ics) should likewise not be built until after
    the commit (core.messages.File.later)."""
    topic = clean_topic(topic)
    entry = waitlist_entry(s, session_id, city_id)
    unlocked = get_session(s, session_id)
    series = s.get(OfficeSeries, unlocked.series_id) if unlocked.series_id else None
    session = lock_session(s, session_id)
    _check_open(session, now, tz)
    if slot is not None and not 1 <= slot <= session.slots:
        raise DomainError(N_("This session has slots 1–{count}."), count=session.slots)
    held = holding(s, session_id)  # one read under the lock: the city's slot and the free ones
    mine = next((b for b in held if b.active_city == city_id), None)
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
    _check_cap(s, session, city_id, tz, series)
    free = free_of(session, held, now)
    if slot is not None and slot not in free:
        if session.slot_start(slot) <= now:
            raise DomainError(N_("Slot {slot} has already begun."), slot=slot)
        if free:
            return Outcome(session, taken_free=free)
    choice = slot if slot is not None and slot in free else (free[0] if free else None)
    if choice is None:
        return Outcome(
            session, waitlisted=join_waitlist(s, session_id, city_id, person_id, topic, now)
        )
    booking = OfficeBooking(
        session_id=session_id,
        slot=choice,
        city_id=city_id,
        person_id=person_id,
        topic=topic,
        status=BookingStatus.BOOKED,
        active_slot=choice,
        active_city=city_id,
        created_at=now,
    )
    s.add(booking)
    try:
        s.flush()
    except IntegrityError:
        # the constraints caught a race the checks before the lock let through (the same
        # city booking from two chats at once; a lock-free store): say it plainly. The
        # caller's block (a savepoint inside an update) is rolled back with the refusal.
        raise DomainError(
            N_(
                "Someone was faster: that slot or your city's place was just "
                "taken. Look again with /dyzur."
            )
        ) from None
    if entry is not None:  # booked after all: no longer waiting
        entry.status = WaitlistStatus.BOOKED
        s.add(entry)
    schedule_booking(s, session, booking, now, new=True)
    return Outcome(session, booking=booking)


def join_waitlist(
    s: Session, session_id: int, city_id: int, person_id: int, topic: str, now: datetime
) -> OfficeWaitlist:
    entry = waitlist_entry(s, session_id, city_id)
    if entry is None:
        entry = OfficeWaitlist(
            session_id=session_id, city_id=city_id, person_id=person_id, topic=topic, joined_at=now
        )
    elif entry.status != WaitlistStatus.WAITING:
        entry.status, entry.joined_at, entry.person_id = WaitlistStatus.WAITING, now, person_id
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
    if mine is None or mine.status not in LETTABLE:
        entry = waitlist_entry(s, session_id, city_id)
        if entry is None or entry.status != WaitlistStatus.WAITING:
            raise DomainError(N_("Your city has no booking in session {id}."), id=session_id)
        entry.status = WaitlistStatus.GONE
        s.add(entry)
        return Freed(
            booking=OfficeBooking(
                session_id=session_id,
                slot=0,
                city_id=city_id,
                person_id=entry.person_id,
                topic=entry.topic,
                status=BookingStatus.LEFT,
                created_at=now,
            ),
            late=False,
            left_waitlist=True,
        )
    if session.slot_start(mine.slot) <= now:
        raise DomainError(N_("Your slot has already begun; tell the expert instead."))
    if mine.status == BookingStatus.OFFERED:
        return decline_offer(s, session, mine, now, tz, offer_minutes)
    late = now >= session.cutoff(mine.slot)
    mine.release(BookingStatus.LATE_CANCELLED if late else BookingStatus.CANCELLED, now)
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
    if booking is None or booking.status not in LETTABLE:
        raise DomainError(
            N_("Slot {slot} of session {id} is not booked."), slot=slot, id=session_id
        )
    late = now >= session.cutoff(slot)
    booking.release(BookingStatus.LATE_CANCELLED if late else BookingStatus.CANCELLED, now)
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
                    result.promoted = _give(
                        s, session, entry, freed.slot, BookingStatus.BOOKED, now
                    )
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
    status: BookingStatus,
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
    booked = status == BookingStatus.BOOKED
    entry.status = WaitlistStatus.BOOKED if booked else WaitlistStatus.OFFERED
    s.add(entry)
    if booked:
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
                return _give(s, session, entry, slot, BookingStatus.OFFERED, now, expires)
        except DomainError:
            continue
    return None


def accept_offer(s: Session, session_id: int, city_id: int, now: datetime) -> OfficeBooking:
    session = lock_session(s, session_id)
    offer = city_booking(s, session_id, city_id)
    if offer is None or offer.status != BookingStatus.OFFERED:
        raise DomainError(
            N_("There is no open offer for your city in session {id}."), id=session_id
        )
    if offer.offer_expires_at is not None and now >= offer.offer_expires_at:
        raise DomainError(N_("The offer has expired; the slot went to the next city."))
    offer.status, offer.offer_expires_at = BookingStatus.BOOKED, None
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
    status: BookingStatus = BookingStatus.DECLINED,
) -> Freed:
    offer.release(status, now)
    s.add(offer)
    due.cancel(s, "office_offer_expire", offer.id or 0)
    entry = waitlist_entry(s, session.id or 0, offer.city_id)
    if entry is not None:
        entry.status = WaitlistStatus.GONE
        s.add(entry)
    s.flush()
    return Freed(
        booking=offer, late=True, offered=offer_next(s, session, offer.slot, now, tz, offer_minutes)
    )


def expire_offer(
    s: Session, booking_id: int, now: datetime, tz: ZoneInfo, offer_minutes: int
) -> Freed | None:
    offer = s.get(OfficeBooking, booking_id)
    if offer is None or offer.status != BookingStatus.OFFERED:
        return None
    session = lock_session(s, offer.session_id)
    s.refresh(offer)
    if offer.status != BookingStatus.OFFERED:
        return None
    return decline_offer(s, session, offer, now, tz, offer_minutes, BookingStatus.EXPIRED)


def mark(
    s: Session, session_id: int, slot: int, status: BookingStatus, now: datetime
) -> OfficeBooking:
    """Done or no-show, recorded by the expert during or after the session."""
    booking = next((b for b in holding(s, session_id) if b.slot == slot), None)
    if booking is None or booking.status not in COUNTED:
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
        if booking.status == BookingStatus.BOOKED and booking.called_at is None:
            booking.called_at = now
            s.add(booking)
            return booking
    return None


def clear_session(s: Session, session_id: int, now: datetime) -> None:
    """A cancelled session lets its booked and offered cities go and empties its waitlist."""
    for booking in holding(s, session_id):
        if booking.status in LETTABLE:
            booking.release(BookingStatus.CANCELLED, now)
            s.add(booking)
    for entry in waiting(s, session_id):
        entry.status = WaitlistStatus.GONE
        s.add(entry)

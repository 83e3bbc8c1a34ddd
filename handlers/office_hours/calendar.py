"""The iCalendar file of one booked office-hours slot: the UID is the booking's, SEQUENCE the
session's (bumped on every change), Warsaw time."""

from __future__ import annotations

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from core.calendars import add_timezones
from core.i18n import Translator
from models.errors import N_
from models.office_hours import OfficeBooking, OfficeSession

SUMMARY = N_("{network}: the expert's office hours")


def office_ics(
    t: Translator,
    session: OfficeSession,
    booking: OfficeBooking,
    network_name: str,
    tz: ZoneInfo,
    now: datetime,
    cancelled: bool = False,
) -> bytes:
    """One booked office-hours slot, in the reader's language; the UID is the booking's,
    SEQUENCE the session's."""
    from icalendar import Alarm, Calendar, Event

    calendar = Calendar()
    calendar.add("prodid", "-//ZMP EMPIRIE//empirie-bot//PL")
    calendar.add("version", "2.0")
    calendar.add("method", "CANCEL" if cancelled else "PUBLISH")
    event = Event()
    start = session.slot_start(booking.slot)
    event.add("uid", f"office-{booking.id}@empirie-bot")
    event.add("sequence", session.sequence)
    event.add("dtstamp", now)
    event.add("dtstart", start.astimezone(tz))
    event.add("dtend", (start + timedelta(minutes=session.slot_minutes)).astimezone(tz))
    event.add("summary", t(SUMMARY, network=network_name))
    event.add("status", "CANCELLED" if cancelled else "CONFIRMED")
    event.add("description", booking.topic)
    if session.place:
        event.add("location", session.place)
    elif session.link:
        event.add("location", session.link)
    if session.link:
        event.add("url", session.link)
    alarm = Alarm()
    alarm.add("action", "DISPLAY")
    alarm.add("description", booking.topic)
    alarm.add("trigger", timedelta(minutes=-15))
    event.add_component(alarm)
    calendar.add_component(event)
    add_timezones(calendar)
    return calendar.to_ical()

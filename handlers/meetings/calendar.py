"""iCalendar files for meetings and office-hours bookings: stable UID, SEQUENCE bumped on
change, Warsaw timezone."""

from __future__ import annotations

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from models.meetings import Meeting, MeetingStatus
from models.office_hours import OfficeBooking, OfficeSession


def meeting_ics(
    meeting: Meeting, network_name: str, tz: ZoneInfo, now: datetime, *, details: bool = True
) -> bytes:
    """The calendar file; without `details` no online link or agenda (see invitation())."""
    from icalendar import Alarm, Calendar, Event  # ~0.1 s at start saved: only when written

    calendar = Calendar()
    calendar.add("prodid", "-//ZMP EMPIRIE//empirie-bot//PL")
    calendar.add("version", "2.0")
    calendar.add("method", "CANCEL" if meeting.status == MeetingStatus.CANCELLED else "PUBLISH")
    event = Event()
    event.add("uid", f"meeting-{meeting.id}@empirie-bot")
    event.add("sequence", meeting.sequence)
    event.add("dtstamp", now)
    event.add("dtstart", meeting.starts_at.astimezone(tz))
    event.add(
        "dtend", (meeting.starts_at + timedelta(minutes=meeting.duration_minutes)).astimezone(tz)
    )
    event.add("summary", f"{network_name}: {meeting.title}")
    event.add("status", "CANCELLED" if meeting.status == MeetingStatus.CANCELLED else "CONFIRMED")
    if meeting.place:
        event.add("location", meeting.place)
    elif meeting.online_link and details:
        event.add("location", meeting.online_link)
    if meeting.online_link and details:
        event.add("url", meeting.online_link)
    if meeting.agenda and details:
        event.add("description", meeting.agenda)
    alarm = Alarm()
    alarm.add("action", "DISPLAY")
    alarm.add("description", meeting.title)
    alarm.add("trigger", timedelta(days=-1))
    event.add_component(alarm)
    calendar.add_component(event)
    calendar.add_missing_timezones()
    return calendar.to_ical()


def office_ics(
    session: OfficeSession,
    booking: OfficeBooking,
    network_name: str,
    tz: ZoneInfo,
    now: datetime,
    cancelled: bool = False,
) -> bytes:
    """One booked office-hours slot; the UID is the booking's, SEQUENCE the session's."""
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
    event.add("summary", f"{network_name}: dyżur eksperta")
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
    calendar.add_missing_timezones()
    return calendar.to_ical()

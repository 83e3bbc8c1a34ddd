"""iCalendar files for meetings: stable UID, SEQUENCE bumped on change, Warsaw timezone."""

from __future__ import annotations

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from core.calendars import add_timezones
from models.meetings import Meeting, MeetingStatus, View, ends_at


def meeting_ics(
    meeting: Meeting, network_name: str, tz: ZoneInfo, now: datetime, view: View | None = None
) -> bytes:
    """The calendar file as `view` shows the meeting: an observer's event spans the open
    part, with its stream link and only the open parts in the description."""
    from icalendar import Alarm, Calendar, Event  # ~0.1 s at start saved: only when written

    calendar = Calendar()
    calendar.add("prodid", "-//ZMP EMPIRIE//empirie-bot//PL")
    calendar.add("version", "2.0")
    calendar.add("method", "CANCEL" if meeting.status == MeetingStatus.CANCELLED else "PUBLISH")
    event = Event()
    event.add("uid", f"meeting-{meeting.id}@empirie-bot")
    event.add("sequence", meeting.sequence)
    event.add("dtstamp", now)
    starts, ends = (view.starts_at, view.ends_at) if view else (meeting.starts_at, ends_at(meeting))
    link = view.link if view else meeting.online_link
    description = [
        f"{p.starts_at.astimezone(tz):%H:%M}–{p.ends_at.astimezone(tz):%H:%M} {p.title}"
        for p in (view.parts if view else ())
    ]
    agenda = view.agenda if view else meeting.agenda
    if agenda:
        description.append(agenda)
    event.add("dtstart", starts.astimezone(tz))
    event.add("dtend", ends.astimezone(tz))
    event.add("summary", f"{network_name}: {meeting.title}")
    event.add("status", "CANCELLED" if meeting.status == MeetingStatus.CANCELLED else "CONFIRMED")
    if meeting.place and (view is None or view.full):
        event.add("location", meeting.place)
    elif link:
        event.add("location", link)
    if link:
        event.add("url", link)
    if description:
        event.add("description", "\n".join(description))
    alarm = Alarm()
    alarm.add("action", "DISPLAY")
    alarm.add("description", meeting.title)
    alarm.add("trigger", timedelta(days=-1))
    event.add_component(alarm)
    calendar.add_component(event)
    add_timezones(calendar)
    return calendar.to_ical()

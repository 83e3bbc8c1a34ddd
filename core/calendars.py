"""What the calendar files (.ics) of meetings and office hours share: their VTIMEZONE
components, built once per time zone (icalendar builds one from the zone's transitions, 1970–
2038, on every call: half the time of a file)."""

from __future__ import annotations

import threading
from typing import Any

_ZONES: dict[str, Any] = {}
_LOCK = threading.Lock()


def add_timezones(calendar: Any) -> None:
    """`calendar.add_missing_timezones()`, with each zone's component built once per process
    (the same component, unchanged, in every file: icalendar only reads it when writing)."""
    from icalendar import Timezone

    for tzid in sorted(calendar.get_missing_tzids()):
        with _LOCK:
            zone = _ZONES.get(tzid)
            if zone is None:
                try:
                    zone = _ZONES[tzid] = Timezone.from_tzid(tzid)
                except ValueError:  # a zone icalendar does not know: left out, as it does
                    continue
        calendar.subcomponents.insert(len(calendar.timezones), zone)

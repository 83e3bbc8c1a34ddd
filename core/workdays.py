"""Working days: deadlines and reminders land on a working morning, never on a weekend.

Kept small on purpose: `is_working_day` is the one place that says which dates are worked
(public holidays are added here), `next_working_morning` the one rule for moving a moment.
"""

from __future__ import annotations

from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

MORNING = time(9, 0)


def is_working_day(d: date) -> bool:
    """Monday to Friday."""
    return d.weekday() < 5


def next_working_morning(moment: datetime, tz: ZoneInfo, morning: time = MORNING) -> datetime:
    """The moment itself if it falls on a working day (local time), else the morning of the
    next working day (in UTC, like every stored moment)."""
    local = moment.astimezone(tz)
    if is_working_day(local.date()):
        return moment
    day = local.date() + timedelta(days=1)
    while not is_working_day(day):
        day += timedelta(days=1)
    return datetime.combine(day, morning, tzinfo=tz).astimezone(moment.tzinfo)

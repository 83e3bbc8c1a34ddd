"""Working days as the office lives them: Monday to Friday, except public holidays (Polish by
default, from the maintained `holidays` calendar, not a hand list).

Work that would fall on a day off (a deadline, a headcount, a digest, a reminder) moves to the
next working morning; office-hours series skip days off. `Workdays` is the rule with its
settings (core.config.Settings.workdays); the module-level functions use the defaults.
"""

from __future__ import annotations

import contextlib
import json
import os
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from functools import lru_cache
from importlib import metadata
from pathlib import Path
from zoneinfo import ZoneInfo

DEFAULT_COUNTRY = "PL"
DEFAULT_MORNING = time(9, 0)
DEFAULT_TZ = ZoneInfo("Europe/Warsaw")


@lru_cache(maxsize=32)
def _calendar(country: str, year: int, cache: str | None = None) -> frozenset[date]:
    """The country's public holidays in `year`. `holidays` loads every country's calendar
    (~17 MB, ~0.35 s), so a year's dates, once computed, are kept as a small file in `cache`
    (a directory; named with the library's version, so an upgrade recomputes them): a
    restart then reads the file and never imports the library."""
    path = _cached(cache, country, year)
    if path is not None:
        with contextlib.suppress(OSError, ValueError):
            return frozenset(date.fromisoformat(d) for d in json.loads(path.read_text()))
    import holidays

    days = frozenset(holidays.country_holidays(country, years=year))
    if path is not None:
        with contextlib.suppress(OSError):
            path.parent.mkdir(parents=True, exist_ok=True)
            partial = path.with_suffix(f".{os.getpid()}.tmp")
            partial.write_text(json.dumps(sorted(d.isoformat() for d in days)))
            partial.replace(path)
    return days


CACHE_FOLDER = "calendars"  # under EMPIRIE_FILES_DIR: computed holidays, not data


def _cached(cache: str | None, country: str, year: int) -> Path | None:
    if cache is None:
        return None
    try:
        version = metadata.version("holidays")
    except metadata.PackageNotFoundError:
        return None
    return Path(cache) / CACHE_FOLDER / f"holidays-{country}-{year}-{version}.json"


@dataclass(frozen=True)
class Workdays:
    """The working-day rule: weekends and the country's public holidays are days off (no
    country: weekends only); `extra` adds the office's own days off."""

    tz: ZoneInfo = DEFAULT_TZ
    country: str = DEFAULT_COUNTRY
    morning: time = DEFAULT_MORNING
    extra: frozenset[date] = field(default_factory=frozenset)
    enabled: bool = True
    cache: str | None = field(default=None, compare=False)  # where a year's holidays are kept

    def is_holiday(self, day: date) -> bool:
        return day in self.extra or (
            bool(self.country) and day in _calendar(self.country, day.year, self.cache)
        )

    def is_day_off(self, day: date) -> bool:
        """A public holiday or the office's own day off (a series set on a weekday skips
        these; a weekend is the expert's own choice)."""
        return self.enabled and self.is_holiday(day)

    def is_working_day(self, day: date) -> bool:
        return not self.enabled or (day.weekday() < 5 and not self.is_holiday(day))

    def next_working_day(self, day: date) -> date:
        """The first working day after `day`."""
        day += timedelta(days=1)
        while not self.is_working_day(day):
            day += timedelta(days=1)
        return day

    def previous_working_day(self, day: date) -> date:
        """The last working day before `day`."""
        day -= timedelta(days=1)
        while not self.is_working_day(day):
            day -= timedelta(days=1)
        return day

    def next_working_morning(self, when: datetime) -> datetime:
        """`when` itself when it falls on a working day (local time); else the morning of the
        next working day. UTC."""
        local = when.astimezone(self.tz)
        if self.is_working_day(local.date()):
            return when.astimezone(UTC)
        day = self.next_working_day(local.date())
        return datetime.combine(day, self.morning, self.tz).astimezone(UTC)

    def before(self, when: datetime, limit: datetime) -> datetime:
        """A working moment for work due at `when` that must come before `limit` (a reminder
        or a headcount before its meeting): the next working morning if that is still before
        `limit`, else the same hour of the last working day before (at most four days
        earlier: across a long holiday the day off itself, rather than no reminder)."""
        moved = self.next_working_morning(when)
        if moved < limit:
            return moved
        local = when.astimezone(self.tz)
        earlier = datetime.combine(self.previous_working_day(local.date()), local.time(), self.tz)
        return (
            earlier.astimezone(UTC) if local.date() - earlier.date() <= timedelta(days=4) else when
        )


DEFAULT = Workdays()


def is_working_day(day: date) -> bool:
    """Monday to Friday and not a Polish public holiday."""
    return DEFAULT.is_working_day(day)


def next_working_morning(when: datetime, tz: ZoneInfo | None = None) -> datetime:
    """`when` when it is on a working day, else 9:00 of the next working day (local, in UTC)."""
    rule = DEFAULT if tz is None else Workdays(tz=tz)
    return rule.next_working_morning(when)

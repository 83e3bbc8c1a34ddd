"""The period a summary covers: a month or a quarter, or any span between two days, as people
type them (`II kw. 2026`, `05.2026`, `maj 2026`, `1.04.2026 30.06.2026`); without one, the
last full period of the setting (`EMPIRIE_SUMMARY_PERIOD`: a quarter by default)."""

from __future__ import annotations

import calendar
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from handlers.kit.objects import shown
from handlers.workplan.parse import parse_period
from models.errors import N_, DomainError

MONTH, QUARTER = "month", "quarter"
LONGEST_DAYS = 3 * 366  # a longer span is a typing mistake (and a very long file)
BAD = N_(
    "I could not read the period “{text}”. Write e.g. II kw. 2026, 05.2026, maj 2026 or two "
    "days: 1.04.2026 30.06.2026."
)


@dataclass(frozen=True)
class Period:
    first: date  # the first day
    last: date  # the last day (inclusive)

    def start(self, tz: ZoneInfo) -> datetime:
        return datetime.combine(self.first, time(0), tz).astimezone(UTC)

    def end(self, tz: ZoneInfo) -> datetime:
        """The moment after the last day (exclusive)."""
        return datetime.combine(self.last + timedelta(days=1), time(0), tz).astimezone(UTC)

    @property
    def key(self) -> str:
        """The period in a file name and a once-only key: 2026-07-01_2026-09-30."""
        return f"{self.first.isoformat()}_{self.last.isoformat()}"

    @property
    def shown(self) -> str:
        return f"{self.first:%d.%m.%Y} – {self.last:%d.%m.%Y}"


def month_of(day: date) -> Period:
    return Period(day.replace(day=1), day.replace(day=calendar.monthrange(day.year, day.month)[1]))


def quarter_of(day: date) -> Period:
    first = date(day.year, (day.month - 1) // 3 * 3 + 1, 1)
    return Period(first, month_of(first.replace(month=first.month + 2)).last)


def of_kind(kind: str, day: date) -> Period:
    return quarter_of(day) if kind == QUARTER else month_of(day)


def last_full(kind: str, now: datetime, tz: ZoneInfo) -> Period:
    """The last whole month or quarter before the one `now` is in."""
    current = of_kind(kind, now.astimezone(tz).date())
    return of_kind(kind, current.first - timedelta(days=1))


def parse(text: str, now: datetime, tz: ZoneInfo) -> Period:
    """A month, a quarter or a day; or two of them: from the first's start to the second's end."""
    words = text.split()
    if not words:
        raise DomainError(BAD, text="")
    try:
        found = parse_period(" ".join(words), now, tz)
        return _checked(Period(found.starts_on, found.ends_on), text)
    except DomainError:
        pass
    for cut in range(1, len(words)):
        try:
            first = parse_period(" ".join(words[:cut]), now, tz)
            last = parse_period(" ".join(words[cut:]), now, tz)
        except DomainError:
            continue
        return _checked(Period(first.starts_on, last.ends_on), text)
    raise DomainError(BAD, text=shown(text.strip()))


def _checked(period: Period, text: str) -> Period:
    if period.last < period.first:
        raise DomainError(
            N_("The period “{text}” ends before it starts."), text=shown(text.strip())
        )
    if (period.last - period.first).days > LONGEST_DAYS:
        raise DomainError(N_("A summary covers at most three years."))
    return period

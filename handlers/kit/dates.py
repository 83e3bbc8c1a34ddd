"""Reading dates the way Polish officials type them: `12.05.2026 10:00`, `12 maja 10:00`,
`jutro 10:00`, `2026-05-12 10:00`. Local time in the bot's timezone; the result is UTC."""

from __future__ import annotations

import re
import unicodedata
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from models.errors import N_, DomainError

_MONTHS = {
    "stycznia": 1,
    "styczen": 1,
    "sty": 1,
    "january": 1,
    "jan": 1,
    "lutego": 2,
    "luty": 2,
    "lut": 2,
    "february": 2,
    "feb": 2,
    "marca": 3,
    "marzec": 3,
    "mar": 3,
    "march": 3,
    "kwietnia": 4,
    "kwiecien": 4,
    "kwi": 4,
    "april": 4,
    "apr": 4,
    "maja": 5,
    "maj": 5,
    "may": 5,
    "czerwca": 6,
    "czerwiec": 6,
    "cze": 6,
    "june": 6,
    "jun": 6,
    "lipca": 7,
    "lipiec": 7,
    "lip": 7,
    "july": 7,
    "jul": 7,
    "sierpnia": 8,
    "sierpien": 8,
    "sie": 8,
    "august": 8,
    "aug": 8,
    "wrzesnia": 9,
    "wrzesien": 9,
    "wrz": 9,
    "september": 9,
    "sep": 9,
    "pazdziernika": 10,
    "pazdziernik": 10,
    "paz": 10,
    "october": 10,
    "oct": 10,
    "listopada": 11,
    "listopad": 11,
    "lis": 11,
    "november": 11,
    "nov": 11,
    "grudnia": 12,
    "grudzien": 12,
    "gru": 12,
    "december": 12,
    "dec": 12,
}
# weekday names (folded) as the bot prints them (`wtorek, 1 grudnia 2026, 10:00`) and short
_WEEKDAYS = {
    "poniedzialek": 0,
    "pon": 0,
    "monday": 0,
    "mon": 0,
    "wtorek": 1,
    "wt": 1,
    "tuesday": 1,
    "tue": 1,
    "sroda": 2,
    "sr": 2,
    "wednesday": 2,
    "wed": 2,
    "czwartek": 3,
    "czw": 3,
    "thursday": 3,
    "thu": 3,
    "piatek": 4,
    "pt": 4,
    "friday": 4,
    "fri": 4,
    "sobota": 5,
    "sob": 5,
    "saturday": 5,
    "sat": 5,
    "niedziela": 6,
    "niedz": 6,
    "nd": 6,
    "sunday": 6,
    "sun": 6,
}
_WEEKDAY = re.compile(r"^([a-z]+)\.?,?\s+(?=\d)")
_RELATIVE = {"dzis": 0, "dzisiaj": 0, "today": 0, "jutro": 1, "tomorrow": 1, "pojutrze": 2}
_TIME = r"(?:o\s+|godz\.?\s*)?(\d{1,2})[:.](\d{2})"
_NUMERIC = re.compile(rf"^(\d{{1,2}})[./](\d{{1,2}})(?:[./](\d{{4}}))?,?\s+{_TIME}$")
_ISO = re.compile(rf"^(\d{{4}})-(\d{{1,2}})-(\d{{1,2}})(?:\s+|t){_TIME}$")
_WORDS = re.compile(rf"^(\d{{1,2}})\s+([a-z]+)\.?(?:\s+(\d{{4}}))?,?\s+{_TIME}$")
_REL = re.compile(rf"^([a-z]+),?\s+{_TIME}$")
FIRST_YEAR, LAST_YEAR = 2000, 2100
BAD_DATE = N_(
    "I could not read the date “{text}”. Write e.g. 12.05.2026 10:00, 12 maja 10:00 or jutro 10:00."
)


def fold(text: str) -> str:
    text = text.strip().lower().replace("ł", "l")
    text = unicodedata.normalize("NFKD", text)
    return re.sub(r"\s+", " ", "".join(c for c in text if not unicodedata.combining(c)))


def parse_when(text: str, now: datetime, tz: ZoneInfo) -> datetime:
    """The moment meant by `text`, as aware UTC. Without a year: the next such date."""
    folded = fold(text)
    text = text if len(text) <= 40 else text[:39] + "…"  # quoted back in a refusal
    weekday = None
    if (named := _WEEKDAY.match(folded)) and named.group(1) in _WEEKDAYS:
        weekday = _WEEKDAYS[named.group(1)]  # a date copied from the bot's own messages
        folded = folded[named.end() :]
    today = now.astimezone(tz).date()
    try:
        if match := _NUMERIC.match(folded):
            d, m, y, hh, mm = match.groups()
            day = _day(int(y) if y else None, int(m), int(d), today)
        elif match := _ISO.match(folded):
            y, m, d, hh, mm = match.groups()
            day = date(int(y), int(m), int(d))
        elif (match := _WORDS.match(folded)) and match.group(2) in _MONTHS:
            d, month, y, hh, mm = match.groups()
            day = _day(int(y) if y else None, _MONTHS[month], int(d), today)
        elif (match := _REL.match(folded)) and match.group(1) in _RELATIVE:
            word, hh, mm = match.groups()
            day = today + timedelta(days=_RELATIVE[word])
        else:
            raise DomainError(BAD_DATE, text=text)
        clock = time(int(hh), int(mm))
    except ValueError as error:  # 31.02, 25:00
        raise DomainError(N_("The date “{text}” does not exist."), text=text) from error
    if weekday is not None and day.weekday() != weekday:
        raise DomainError(N_("The weekday in “{text}” does not match the date."), text=text)
    if not FIRST_YEAR <= day.year <= LAST_YEAR:  # a typing mistake (and beyond some stores)
        raise DomainError(
            N_("The date “{text}” is outside the years {first}–{last}."),
            text=text,
            first=FIRST_YEAR,
            last=LAST_YEAR,
        )
    return datetime.combine(day, clock, tzinfo=tz).astimezone(UTC)


def _day(year: int | None, month: int, day: int, today: date) -> date:
    """The date; without a year its next occurrence from today on (29.02: the next leap
    year's, e.g. from 1.03.2027 that is 29.02.2028). ValueError: no year has it (31.02)."""
    if year is not None:
        return date(year, month, day)
    for ahead in range(9):  # leap years are at most 8 years apart (2096 → 2104)
        try:
            found = date(today.year + ahead, month, day)
        except ValueError:
            continue
        if found >= today:
            return found
    raise ValueError(f"{day}.{month}")


def require_future(when: datetime, now: datetime, text: str) -> datetime:
    if when <= now:
        raise DomainError(N_("“{text}” is in the past. Give a future date and time."), text=text)
    return when

"""Reading what coordinators and owners type about the plan: a due date (`30.01.2027`,
`30 stycznia`), a period of the calendar (a day, `05.2027`, `maj 2027`, `II kw. 2027`,
`Q2 2027`), an action's owner (a city of the network or a person) and status words."""

from __future__ import annotations

import calendar
import re
from dataclasses import dataclass
from datetime import date, datetime
from zoneinfo import ZoneInfo

from sqlmodel import Session

from handlers.kit.dates import _MONTHS, fold, parse_when
from handlers.kit.objects import shown
from models import directory
from models.core import City, Network
from models.errors import N_, DomainError
from models.workplan import ActionStatus, PeriodKind

BAD_DAY = N_("I could not read the date “{text}”. Write e.g. 30.01.2027 or 30 stycznia 2027.")
BAD_PERIOD = N_(
    "I could not read “{text}” as a date, a month or a quarter. Write e.g. 12.05.2027, "
    "05.2027, maj 2027, II kw. 2027 or Q2 2027."
)


def parse_day(text: str, now: datetime, tz: ZoneInfo) -> date:
    """A calendar day as people type it (a time, if given, is ignored)."""
    quoted = shown(text.strip())
    for attempt in (f"{text.strip()} 12:00", text):
        try:
            return parse_when(attempt, now, tz).astimezone(tz).date()
        except DomainError as error:
            if "exist" in error.msgid or "weekday" in error.msgid or "outside" in error.msgid:
                raise DomainError(error.msgid, **{**error.params, "text": quoted}) from None
    raise DomainError(BAD_DAY, text=quoted)


def due_day(text: str, now: datetime, tz: ZoneInfo) -> date:
    """A due date: today or later."""
    day = parse_day(text, now, tz)
    if day < now.astimezone(tz).date():
        raise DomainError(
            N_("“{text}” is in the past. Give today's date or a later one."), text=shown(text)
        )
    return day


_ROMAN = {"i": 1, "ii": 2, "iii": 3, "iv": 4, "1": 1, "2": 2, "3": 3, "4": 4}
_QUARTER = re.compile(
    r"^(?:q\s*([1-4])|([ivx1-4]+)\s*(?:kw\.?|kwartal|kwartał|quarter|q))\s*(\d{4})$|"
    r"^(\d{4})\s*q\s*([1-4])$|^(?:kw\.?|kwartal)\s*([ivx1-4]+)\s*(\d{4})$"
)
_MONTH_NUMBER = re.compile(r"^(\d{1,2})[./-](\d{4})$|^(\d{4})-(\d{1,2})$")
_MONTH_WORD = re.compile(r"^([a-z]+)\.?\s+(\d{4})$")


@dataclass(frozen=True)
class Period:
    starts_on: date
    ends_on: date
    kind: PeriodKind


def _month(year: int, month: int) -> Period:
    last = calendar.monthrange(year, month)[1]
    return Period(date(year, month, 1), date(year, month, last), PeriodKind.MONTH)


def parse_period(text: str, now: datetime, tz: ZoneInfo) -> Period:
    folded = fold(text).replace("kwartał", "kwartal")
    try:
        if match := _QUARTER.match(folded):
            groups = match.groups()
            number = next(g for g in (groups[0], groups[1], groups[4], groups[5]) if g)
            year = int(next(g for g in (groups[2], groups[3], groups[6]) if g))
            if number not in _ROMAN:
                raise DomainError(BAD_PERIOD, text=shown(text))
            first = (_ROMAN[number] - 1) * 3 + 1
            return Period(date(year, first, 1), _month(year, first + 2).ends_on, PeriodKind.QUARTER)
        if match := _MONTH_NUMBER.match(folded):
            a, b, c, d = match.groups()
            return _month(int(b or c), int(a or d))
        if (match := _MONTH_WORD.match(folded)) and match.group(1) in _MONTHS:
            return _month(int(match.group(2)), _MONTHS[match.group(1)])
    except ValueError:  # month 13
        raise DomainError(BAD_PERIOD, text=shown(text)) from None
    try:
        day = parse_day(text, now, tz)
    except DomainError:
        raise DomainError(BAD_PERIOD, text=shown(text)) from None
    return Period(day, day, PeriodKind.DAY)


# --- owners ------------------------------------------------------------------------------


@dataclass(frozen=True)
class Owner:
    city_id: int | None = None
    person_id: int | None = None


def resolve_owner(s: Session, network: Network, text: str) -> Owner:
    """A city of the network (by name), else a person with a role there (by number or name)."""
    wanted = fold(text).lstrip("#")
    cities = directory.standings_in(s, network.id or 0)
    for city_id in cities:
        city = s.get(City, city_id)
        if city is not None and fold(city.name) == wanted:
            return Owner(city_id=city.id)
    people = {p.id or 0: p for p, _role, _city in directory.members(s, network.id or 0)}
    if wanted.isascii() and wanted.isdigit() and int(wanted) in people:
        return Owner(person_id=int(wanted))
    exact = [p for p in people.values() if p.name and fold(p.name) == wanted]
    found = exact or [p for p in people.values() if p.name and wanted and wanted in fold(p.name)]
    if len(found) == 1:
        return Owner(person_id=found[0].id)
    if len(found) > 1:
        raise DomainError(
            N_("“{text}” fits several people: {names}. Give the person's number, e.g. #{id}."),
            text=shown(text),
            names=", ".join(f"{p.name} (#{p.id})" for p in found[:6]),
            id=found[0].id,
        )
    names = sorted(c.name for c in (s.get(City, i) for i in cities) if c is not None)
    raise DomainError(
        N_(
            "I don't know “{text}” in the network {network}: give one of its cities "
            "({cities}) or a person's name or number."
        ),
        text=shown(text),
        network=network.name,
        cities=", ".join(names) or "—",
    )


# --- status words ------------------------------------------------------------------------

STATUS_WORDS = {
    "planowane": ActionStatus.PLANNED,
    "zaplanowane": ActionStatus.PLANNED,
    "planned": ActionStatus.PLANNED,
    "w toku": ActionStatus.IN_PROGRESS,
    "w trakcie": ActionStatus.IN_PROGRESS,
    "realizowane": ActionStatus.IN_PROGRESS,
    "rozpoczete": ActionStatus.IN_PROGRESS,
    "in progress": ActionStatus.IN_PROGRESS,
    "zrobione": ActionStatus.DONE,
    "wykonane": ActionStatus.DONE,
    "gotowe": ActionStatus.DONE,
    "done": ActionStatus.DONE,
    "porzucone": ActionStatus.DROPPED,
    "rezygnacja": ActionStatus.DROPPED,
    "odwolane": ActionStatus.DROPPED,
    "dropped": ActionStatus.DROPPED,
}
STATUS_LABEL = {
    ActionStatus.PLANNED: N_("planned"),
    ActionStatus.IN_PROGRESS: N_("in progress"),
    ActionStatus.DONE: N_("completed"),
    ActionStatus.DROPPED: N_("dropped"),
}
# what a status button types (Polish words, as people would)
STATUS_TYPED = {
    ActionStatus.PLANNED: "planowane",
    ActionStatus.IN_PROGRESS: "w toku",
    ActionStatus.DONE: "zrobione",
    ActionStatus.DROPPED: "porzucone",
}
_PUNCT = " .,:;!-–—"


def split_status(text: str) -> tuple[ActionStatus | None, str]:
    """A leading status word (`zrobione`, `w toku: …`) and the rest of the line, as typed."""
    words = text.split()
    for n in (2, 1):
        if len(words) >= n and fold(" ".join(words[:n])).strip(_PUNCT) in STATUS_WORDS:
            status = STATUS_WORDS[fold(" ".join(words[:n])).strip(_PUNCT)]
            return status, " ".join(words[n:]).strip(_PUNCT + " ")
    return None, " ".join(words)

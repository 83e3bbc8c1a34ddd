"""A meeting's programme as typed: parts separated by `|`, each `from–to title`, then
`otwarta` (observers may watch it online) or `zamknięta` (the default), then the open part's
own stream link, e.g. `10:00-12:00 Wykłady otwarta https://… | 12:30-16:00 Warsztaty`."""

from __future__ import annotations

import re
from datetime import datetime, time
from zoneinfo import ZoneInfo

from handlers.kit.dates import fold
from handlers.kit.limits import LINK, TITLE, check_link, check_text, looks_like_link
from models.errors import N_, DomainError
from models.meetings import PartSpec

_PART = re.compile(
    r"^\s*(\d{1,2})[:.](\d{2})\s*[-–—]\s*(\d{1,2})[:.](\d{2})\s+(.+?)\s*$", re.DOTALL
)
OPEN = {"otwarta", "open", "(otwarta)", "(open)"}
CLOSED = {"zamknieta", "closed", "(zamknieta)", "(closed)"}
EXAMPLE = "10:00-12:00 Wykłady otwarta https://… | 12:30-16:00 Warsztaty zamknięta"
BAD_PART = N_(
    "Write each part as from–to, title, then otwarta or zamknięta and, for an open part, "
    "its stream link; parts separated by |. E.g.: {example}"
)


def looks_like_parts(text: str | None) -> bool:
    """A programme of parts rather than a free-text agenda: it starts with a time range."""
    return bool(text and _PART.match(text.split("|", 1)[0]))


def _time(hours: str, minutes: str) -> time:
    if int(hours) > 23 or int(minutes) > 59:
        raise DomainError(BAD_PART, example=EXAMPLE)
    return time(int(hours), int(minutes))


def parse_parts(text: str, day: datetime, tz: ZoneInfo) -> list[PartSpec]:
    """The parts, on the local date of `day` (the meeting's start)."""
    date = day.astimezone(tz).date()
    parts = []
    for chunk in text.split("|"):
        match = _PART.match(chunk)
        if match is None:
            raise DomainError(BAD_PART, example=EXAMPLE)
        words = match.group(5).split()
        link = None
        if words and looks_like_link(words[-1]):
            link = check_link(words.pop(), LINK)
        is_open = False
        if words and fold(words[-1]) in OPEN | CLOSED:
            is_open = fold(words.pop()) in OPEN
        if not words:
            raise DomainError(BAD_PART, example=EXAMPLE)
        if link is not None and not is_open:
            raise DomainError(N_("Only an open part has its own stream link."))
        starts = datetime.combine(date, _time(match.group(1), match.group(2)), tzinfo=tz)
        ends = datetime.combine(date, _time(match.group(3), match.group(4)), tzinfo=tz)
        parts.append(
            PartSpec(
                starts.astimezone(day.tzinfo),
                ends.astimezone(day.tzinfo),
                check_text(" ".join(words), TITLE, "title"),
                is_open,
                link,
            )
        )
    return parts

"""Bounds on what people type, checked before anything reaches the store.

PostgreSQL refuses what SQLite silently keeps (a NUL byte, a 600-character title in a
VARCHAR(200), an id beyond 64 bits), so every text field and every number is checked here,
with a Polish message that names the limit. `str.isdigit()` accepts `²` and `①`, so numbers
are read with an ASCII pattern only.
"""

from __future__ import annotations

import re

from models.errors import N_, DomainError, Msgid, Nn_

MAX_ID = 2**31 - 1  # object numbers: a PostgreSQL INTEGER
_ASCII_NUMBER = re.compile(r"[0-9]{1,10}")
MAX_MESSAGE = 8000  # anything longer is refused before a handler sees it

# Field limits, matching the columns they end in (models/*.py).
TITLE, PLACE, LINK, NOTE, AGENDA, NAME, ANNOUNCEMENT = 200, 300, 500, 300, 4000, 200, 4000
FIELD_LABEL = {
    "title": N_("title"),
    "place": N_("place"),
    "link": N_("link"),
    "note": N_("notes"),
    "agenda": N_("agenda"),
    "name": N_("name"),
    "text": N_("text"),
}


def parse_id(word: str) -> int | None:
    """An object number typed by a person, or None if it is not one (`²`, `-1`, 2⁶³)."""
    word = word.strip().lstrip("#")
    if not _ASCII_NUMBER.fullmatch(word):
        return None
    value = int(word)
    return value if 1 <= value <= MAX_ID else None


def parse_count(text: str, *, low: int, high: int) -> int | None:
    """A small whole number (seats, hours) within bounds, or None."""
    text = text.strip()
    if not _ASCII_NUMBER.fullmatch(text):
        return None
    value = int(text)
    return value if low <= value <= high else None


BAD_LINK = N_("The link must start with http:// or https://.")
_WEB_ADDRESS = re.compile(r"https?://[^\s/?#@]+[^\s]*", re.IGNORECASE)


def is_link(value: str) -> bool:
    """An http(s) address with a host and no whitespace or control characters: nothing else
    (`javascript:`, `data:`, `file:`, `ftp:`) is ever shown or sent as a link."""
    return bool(_WEB_ADDRESS.fullmatch(value)) and value.isprintable()


_LINKISH = re.compile(
    r"(https?:|www\.|(ftps?|file|data|javascript|vbscript|blob|about|mailto|tel):\S|"
    r"[a-z][a-z0-9+.-]*://)",
    re.IGNORECASE,
)


def looks_like_link(value: str) -> bool:
    """Meant as an address (`http…`, `www.`, `javascript:`, `data:`, `x://`) rather than a
    place or a word: such a value must pass check_link to be stored."""
    return bool(_LINKISH.match(value.strip()))


def check_link(value: str, limit: int = LINK, field: str = "link") -> str:
    """The one rule for every web address people give (a meeting's online and stream links,
    an office-hours link, a funding call's address, a feed): http(s) only, within its column."""
    value = value.strip()
    if not is_link(value):
        raise DomainError(BAD_LINK)
    return check_text(value, limit, field)


def check_text(value: str, limit: int, field: str) -> str:
    """The value, if it fits its column and holds no NUL; else a DomainError naming the limit."""
    if "\x00" in value:
        raise DomainError(
            N_("The message contains a NUL character, which I cannot store. Please type it again.")
        )
    if len(value) > limit:
        raise DomainError(
            N_("The field “{field}” is too long: at most {most} (yours has {length})."),
            field=Msgid(FIELD_LABEL.get(field, field)),
            most=Nn_("{n} character", "{n} characters", limit),
            length=len(value),
        )
    return value

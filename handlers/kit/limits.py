"""Bounds on what people type, checked before anything reaches the store.

PostgreSQL refuses what SQLite silently keeps (a NUL byte, a 600-character title in a
VARCHAR(200), an id beyond 64 bits), so every text field and every number is checked here,
with a Polish message that names the field and the limit. The limits of fields stored in a
`String(n)` column are that column's, read by models.fields (the one place that declares
them); the rest (an agenda, an announcement) are this module's. Other control characters are
removed from what people type; a NUL is refused. `str.isdigit()` accepts `²` and `①`, so
numbers are read with an ASCII pattern only.
"""

from __future__ import annotations

import re

from core.textfile import is_control
from models import fields
from models.errors import N_, DomainError, Msgid, Nn_

MAX_ID = 2**31 - 1  # object numbers: a PostgreSQL INTEGER
_ASCII_NUMBER = re.compile(r"[0-9]{1,10}")
MAX_MESSAGE = 8000  # anything longer is refused before a handler sees it

# Field limits: those of the columns they end in (models.fields), and two of our own.
TITLE, PLACE, LINK, NOTE = (fields.limit(f) for f in ("title", "place", "link", "note"))
NAME, EMAIL, POSITION, CITY = (fields.limit(f) for f in ("name", "email", "position", "city"))
VOIVODESHIP, FUNDER, CALL_TITLE = (fields.limit(f) for f in ("voivodeship", "funder", "call_title"))
AGENDA = ANNOUNCEMENT = TEXT = 4000  # (Text columns: a message's length is the bound)
FIELD_LABEL = {
    **{name: spec.label for name, spec in fields.FIELDS.items()},
    "agenda": N_("agenda"),
    "text": N_("text"),
    "answer": N_("answer"),
    "owner": N_("who is responsible"),
    "due": N_("due date"),
    "deadline": N_("deadline"),
    "when": N_("when"),
    "networks": N_("networks"),
    "period": N_("period"),
    "audience": N_("who is asked"),
    "value": N_("new value"),
    "description": N_("description"),
    "meeting_note": N_("the meeting's note"),
}


def limit_of(field: str, default: int = TEXT) -> int:
    """The limit of a declared field (its column's), else `default`."""
    return fields.limit(field) if field in fields.FIELDS else default


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


def clean_text(value: str) -> str:
    """Without control characters (tabs and line ends stay); a NUL is refused: it is more
    likely a broken paste than anything meant, and PostgreSQL cannot store it."""
    if "\x00" in value:
        raise DomainError(fields.HAS_NUL)
    if any(is_control(c) for c in value):
        value = "".join(c for c in value if not is_control(c))
    return value


def check_text(value: str, limit: int | None, field: str) -> str:
    """The value, if it fits its column (`limit`; None: the field's own) and holds no NUL;
    else a DomainError naming the field and the limit."""
    value = clean_text(value)
    bound = limit_of(field) if limit is None else limit
    if len(value) > bound:
        raise DomainError(
            fields.TOO_LONG,
            field=Msgid(FIELD_LABEL[field]) if field in FIELD_LABEL else field,
            most=Nn_("{n} character", "{n} characters", bound),
            length=len(value),
        )
    return value

"""What "the bot answered in Polish" means in tests: the reply is built from the Polish
catalogue (it carries a fixed piece of some Polish translation), no English message id leaked
through untranslated, and nothing of a crash (traceback, exception names, SQL) shows."""

from __future__ import annotations

import re
import string
from functools import cache

from core.i18n import catalogue, plurals

_FIELDS = string.Formatter()
CRASH_SIGNS = (
    "Traceback",
    "Exception",
    "Error:",
    "psycopg",
    "sqlalchemy",
    "SELECT ",
    "INSERT ",
    'File "',
)


def _pieces(template: str, shortest: int) -> set[str]:
    """The fixed text between a template's {placeholders}, in pieces of at least `shortest`
    characters (shorter ones, e.g. "nr " or ": ", say nothing about the language)."""
    try:
        parts = [literal for literal, *_ in _FIELDS.parse(template)]
    except ValueError:
        parts = [template]
    return {p.strip() for part in parts for p in part.split("\n") if len(p.strip()) >= shortest}


def _polish_texts() -> list[str]:
    """Every Polish translation, each plural form included."""
    return [*catalogue("pl").values(), *(f for forms in plurals("pl").values() for f in forms)]


@cache
def _polish_pieces() -> tuple[str, ...]:
    return tuple(
        sorted(
            {p for text in _polish_texts() for p in _pieces(text, 8)},
            key=len,
            reverse=True,
        )
    )


@cache
def _english_pieces() -> tuple[str, ...]:
    """Fixed pieces of English message ids that no Polish translation contains (so seeing one
    means a message went out untranslated)."""
    polish = "\n".join(_polish_texts())
    english = [msgid for msgid, text in catalogue("pl").items() if text != msgid]
    english += [msgid for ids in plurals("pl") for msgid in ids]
    found = {
        p
        for msgid in english
        for p in _pieces(msgid, 20)
        if p not in polish and re.search(r"[a-z]{3} [a-z]", p)
    }
    return tuple(sorted(found))


def polish_problem(reply: str) -> str | None:
    """Why `reply` is not a proper Polish answer, or None when it is."""
    if not reply.strip():
        return "empty"
    for sign in CRASH_SIGNS:
        if sign in reply:
            return f"crash text {sign!r}"
    for piece in _english_pieces():
        if piece in reply:
            return f"untranslated English {piece!r}"
    whole = set(catalogue("pl").values())  # a short message ("Miasto?") is all one piece
    if not any(piece in reply for piece in _polish_pieces()) and reply.strip() not in whole:
        return "not from the Polish catalogue"
    return None


def assert_polish(reply: str) -> None:
    problem = polish_problem(reply)
    assert problem is None, f"{problem}: {reply[:500]!r}"

"""Translation catalogues (gettext .po files, one per feature, read with Babel) and Polish
date/number formatting.

Message ids are English; `pl` is the default catalogue. A missing translation falls back to
the English id, and the catalogue test keeps the Polish one complete.
"""

from __future__ import annotations

import datetime as dt
from functools import cache
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from babel.dates import format_date, format_datetime, format_time
from babel.messages.pofile import read_po
from babel.numbers import format_decimal

from models.errors import Msgid

LOCALE_DIR = Path(__file__).parent / "locale"
LANGUAGES = ("pl", "en")


@cache
def catalogue(language: str) -> dict[str, str]:
    """All `*.po` files of a language merged: `messages.po` plus one file per feature."""
    folder = LOCALE_DIR / language / "LC_MESSAGES"
    merged: dict[str, str] = {}
    for path in sorted(folder.glob("*.po"), key=lambda p: (p.name != "messages.po", p.name)):
        with path.open("rb") as handle:
            po = read_po(handle, locale=language)
        merged.update({str(m.id): str(m.string) for m in po if m.id and m.string and not m.fuzzy})
    return merged


class Translator:
    def __init__(self, language: str, tz: ZoneInfo) -> None:
        self.language = language if language in LANGUAGES else LANGUAGES[0]
        self.tz = tz
        self._messages = catalogue(self.language)

    def __call__(self, msgid: str, **params: Any) -> str:
        text = self._messages.get(msgid, msgid)
        if not params:
            return text
        params = {k: self(v) if isinstance(v, Msgid) else v for k, v in params.items()}
        return text.format(**params)

    def local(self, when: dt.datetime) -> dt.datetime:
        return when.astimezone(self.tz)

    def datetime(self, when: dt.datetime) -> str:
        """`wtorek, 12 maja 2026, 10:00` in the bot's timezone."""
        return format_datetime(self.local(when), "EEEE, d MMMM y, HH:mm", locale=self.language)

    def date(self, when: dt.datetime) -> str:
        return format_date(self.local(when), "EEEE, d MMMM y", locale=self.language)

    def short_datetime(self, when: dt.datetime) -> str:
        return format_datetime(self.local(when), "dd.MM.y HH:mm", locale=self.language)

    def time(self, when: dt.datetime) -> str:
        return format_time(self.local(when), "HH:mm", locale=self.language)

    def number(self, value: float) -> str:
        return format_decimal(value, locale=self.language)

"""Translation catalogues (gettext .po files, one per feature, read with Babel) and Polish
date/number formatting.

Message ids are English; `pl` is the default catalogue. A missing translation falls back to
the English id, and the catalogue test keeps the Polish one complete.

A message that depends on a number (`Translator.plural`) keeps its forms in one id and one
translation, separated by `|`, in the order of the language's gettext plural rule: English
"one|other" (`{count} new request|{count} new requests`), Polish "one|few|many"
(`1 zgłoszenie|2 zgłoszenia|5 zgłoszeń`). Such ids are marked with `NP_`.
"""

from __future__ import annotations

import datetime as dt
import gettext
from collections.abc import Callable
from functools import cache
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from babel.dates import format_date, format_datetime, format_time
from babel.messages.plurals import get_plural
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


PLURAL_SEPARATOR = "|"
PLURAL_IDS: set[str] = set()  # every id marked with NP_ (tests check each has all its forms)


def NP_(msgid: str) -> str:
    """Mark a `|`-separated message for the catalogue, to be shown with `Translator.plural`."""
    PLURAL_IDS.add(msgid)
    return msgid


@cache
def plural_rule(language: str) -> tuple[int, Callable[[int], int]]:
    """How many forms a language has, and which one a number takes (gettext's rule)."""
    rule = get_plural(language)
    return rule.num_plurals, gettext.c2py(rule.plural_expr)


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

    def plural(self, msgid: str, count: int, **params: Any) -> str:
        """The form of a `|`-separated message that fits `count` (also given as `{count}`).
        Untranslated, the English id's forms are used by the English rule."""
        translated = self._messages.get(msgid)
        language, text = (self.language, translated) if translated else ("en", msgid)
        forms = text.split(PLURAL_SEPARATOR)
        index = min(plural_rule(language)[1](abs(count)), len(forms) - 1)
        params = {k: self(v) if isinstance(v, Msgid) else v for k, v in params.items()}
        return forms[index].format(count=count, **params)

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

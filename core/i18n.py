"""Translation catalogues (gettext .po files, one per feature, read with Babel) and Polish
date/number formatting.

Message ids are English; `pl` is the default catalogue. A missing translation falls back to
the English id, and the catalogue test keeps the Polish one complete.

Counts go through gettext's plural API: `t.tn("{n} person", "{n} people", n)` picks the form
by the rule each .po file declares in its `Plural-Forms` header (Polish has three: 1 osoba,
2 osoby, 5 osób). Dates are formatted in the nominative ("wtorek, 8 grudnia 2026"); a
translation asks for the case its sentence needs with a format spec: `do {when:gen}` gives
"do wtorku, 8 grudnia 2026" (see `CASES`).
"""

from __future__ import annotations

import datetime as dt
import string
from functools import cache
from gettext import GNUTranslations
from io import BytesIO
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from babel.dates import format_date, format_datetime, format_time
from babel.messages.catalog import Catalog, Message
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po
from babel.numbers import format_decimal

from models.errors import Count, Msgid

LOCALE_DIR = Path(__file__).parent / "locale"
LANGUAGES = ("pl", "en")
# what each language's .po files declare (tools/i18n.py writes it; tests/test_i18n.py checks it)
PLURAL_FORMS = {
    "pl": "nplurals=3; plural=(n==1 ? 0 : n%10>=2 && n%10<=4 && (n%100<10 || n%100>=20) ? 1 : 2);",
    "en": "nplurals=2; plural=(n != 1);",
}

# The weekday opens every long date ("wtorek, 8 grudnia 2026"); the month is already in the
# genitive, so a preposition only changes the weekday. Seven words in five cases: a table,
# not a morphology library. `w` is the accusative with its preposition ("we wtorek").
CASES = ("gen", "acc", "ins", "loc", "w")
WEEKDAYS_PL: dict[str, tuple[str, str, str, str, str]] = {
    # nominative: genitive (do, od), accusative (na), instrumental (przed), locative (po), w/we
    "poniedziałek": (
        "poniedziałku",
        "poniedziałek",
        "poniedziałkiem",
        "poniedziałku",
        "w poniedziałek",
    ),
    "wtorek": ("wtorku", "wtorek", "wtorkiem", "wtorku", "we wtorek"),
    "środa": ("środy", "środę", "środą", "środzie", "w środę"),
    "czwartek": ("czwartku", "czwartek", "czwartkiem", "czwartku", "w czwartek"),
    "piątek": ("piątku", "piątek", "piątkiem", "piątku", "w piątek"),
    "sobota": ("soboty", "sobotę", "sobotą", "sobocie", "w sobotę"),
    "niedziela": ("niedzieli", "niedzielę", "niedzielą", "niedzieli", "w niedzielę"),
}


def _files(language: str) -> list[Path]:
    folder = LOCALE_DIR / language / "LC_MESSAGES"
    return sorted(folder.glob("*.po"), key=lambda p: (p.name != "messages.po", p.name))


def _complete(message: Message) -> bool:
    forms = message.string if isinstance(message.string, tuple | list) else (message.string,)
    return bool(message.id) and not message.fuzzy and all(forms)


@cache
def _catalog(language: str) -> Catalog:
    """All `*.po` files of a language merged: `messages.po` plus one file per feature; the
    plural rule is the one their headers declare."""
    merged = Catalog(locale=language, fuzzy=False)
    for path in _files(language):
        with path.open("rb") as handle:
            po = read_po(handle, locale=language)
        if path.name == "messages.po":
            merged.mime_headers = [("Plural-Forms", po.plural_forms)]
        for message in po:
            if _complete(message):
                merged[message.id] = message
    return merged


@cache
def translations(language: str) -> GNUTranslations:
    """The merged catalogue as Python's gettext sees it (compiled in memory)."""
    compiled = BytesIO()
    write_mo(compiled, _catalog(language))
    compiled.seek(0)
    return GNUTranslations(compiled)


@cache
def catalogue(language: str) -> dict[str, str]:
    """Singular messages: id → translation (translated ones only)."""
    return {
        str(m.id): str(m.string)
        for m in _catalog(language)
        if m.id and not m.pluralizable and isinstance(m.string, str)
    }


@cache
def plurals(language: str) -> dict[tuple[str, str], tuple[str, ...]]:
    """Messages with plural forms: (singular id, plural id) → the translated forms."""
    return {
        (str(m.id[0]), str(m.id[1])): tuple(str(s) for s in m.string)
        for m in _catalog(language)
        if isinstance(m.id, tuple | list) and isinstance(m.string, tuple | list)
    }


def inflect(text: str, case: str) -> str:
    """`text` (a Polish long date, "wtorek, 8 grudnia…") with its weekday in `case`; text that
    does not start with a weekday is returned as it is."""
    head, sep, rest = text.partition(",")
    forms = WEEKDAYS_PL.get(head.lower())
    if forms is None:
        return text
    form = forms[CASES.index(case)]
    if head[:1].isupper():
        form = form[:1].upper() + form[1:]
    return form + sep + rest


class _Formatter(string.Formatter):
    """`str.format` that also understands the case specs (`{when:gen}`)."""

    def __init__(self, language: str) -> None:
        self.language = language

    def format_field(self, value: Any, format_spec: str) -> str:
        if format_spec in CASES:
            text = format(value)
            return inflect(text, format_spec) if self.language == "pl" else text
        return str(super().format_field(value, format_spec))


class Translator:
    def __init__(self, language: str, tz: ZoneInfo) -> None:
        self.language = language if language in LANGUAGES else LANGUAGES[0]
        self.tz = tz
        self._gettext = translations(self.language)
        self._formatter = _Formatter(self.language)

    def __call__(self, msgid: str, /, **params: Any) -> str:
        text = self._gettext.gettext(msgid)
        return self.format(text, **params) if params else text

    def tn(self, singular: str, plural: str, n: int, /, **params: Any) -> str:
        """The form of a message for the count `n` (`{n}` in the text), by the language's
        plural rule: tn("{n} person", "{n} people", 5) → "5 osób"."""
        return self.format(self._gettext.ngettext(singular, plural, n), n=n, **params)

    def format(self, template: str, /, **params: Any) -> str:
        """Fill a translated text: Msgid and Count values are translated, `{x:gen}` inflects a
        date."""
        params = {k: self._value(v) for k, v in params.items()}
        return self._formatter.vformat(template, (), params)

    def _value(self, value: Any) -> Any:
        if isinstance(value, Msgid):
            return self(value)
        if isinstance(value, Count):
            return self.tn(value.singular, value.plural, value.n)
        return value

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

"""Polish by default, English on request, dates in Polish format and Warsaw time."""

from __future__ import annotations

import shutil
import string
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from babel.messages.frontend import CommandLineInterface
from babel.messages.pofile import read_po
from babel.plural import to_python

from core.i18n import CASES, PLURAL_FORMS, Translator, catalogue, inflect, plurals
from tools.i18n import LOCALES, ROOT, source_ids

WARSAW = ZoneInfo("Europe/Warsaw")
FIELDS = string.Formatter()


def _fields(text: str) -> set[str]:
    return {f for _, f, _, _ in FIELDS.parse(text) if f}


def test_every_message_in_the_code_has_a_polish_translation() -> None:
    polish, counted = catalogue("pl"), plurals("pl")
    missing = [
        msgid
        for msgid in source_ids()
        if (msgid not in counted if isinstance(msgid, tuple) else msgid not in polish)
    ]
    assert missing == []


def test_translations_keep_their_placeholders() -> None:
    for msgid, text in catalogue("pl").items():
        assert _fields(text) == _fields(msgid), msgid
    for (singular, plural), forms in plurals("pl").items():
        assert len(forms) == 3, singular
        for form in forms:
            assert _fields(form) == _fields(plural), (singular, form)


def test_the_catalogues_declare_the_plural_rules() -> None:
    """Polish has three forms (1 osoba, 2 osoby, 5 osób), English two; the rule every .po file
    declares agrees with CLDR's for every count a report can show."""
    for language, declared in PLURAL_FORMS.items():
        for path in sorted((LOCALES / language / "LC_MESSAGES").glob("*.po")):
            with path.open("rb") as handle:
                assert read_po(handle).plural_forms == declared, path
    gnu = Translator("pl", WARSAW)._gettext.plural
    cldr = to_python({"one": "n is 1", "few": "n mod 10 in 2..4 and n mod 100 not in 12..14"})
    order = {"one": 0, "few": 1, "other": 2}
    assert [gnu(n) for n in range(2000)] == [order[cldr(n)] for n in range(2000)]


def test_counts_take_the_polish_plural_forms() -> None:
    t, en = Translator("pl", WARSAW), Translator("en", WARSAW)
    said = [t.tn("{n} person", "{n} people", n) for n in (1, 2, 5, 12, 22, 112, 0)]
    assert said == ["1 osoba", "2 osoby", "5 osób", "12 osób", "22 osoby", "112 osób", "0 osób"]
    assert [en.tn("{n} person", "{n} people", n) for n in (1, 2)] == ["1 person", "2 people"]


def test_a_date_after_a_preposition_takes_the_case_the_sentence_needs() -> None:
    t = Translator("pl", WARSAW)
    tuesday = t.datetime(datetime(2026, 12, 8, 7, 0, tzinfo=UTC))
    assert tuesday == "wtorek, 8 grudnia 2026, 08:00"
    assert t.format("do {when:gen}", when=tuesday) == "do wtorku, 8 grudnia 2026, 08:00"
    assert t.format("{when:w}", when=tuesday) == "we wtorek, 8 grudnia 2026, 08:00"
    week = [t.date(datetime(2027, 2, day, 12, tzinfo=UTC)) for day in range(8, 15)]
    assert [inflect(d, "gen").split(",")[0] for d in week] == [
        "poniedziałku",
        "wtorku",
        "środy",
        "czwartku",
        "piątku",
        "soboty",
        "niedzieli",
    ]
    assert [inflect(d, "w").split(",")[0] for d in week][1:3] == ["we wtorek", "w środę"]
    assert inflect("12.05.2027", "gen") == "12.05.2027"  # no weekday: nothing to change
    english = Translator("en", WARSAW)
    assert all(english.format("{d:" + case + "}", d="Tuesday") == "Tuesday" for case in CASES)


def test_polish_dates_in_warsaw_time() -> None:
    t = Translator("pl", WARSAW)
    summer = datetime(2026, 5, 12, 8, 0, tzinfo=UTC)  # CEST, UTC+2
    winter = datetime(2026, 12, 1, 9, 30, tzinfo=UTC)  # CET, UTC+1
    assert t.datetime(summer) == "wtorek, 12 maja 2026, 10:00"
    assert t.datetime(winter) == "wtorek, 1 grudnia 2026, 10:30"
    assert t.short_datetime(winter) == "01.12.2026 10:30"
    assert t.number(12345.5) == "12\xa0345,5"


def test_english_and_unknown_languages() -> None:
    assert Translator("en", WARSAW)("Cancelled.") == "Cancelled."
    assert Translator("pl", WARSAW)("Cancelled.") == "Przerwano."
    assert Translator("de", WARSAW)("Cancelled.") == "Przerwano."  # falls back to Polish
    assert (
        Translator("en", WARSAW).datetime(datetime(2026, 5, 12, 8, tzinfo=UTC))
        == "Tuesday, 12 May 2026, 10:00"
    )


def test_each_message_lives_in_the_catalogue_of_its_feature() -> None:
    """A feature's texts are found under its own name (core/locale/*/LC_MESSAGES/<feature>.po);
    `python -m tools.i18n` puts new ones there."""
    from tools.i18n import features, home

    ids, known = source_ids(), features()
    misplaced = []
    for path in sorted(LOCALES.glob("*/LC_MESSAGES/*.po")):
        with path.open("rb") as handle:
            for message in read_po(handle):
                msgid = message.id if isinstance(message.id, str) else tuple(message.id)
                if msgid in ids and home(ids[msgid], known) != path.name:
                    misplaced.append((path.parent.parent.name, path.name, msgid))
    assert misplaced == []


def test_the_join_summary_counts_in_every_plural_form() -> None:
    """1 zgłoszenie, 2 zgłoszenia, 5 zgłoszeń — through gettext's plural API."""
    one = "📥 {network}: {n} new join request waits for your decision."
    many = "📥 {network}: {n} new join requests wait for your decision."
    t = Translator("pl", WARSAW)
    assert [
        t.tn(one, many, n, network="X").split(": ")[1].split(" czek")[0]
        for n in (1, 2, 5, 12, 22, 25)
    ] == [
        "1 nowe zgłoszenie",
        "2 nowe zgłoszenia",
        "5 nowych zgłoszeń",
        "12 nowych zgłoszeń",
        "22 nowe zgłoszenia",
        "25 nowych zgłoszeń",
    ]
    assert Translator("en", WARSAW).tn(one, many, 1, network="X") == (
        "📥 X: 1 new join request waits for your decision."
    )


def _ids(path: Path) -> set[str | tuple[str, ...]]:
    with path.open("rb") as handle:
        return {m.id if isinstance(m.id, str) else tuple(m.id) for m in read_po(handle) if m.id}


@pytest.fixture
def pybabel(monkeypatch: pytest.MonkeyPatch) -> Callable[..., None]:
    monkeypatch.chdir(ROOT)  # pybabel reads [tool.babel.*] from ./pyproject.toml

    def run(*argv: str) -> None:
        CommandLineInterface().run(["pybabel", "-q", *argv])

    return run


def test_pybabel_extract_finds_exactly_the_catalogue_ids(
    tmp_path: Path, pybabel: Callable[..., None]
) -> None:
    """A translator's `pybabel extract` (settings in pyproject.toml) makes a template with
    every id the catalogues hold: none in the code is missing, none in a catalogue orphaned."""
    pot = tmp_path / "messages.pot"
    pybabel("extract", "-o", str(pot))
    extracted = _ids(pot)
    assert ("{n} person", "{n} people") in extracted  # plural keywords are configured
    for language in ("pl", "en"):
        held: set[str | tuple[str, ...]] = set()
        for path in (LOCALES / language / "LC_MESSAGES").glob("*.po"):
            held |= _ids(path)
        assert sorted(map(str, extracted - held)) == [], language  # in the code, not here
        assert sorted(map(str, held - extracted)) == [], language  # orphaned


@pytest.mark.parametrize("language", ["pl", "en"])
def test_pybabel_update_leaves_the_catalogues_as_they_are(
    tmp_path: Path, language: str, pybabel: Callable[..., None]
) -> None:
    """`python -m tools.i18n` writes what `pybabel update -D <feature>` would: a translator's
    tool can update any feature's file from core/locale/templates/<feature>.pot."""
    from tools.i18n import _save, templates

    folder = tmp_path / language / "LC_MESSAGES"
    shutil.copytree(LOCALES / language / "LC_MESSAGES", folder)
    for name, pot in templates().items():
        template = tmp_path / f"{Path(name).stem}.pot"
        _save(template, pot)
        pybabel("update", "-i", str(template), "-d", str(tmp_path), "-D", template.stem)
    for path in sorted((LOCALES / language / "LC_MESSAGES").glob("*.po")):
        assert (folder / path.name).read_text() == path.read_text(), path.name

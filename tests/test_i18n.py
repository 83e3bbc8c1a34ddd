"""Polish by default, English on request, dates in Polish format and Warsaw time."""

from __future__ import annotations

from datetime import UTC, datetime
from zoneinfo import ZoneInfo

from core.i18n import Translator, catalogue
from tools.i18n import source_ids

WARSAW = ZoneInfo("Europe/Warsaw")


def test_every_message_in_the_code_has_a_polish_translation() -> None:
    polish = catalogue("pl")
    missing = [msgid for msgid in source_ids() if msgid not in polish]
    assert missing == []


def test_translations_keep_their_placeholders() -> None:
    import string

    fields = string.Formatter()
    for msgid, text in catalogue("pl").items():
        expected = {f for _, f, _, _ in fields.parse(msgid) if f}
        assert {f for _, f, _, _ in fields.parse(text) if f} == expected, msgid


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
    from babel.messages.pofile import read_po

    from tools.i18n import LOCALES, features, home

    ids, known = source_ids(), features()
    misplaced = []
    for path in sorted(LOCALES.glob("*/LC_MESSAGES/*.po")):
        with path.open("rb") as handle:
            for message in read_po(handle):
                msgid = str(message.id) if message.id else ""
                if msgid in ids and home(ids[msgid], known) != path.name:
                    misplaced.append((path.parent.parent.name, path.name, msgid))
    assert misplaced == []


def test_a_message_with_a_number_has_every_plural_form_of_each_language() -> None:
    """`NP_` messages: English "one|other" in the id, Polish "one|few|many" in the catalogue
    (1 zgłoszenie, 2 zgłoszenia, 5 zgłoszeń), each form with the same placeholders."""
    import string

    import handlers
    import jobs
    from core.i18n import PLURAL_IDS, plural_rule

    handlers.load_all()
    jobs.load_all()
    assert PLURAL_IDS
    fields = string.Formatter()
    for msgid in PLURAL_IDS:
        placeholders = {f for _, f, _, _ in fields.parse(msgid.split("|")[0]) if f}
        assert "count" in placeholders, msgid
        for language, text in (("en", msgid), ("pl", catalogue("pl")[msgid])):
            forms = text.split("|")
            assert len(forms) == plural_rule(language)[0], (language, text)
            for form in forms:
                assert {f for _, f, _, _ in fields.parse(form) if f} == placeholders, form
    t = Translator("pl", WARSAW)
    from handlers.joining.render import FRESH as msgid

    assert [
        t.plural(msgid, n, network="X").split(": ")[1].split(" czek")[0]
        for n in (1, 2, 5, 12, 22, 25)
    ] == [
        "1 nowe zgłoszenie",
        "2 nowe zgłoszenia",
        "5 nowych zgłoszeń",
        "12 nowych zgłoszeń",
        "22 nowe zgłoszenia",
        "25 nowych zgłoszeń",
    ]
    assert Translator("en", WARSAW).plural(msgid, 1, network="X") == (
        "📥 X: 1 new join request waits for your decision."
    )

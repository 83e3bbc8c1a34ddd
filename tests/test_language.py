"""The language check (issue 24): every catalogue message, rendered with sample values (counts
1, 2, 5, 12, 22; names, dates on several weekdays), is read by a Polish dictionary (Debian's
hunspell-pl through spylls) and by our own rules; the English catalogue holds no Polish. The
texts of a scripted quarter go through the same check in tests/test_quarter.py."""

from __future__ import annotations

from datetime import UTC, datetime
from zoneinfo import ZoneInfo

from core.i18n import Translator, catalogue, plurals
from tests.language import PENDING, unexpected
from tools.language import (
    DICTIONARY,
    catalogue_texts,
    check_catalogue,
    check_english,
    check_polish,
    count_labels,
    english,
    speller,
)

WARSAW = ZoneInfo("Europe/Warsaw")


def test_the_polish_dictionary_is_installed() -> None:
    """CI installs Debian's hunspell-pl (.ci/run); without it the check cannot read Polish."""
    assert DICTIONARY.with_suffix(".dic").exists(), "apt-get install hunspell-pl"
    check = speller()
    assert check.knows("spotkanie") and check.knows("wtorku") and check.knows("osób")
    assert not check.knows("spotkanei") and not check.knows("odpowiedziałeś(-aś)")


def test_the_catalogue_reads_right_in_polish() -> None:
    """Every message, every plural form, with sample values: no misspelling, no nominative
    weekday after a preposition, no count shown as a label, no two colons in a clause."""
    templates = {template for template, _text in catalogue_texts("pl")}
    assert templates >= set(catalogue("pl").values())  # every message…
    assert templates >= {f for forms in plurals("pl").values() for f in forms}  # …every form
    problems = unexpected(check_catalogue(), {p for p in PENDING if p[0] != "Polish in English"})
    assert problems == [], "\n".join(problems)


def test_the_english_catalogue_has_no_polish() -> None:
    problems = unexpected(check_english(), {p for p in PENDING if p[0] == "Polish in English"})
    assert problems == [], "\n".join(problems)


def test_the_check_finds_the_mistakes_it_is_for() -> None:
    """The mistakes seen in issue 24 are found; their corrections pass."""
    wrong = {
        "Możesz odwołać do wtorek, 8 grudnia 2026, 08:00.": "preposition",
        "Cykl co 2 tyg. od wtorek, 8 grudnia 2026.": "preposition",
        "Dyżur przesunięto na środa, 9 grudnia 2026.": "preposition",
        "Spotkanie w wtorek, 8 grudnia 2026.": "preposition",
        "Prosimy o odpowiedź do: piątek, 12 lutego 2027, 10:00: /rsvp 3": "two colons",
        "Odpowiedz do: piątek, 12 lutego 2027.": "preposition before a colon",
        "Na liście jest 5 osoby.": "plural",
        "Zaproszenie trafi do 2 osoby.": "plural",
        "Zostało 22 dni, a zapisało się 22 osób.": "plural",
        "Zapisano Cię na spotkanei.": "spelling",
    }
    for text, kind in wrong.items():
        assert kind in {f.kind for f in check_polish([text])}, text
    right = [
        "Możesz odwołać do wtorku, 8 grudnia 2026, 08:00.",
        "Cykl co 2 tyg. od wtorku, 8 grudnia 2026.",
        "Dyżur przesunięto na środę, 9 grudnia 2026, a spotkanie na wtorek.",
        "Spotkanie we wtorek, 8 grudnia 2026, a dyżur w środę.",
        "Prosimy o odpowiedź do piątku, 12 lutego 2027, 10:00. Jak odpowiedzieć: /rsvp 3",
        "Na liście jest 1 osoba, są 2 osoby, 5 osób, 12 osób i 22 osoby.",
        "Zaproszenie trafi do 1 osoby albo do 2 osób; zajęto 1 z 1 miejsca.",
        "Przykład: /spotkanie_zmien 3 miejsce Łomża, ul. Długa 1.",
    ]
    assert check_polish(right) == []
    labels = ["Lista obecności: osób: {count}.", "trafi na czaty ({chats})", "Głosy: {n}"]
    assert all(count_labels(label) for label in labels)
    assert count_labels("Twoje miasto wykorzystało dyżury ({used} z {cap}).") == []
    assert english("🟢 Wolny termin: office hours #{id}") != []
    assert english("Meeting #{id}: answer stacjonarnie, online or nie: /rsvp {id} moze") == []


def test_samples_cover_every_plural_form_and_the_weekday_cases() -> None:
    t = Translator("pl", WARSAW)
    texts = {text for _template, text in catalogue_texts("pl")}
    for phrase in ("1 osoba", "2 osoby", "5 osób", "12 osób", "22 osoby"):
        assert any(phrase in text for text in texts), phrase
    tuesday = t.datetime(datetime(2026, 12, 8, 7, tzinfo=UTC))
    assert any(f"do {tuesday.replace('wtorek', 'wtorku')}" in text for text in texts)

"""/pomoc grouped by what a person does, short by default, the whole list on request; English
readers see English command names (issue 24) — on SQLite and PostgreSQL."""

from __future__ import annotations

import re

from bot.router import Router
from core.clock import FrozenClock
from core.config import Settings
from handlers.kit.registry import REGISTRY
from models.db import Database
from tests.cast import find_cast
from tests.conftest import Chat

GROUP_TITLES = [
    "Spotkania:",
    "Dyżury eksperta:",
    "Konkursy:",
    "Ankiety i głosowania:",
    "Prowadzenie sieci:",
    "Ogólne:",
]


def _commands(text: str) -> list[str]:
    """The command names at the start of the listed lines."""
    return re.findall(r"^/(\w+)", text, flags=re.MULTILINE)


async def test_a_coordinators_help_is_short_and_grouped(chat: Chat, seeded: Database) -> None:
    cast = find_cast(seeded)
    for where in (None, "cyfrowe"):
        text = await chat.text(cast.coordinator, "/pomoc", chat=where)
        lines = text.splitlines()
        assert len(lines) <= 20, text
        titles = [line for line in lines if line in GROUP_TITLES]
        assert titles == GROUP_TITLES  # every part of the work, in this order
        assert "/spotkanie_nowe — utwórz i opublikuj spotkanie" in lines
        assert "/zaproszenie — wystaw kod zaproszenia dla osoby" in lines
        assert lines[-1] == (
            "Wszystkie polecenia: /pomoc wszystko; jedna część, np. /pomoc spotkania."
        )
        # staff are already known: nothing for newcomers
        assert "/start" not in text and "/zglos" not in text


async def test_the_whole_list_on_request_and_one_part(chat: Chat, seeded: Database) -> None:
    cast = find_cast(seeded)
    everything = await chat.text(cast.coordinator, "/pomoc wszystko")
    names = _commands(everything)
    assert {"dyzur_zwolnij", "konkursy_import", "rola_nadaj", "ogloszenie_raport"} <= set(names)
    assert "start" not in names and "zglos" not in names
    assert "/lista_obecnosci <nr spotkania> — lista obecności w CSV i do podpisu w PDF" in (
        everything.splitlines()
    )
    assert [line for line in everything.splitlines() if line in GROUP_TITLES] == GROUP_TITLES
    assert len(names) == len(set(names))  # each command once

    meetings = await chat.text(cast.coordinator, "/pomoc spotkania")
    assert "Spotkania:" in meetings and "Dyżury eksperta:" not in meetings
    assert set(_commands(meetings)) >= {"spotkanie_nowe", "spotkanie_odwolaj", "obecnosc"}
    assert not set(_commands(meetings)) & {"dyzur", "konkursy", "ogloszenie"}
    assert _commands(await chat.text(cast.coordinator, "/pomoc dyżury"))[0].startswith("dyzur")

    unknown = await chat.text(cast.coordinator, "/pomoc pogoda")
    assert unknown == (
        "Nie mam pomocy na temat „pogoda”. Wpisz /pomoc wszystko, aby zobaczyć wszystkie "
        "polecenia, albo wybierz jedną część: spotkania, dyzury, konkursy, ankiety, siec, konto."
    )


async def test_a_representative_sees_what_a_city_does(chat: Chat, seeded: Database) -> None:
    cast = find_cast(seeded)
    text = await chat.text(cast.laureate_rep, "/pomoc")
    names = _commands(text)
    assert {"rsvp", "moje_spotkania", "dyzur", "ankieta", "konkursy"} <= set(names)
    assert not {"spotkanie_nowe", "zaproszenie", "raport", "start", "zglos"} & set(names)
    assert len(text.splitlines()) <= 20


async def test_a_stranger_is_shown_how_to_join(chat: Chat, seeded: Database) -> None:
    text = await chat.text(None, "/pomoc")
    assert "/start <kod> — dołącz za pomocą kodu zaproszenia" in text
    assert "/zglos — " in text and "/osoby" not in text


async def test_english_help_shows_english_names(chat: Chat, seeded: Database) -> None:
    cast = find_cast(seeded)
    polish_only = {c.name for c in REGISTRY.commands()} | {"kod", "odpowiedz"}
    english = {c.called("en") for c in REGISTRY.commands()}
    for who in (cast.laureate_rep, cast.coordinator):
        await chat.text(who, "/jezyk en")
        short = await chat.text(who, "/help")
        everything = await chat.text(who, "/help all")
        for text in (short, everything):
            names = _commands(text)
            assert names and set(names) <= english, names
            assert not set(names) & (polish_only - english), names
        assert "Meetings:" in short
        assert short.endswith("Every command: /help all; one part, e.g. /help meetings.")
    rep = await chat.text(cast.laureate_rep, "/help all")
    assert (
        "/rsvp <meeting> stacjonarnie|online|nie|może [notes, e.g. diet; “-” removes them]" in rep
    )
    assert "/my_meetings — my upcoming meetings" in rep
    stranger = await chat.text("en-stranger", "/help")  # not known: Polish, with /start
    assert "/start <kod>" in stranger

    usage = await chat.text(cast.laureate_rep, "/contacts Zielone!")
    assert usage == "Usage: /contacts [network]\nFor example: /contacts cyfrowe"


async def test_the_page_link_names_the_command_in_the_readers_language(
    chat: Chat, seeded: Database, clock: FrozenClock, settings: Settings
) -> None:
    cast = find_cast(seeded)
    off = await chat.text(cast.laureate_rep, "/strona")  # no public address: no pages
    assert off.endswith("Wszystko działa przez polecenia: ich listę pokaże /pomoc.")
    configured = settings.model_copy(update={"public_url": "https://bot.example.org"})
    pages = Chat(Router(seeded, clock, configured))
    polish = await pages.text(cast.laureate_rep, "/strona")
    assert polish.endswith("działa przez 14 dni; nowy dostaniesz, wpisując /strona.")
    await pages.text(cast.laureate_rep, "/jezyk en")
    english = await pages.text(cast.laureate_rep, "/strona")
    assert english.endswith("works for 14 days; for a new one, type /my_page.")
    assert (await chat.text(cast.laureate_rep, "/my_page")).endswith("/help lists them.")

"""Bad input gets a short Polish hint, a crash gets an apology: never a traceback in chat."""

from __future__ import annotations

import logging

import pytest

from bot.router import parse_command
from core.messages import EventKind
from handlers.kit.registry import REGISTRY
from models.db import Database
from tests.cast import find_cast
from tests.conftest import Chat

NASTY = [
    "/",
    "//",
    "/ pomoc",
    "/pomoc@",
    "/zaproszenie",
    "/zaproszenie ' OR 1=1 --",
    "/zaproszenie 999999999999999999999",
    "/polacz",
    "/jezyk",
    "/start \x00\x01",
    "/osoby ąęśćżźłó",
    "/" + "x" * 5000,
    "/usun_dane nie",
    "🙂",
    "/sieci " + "ż" * 3000,
    "/zaproszenie %",
    "/osoby nieistniejąca",
]


@pytest.mark.parametrize("text", NASTY)
async def test_malformed_input_never_leaks_a_traceback(
    chat: Chat, seeded: Database, text: str
) -> None:
    cast = find_cast(seeded)
    for who, room in ((cast.coordinator, "cyfrowe"), (cast.laureate_rep, None), (None, None)):
        for message in await chat.say(who, text, chat=room):
            assert "Traceback" not in message.text and "Error" not in message.text
            assert message.text.strip()


async def test_unknown_command_gets_polish_hint(chat: Chat, seeded: Database) -> None:
    assert await chat.text(None, "/rsvpp 12") == (
        "Nie znam polecenia /rsvpp. Wpisz /pomoc, aby zobaczyć, co możesz zrobić."
    )


async def test_plain_text_private_hint_and_silence_in_groups(chat: Chat, seeded: Database) -> None:
    cast = find_cast(seeded)
    assert "/pomoc" in await chat.text(cast.laureate_rep, "dzień dobry")
    assert await chat.say(cast.laureate_rep, "dzień dobry wszystkim", chat="cyfrowe") == []


async def test_crashing_handler_apologises_and_logs(
    chat: Chat, seeded: Database, caplog: pytest.LogCaptureFixture
) -> None:
    @REGISTRY.command("test_boom", summary="boom", hidden=True)
    async def boom(ctx: object) -> list:  # pragma: no cover - raises
        raise RuntimeError("secret internals")

    try:
        with caplog.at_level(logging.ERROR):
            reply = await chat.text(None, "/test_boom")
    finally:
        REGISTRY._commands.pop("test_boom")
    assert reply.startswith("Przepraszam, coś poszło nie tak")
    assert "secret internals" not in reply
    assert any("secret internals" in (r.exc_text or "") or r.exc_info for r in caplog.records)


async def test_the_same_event_delivered_twice_has_one_effect(chat: Chat, seeded: Database) -> None:
    cast = find_cast(seeded)
    first = await chat.say(cast.coordinator, "/polacz cyfrowe", chat="g-9", event_id="u-1")
    second = await chat.say(cast.coordinator, "/polacz cyfrowe", chat="g-9", event_id="u-1")
    assert first and second == []


async def test_forged_button_is_refused(chat: Chat, seeded: Database) -> None:
    cast = find_cast(seeded)
    reply = await chat.say(cast.laureate_rep, "forged-token", kind=EventKind.ACTION)
    assert "nieaktualny" in reply[0].text


async def test_button_token_runs_its_command_only_in_its_chat(chat: Chat, seeded: Database) -> None:
    cast = find_cast(seeded)
    token = chat.router.button_token("/sieci", "console", str(cast.laureate_rep))
    ok = await chat.say(cast.laureate_rep, token, kind=EventKind.ACTION)
    assert "Sieci EMPIRIE" in ok[0].text
    elsewhere = await chat.say(cast.laureate_rep, token, chat="cyfrowe", kind=EventKind.ACTION)
    assert "nieaktualny" in elsewhere[0].text


def test_command_parsing() -> None:
    assert parse_command("/rsvp@EmpirieBot 12 online") == ("rsvp", "12 online")
    assert parse_command("/POMOC") == ("pomoc", "")
    assert parse_command("pomoc") is None
    assert parse_command("/ pomoc") is None


def test_every_command_has_polish_name_english_alias_and_summary() -> None:
    for command in REGISTRY.commands():
        assert command.summary
        if command.name != "start" and not command.hidden:
            assert command.aliases, command.name

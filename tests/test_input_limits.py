"""Bad input is refused with a Polish message naming the limit, on SQLite and PostgreSQL alike
(PostgreSQL refuses what SQLite silently stores), and nothing half-done is saved."""

from __future__ import annotations

import io
import logging

import pytest
from sqlmodel import select

from bot.router import Router
from bot.transports.console import ConsoleTransport
from models.announcements import Announcement
from models.db import Database
from models.meetings import Meeting, Rsvp
from tests.cast import find_cast
from tests.conftest import Chat

BASE = "/spotkanie_nowe cyfrowe; {title}; 12.12.2026 10:00; hybrydowe; 6; {place}; {link}; 40"
LONG = {
    BASE.format(title="T" * 201, place="Łomża", link=""): "„tytuł” jest za długie: najwyżej 200",
    BASE.format(title="T", place="P" * 301, link=""): "„miejsce” jest za długie: najwyżej 300",
    BASE.format(
        title="T", place="Łomża", link="https://x/" + "l" * 500
    ): "„link” jest za długie: najwyżej 500",
    BASE.format(title="T", place="Łomża", link="")
    + "; tak; ; "
    + "A" * 4001: "„program” jest za długie: najwyżej 4000",
    "/spotkanie_nowe cyfrowe; T; 01.01.1999 10:00; online": "poza lata 2000–2100",
    "/spotkanie_nowe cyfrowe; T; 01.01.2101 10:00; online": "poza lata 2000–2100",
    "/spotkanie_nowe cyfrowe; T; 12.12.2026 10:00; online; 6; ; ; 9223372036854775808": "najwyżej 10000",
    "/spotkanie_nowe cyfrowe; T; 12.12.2026 10:00; online; ²": "musi być liczbą",
    "/spotkanie_nowe cyfrowe; T\x00; 12.12.2026 10:00; online": "znak NUL",
}


@pytest.mark.parametrize("command", list(LONG))
async def test_meeting_fields_are_bounded(
    chat: Chat, seeded: Database, command: str, caplog: pytest.LogCaptureFixture
) -> None:
    cast = find_cast(seeded)
    with caplog.at_level(logging.ERROR):
        reply = await chat.text(cast.coordinator, command)
    assert LONG[command] in reply
    assert not [r for r in caplog.records if "handler.crash" in r.getMessage()]
    with seeded.session() as s:
        assert s.exec(select(Meeting)).all() == []


NUMBERS = ["²", "①", "٣", "9223372036854775808", "-1", "0", "#9223372036854775807", "1e3"]


@pytest.mark.parametrize("number", NUMBERS)
async def test_object_numbers_are_ascii_and_bounded(
    chat: Chat, seeded: Database, number: str, caplog: pytest.LogCaptureFixture
) -> None:
    cast = find_cast(seeded)
    with caplog.at_level(logging.ERROR):
        for who, command in (
            (cast.coordinator, f"/obecnosc {number}"),
            (cast.laureate_rep, f"/rsvp {number} online"),
            (cast.coordinator, f"/spotkanie_odwolaj {number}"),
            (cast.coordinator, f"/ogloszenie_anuluj {number}"),
            (cast.coordinator, f"/zaproszenie {number}"),
            (cast.team, f"/potwierdz_konto {number}"),
        ):
            reply = await chat.text(who, command)
            assert reply and "Przepraszam" not in reply, (command, reply)
    assert not [r for r in caplog.records if "handler.crash" in r.getMessage()]


async def test_notes_and_announcements_are_bounded(chat: Chat, seeded: Database) -> None:
    cast = find_cast(seeded)
    await chat.say(cast.coordinator, BASE.format(title="T", place="Łomża", link=""))
    with seeded.session() as s:
        meeting = s.exec(select(Meeting)).one()
    reply = await chat.text(cast.laureate_rep, f"/rsvp {meeting.id} online " + "n" * 301)
    assert "„uwagi” jest za długie: najwyżej 300" in reply
    await chat.say(cast.coordinator, "/ogloszenie")
    assert "„treść” jest za długie: najwyżej 4000" in await chat.text(cast.coordinator, "x" * 4001)
    assert "za długa" in await chat.text(cast.coordinator, "x" * 9000)
    with seeded.session() as s:
        assert s.exec(select(Rsvp)).all() == [] and s.exec(select(Announcement)).all() == []


async def test_the_console_never_exits_on_input(router: Router, seeded: Database) -> None:
    cast = find_cast(seeded)
    lines = [
        "²",
        "/jako ²",
        "/jako 9223372036854775808",
        f"/jako {cast.coordinator}",
        "\x00",
        "/obecnosc 9223372036854775808",
        "/czat \x00",
        "99999999999999",
        "/sieci",
    ]
    out = io.StringIO()
    console = ConsoleTransport(router, stdin=io.StringIO("\n".join(lines) + "\n"), stdout=out)
    await console.run()
    assert "Sieci EMPIRIE" in out.getvalue()
    assert "Przepraszam" not in out.getvalue()

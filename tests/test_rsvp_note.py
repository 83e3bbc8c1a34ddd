"""A representative's note for the organisers (a diet, an access need) can be removed, in chat
and on the answer page, on SQLite and PostgreSQL (issue 23, item 16c). Answering again
without a note keeps the one given before; `-` (or `usuń`) instead of a note removes it; the
page shows the note in its field, and sending the field empty removes it."""

from __future__ import annotations

import re
from collections.abc import AsyncIterator

import aiohttp
import pytest

from bot import pages
from bot.http import HttpServer
from bot.router import Router
from core import links
from core.clock import FrozenClock
from core.config import Settings
from models.db import Database
from models.meetings import rsvps
from tests.cast import find_cast
from tests.conftest import Chat
from tests.test_meetings import create


def note_of(db: Database, meeting: int, person: int) -> str | None:
    with db.session() as s:
        [mine] = [r for r in rsvps(s, meeting) if r.person_id == person]
        return mine.note


async def test_a_note_is_kept_replaced_and_removed_in_chat(chat: Chat, seeded: Database) -> None:
    cast = find_cast(seeded)
    me = cast.laureate_rep
    meeting = await create(chat, cast.coordinator)
    await chat.say(me, f"/rsvp {meeting} stacjonarnie dieta wegańska")
    await chat.say(me, f"/rsvp {meeting} online")  # answered again, no note: kept
    assert note_of(seeded, meeting, me) == "dieta wegańska"
    assert "dieta wegańska" in await chat.text(cast.organiser, f"/obecnosc {meeting}")
    removed = await chat.text(me, f"/rsvp {meeting} online -")
    assert removed.startswith(f"Zapisano Cię na spotkanie nr {meeting} (online).")
    assert removed.endswith("Uwagi dla organizatorów usunięte.")
    assert note_of(seeded, meeting, me) is None
    assert "Uwagi:" not in await chat.text(cast.organiser, f"/obecnosc {meeting}")
    # removing what is not there says nothing about notes
    assert "Uwagi" not in await chat.text(me, f"/rsvp {meeting} online -")
    await chat.say(me, f"/rsvp {meeting} online bez glutenu")
    assert note_of(seeded, meeting, me) == "bez glutenu"
    assert "usunięte" in await chat.text(me, f"/rsvp {meeting} online usuń")
    assert note_of(seeded, meeting, me) is None
    # the usage says how
    usage = await chat.text(me, f"/rsvp {meeting}")
    assert "„-” je usuwa" in usage, usage
    assert "„-” zamiast uwagi usuwa" in await chat.text(me, "/rsvp")


@pytest.fixture
async def web_settings(
    seeded: Database, clock: FrozenClock, settings: Settings
) -> AsyncIterator[Settings]:
    configured = settings.model_copy(update={"public_url": "http://127.0.0.1:1"})
    http = HttpServer("127.0.0.1", 0)
    pages.install(http, Router(seeded, clock, configured))
    await http.start()
    configured.public_url = f"http://127.0.0.1:{http.port}"
    try:
        yield configured
    finally:
        await http.stop()


async def test_emptying_the_note_on_the_answer_page_removes_it(
    chat: Chat, seeded: Database, clock: FrozenClock, web_settings: Settings
) -> None:
    cast = find_cast(seeded)
    me = cast.laureate_rep
    meeting = await create(chat, cast.coordinator)
    await chat.say(me, f"/rsvp {meeting} stacjonarnie dieta wegańska")
    url = links.page_url(seeded, web_settings, me, links.RSVP, clock.now(), meeting=meeting)
    assert url is not None
    async with aiohttp.ClientSession(cookie_jar=aiohttp.CookieJar(unsafe=True)) as web:
        page = await (await web.get(url)).text()
        assert re.search(r"<textarea[^>]*>dieta wegańska</textarea>", page), page
        token = re.search(r'name="csrf" value="([^"]+)"', page)
        assert token
        kept = await web.post(
            url, data={"csrf": token.group(1), "answer": "online", "note": "dieta wegańska"}
        )
        assert kept.status == 200
        assert note_of(seeded, meeting, me) == "dieta wegańska"
        sent = await web.post(url, data={"csrf": token.group(1), "answer": "online", "note": ""})
        assert sent.status == 200 and "Uwagi dla organizatorów usunięte." in await sent.text()
        again = await (await web.get(url)).text()
        assert re.search(r"<textarea[^>]*></textarea>", again), again
    assert note_of(seeded, meeting, me) is None

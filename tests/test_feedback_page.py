"""The feedback poll as an answer page (bot/pages): the signed link opens the remaining
questions, the form goes through the chat's handler, a bad answer changes nothing, a second
visit is told it is done, a closed poll says so — over HTTP on 127.0.0.1, on both stores."""

from __future__ import annotations

import re
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import timedelta

import aiohttp
import pytest
from sqlmodel import select

from bot import pages
from bot.http import HttpServer
from bot.router import Router
from core import links
from core.clock import FrozenClock
from core.config import Settings
from jobs.dispatch import DueDispatcher
from models.db import Database
from models.feedback import Poll, PollParticipant, PollTally, PollText
from tests.cast import find_cast
from tests.conftest import Chat
from tests.test_feedback import ENDS, core_reps, make_meeting, outbox


@dataclass
class Site:
    settings: Settings
    chat: Chat


@pytest.fixture
async def site(seeded: Database, clock: FrozenClock, settings: Settings) -> AsyncIterator[Site]:
    configured = settings.model_copy(update={"public_url": "http://127.0.0.1:1"})
    router = Router(seeded, clock, configured)
    http = HttpServer("127.0.0.1", 0)
    pages.install(http, router)
    await http.start()
    configured.public_url = f"http://127.0.0.1:{http.port}"
    try:
        yield Site(configured, Chat(router))
    finally:
        await http.stop()


def csrf(page: str) -> str:
    match = re.search(r'name="csrf" value="([^"]+)"', page)
    assert match, page
    return match.group(1)


async def test_the_poll_answered_on_its_page(
    site: Site, seeded: Database, clock: FrozenClock
) -> None:
    cast = find_cast(seeded)
    a, b = core_reps(seeded)[:2]
    meeting = await make_meeting(site.chat, cast.coordinator)
    for who in (a, b):
        await site.chat.say(who, f"/rsvp {meeting} online")
    clock.set(ENDS + timedelta(hours=1))
    await DueDispatcher(seeded, clock, site.settings).run_once()
    assert "wpisz /strona" in outbox(seeded, "feedback_poll")[0].payload["text"]
    with seeded.session() as s:
        [poll] = s.exec(select(Poll)).all()
    await site.chat.say(a, f"/ankieta {poll.id} 1 5")  # the first question in chat
    url = links.page_url(seeded, site.settings, a, links.FEEDBACK, clock.now(), poll=poll.id)
    assert url is not None
    async with aiohttp.ClientSession(cookie_jar=aiohttp.CookieJar(unsafe=True)) as web:
        page = await (await web.get(url)).text()
        assert "Anonimowo" in page and "Pytanie 2 z 6" in page
        assert "Pytanie 1 z 6" not in page  # already answered in chat
        token = csrf(page)
        refused = await web.post(url, data={"csrf": token, "q2": "9"})
        assert refused.status == 422 and "Wybierz jedną z odpowiedzi" in await refused.text()
        sent = await web.post(
            url,
            data={"csrf": token, "q2": "4", "q3": "", "q4": "Dobra moderacja", "q5": "", "q6": ""},
        )
        assert sent.status == 200 and "Dziękuję" in await sent.text()
        again = await (await web.get(url)).text()
        assert "Ta ankieta ma już Twoje odpowiedzi" in again and "<form" not in again
        # the chat sees the same state: a double vote is refused
        assert "już" in await site.chat.text(a, f"/ankieta {poll.id} 3 1")
        # another person's link after closing: a polite "closed", no form
        clock.set(poll.closes_at)
        late = links.page_url(seeded, site.settings, b, links.FEEDBACK, clock.now(), poll=poll.id)
        assert late is not None
        closed = await (await web.get(late)).text()
        assert "jest już zamknięta" in closed and "<form" not in closed
    with seeded.session() as s:
        q2 = {
            t.value: t.count for t in s.exec(select(PollTally).where(PollTally.question == 2)).all()
        }
        texts = [t.text for t in s.exec(select(PollText)).all()]
        [mine] = s.exec(select(PollParticipant).where(PollParticipant.person_id == a)).all()
    assert q2["4"] == 1 and sum(q2.values()) == 1
    assert texts == ["Dobra moderacja"] and mine.done


async def test_open_polls_are_on_the_persons_hub(
    site: Site, seeded: Database, clock: FrozenClock
) -> None:
    cast = find_cast(seeded)
    a = core_reps(seeded)[0]
    await site.chat.say(cast.coordinator, "/ankieta_start cyfrowe zaufanie")
    hub = links.page_url(seeded, site.settings, a, links.HUB, clock.now())
    assert hub is not None
    async with aiohttp.ClientSession(cookie_jar=aiohttp.CookieJar(unsafe=True)) as web:
        page = await (await web.get(hub)).text()
    assert "Ankieta o zaufaniu w sieci MIASTO CYFROWE" in page
    assert "/p/feedback/" in page

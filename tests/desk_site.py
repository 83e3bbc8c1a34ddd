"""The staff desk served on 127.0.0.1 for tests: the seeded network, a meeting in `cyfrowe` and
one in the closed `liderzy`, and a way to sign in as anyone through `/panel`."""

from __future__ import annotations

import re
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from datetime import timedelta

import aiohttp
from sqlmodel import col, select

from bot import pages
from bot.http import HttpServer
from bot.router import Router
from core.clock import FrozenClock
from core.config import Settings
from models.db import Database
from models.meetings import Meeting
from tests.cast import Cast, find_cast
from tests.conftest import Chat

NEW = (
    "/spotkanie_nowe {code}; {title}; 12.05.2027 10:00; hybrydowe; 6; "
    "Łomża, ul. Długa 1; https://meet.example.org/x; 20; {open_part}; 5.05.2027 12:00"
)
LINK = re.compile(r"https?://\S+/desk/login/\S+")


@dataclass
class Desk:
    db: Database
    clock: FrozenClock
    settings: Settings
    router: Router
    chat: Chat
    cast: Cast
    meeting: int  # in cyfrowe
    leaders_meeting: int  # in the closed liderzy
    base: str

    def on_the_day(self) -> None:
        """The clock at the meeting's start (check-in opens two hours before)."""
        with self.db.session() as s:
            meeting = s.get(Meeting, self.meeting)
            assert meeting is not None
            self.clock.set(meeting.starts_at + timedelta(minutes=5))

    async def link(self, person: int) -> str:
        """The sign-in link `/panel` gives the person in their private chat."""
        reply = await self.chat.text(person, "/panel")
        found = LINK.search(reply)
        assert found, reply
        return found.group(0)

    @asynccontextmanager
    async def browser(self) -> AsyncIterator[aiohttp.ClientSession]:
        jar = aiohttp.CookieJar(unsafe=True)  # cookies for 127.0.0.1
        async with aiohttp.ClientSession(cookie_jar=jar) as http:
            yield http

    async def sign_in(self, http: aiohttp.ClientSession, person: int) -> None:
        url = await self.link(person)
        async with http.get(url) as page:
            assert page.status == 200
            csrf = re.search(r'name="csrf" value="([^"]+)"', await page.text())
            assert csrf
        async with http.post(url, data={"csrf": csrf.group(1)}) as signed:
            assert signed.status == 200 and str(signed.url).endswith("/desk"), signed.status

    async def csrf(self, http: aiohttp.ClientSession, path: str) -> str:
        async with http.get(self.base + path) as page:
            found = re.search(r'name="csrf" value="([^"]+)"', await page.text())
            assert found
            return found.group(1)


@asynccontextmanager
async def serve(db: Database, clock: FrozenClock, settings: Settings) -> AsyncIterator[Desk]:
    configured = settings.model_copy(update={"public_url": "http://127.0.0.1:1"})
    router = Router(db, clock, configured)
    http = HttpServer("127.0.0.1", 0)
    pages.install(http, router)
    await http.start()
    configured.public_url = f"http://127.0.0.1:{http.port}"
    chat = Chat(router)
    cast = find_cast(db)
    for who, code, title, open_part in (
        (cast.coordinator, "cyfrowe", "Spotkanie II", "tak"),
        (cast.team, "liderzy", "Spotkanie liderów", "nie"),
    ):
        made = await chat.text(who, NEW.format(code=code, title=title, open_part=open_part))
        assert "#" in made or "nr" in made, made
    with db.session() as s:
        made = s.exec(select(Meeting).order_by(col(Meeting.id))).all()
    assert len(made) == 2, made
    try:
        yield Desk(
            db,
            clock,
            configured,
            router,
            chat,
            cast,
            made[0].id or 0,
            made[1].id or 0,
            configured.public_url,
        )
    finally:
        await http.stop()

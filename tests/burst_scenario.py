"""The busy-group scenario of issue #10, shared by its test and its benchmark: 40 people press
the answer buttons under a group invitation within a second while someone else asks /pomoc
privately, against the fake Bot API enforcing Telegram's flood limits (1/s per chat, 20/min per
group, 30/s overall, 429 + retry_after)."""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import datetime

from bot.outbox import OutboxDispatcher
from bot.router import Router
from bot.transports.telegram import TelegramTransport
from core.clock import Clock
from core.config import Settings
from core.messages import Outgoing, Target
from core.outbox import enqueue
from models import directory
from models.core import Account, City, CityStanding, NetworkRole, Person
from models.db import Database
from tests.fakes import telegram_updates as tg
from tests.fakes.telegram_api import Call, FakeBotApi

GROUP = -1009990001
COORDINATOR, ASKER = 880001, 880002
FIRST_PRESSER = 881000
BACKLOG = 4  # messages already queued for the group when the burst starts


@dataclass
class Burst:
    pressed_at: float  # the first press's injection
    last_pressed_at: float  # the last press's injection (about a second after the first)
    presses: list[str]  # callback query ids, one per presser, in order
    help_asked_at: float
    group_messages: list[Call]  # what the group got after the burst began


def add_representatives(
    db: Database, n: int, start: datetime, network_code: str = "cyfrowe", first: int = FIRST_PRESSER
) -> list[int]:
    """n representatives of laureate cities in a network (three per city), Telegram-linked
    as users first, first + 1, …"""
    ids = []
    with db.session() as s:
        network = directory.require_network(s, network_code)
        for i in range(n):
            if i % 3 == 0:
                city = City(name=f"Miasto próbne {network_code} {i // 3}")
                s.add(city)
                s.flush()
                s.add(
                    CityStanding(
                        network_id=network.id or 0, city_id=city.id or 0, standing="laureat"
                    )
                )
            person = Person(name=f"Przedstawiciel {i}", city_id=city.id, created_at=start)
            s.add(person)
            s.flush()
            s.add(
                NetworkRole(person_id=person.id or 0, network_id=network.id, role="representative")
            )
            s.add(
                Account(
                    person_id=person.id or 0,
                    platform="telegram",
                    external_id=str(first + i),
                    linked_at=start,
                )
            )
            ids.append(person.id or 0)
    return ids


@contextlib.asynccontextmanager
async def running_bot(
    api: FakeBotApi, db: Database, clock: Clock, settings: Settings
) -> AsyncIterator[tuple[TelegramTransport, OutboxDispatcher]]:
    """The bot as deployed: Telegram's real limits, the outbox woken every 0.2 s and at once
    when a handler queued something (as the scheduler does)."""
    tg_settings = settings.model_copy(
        update={
            "telegram_bot_token": api.token,
            "telegram_api_base_url": f"http://127.0.0.1:{api.port}",
            "telegram_rate_overall": 30,
            "telegram_rate_group_per_minute": 20,
            "telegram_chat_interval": 1.0,
            "telegram_read_timeout": 5,
            "telegram_poll_timeout": 1,
        }
    )
    router = Router(db, clock, tg_settings)
    transport = TelegramTransport(router, tg_settings)
    outbox = OutboxDispatcher(db, clock, {"telegram": transport})
    await transport.start()
    stop, woken = asyncio.Event(), asyncio.Event()
    loop = asyncio.get_running_loop()
    router.wake_outbox = lambda: loop.call_soon_threadsafe(woken.set)

    async def tick() -> None:
        while not stop.is_set():
            woken.clear()
            await outbox.run_once()
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(woken.wait(), 0.2)

    ticker = asyncio.create_task(tick())
    try:
        yield transport, outbox
    finally:
        stop.set()
        woken.set()
        await ticker
        await transport.stop()


async def publish_invitation(api: FakeBotApi, db: Database, coordinator: int) -> list[str]:
    """The coordinator creates a meeting in the bound group; returns the group's buttons."""
    await api.inject(
        tg.message(
            tg.user(COORDINATOR),
            tg.group_chat(GROUP),
            "/spotkanie_nowe cyfrowe; Spotkanie robocze; 12.05.2027 10:00; "
            "hybrydowe; 6; Łomża, ul. Długa 1; https://meet.example/x",
        )
    )

    def invitations() -> list[Call]:
        return [c for c in api.sent("sendMessage", GROUP) if "📅" in c.params["text"]]

    await api.wait_for(lambda: bool(invitations()), timeout=30)
    invitation = invitations()[0]
    return [
        b["callback_data"]
        for row in invitation.params["reply_markup"]["inline_keyboard"]
        for b in row
        if "callback_data" in b
    ]


async def burst(
    api: FakeBotApi, db: Database, clock: Clock, buttons: list[str], n: int = 40
) -> Burst:
    """Queue a backlog for the group, then n presses within a second and one private /pomoc."""
    with db.session() as s:
        for i in range(BACKLOG):
            enqueue(s, Target("telegram", str(GROUP)), Outgoing(f"Komunikat {i + 1}"), clock.now())
    before = len(api.calls)
    pressed_at = time.monotonic()
    presses = []
    for i in range(n):
        update = await api.inject(
            tg.callback(tg.user(FIRST_PRESSER + i), tg.group_chat(GROUP), buttons[i % 2])
        )
        presses.append(update["callback_query"]["id"])
        last_pressed_at = time.monotonic()
        if i == n // 2:
            help_asked_at = time.monotonic()
            await api.inject(tg.message(tg.user(ASKER), tg.private_chat(ASKER), "/pomoc"))
        await asyncio.sleep(1 / n)
    return Burst(
        pressed_at,
        last_pressed_at,
        presses,
        help_asked_at,
        [c for c in api.calls[before:] if str(c.params.get("chat_id")) == str(GROUP)],
    )


def acks(api: FakeBotApi, presses: list[str]) -> list[Call]:
    wanted = set(presses)
    return [
        c
        for c in api.sent("answerCallbackQuery")
        if str(c.params.get("callback_query_id")) in wanted
    ]

"""The bot's own life in a Telegram group: a short hello when added, and a group that becomes
a supergroup keeps its network, its queued messages and its buttons."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest
from sqlmodel import select

from bot.outbox import OutboxDispatcher
from bot.router import Router
from bot.transports.telegram import TelegramTransport
from core.clock import FrozenClock
from core.config import Settings
from core.messages import Outgoing, Target
from core.outbox import enqueue
from models import directory
from models.core import ActionToken
from models.db import Database
from models.outbox import OutboxMessage
from tests.cast import find_cast
from tests.fakes import telegram_updates as tg
from tests.fakes.telegram_api import FakeBotApi
from tests.test_telegram import link, telegram_settings

OLD, NEW = -4001, -1004001
COORD = 301


@pytest.fixture
async def bot(
    api: FakeBotApi, seeded: Database, clock: FrozenClock, settings: Settings
) -> AsyncIterator[TelegramTransport]:
    tg_settings = telegram_settings(settings, f"http://127.0.0.1:{api.port}")
    transport = TelegramTransport(Router(seeded, clock, tg_settings), tg_settings)
    await transport.start()
    link(seeded, find_cast(seeded).coordinator, COORD)
    yield transport
    await transport.stop()


async def test_added_to_a_group_the_bot_says_how_to_bind_it(
    api: FakeBotApi, bot: TelegramTransport
) -> None:
    group = {"id": OLD, "type": "group", "title": "Sieć"}
    await api.inject(tg.bot_membership(tg.user(COORD), group, "left", "member"))
    await api.wait_for(lambda: bool(api.texts(OLD)))
    [hello] = api.texts(OLD)
    assert "/polacz" in hello and "/sieci" in hello


async def test_a_group_upgraded_to_a_supergroup_stays_bound_with_its_queue_and_buttons(
    api: FakeBotApi, bot: TelegramTransport, seeded: Database, clock: FrozenClock
) -> None:
    cast = find_cast(seeded)
    with seeded.session() as s:
        directory.bind_chat(
            s,
            directory.require_network(s, "cyfrowe"),
            "telegram",
            str(OLD),
            "Sieć",
            cast.coordinator,
            clock.now(),
        )
        enqueue(s, Target("telegram", str(OLD)), Outgoing("Ogłoszenie dla grupy"), clock.now())
    token = bot.router.button_token("/pomoc", "telegram", str(OLD))
    old_group = {"id": OLD, "type": "group", "title": "Sieć"}
    await api.inject(
        {
            "message": {
                "message_id": 5,
                "date": 0,
                "chat": old_group,
                "from": tg.user(COORD),
                "migrate_to_chat_id": NEW,
            }
        }
    )
    await api.wait_for(lambda: _bound(seeded, str(NEW)))
    assert not _bound(seeded, str(OLD))
    with seeded.session() as s:
        assert s.get(ActionToken, token).chat_id == str(NEW)
        assert {r.chat_id for r in s.exec(select(OutboxMessage)).all()} == {str(NEW)}
    await OutboxDispatcher(seeded, clock, {"telegram": bot}).run_once()
    assert api.texts(NEW) == ["Ogłoszenie dla grupy"]


async def test_a_send_refused_because_the_group_moved_follows_it(
    api: FakeBotApi, bot: TelegramTransport, seeded: Database, clock: FrozenClock
) -> None:
    cast = find_cast(seeded)
    with seeded.session() as s:
        directory.bind_chat(
            s,
            directory.require_network(s, "cyfrowe"),
            "telegram",
            str(OLD),
            "Sieć",
            cast.coordinator,
            clock.now(),
        )
        enqueue(s, Target("telegram", str(OLD)), Outgoing("Przypomnienie"), clock.now())
    api.fail("sendMessage", "migrated", chat_id=str(OLD), migrate_to=NEW)
    dispatcher = OutboxDispatcher(seeded, clock, {"telegram": bot})
    await dispatcher.run_once()
    await dispatcher.run_once()
    assert api.texts(NEW) == ["Przypomnienie"] and _bound(seeded, str(NEW))


def _bound(db: Database, chat_id: str) -> bool:
    with db.session() as s:
        return directory.chat_network(s, "telegram", chat_id) is not None

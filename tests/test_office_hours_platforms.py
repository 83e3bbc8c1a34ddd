"""Office hours on the real platforms: Telegram (the real PTB client against the fake Bot API)
and Teams (the real msgraph-sdk against the fake Graph). The group sees the opening notice
and nothing per booking; every answer goes to the person privately."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import timedelta

import pytest
from sqlmodel import select

from bot.outbox import OutboxDispatcher
from bot.router import Router
from bot.transports.telegram import TelegramTransport
from core.clock import FrozenClock
from core.config import Settings
from jobs.dispatch import DueDispatcher
from models import directory
from models.db import Database
from models.office_hours import OfficeBooking
from tests.cast import Cast, find_cast
from tests.conftest import Chat
from tests.fakes import telegram_updates as tg
from tests.fakes.graph_api import BOT_USER
from tests.fakes.telegram_api import FakeBotApi
from tests.test_office_hours import FIRST, define
from tests.test_teams import CHANNEL_BOX, REP_AAD, STATE, Teams
from tests.test_teams import teams as teams
from tests.test_telegram import link, telegram_settings

GROUP = -100888
EXPERT, REP, REP2 = 301, 302, 303


@pytest.fixture
async def setup(api: FakeBotApi, seeded: Database, clock: FrozenClock, settings: Settings
                ) -> AsyncIterator[tuple[TelegramTransport, OutboxDispatcher, Cast, Settings]]:
    tg_settings = telegram_settings(settings, f"http://127.0.0.1:{api.port}")
    transport = TelegramTransport(Router(seeded, clock, tg_settings), tg_settings)
    await transport.start()
    cast = find_cast(seeded)
    for person, user in ((cast.expert, EXPERT), (cast.laureate_rep, REP),
                         (cast.laureate_rep2, REP2)):
        link(seeded, person, user)
    with seeded.session() as s:
        directory.bind_chat(s, directory.require_network(s, "cyfrowe"), "telegram", str(GROUP),
                            "Miasto Cyfrowe", cast.coordinator, clock.now())
    yield transport, OutboxDispatcher(seeded, clock, {"telegram": transport}), cast, tg_settings
    await transport.stop()


def buttons(call: object) -> list[dict[str, str]]:
    markup = call.params["reply_markup"]  # type: ignore[attr-defined]
    return [b for row in markup["inline_keyboard"] for b in row]


async def test_booking_with_buttons_in_a_telegram_group(
        api: FakeBotApi, seeded: Database, clock: FrozenClock,
        setup: tuple[TelegramTransport, OutboxDispatcher, Cast, Settings]) -> None:
    _, outbox, _cast, tg_settings = setup
    await api.inject(tg.message(tg.user(EXPERT), tg.private_chat(EXPERT),
                                "/dyzur_seria cyfrowe; 1.12.2026 10:00; 2; 60; 15; "
                                "https://teams.example/dyzur"))
    await api.wait_for(lambda: any("Cykl dyżurów nr 1" in t for t in api.texts(EXPERT)))

    clock.set(FIRST - timedelta(days=7))
    await DueDispatcher(seeded, clock, tg_settings).run_once()
    await outbox.run_once()
    [notice] = [c for c in api.sent("sendMessage", GROUP)]
    assert "Ruszyły zapisy" in notice.params["text"]
    [free_slots] = buttons(notice)
    assert free_slots["text"] == "Wolne terminy"

    # the group's button answers the presser privately
    await api.inject(tg.callback(tg.user(REP), tg.group_chat(GROUP), free_slots["callback_data"]))
    await api.wait_for(lambda: any("Wolne: 1 (10:00)" in t for t in api.texts(REP)))
    listing = next(c for c in api.sent("sendMessage", REP) if "Wolne:" in c.params["text"])
    slot_buttons = buttons(listing)
    assert [b["text"] for b in slot_buttons] == ["10:00", "10:15", "10:30", "10:45"]

    await api.inject(tg.callback(tg.user(REP), tg.private_chat(REP),
                                 slot_buttons[1]["callback_data"]))
    await api.wait_for(lambda: any("o co chcesz zapytać" in t for t in api.texts(REP)))
    await api.inject(tg.message(tg.user(REP), tg.private_chat(REP), "wdrożenie KSeF"))
    await api.wait_for(lambda: any("Zarezerwowano" in t for t in api.texts(REP)))
    assert [d.files["document"][0] for d in api.sent("sendDocument", REP)] == ["dyzur_1_2.ics"]

    # the second representative of the same city, typing in the group, is told privately
    await api.inject(tg.message(tg.user(REP2), tg.group_chat(GROUP),
                                "/dyzur_rezerwuj 1 3 inny temat"))
    await api.wait_for(lambda: any("ma już termin 2" in t for t in api.texts(REP2)))
    assert api.texts(GROUP) == [notice.params["text"]]  # nothing per booking in the group
    assert len(api.sent("answerCallbackQuery")) == 2
    with seeded.session() as s:
        [booking] = s.exec(select(OfficeBooking)).all()
    assert booking.slot == 2 and booking.topic == "wdrożenie KSeF"


async def test_booking_typed_in_a_teams_channel_is_answered_privately(
        teams: Teams, chat: Chat, clock: FrozenClock) -> None:
    await define(chat, teams.cast.expert)
    clock.set(FIRST - timedelta(days=2))
    message = teams.graph.user_message(CHANNEL_BOX, REP_AAD, "/dyzur_rezerwuj 1 - e-usługi",
                                       mention_bot=True)
    await teams.notify(teams.graph.notification(teams.subscription_id(CHANNEL_BOX),
                                                CHANNEL_BOX, message["id"], STATE))
    await teams.settle()
    assert teams.graph.sent(CHANNEL_BOX) == []  # nothing in the channel
    private = teams.graph.sent(f"chats/19:{BOT_USER}_{REP_AAD}@unq.gbl.spaces/messages")
    assert any("Zarezerwowano" in m["body"]["content"] for m in private)
    with teams.db.session() as s:
        [booking] = s.exec(select(OfficeBooking)).all()
    assert booking.person_id == teams.cast.laureate_rep and booking.slot == 1

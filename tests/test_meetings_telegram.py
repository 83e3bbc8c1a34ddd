"""The meeting cycle in a Telegram group, through the real PTB client and the fake Bot API."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest

from bot.outbox import OutboxDispatcher
from bot.router import Router
from bot.transports.telegram import TelegramTransport
from core.clock import FrozenClock
from core.config import Settings
from models import directory
from models.db import Database
from tests.cast import Cast, find_cast
from tests.fakes import telegram_updates as tg
from tests.fakes.telegram_api import FakeBotApi
from tests.test_telegram import link, telegram_settings

GROUP = -100777
COORD, REP, OBSERVER, ORGANISER = 201, 202, 203, 204


@pytest.fixture
async def setup(
    api: FakeBotApi, seeded: Database, clock: FrozenClock, settings: Settings
) -> AsyncIterator[tuple[TelegramTransport, OutboxDispatcher, Cast]]:
    tg_settings = telegram_settings(settings, f"http://127.0.0.1:{api.port}")
    transport = TelegramTransport(Router(seeded, clock, tg_settings), tg_settings)
    await transport.start()
    cast = find_cast(seeded)
    for person, user in (
        (cast.coordinator, COORD),
        (cast.laureate_rep, REP),
        (cast.observer_rep, OBSERVER),
        (cast.organiser, ORGANISER),
    ):
        link(seeded, person, user)
    with seeded.session() as s:
        directory.bind_chat(
            s,
            directory.require_network(s, "cyfrowe"),
            "telegram",
            str(GROUP),
            "Miasto Cyfrowe",
            cast.coordinator,
            clock.now(),
        )
    yield transport, OutboxDispatcher(seeded, clock, {"telegram": transport}), cast
    await transport.stop()


async def test_create_invite_answer_by_button_and_export(
    api: FakeBotApi, setup: tuple[TelegramTransport, OutboxDispatcher, Cast]
) -> None:
    _, outbox, _cast = setup
    group = tg.group_chat(GROUP)
    await api.inject(
        tg.message(
            tg.user(COORD),
            group,
            "/spotkanie_nowe cyfrowe; Spotkanie II; 12.05.2027 10:00; "
            "hybrydowe; 6; Łomża, ul. Długa 1; ; 30; tak",
        )
    )
    # the organiser's overview goes to the organiser, not to everyone in the group
    await api.wait_for(
        lambda: any("opublikowane" in t for t in api.texts(COORD)), tick=outbox.run_once
    )
    assert not any("opublikowane" in t for t in api.texts(GROUP))
    invitation = next(c for c in api.sent("sendMessage", GROUP) if "📅" in c.params["text"])
    buttons = [b for row in invitation.params["reply_markup"]["inline_keyboard"] for b in row]
    assert [b["text"] for b in buttons] == ["Stacjonarnie", "Online", "Nie będę", "Może"]
    assert [d.files["document"][0] for d in api.sent("sendDocument", GROUP)] == ["spotkanie_1.ics"]
    assert api.texts(REP) and api.texts(OBSERVER)  # privately too

    in_group = len(api.texts(GROUP))
    await api.inject(tg.callback(tg.user(REP), group, buttons[0]["callback_data"]))
    await api.wait_for(lambda: len(api.sent("answerCallbackQuery")) == 1)
    assert "(stacjonarnie)" in api.sent("answerCallbackQuery")[0].params["text"]
    await api.inject(tg.callback(tg.user(OBSERVER), group, buttons[0]["callback_data"]))
    await api.wait_for(lambda: len(api.sent("answerCallbackQuery")) == 2)
    assert "obserwatorzy" in api.sent("answerCallbackQuery")[1].params["text"].lower()
    assert len(api.texts(GROUP)) == in_group  # nothing posted in the group per press

    await api.inject(
        tg.message(tg.user(ORGANISER), tg.private_chat(ORGANISER), "/lista_obecnosci 1")
    )
    # text + two files: paced through the outbox (delivered as they are queued; a pending
    # edit of the invitation may be in the outbox before the organiser's update commits)
    await api.wait_for(lambda: len(api.sent("sendDocument", ORGANISER)) >= 3, tick=outbox.run_once)
    names = [d.files["document"][0] for d in api.sent("sendDocument", ORGANISER)]
    assert "lista_obecnosci_1.csv" in names and "lista_obecnosci_1.pdf" in names

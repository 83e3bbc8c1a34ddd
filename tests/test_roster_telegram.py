"""A join request over Telegram (real PTB client, fake Bot API): a stranger asks privately, the
coordinator presses Przyjmij in their private chat, the stranger's account is linked."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest

from bot.outbox import OutboxDispatcher
from bot.router import Router
from bot.transports.telegram import TelegramTransport
from core.clock import FrozenClock
from core.config import Settings
from jobs.dispatch import DueDispatcher
from models import directory
from models.db import Database
from models.enums import Role
from tests.cast import Cast, find_cast
from tests.fakes import telegram_updates as tg
from tests.fakes.telegram_api import FakeBotApi
from tests.test_telegram import link, telegram_settings

COORD, NEWCOMER, GROUP = 301, 302, -100301


@pytest.fixture
async def setup(
    api: FakeBotApi, seeded: Database, clock: FrozenClock, settings: Settings
) -> AsyncIterator[tuple[OutboxDispatcher, Cast]]:
    tg_settings = telegram_settings(settings, f"http://127.0.0.1:{api.port}")
    transport = TelegramTransport(Router(seeded, clock, tg_settings), tg_settings)
    await transport.start()
    cast = find_cast(seeded)
    link(seeded, cast.coordinator, COORD)
    yield OutboxDispatcher(seeded, clock, {"telegram": transport}), cast
    await transport.stop()


async def test_join_request_accepted_by_button_links_the_telegram_account(
    api: FakeBotApi,
    seeded: Database,
    setup: tuple[OutboxDispatcher, Cast],
    clock: FrozenClock,
    settings: Settings,
) -> None:
    outbox, _cast = setup
    newcomer, chat = tg.user(NEWCOMER, "Marta", "marta_plock"), tg.private_chat(NEWCOMER)
    answers = [
        "/zglos",
        "Płock",
        "Marta Kwiatkowska",
        "Naczelniczka Wydziału Cyfryzacji",
        "m.kwiatkowska@plock.eu",
        "cyfrowe",
    ]
    for n, text in enumerate(answers, start=1):
        await api.inject(tg.message(newcomer, chat, text))
        await api.wait_for(lambda n=n: len(api.texts(NEWCOMER)) >= n + 1)
    assert api.texts(NEWCOMER)[-1].startswith("Dziękuję! Twoje zgłoszenie nr 1")

    tg_settings = telegram_settings(settings, f"http://127.0.0.1:{api.port}")
    await DueDispatcher(seeded, clock, tg_settings).run_once()  # the coordinators' summary
    await outbox.run_once()
    offer = api.sent("sendMessage", COORD)[-1]
    assert offer.params["text"].startswith(
        "📥 MIASTO CYFROWE: 1 nowe zgłoszenie czeka na Twoją decyzję.\n\n"
        "Zgłoszenie nr 1 do sieci MIASTO CYFROWE:"
    )
    buttons = [b for row in offer.params["reply_markup"]["inline_keyboard"] for b in row]
    assert [b["text"] for b in buttons] == ["Przyjmij", "Odrzuć"]

    # The button belongs to the coordinator's private chat: pressed elsewhere it is refused.
    await api.inject(tg.callback(tg.user(COORD), tg.group_chat(GROUP), buttons[0]["callback_data"]))
    await api.wait_for(lambda: any("nieaktualny" in text for text in _refusals(api)))
    await api.inject(
        tg.callback(tg.user(COORD), tg.private_chat(COORD), buttons[0]["callback_data"])
    )
    await api.wait_for(
        lambda: any(t.startswith("Przyjęto: Marta Kwiatkowska") for t in api.texts(COORD))
    )
    await outbox.run_once()
    await api.wait_for(
        lambda: any(
            t.startswith("Witaj! Twoje zgłoszenie zostało przyjęte") for t in api.texts(NEWCOMER)
        )
    )
    with seeded.session() as s:
        marta = directory.person_by_account(s, "telegram", str(NEWCOMER))
        assert marta is not None and marta.name == "Marta Kwiatkowska"
        network = directory.require_network(s, "cyfrowe")
        assert directory.roles_of(s, marta.id or 0, network.id) == {Role.REPRESENTATIVE}
        assert directory.account_of(s, marta.id or 0, "telegram").username == "marta_plock"


def _refusals(api: FakeBotApi) -> list[str]:
    """What a refused button press said, in the group or as the callback's answer."""
    answers = [c.params.get("text", "") for c in api.sent("answerCallbackQuery")]
    return [*api.texts(GROUP), *answers]

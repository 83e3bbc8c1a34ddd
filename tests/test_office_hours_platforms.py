"""Office hours on the real platforms: Telegram (the real PTB client against the fake Bot API)
and Teams (the real msgraph-sdk against the fake Graph). The group sees the opening notice
and nothing per booking; every answer goes to the person privately."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from datetime import timedelta
from pathlib import Path

import pytest
from sqlmodel import select

from bot import pages
from bot.http import HttpServer
from bot.outbox import OutboxDispatcher
from bot.router import Router
from bot.transports.telegram import TelegramTransport
from core import links
from core.clock import FrozenClock
from core.config import Settings
from jobs.dispatch import DueDispatcher
from models import directory, seed
from models.db import Database
from models.office_hours import OfficeBooking
from tests.cast import Cast, find_cast
from tests.conftest import Chat
from tests.fakes import telegram_updates as tg
from tests.fakes.graph_api import BOT_USER
from tests.fakes.telegram_api import FakeBotApi
from tests.test_office_hours import FIRST, define
from tests.test_pages_browser import PHONE, Browser
from tests.test_pages_browser import browser as browser
from tests.test_teams import CHANNEL_BOX, REP_AAD, STATE, Teams
from tests.test_teams import teams as teams
from tests.test_telegram import link, telegram_settings

GROUP = -100888
EXPERT, REP, REP2 = 301, 302, 303


@pytest.fixture
async def setup(
    api: FakeBotApi, seeded: Database, clock: FrozenClock, settings: Settings
) -> AsyncIterator[tuple[TelegramTransport, OutboxDispatcher, Cast, Settings]]:
    tg_settings = telegram_settings(settings, f"http://127.0.0.1:{api.port}")
    transport = TelegramTransport(Router(seeded, clock, tg_settings), tg_settings)
    await transport.start()
    cast = find_cast(seeded)
    for person, user in (
        (cast.expert, EXPERT),
        (cast.laureate_rep, REP),
        (cast.laureate_rep2, REP2),
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
    yield transport, OutboxDispatcher(seeded, clock, {"telegram": transport}), cast, tg_settings
    await transport.stop()


def buttons(call: object) -> list[dict[str, str]]:
    markup = call.params["reply_markup"]  # type: ignore[attr-defined]
    return [b for row in markup["inline_keyboard"] for b in row]


async def test_booking_with_buttons_in_a_telegram_group(
    api: FakeBotApi,
    seeded: Database,
    clock: FrozenClock,
    setup: tuple[TelegramTransport, OutboxDispatcher, Cast, Settings],
) -> None:
    _, outbox, _cast, tg_settings = setup
    await api.inject(
        tg.message(
            tg.user(EXPERT),
            tg.private_chat(EXPERT),
            "/dyzur_seria cyfrowe; 1.12.2026 10:00; 2; 60; 15; https://teams.example/dyzur",
        )
    )
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

    await api.inject(
        tg.callback(tg.user(REP), tg.private_chat(REP), slot_buttons[1]["callback_data"])
    )
    await api.wait_for(lambda: any("o co chcesz zapytać" in t for t in api.texts(REP)))
    await api.inject(tg.message(tg.user(REP), tg.private_chat(REP), "wdrożenie KSeF"))
    for _ in range(200):  # text and .ics: two parts, paced through the outbox
        await outbox.run_once()
        if api.sent("sendDocument", REP):
            break
        await asyncio.sleep(0.05)
    assert any("Zarezerwowano" in t for t in api.texts(REP))
    assert [d.files["document"][0] for d in api.sent("sendDocument", REP)] == ["dyzur_1_2.ics"]

    # the second representative of the same city, typing in the group, is told privately
    await api.inject(
        tg.message(tg.user(REP2), tg.group_chat(GROUP), "/dyzur_rezerwuj 1 3 inny temat")
    )
    await api.wait_for(lambda: any("ma już termin 2" in t for t in api.texts(REP2)))
    assert api.texts(GROUP) == [notice.params["text"]]  # nothing per booking in the group
    assert len(api.sent("answerCallbackQuery")) == 2
    with seeded.session() as s:
        [booking] = s.exec(select(OfficeBooking)).all()
    assert booking.slot == 2 and booking.topic == "wdrożenie KSeF"


async def test_booking_typed_in_a_teams_channel_is_answered_privately(
    teams: Teams, chat: Chat, clock: FrozenClock
) -> None:
    await define(chat, teams.cast.expert)
    clock.set(FIRST - timedelta(days=2))
    await teams.transport.maintain()  # days later: Graph's subscriptions expired, renew them
    message = teams.graph.user_message(
        CHANNEL_BOX, REP_AAD, "/dyzur_rezerwuj 1 - e-usługi", mention_bot=True
    )
    await teams.notify(
        teams.graph.notification(
            teams.subscription_id(CHANNEL_BOX), CHANNEL_BOX, message["id"], STATE
        )
    )
    await teams.settle()
    assert teams.graph.sent(CHANNEL_BOX) == []  # nothing in the channel
    private = teams.graph.sent(f"chats/19:{BOT_USER}_{REP_AAD}@unq.gbl.spaces/messages")
    assert any("Zarezerwowano" in m["body"]["content"] for m in private)
    with teams.db.session() as s:
        [booking] = s.exec(select(OfficeBooking)).all()
    assert booking.person_id == teams.cast.laureate_rep and booking.slot == 1


# --- the answer page, in a real browser -----------------------------------------------------


async def test_booking_on_the_answer_page(
    tmp_path: Path, clock: FrozenClock, settings: Settings, browser: Browser
) -> None:
    db = Database(f"sqlite:///{tmp_path / 'pages.db'}")
    db.create_all()
    with db.session() as s:
        seed.seed_demo(s, clock.now())
    configured = settings.model_copy(update={"public_url": "http://127.0.0.1:1"})
    router = Router(db, clock, configured)
    http = HttpServer("127.0.0.1", 0)
    pages.install(http, router)
    await http.start()
    configured.public_url = f"http://127.0.0.1:{http.port}"
    try:
        chat = Chat(router)
        cast = find_cast(db)
        [first, *_] = await define(chat, cast.expert)
        clock.set(FIRST - timedelta(days=2))
        [listing, *_] = await chat.say(cast.laureate_rep, "/dyzur")
        [url] = [a.url for a in listing.actions if a.url]
        assert url and f"/p/{links.OFFICE_HOURS}/" in url

        context = await browser.new_context(viewport=PHONE, locale="pl-PL")
        page = await context.new_page()
        await page.goto(url)
        assert await page.get_by_role("heading", level=1).inner_text() == "Dyżur eksperta"
        assert "Jeszcze bez rezerwacji." in await page.locator("#slot-state").inner_text()
        await page.get_by_role("button", name="Zarezerwuj").click()  # no slot, no topic
        assert "Wybierz termin." in await page.get_by_role("alert").inner_text()
        await page.get_by_label("10:30").check()
        await page.get_by_label("Twój temat").fill("wdrożenie KSeF")
        await page.get_by_role("button", name="Zarezerwuj").click()
        assert "Zarezerwowano: dyżur nr" in await page.get_by_role("status").inner_text()
        assert "Termin 3" in await page.locator("#slot-state").inner_text()

        # the other representative of the same city sees the city's slot, no form
        other = links.page_url(
            db, configured, cast.laureate_rep2, links.OFFICE_HOURS, clock.now(), session=first
        )
        assert other is not None
        await page.goto(other)
        assert "wdrożenie KSeF" in await page.locator("#slot-state").inner_text()
        assert await page.locator("form").count() == 0
        await context.close()
        with db.session() as s:
            [booking] = s.exec(select(OfficeBooking)).all()
        assert booking.slot == 3 and booking.person_id == cast.laureate_rep
    finally:
        await http.stop()
        db.dispose()

"""The real python-telegram-bot Application against a fake Bot API on 127.0.0.1."""

from __future__ import annotations

import json
import socket
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

import aiohttp
import pytest
from sqlmodel import select

from bot.http import HttpServer
from bot.outbox import OutboxDispatcher
from bot.router import Router
from bot.transports import DeliveryError
from bot.transports.telegram import SECRET_HEADER, TelegramTransport
from core.config import Settings
from core.messages import File, Outgoing, Target
from models import directory, invitations
from models.core import Person
from models.db import Database
from models.outbox import OutboxMessage
from tests.cast import Cast, find_cast
from tests.fakes import telegram_updates as tg
from tests.fakes.telegram_api import FakeBotApi

GROUP = -1001234567890
COORDINATOR_TG, REP_TG = 111001, 111002


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def telegram_settings(settings: Settings, base_url: str, **extra: Any) -> Settings:
    return settings.model_copy(
        update={
            "telegram_bot_token": "123456:TEST-TOKEN",
            "telegram_api_base_url": base_url,
            "telegram_rate_overall": 1000,
            "telegram_rate_group_per_minute": 1000,
            "telegram_chat_interval": 0.0,
            "telegram_read_timeout": 2,
            "telegram_poll_timeout": 1,
            **extra,
        }
    )


@dataclass
class Bot:
    api: FakeBotApi
    transport: TelegramTransport
    cast: Cast
    db: Database


def link(db: Database, person_id: int, telegram_id: int) -> None:
    with db.session() as s:
        person = s.get(Person, person_id)
        assert person is not None
        directory.link_account(s, person_id, "telegram", str(telegram_id), None, person.created_at)


@pytest.fixture
async def bot(
    api: FakeBotApi, router: Router, settings: Settings, seeded: Database
) -> AsyncIterator[Bot]:
    transport = TelegramTransport(
        router, telegram_settings(settings, f"http://127.0.0.1:{api.port}")
    )
    await transport.start()
    cast = find_cast(seeded)
    link(seeded, cast.coordinator, COORDINATOR_TG)
    yield Bot(api, transport, cast, seeded)
    await transport.stop()


coordinator = tg.user(COORDINATOR_TG, "Katarzyna", "kasia_koord")
group = tg.group_chat(GROUP)


async def test_start_publishes_command_menus(bot: Bot) -> None:
    menus = bot.api.sent("setMyCommands")
    assert len(menus) == 4
    by_key = {
        (c.params["scope"]["type"], c.params.get("language_code")): c.params["commands"]
        for c in menus
    }
    private_pl = {c["command"]: c["description"] for c in by_key[("all_private_chats", None)]}
    group_en = {c["command"] for c in by_key[("all_group_chats", "en")]}
    assert private_pl["pomoc"] == "co mogę tu dla Ciebie zrobić"
    assert "start" in private_pl and "polacz" not in private_pl
    assert "bind" in group_en and "help" in group_en and "start" not in group_en


async def test_group_binding_by_a_coordinator(bot: Bot) -> None:
    stranger = tg.user(999, "Obcy")
    await bot.api.inject(tg.message(stranger, group, "/polacz@EmpirieTestBot cyfrowe"))
    await bot.api.inject(tg.message(coordinator, group, "/polacz@EmpirieTestBot cyfrowe"))
    await bot.api.wait_for(lambda: len(bot.api.texts(GROUP)) == 2)
    refused, bound = bot.api.texts(GROUP)
    assert "Jeszcze Cię nie znam" in refused
    assert bound == "Ten czat jest teraz połączony z siecią MIASTO CYFROWE (cyfrowe)."
    with bot.db.session() as s:
        network = directory.chat_network(s, "telegram", str(GROUP))
        assert network is not None and network.code == "cyfrowe"

    await bot.api.inject(tg.bot_membership(coordinator, group, "member", "kicked"))
    await bot.api.wait_for(lambda: _unbound(bot.db))


def _unbound(db: Database) -> bool:
    with db.session() as s:
        return directory.chat_network(s, "telegram", str(GROUP)) is None


async def test_command_for_another_bot_is_ignored(bot: Bot) -> None:
    await bot.api.inject(tg.message(coordinator, group, "/pomoc@SomeOtherBot"))
    await bot.api.inject(tg.message(coordinator, group, "/sieci@EmpirieTestBot"))
    await bot.api.wait_for(lambda: len(bot.api.texts(GROUP)) >= 1)
    assert [t.splitlines()[0] for t in bot.api.texts(GROUP)] == ["Sieci EMPIRIE:"]


async def test_invitation_deep_link_links_the_account(bot: Bot) -> None:
    with bot.db.session() as s:
        person = s.get(Person, bot.cast.laureate_rep)
        assert person is not None
        code = invitations.issue(
            s, person, bot.cast.coordinator, person.created_at, timedelta(days=3650)
        )
    rep = tg.user(REP_TG, "Anna", "ania")
    await bot.api.inject(tg.message(rep, tg.private_chat(REP_TG), f"/start {code}"))
    await bot.api.wait_for(lambda: bool(bot.api.texts(REP_TG)))
    assert bot.api.texts(REP_TG)[0].startswith(f"Witaj, {person.name}!")
    with bot.db.session() as s:
        linked = directory.person_by_account(s, "telegram", str(REP_TG))
        assert linked is not None and linked.id == bot.cast.laureate_rep
        assert directory.account_of(s, linked.id or 0, "telegram").username == "ania"


async def test_invite_link_is_a_telegram_deep_link(bot: Bot) -> None:
    chat = tg.private_chat(COORDINATOR_TG)
    await bot.api.inject(tg.message(coordinator, chat, f"/zaproszenie {bot.cast.laureate_rep}"))
    await bot.api.wait_for(lambda: bool(bot.api.texts(COORDINATOR_TG)))
    assert "https://t.me/EmpirieTestBot?start=" in bot.api.texts(COORDINATOR_TG)[0]


async def test_button_press_runs_the_typed_command_and_stops_the_spinner(bot: Bot) -> None:
    chat = tg.private_chat(COORDINATOR_TG)
    await bot.api.inject(tg.message(coordinator, chat, "/usun_dane"))
    await bot.api.wait_for(lambda: bool(bot.api.sent("sendMessage", COORDINATOR_TG)))
    markup = bot.api.sent("sendMessage", COORDINATOR_TG)[0].params["reply_markup"]
    button = markup["inline_keyboard"][0][0]
    assert button["text"] == "Usuń moje dane"
    assert len(button["callback_data"].encode()) <= 64

    await bot.api.inject(tg.callback(coordinator, chat, button["callback_data"]))
    await bot.api.wait_for(lambda: len(bot.api.texts(COORDINATOR_TG)) == 2)
    assert bot.api.sent("answerCallbackQuery")
    assert "zostały usunięte" in bot.api.texts(COORDINATOR_TG)[1]


async def test_forged_or_foreign_callback_is_refused(bot: Bot) -> None:
    chat = tg.private_chat(COORDINATOR_TG)
    await bot.api.inject(tg.callback(coordinator, chat, "/usun_dane potwierdzam"))
    await bot.api.wait_for(lambda: bool(bot.api.texts(COORDINATOR_TG)))
    assert "nieaktualny" in bot.api.texts(COORDINATOR_TG)[0]
    assert bot.api.sent("answerCallbackQuery")
    with bot.db.session() as s:
        person = s.get(Person, bot.cast.coordinator)
        assert person is not None and person.erased_at is None  # nothing happened


async def test_a_refused_reply_goes_to_the_outbox_instead_of_holding_the_update(bot: Bot) -> None:
    bot.api.fail("sendMessage", "500")
    chat = tg.private_chat(COORDINATOR_TG)
    await bot.api.inject(tg.message(coordinator, chat, "/sieci"))
    await bot.api.inject(tg.message(coordinator, chat, "/moje_spotkania"))  # not held up…

    def queued() -> list[OutboxMessage]:
        with bot.db.session() as s:
            return list(s.exec(select(OutboxMessage).order_by(OutboxMessage.id)).all())

    await bot.api.wait_for(lambda: len(queued()) == 2)  # …but queued behind the failed one
    assert all(r.kind == "reply" and r.chat_id == str(COORDINATOR_TG) for r in queued())
    router = bot.transport.router
    await OutboxDispatcher(bot.db, router.clock, {"telegram": bot.transport}).run_once()
    texts = bot.api.texts(COORDINATOR_TG)
    assert len(texts) == 2 and texts[0].startswith("Sieci EMPIRIE")
    assert texts[1] == "Nie masz nadchodzących spotkań."


async def test_after_a_429_the_chat_waits_and_later_replies_keep_their_order(bot: Bot) -> None:
    bot.api.fail("sendMessage", "429", retry_after=2)
    chat = tg.private_chat(COORDINATOR_TG)
    await bot.api.inject(tg.message(coordinator, chat, "/sieci"))
    await bot.api.inject(tg.message(coordinator, chat, "/pomoc"))

    def queued() -> list[OutboxMessage]:
        with bot.db.session() as s:
            return list(s.exec(select(OutboxMessage).order_by(OutboxMessage.id)).all())

    await bot.api.wait_for(lambda: len(queued()) == 2, timeout=5)  # nobody waited 2 s
    assert [c.status for c in bot.api.calls if c.method == "sendMessage"] == [429]
    router = bot.transport.router
    await OutboxDispatcher(bot.db, router.clock, {"telegram": bot.transport}).run_once()
    texts = bot.api.texts(COORDINATOR_TG)
    assert texts[0].startswith("Sieci EMPIRIE") and texts[1].startswith("Polecenia dostępne")
    refused, first = [c for c in bot.api.calls if c.method == "sendMessage"][:2]
    assert first.at - refused.at >= 1.9  # Telegram's retry_after was kept


async def test_duplicate_update_has_one_effect(bot: Bot) -> None:
    chat = tg.private_chat(COORDINATOR_TG)
    update = await bot.api.inject(tg.message(coordinator, chat, "/sieci"))
    await bot.api.wait_for(lambda: bool(bot.api.texts(COORDINATOR_TG)))
    await bot.api.inject({k: v for k, v in update.items()})  # same update_id again
    await bot.api.inject(tg.message(coordinator, chat, "/moje_spotkania"))
    await bot.api.wait_for(lambda: len(bot.api.texts(COORDINATOR_TG)) >= 2)
    texts = bot.api.texts(COORDINATOR_TG)
    assert len(texts) == 2 and texts[1] == "Nie masz nadchodzących spotkań."


async def test_long_text_is_split_and_files_go_as_documents(bot: Bot) -> None:
    long_text = "\n".join(f"Linia {i}: " + "ż" * 60 for i in range(200))
    await bot.transport.send(
        Target("telegram", str(COORDINATOR_TG)),
        Outgoing(
            long_text, files=(File("lista.csv", "miasto;osoba\nŁomża;Anna\n".encode(), "text/csv"),)
        ),
    )
    parts = bot.api.texts(COORDINATOR_TG)
    assert len(parts) == 4 and all(len(p) <= 4096 for p in parts)
    assert "\n".join(parts) == long_text
    [document] = bot.api.sent("sendDocument", COORDINATOR_TG)
    assert document.files["document"] == ("lista.csv", "miasto;osoba\nŁomża;Anna\n".encode())


async def test_formatted_announcement_text_becomes_html(bot: Bot) -> None:
    await bot.transport.send(
        Target("telegram", str(GROUP)),
        Outgoing(
            "**Ważne** <script>: [nabór](https://example.org/a?b=1&c=2)\n- punkt",
            markdown=True,
            pin=True,
        ),
    )
    [sent] = bot.api.sent("sendMessage", GROUP)
    assert sent.params["parse_mode"] == "HTML"
    assert sent.params["text"] == (
        "<b>Ważne</b> &lt;script&gt;: "
        '<a href="https://example.org/a?b=1&amp;c=2">nabór</a>\n• punkt'
    )
    assert bot.api.sent("pinChatMessage", GROUP)


@pytest.mark.parametrize(
    ("fault", "permanent"), [("forbidden", True), ("not_found", True), ("500", False)]
)
async def test_delivery_errors_are_sorted(bot: Bot, fault: str, permanent: bool) -> None:
    bot.api.fail("sendMessage", fault, times=10)
    with pytest.raises(DeliveryError) as caught:
        await bot.transport.send(Target("telegram", "5"), Outgoing("x"))
    assert caught.value.permanent is permanent


async def test_webhook_checks_the_secret_token(
    api: FakeBotApi, router: Router, settings: Settings, seeded: Database
) -> None:
    http = HttpServer("127.0.0.1", free_port())
    url = f"http://127.0.0.1:{http.port}/telegram/webhook"
    transport = TelegramTransport(
        router,
        telegram_settings(
            settings,
            f"http://127.0.0.1:{api.port}",
            telegram_webhook_url=url,
            telegram_webhook_secret="s3cret-token",
        ),
        http,
    )
    await http.start()
    await transport.start()
    try:
        assert api.webhook is not None and api.webhook["secret_token"] == "s3cret-token"
        assert api.webhook["url"] == url and "callback_query" in api.webhook["allowed_updates"]
        cast = find_cast(seeded)
        link(seeded, cast.coordinator, COORDINATOR_TG)
        body = {
            "update_id": 5,
            **tg.message(coordinator, tg.private_chat(COORDINATOR_TG), "/sieci"),
        }
        async with aiohttp.ClientSession() as client:
            for headers in ({}, {SECRET_HEADER: "wrong"}):
                async with client.post(url, data=json.dumps(body), headers=headers) as response:
                    assert response.status == 403
            for _ in range(2):  # Telegram retries a webhook: the second copy changes nothing
                async with client.post(
                    url, json=body, headers={SECRET_HEADER: "s3cret-token"}
                ) as response:
                    assert response.status == 200
            await api.wait_for(lambda: bool(api.texts(COORDINATOR_TG)))
            async with client.get(f"http://127.0.0.1:{http.port}/healthz") as response:
                assert response.status == 200
        assert len(api.texts(COORDINATOR_TG)) == 1
        assert not api.sent("getUpdates")
    finally:
        await transport.stop()
        await http.stop()


async def test_an_unreadable_update_is_skipped_and_polling_goes_on(bot: Bot) -> None:
    private = tg.private_chat(COORDINATOR_TG)
    await bot.api.inject_malformed()  # alone in its batch
    await bot.api.wait_for(lambda: len(bot.api.sent("getUpdates")) >= 3)
    await bot.api.inject(tg.message(coordinator, private, "/sieci"))
    await bot.api.wait_for(lambda: len(bot.api.texts(COORDINATOR_TG)) == 1)
    await bot.api.inject_malformed()  # and in the middle of one
    await bot.api.inject(tg.message(coordinator, private, "/sieci"))
    await bot.api.wait_for(lambda: len(bot.api.texts(COORDINATOR_TG)) == 2)
    offsets = [int(c.params.get("offset") or 0) for c in bot.api.sent("getUpdates")]
    last = max(u["update_id"] for u in [*bot.api._updates, {"update_id": 0}])
    assert max(offsets) >= last or not bot.api._updates  # the unreadable ones are confirmed


async def test_an_unreadable_webhook_update_is_skipped_and_the_next_handled(
    api: FakeBotApi, router: Router, settings: Settings, seeded: Database
) -> None:
    http = HttpServer("127.0.0.1", free_port())
    url = f"http://127.0.0.1:{http.port}/telegram/webhook"
    transport = TelegramTransport(
        router,
        telegram_settings(
            settings,
            f"http://127.0.0.1:{api.port}",
            telegram_webhook_url=url,
            telegram_webhook_secret="s3cret-token",
        ),
        http,
    )
    await http.start()
    await transport.start()
    try:
        link(seeded, find_cast(seeded).coordinator, COORDINATOR_TG)
        broken = {"update_id": 7, "poll_answer": {"poll_id": "p-1", "user": coordinator}}
        body = {
            "update_id": 8,
            **tg.message(coordinator, tg.private_chat(COORDINATOR_TG), "/sieci"),
        }
        secret = {SECRET_HEADER: "s3cret-token"}
        async with aiohttp.ClientSession() as client:
            async with client.post(url, json=broken, headers=secret) as response:
                assert response.status == 200  # taken and dropped: Telegram does not resend it
            async with client.post(url, json=body, headers=secret) as response:
                assert response.status == 200
            await api.wait_for(lambda: bool(api.texts(COORDINATOR_TG)))
    finally:
        await transport.stop()
        await http.stop()

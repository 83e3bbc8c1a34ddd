"""Why a copy of an announcement was not delivered, as staff read it: Telegram refuses in
English ("Forbidden: bot was blocked by the user"), the delivery report says it in Polish
(issue 23, item 16). The platform's words go to the log only, for whoever runs the bot."""

from __future__ import annotations

import csv
import io
import logging

import pytest

from bot.outbox import OutboxDispatcher
from bot.transports.telegram import TelegramTransport
from core.clock import FrozenClock
from core.config import Settings
from handlers.announcements.render import queue_announcement
from models import directory
from models.announcements import Announcement
from models.core import Account, NetworkRole, Person
from models.db import Database
from tests.cast import find_cast
from tests.conftest import Chat
from tests.fakes.telegram_api import FakeBotApi
from tests.test_outbox import sender  # noqa: F401  (fixture)

FIRST = 770_000
# the fake's refusal → the reason the report gives, and Telegram's own words for it
REFUSALS = {
    "forbidden": ("bot został zablokowany lub usunięty z czatu", "bot was blocked by the user"),
    "kicked": ("bot został zablokowany lub usunięty z czatu", "bot was kicked"),
    "deactivated": ("konto zostało usunięte lub dezaktywowane", "user is deactivated"),
    "not_found": ("czat już nie istnieje", "chat not found"),
    "too_long": ("wiadomość jest za długa dla platformy", "message is too long"),
    "bad_request": ("platforma odrzuciła wiadomość", "can't parse entities"),
}


def telegram_people(db: Database, clock: FrozenClock, n: int) -> list[str]:
    """n representatives of `cyfrowe` reachable on Telegram as users FIRST, FIRST + 1, …"""
    with db.session() as s:
        network = directory.require_network(s, "cyfrowe")
        people = [Person(name=f"Odbiorca {i}", created_at=clock.now()) for i in range(n)]
        s.add_all(people)
        s.flush()
        for i, person in enumerate(people):
            s.add(
                NetworkRole(person_id=person.id or 0, network_id=network.id, role="representative")
            )
            s.add(
                Account(
                    person_id=person.id or 0,
                    platform="telegram",
                    external_id=str(FIRST + i),
                    linked_at=clock.now(),
                )
            )
    return [str(FIRST + i) for i in range(n)]


async def test_the_delivery_report_gives_polish_reasons_never_telegrams_words(
    api: FakeBotApi,
    sender: TelegramTransport,  # noqa: F811
    seeded: Database,
    clock: FrozenClock,
    chat: Chat,
    caplog: pytest.LogCaptureFixture,
) -> None:
    cast = find_cast(seeded)
    chats = telegram_people(seeded, clock, len(REFUSALS) + 1)  # the last one gets it
    for chat_id, fault in zip(chats, REFUSALS, strict=False):
        api.fail("sendMessage", fault, times=10, chat_id=chat_id)
    with seeded.session() as s:
        ann = Announcement(
            author_id=cast.coordinator,
            created_at=clock.now(),
            text="Nabór wniosków",
            network_ids=[directory.require_network(s, "cyfrowe").id],
            delivery="private",
        )
        s.add(ann)
        s.flush()
        queue_announcement(s, ann, clock.now(), Settings(TELEGRAM_BOT_TOKEN="123456:TEST-TOKEN"))
        number = ann.id
    with caplog.at_level(logging.INFO, logger="empirie"):
        await OutboxDispatcher(seeded, clock, {"telegram": sender}).run_once()
    assert api.texts(chats[-1]) and all(not api.texts(c) for c in chats[:-1])

    [report] = await chat.say(cast.coordinator, f"/ogloszenie_raport {number}")
    rows = list(csv.reader(io.StringIO(report.files[0].content.decode("utf-8-sig")), delimiter=";"))
    reasons = {r[1]: r[4] for r in rows[1:] if r[3] == "nieudane"}
    for i, (reason, words) in enumerate(REFUSALS.values()):
        assert reasons[f"Odbiorca {i}"] == reason
        assert f"Odbiorca {i}: {reason}" in report.text
        assert words not in report.text.lower()
        assert words not in report.files[0].content.decode().lower()
        # whoever runs the bot still finds Telegram's own words in the log
        assert any(words in r.getMessage().lower() for r in caplog.records), words
    for english in ("forbidden", "bad request", "bad_request", "blocked", "not_found", "other"):
        assert english not in report.text.lower()

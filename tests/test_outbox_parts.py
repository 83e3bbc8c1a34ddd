"""The outbox against the fake Bot API with Telegram's flood limits enforced: every part of a
multi-part message arrives once, chats are paced so that no 429 is provoked, a failed message
is not overtaken in its chat, and a live message is edited in place, debounced."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import timedelta
from itertools import pairwise

import pytest

from bot.outbox import OutboxDispatcher
from bot.router import Router
from bot.transports.telegram import TelegramTransport
from core.clock import FrozenClock
from core.config import Settings
from core.messages import Action, File, Outgoing, Target
from core.outbox import enqueue, enqueue_edit
from models.db import Database
from models.outbox import OutboxMessage
from tests.fakes.telegram_api import FakeBotApi
from tests.test_telegram import telegram_settings

GROUP = "-100555"
PEOPLE = [str(700 + i) for i in range(6)]


@pytest.fixture
async def paced(
    api: FakeBotApi, router: Router, settings: Settings
) -> AsyncIterator[TelegramTransport]:
    """A sending transport keeping Telegram's real limits, against a fake that enforces them."""
    transport = TelegramTransport(
        router,
        telegram_settings(
            settings,
            f"http://127.0.0.1:{api.port}",
            telegram_chat_interval=1.0,
            telegram_rate_overall=30,
            telegram_rate_group_per_minute=20,
        ),
        receive=False,
    )
    await transport.start()
    api.enforce_limits()
    yield transport
    await transport.stop()


def queue(db: Database, clock: FrozenClock, chat_id: str, message: Outgoing, **meta: object) -> int:
    with db.session() as s:
        row = enqueue(s, Target("telegram", chat_id), message, clock.now(), **meta)  # type: ignore[arg-type]
        s.flush()
        return row.id or 0


def row(db: Database, row_id: int) -> OutboxMessage:
    with db.session() as s:
        found = s.get(OutboxMessage, row_id)
        assert found is not None
        return found


async def test_each_part_goes_out_once_and_nothing_is_refused(
    api: FakeBotApi, paced: TelegramTransport, seeded: Database, clock: FrozenClock
) -> None:
    ics = File("spotkanie_1.ics", b"BEGIN:VCALENDAR\r\nEND:VCALENDAR\r\n", "text/calendar")
    long_text = "\n".join(f"Punkt {i}: " + "ż" * 80 for i in range(60))  # two text parts
    for chat in [GROUP, *PEOPLE]:
        queue(seeded, clock, chat, Outgoing(long_text, files=(ics,), pin=chat == GROUP))
    queue(seeded, clock, GROUP, Outgoing("Druga wiadomość do grupy"))
    await OutboxDispatcher(seeded, clock, {"telegram": paced}).run_once()
    assert api.limits is not None and api.limits.refused == 0
    for chat in [GROUP, *PEOPLE]:
        texts = api.texts(chat)
        assert "\n".join(texts[:2]) == long_text  # each chunk once, in order
        assert [d.files["document"][0] for d in api.sent("sendDocument", chat)] == [
            "spotkanie_1.ics"
        ]
    assert api.texts(GROUP)[2] == "Druga wiadomość do grupy"  # after the first, not before
    assert len(api.sent("pinChatMessage", GROUP)) == 1
    sends = [
        c.at
        for c in api.calls
        if c.status == 200 and c.method != "getMe" and str(c.params.get("chat_id")) == PEOPLE[0]
    ]
    assert all(b - a >= 1.0 for a, b in pairwise(sends))  # 1/s per chat


async def test_a_broadcast_beyond_the_overall_limit_reaches_each_chat_once_unrefused(
    api: FakeBotApi, paced: TelegramTransport, seeded: Database, clock: FrozenClock
) -> None:
    """More than two seconds' worth of the overall limit (30/s) at once: Telegram counts
    arrivals, so requests started in a clump must not be counted at their planned times."""
    chats = [str(800 + i) for i in range(70)]
    for chat in chats:
        queue(seeded, clock, chat, Outgoing("Ogłoszenie dla wszystkich"))
    await OutboxDispatcher(seeded, clock, {"telegram": paced}).run_once()
    assert api.limits is not None and api.limits.refused == 0
    assert all(api.texts(chat) == ["Ogłoszenie dla wszystkich"] for chat in chats)


async def test_a_retry_resumes_after_the_last_part_sent_and_keeps_the_chat_in_order(
    api: FakeBotApi, paced: TelegramTransport, seeded: Database, clock: FrozenClock
) -> None:
    api.fail("sendDocument", "500", times=1)
    first = queue(
        seeded,
        clock,
        PEOPLE[0],
        Outgoing(
            "Zaproszenie",
            files=(File("a.ics", b"A", "text/calendar"), File("b.pdf", b"B", "application/pdf")),
        ),
    )
    later = queue(seeded, clock, PEOPLE[0], Outgoing("Późniejsza wiadomość"))
    dispatcher = OutboxDispatcher(seeded, clock, {"telegram": paced})
    await dispatcher.run_once()
    failed = row(seeded, first)
    assert failed.status == "pending" and failed.parts_done == 1
    assert row(seeded, later).status == "pending"  # not sent before the failed one
    assert api.texts(PEOPLE[0]) == ["Zaproszenie"]
    clock.advance(timedelta(minutes=1))
    await dispatcher.run_once()
    assert api.texts(PEOPLE[0]) == ["Zaproszenie", "Późniejsza wiadomość"]  # text once
    assert [d.files["document"][0] for d in api.sent("sendDocument", PEOPLE[0])] == [
        "a.ics",
        "b.pdf",
    ]
    assert row(seeded, first).status == row(seeded, later).status == "sent"


async def test_a_live_message_is_edited_in_place_and_edits_are_debounced(
    api: FakeBotApi, paced: TelegramTransport, seeded: Database, clock: FrozenClock
) -> None:
    buttons = (Action("Tak", "/rsvp 1 online"),)
    queue(
        seeded, clock, GROUP, Outgoing("Spotkanie: 0 osób", actions=buttons), live_key="meeting:1"
    )
    target = Target("telegram", GROUP)
    with seeded.session() as s:  # not sent yet: the queued message itself is rewritten
        enqueue_edit(
            s, target, "meeting:1", Outgoing("Spotkanie: 1 osoba", actions=buttons), clock.now()
        )
    dispatcher = OutboxDispatcher(seeded, clock, {"telegram": paced})
    await dispatcher.run_once()
    assert api.texts(GROUP) == ["Spotkanie: 1 osoba"]
    for n in (2, 3, 4):
        with seeded.session() as s:
            enqueue_edit(
                s,
                target,
                "meeting:1",
                Outgoing(f"Spotkanie: {n} osoby", actions=buttons),
                clock.now(),
            )
    await dispatcher.run_once()
    [edit] = api.sent("editMessageText", GROUP)  # three changes, one edit
    assert edit.params["text"] == "Spotkanie: 4 osoby" and edit.params["reply_markup"]
    with seeded.session() as s:
        enqueue_edit(
            s, target, "meeting:1", Outgoing("Spotkanie: 5 osób", actions=buttons), clock.now()
        )
    await dispatcher.run_once()
    assert len(api.sent("editMessageText", GROUP)) == 1  # not again within a few seconds
    clock.advance(timedelta(seconds=6))
    await dispatcher.run_once()
    assert [e.params["text"] for e in api.sent("editMessageText", GROUP)] == [
        "Spotkanie: 4 osoby",
        "Spotkanie: 5 osób",
    ]
    assert api.limits is not None and api.limits.refused == 0
    assert len(api.texts(GROUP)) == 1  # never re-posted


async def test_a_direct_reply_does_not_overtake_a_message_waiting_for_its_retry(
    api: FakeBotApi, paced: TelegramTransport, seeded: Database, clock: FrozenClock
) -> None:
    person = PEOPLE[0]
    queue(
        seeded,
        clock,
        person,
        Outgoing("Przypomnienie o spotkaniu"),
        not_before=clock.now() + timedelta(seconds=30),
    )  # failed earlier, retried later
    await paced.reply(Target("telegram", person), Outgoing("Lista poleceń"))
    assert api.texts(person) == []  # not sent past the waiting message
    clock.advance(timedelta(seconds=31))
    await OutboxDispatcher(seeded, clock, {"telegram": paced}).run_once()
    assert api.texts(person) == ["Przypomnienie o spotkaniu", "Lista poleceń"]


async def test_a_direct_reply_goes_at_once_when_nothing_waits(
    api: FakeBotApi, paced: TelegramTransport, seeded: Database
) -> None:
    await paced.reply(Target("telegram", PEOPLE[1]), Outgoing("Lista poleceń"))
    assert api.texts(PEOPLE[1]) == ["Lista poleceń"]  # no outbox pass needed

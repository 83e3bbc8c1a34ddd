"""Fault tests of delivery, in process: the real PTB transport and the outbox dispatcher against
the fake Bot API answering a seeded fifth of the sends with 429, 5xx or a timeout; multi-part
messages failing half-way; and a reply lost after Telegram did the work.

How the fake times out matters for what "exactly once" can mean. A "slow" answer holds the
request past the client's read timeout without processing it (Telegram never saw it, or
refused it before delivering): the retry is the only copy, so exactly once is asserted. A
"lost" answer is processed — the message is in the chat — and then held past the timeout: the
bot cannot tell that from "slow", retries, and the chat holds the message twice. That is the
at-least-once window (the Bot API takes no idempotency key), one message wide per chat; it is
shown, not hidden, by the last test here and by tests/test_faults_crash.py.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import timedelta
from itertools import chain

import pytest
from sqlmodel import select

from bot.outbox import OutboxDispatcher
from bot.router import Router
from bot.transports.telegram import TelegramTransport
from core.clock import FrozenClock
from core.config import Settings
from core.formatting import split
from core.messages import File, Outgoing, Target
from core.outbox import enqueue
from models.db import Database
from models.outbox import OutboxMessage
from tests.fakes.telegram_api import Call, FakeBotApi
from tests.test_telegram import telegram_settings

READ_TIMEOUT = 0.5  # the client's; a "slow" or "lost" answer comes after it
GROUPS = ["-100701", "-100702"]
PEOPLE = ["801", "802", "803", "804"]
LONG = "\n".join(f"Punkt {i}: " + "ź" * 90 for i in range(100))  # three text parts
ICS = File("spotkanie_7.ics", b"BEGIN:VCALENDAR\r\nEND:VCALENDAR\r\n", "text/calendar")
CSV = File("lista_7.csv", "imię;miasto\r\nAnna;Łomża\r\n".encode(), "text/csv")


@pytest.fixture
async def sender(
    api: FakeBotApi, router: Router, settings: Settings
) -> AsyncIterator[TelegramTransport]:
    transport = TelegramTransport(
        router,
        telegram_settings(
            settings, f"http://127.0.0.1:{api.port}", telegram_read_timeout=READ_TIMEOUT
        ),
        receive=False,
    )
    await transport.start()
    yield transport
    await transport.stop()


def queue(db: Database, clock: FrozenClock, chat_id: str, message: Outgoing) -> int:
    with db.session() as s:
        row = enqueue(s, Target("telegram", chat_id), message, clock.now())
        s.flush()
        return row.id or 0


def rows(db: Database) -> list[OutboxMessage]:
    with db.session() as s:
        return list(s.exec(select(OutboxMessage).order_by(OutboxMessage.id)).all())


def expected_calls(message: Outgoing) -> list[tuple[str, str]]:
    """What a chat should receive for one message, in order: its text parts, then its files."""
    return [("sendMessage", chunk) for chunk in split(message.text, 4096)] + [
        ("sendDocument", f.name) for f in message.files
    ]


def received(api: FakeBotApi, chat_id: str) -> list[tuple[str, str]]:
    """What the chat holds: every call the fake processed, in arrival order."""

    def shown(call: Call) -> str:
        if call.method == "sendDocument":
            return call.files["document"][0]
        return str(call.params.get("text", call.params.get("message_id", "")))

    return [
        (c.method, shown(c))
        for c in api.calls
        if c.status == 200
        and str(c.params.get("chat_id")) == chat_id
        and c.method in ("sendMessage", "sendDocument", "pinChatMessage")
    ]


async def deliver_all(
    dispatcher: OutboxDispatcher, db: Database, clock: FrozenClock, rounds: int = 30
) -> None:
    """Dispatch, let the retry times come, dispatch again, until nothing is pending."""
    for _ in range(rounds):
        await dispatcher.run_once()
        if all(r.status != "pending" for r in rows(db)):
            return
        clock.advance(timedelta(minutes=15))  # past any backoff or retry_after
    raise AssertionError(
        f"still pending after {rounds} rounds: "
        f"{[(r.chat_id, r.attempts) for r in rows(db) if r.status == 'pending']}"
    )


async def test_a_fifth_of_the_sends_failing_still_delivers_everything_once_in_order(
    api: FakeBotApi, sender: TelegramTransport, seeded: Database, clock: FrozenClock
) -> None:
    """429 (with retry_after), 500 and timeouts-before-processing on a seeded 20 % of every
    send, files and later text parts included: each chat gets every part exactly once, in the
    order queued — a failed message is not overtaken by a later one to the same chat."""
    faults = api.inject_faults(
        rate=0.2, seed=16, kinds=("429", "500", "slow"), retry_after=3, delay=2 * READ_TIMEOUT
    )
    plan: dict[str, list[Outgoing]] = {chat: [] for chat in GROUPS + PEOPLE}
    for n in range(6):
        for chat in plan:
            message = (
                Outgoing(f"{n}. " + LONG)
                if n % 3 == 1
                else Outgoing(f"{n}. Zaproszenie", files=(ICS, CSV))
                if n % 3 == 2
                else Outgoing(f"{n}. Krótko do {chat}")
            )
            plan[chat].append(message)
            queue(seeded, clock, chat, message)
    await deliver_all(
        OutboxDispatcher(seeded, clock, {"telegram": sender}, max_attempts=20), seeded, clock
    )
    assert set(faults.injected) == {"429", "500", "slow"}, faults.injected
    assert sum(faults.injected.values()) >= 20  # about a fifth of ~150 sends
    for chat, messages in plan.items():
        assert received(api, chat) == list(chain.from_iterable(map(expected_calls, messages)))
    done = rows(seeded)
    assert {r.status for r in done} == {"sent"}
    assert sum(r.attempts - 1 for r in done) >= 10  # retries happened, and none showed


async def test_a_long_message_failing_at_its_third_part_resumes_there(
    api: FakeBotApi, sender: TelegramTransport, seeded: Database, clock: FrozenClock
) -> None:
    """Three text parts and a pin to a group; the third part fails (500). The retry sends the
    third part and the pin — the first two are not repeated, the pin points at the first."""
    group = GROUPS[0]
    api.fail("sendMessage", "500", chat_id=group, skip=2)
    first = queue(seeded, clock, group, Outgoing(LONG, pin=True))
    later = queue(seeded, clock, group, Outgoing("Następna wiadomość"))
    dispatcher = OutboxDispatcher(seeded, clock, {"telegram": sender})
    await dispatcher.run_once()
    halfway = {r.id: r for r in rows(seeded)}
    assert halfway[first].status == "pending" and halfway[first].parts_done == 2
    assert halfway[later].status == "pending"  # waits behind it
    await deliver_all(dispatcher, seeded, clock)
    chunks = split(LONG, 4096)
    assert len(chunks) == 3
    assert [t for m, t in received(api, group) if m == "sendMessage"] == [
        *chunks,
        "Następna wiadomość",
    ]
    [pin] = api.sent("pinChatMessage", group)
    assert str(pin.params["message_id"]) == halfway[first].sent_ids[0]


async def test_files_failing_at_the_second_file_resume_there(
    api: FakeBotApi, sender: TelegramTransport, seeded: Database, clock: FrozenClock
) -> None:
    """An invitation with an .ics and a .csv; the .csv times out (not processed). The retry
    sends only the .csv: no second invitation text, no second .ics."""
    person = PEOPLE[0]
    api.fail("sendDocument", "slow", chat_id=person, skip=1, delay=2 * READ_TIMEOUT)
    message = Outgoing("Zaproszenie na spotkanie", files=(ICS, CSV))
    row_id = queue(seeded, clock, person, message)
    queue(seeded, clock, person, Outgoing("Następna wiadomość"))
    dispatcher = OutboxDispatcher(seeded, clock, {"telegram": sender})
    await dispatcher.run_once()
    halfway = {r.id: r for r in rows(seeded)}[row_id]
    assert halfway.status == "pending" and halfway.parts_done == 2
    assert "network" in (halfway.last_error or "")
    await deliver_all(dispatcher, seeded, clock)
    assert received(api, person) == [
        *expected_calls(message),
        ("sendMessage", "Następna wiadomość"),
    ]


async def test_a_reply_lost_after_telegram_delivered_is_the_one_duplicate(
    api: FakeBotApi, sender: TelegramTransport, seeded: Database, clock: FrozenClock
) -> None:
    """The honest limit: Telegram delivered the message but its answer never reached the bot
    (timeout). The bot cannot know, so it sends again — at least once, not exactly once. The
    window is that one message: the chat holds it twice, then the next one, still in order."""
    person = PEOPLE[1]
    api.fail("sendMessage", "lost", chat_id=person, delay=2 * READ_TIMEOUT)
    queue(seeded, clock, person, Outgoing("Przypomnienie"))
    queue(seeded, clock, person, Outgoing("Następna wiadomość"))
    await deliver_all(OutboxDispatcher(seeded, clock, {"telegram": sender}), seeded, clock)
    assert api.texts(person) == ["Przypomnienie", "Przypomnienie", "Następna wiadomość"]

"""One update, one transaction, off the event loop (issue #10, responsiveness).

A handler that crashes half-way leaves nothing half-written (a meeting published to some and
not others would be worse than none), and the platform's retry of that update goes through;
an update waiting on the database does not hold up other people's."""

from __future__ import annotations

import logging
import re
import threading

import pytest
from sqlalchemy import func, text
from sqlmodel import select

from core.messages import Outgoing
from handlers.kit.args import Id, Text, Words
from handlers.kit.context import Context
from handlers.kit.registry import REGISTRY, Command
from models.core import AuditEntry, ProcessedEvent
from models.db import Database
from models.meetings import Meeting, Rsvp
from models.outbox import OutboxMessage
from tests.cast import find_cast
from tests.conftest import BACKENDS, Chat
from tests.fakes import telegram_updates as tg
from tests.test_telegram import REP_TG, Bot, bot, link  # noqa: F401  (bot: a fixture)

NEW = (
    "cyfrowe; Spotkanie II; 12.05.2027 10:00; hybrydowe; 6; Łomża, ul. Długa 1; "
    "https://teams.example/m"
)
ASKER = 555001


def _command(name: str) -> Command:
    command = REGISTRY.lookup(name)
    assert command is not None
    return command


def written(db: Database) -> dict[str, int]:
    with db.session() as s:
        return {
            model.__name__: s.exec(select(func.count()).select_from(model)).one()
            for model in (Meeting, OutboxMessage, AuditEntry, Rsvp, ProcessedEvent)
        }


async def test_a_crash_half_way_leaves_nothing_written_and_the_retry_goes_through(
    chat: Chat, seeded: Database, caplog: pytest.LogCaptureFixture
) -> None:
    cast = find_cast(seeded)
    crashes = [RuntimeError("the line dropped after publishing")]

    @REGISTRY.command(
        "test_publish_then_crash", summary="test", hidden=True, args=Words(Text("form"))
    )
    async def publish_then_crash(ctx: Context, form: str) -> list:
        # the meeting, invitations, calendar files
        replies = await _command("spotkanie_nowe").run(ctx, form)
        if crashes:
            raise crashes.pop()
        return replies

    before = written(seeded)
    try:
        with caplog.at_level(logging.ERROR):
            crashed = await chat.say(
                cast.coordinator, f"/test_publish_then_crash {NEW}", chat="cyfrowe", event_id="u-77"
            )
        assert crashed[0].text.startswith("Przepraszam, coś poszło nie tak")
        assert written(seeded) == before  # no meeting, no invitation queued, no audit line
        retried = await chat.say(
            cast.coordinator, f"/test_publish_then_crash {NEW}", chat="cyfrowe", event_id="u-77"
        )
    finally:
        REGISTRY._commands.pop("test_publish_then_crash")
    assert re.search(r"Spotkanie nr \d+ opublikowane", retried[0].text)
    after = written(seeded)
    assert after["Meeting"] == before["Meeting"] + 1
    assert after["OutboxMessage"] > before["OutboxMessage"]
    assert after["ProcessedEvent"] == before["ProcessedEvent"] + 1


async def test_a_refused_step_undoes_only_itself(chat: Chat, seeded: Database) -> None:
    """Within one update, a refusal raised in an inner block (here: an RSVP after the
    deadline) undoes that block; what the update did before it stays."""
    cast = find_cast(seeded)

    @REGISTRY.command("test_answer_twice", summary="test", hidden=True, args=Words(Id("meeting")))
    async def answer_twice(ctx: Context, meeting: int) -> list:
        first = await _command("rsvp").run(ctx, f"{meeting} online")
        try:
            await _command("rsvp").run(ctx, f"{meeting} w_kosmosie")  # refused: no such answer
        except Exception as refusal:
            return [*first, Outgoing(type(refusal).__name__)]
        return first

    text_ = await chat.text(cast.coordinator, f"/spotkanie_nowe {NEW}", chat="cyfrowe")
    match = re.search(r"Spotkanie nr (\d+)", text_)
    assert match
    try:
        replies = await chat.say(cast.laureate_rep, f"/test_answer_twice {match.group(1)}")
    finally:
        REGISTRY._commands.pop("test_answer_twice")
    assert replies[-1].text == "DomainError"
    with seeded.session() as s:
        [mine] = s.exec(select(Rsvp).where(Rsvp.person_id == cast.laureate_rep)).all()
    assert mine.answer == "online"


@pytest.mark.parametrize("db", [BACKENDS[1]], indirect=True)  # PostgreSQL: several workers
async def test_an_update_waiting_on_a_database_lock_does_not_hold_up_another_person(
    bot: Bot,  # noqa: F811
    chat: Chat,
) -> None:
    """Someone's RSVP waits for a lock another connection holds on the meeting; meanwhile a
    stranger's private /pomoc on Telegram is answered. Then the lock goes and the RSVP lands.
    (On SQLite updates run one at a time: it has one writer.)"""
    db = bot.db
    text_ = await chat.text(bot.cast.coordinator, f"/spotkanie_nowe {NEW}", chat="cyfrowe")
    match = re.search(r"Spotkanie nr (\d+)", text_)
    assert match
    meeting_id = int(match.group(1))
    link(db, bot.cast.laureate_rep, REP_TG)
    # bounded: were the wait on the event loop (the bug), the loop would stop; a timer thread
    # then cancels the waiting statement, and the test fails instead of hanging
    guard = threading.Timer(60, _cancel_lock_waits, (db,))
    guard.daemon = True
    guard.start()
    with db.engine.connect() as other:
        other.execute(text("SELECT id FROM meeting WHERE id = :id FOR UPDATE"), {"id": meeting_id})
        await bot.api.inject(
            tg.message(
                tg.user(REP_TG, "Anna"), tg.private_chat(REP_TG), f"/rsvp {meeting_id} online"
            )
        )
        await bot.api.wait_for(lambda: _waiting_on_a_lock(db) == 1, timeout=30)
        await bot.api.inject(tg.message(tg.user(ASKER, "Ktoś"), tg.private_chat(ASKER), "/pomoc"))
        await bot.api.wait_for(lambda: bool(bot.api.texts(ASKER)), timeout=30)
        assert bot.api.texts(REP_TG) == []  # still waiting for the lock
        other.rollback()
    await bot.api.wait_for(lambda: bool(bot.api.texts(REP_TG)), timeout=30)
    assert re.match(r"Zapisano Cię na spotkanie nr \d+ \(online\)", bot.api.texts(REP_TG)[0])
    first_rsvp = next(
        i for i, c in enumerate(bot.api.calls) if str(c.params.get("chat_id")) == str(REP_TG)
    )
    first_help = next(
        i for i, c in enumerate(bot.api.calls) if str(c.params.get("chat_id")) == str(ASKER)
    )
    assert first_help < first_rsvp
    guard.cancel()  # (left running when the test fails: it finds nothing to cancel)


def _cancel_lock_waits(db: Database) -> None:
    with db.engine.connect() as conn:
        conn.execute(
            text(
                "SELECT pg_cancel_backend(pid) FROM pg_stat_activity WHERE "
                "datname = current_database() AND wait_event_type = 'Lock'"
            )
        )


def _waiting_on_a_lock(db: Database) -> int:
    with db.engine.connect() as conn:
        return int(
            conn.execute(
                text(
                    "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() "
                    "AND wait_event_type = 'Lock'"
                )
            ).scalar_one()
        )

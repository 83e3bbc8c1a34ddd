"""Fault tests with a real crash: `empirie-bot worker` as a process of its own, SIGKILLed by
the fake Bot API at the worst moment — right after the fake processed a send and before its
answer went back — then started again.

The at-least-once window, stated honestly: a send to Telegram and the row's "sent" mark in the
database cannot be one atomic step, and the Bot API takes no idempotency key. A process that
dies after Telegram delivered a message and before the mark is committed leaves a row that
looks unsent, and the restarted bot sends it again. Per chat that window is one message (one
part, for a message in parts): a chat's messages and parts go out one at a time, each marked
before the next is sent. Across chats it is at most the sends delivered and not yet recorded
(EMPIRIE_OUTBOX_UNRECORDED, default 5). Anything marked is never sent again, and nothing is
lost. The tests assert exactly that: the duplicates are precisely the sends the fake processed
whose rows were not marked when the process died.
"""

from __future__ import annotations

import asyncio
import os
import signal
import time
from collections import Counter
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path

import pytest
from sqlalchemy import create_engine, text
from sqlmodel import select

from bot.migrate import upgrade
from core.config import Settings
from core.formatting import split
from core.messages import Outgoing, Target
from core.outbox import enqueue
from models.db import Database
from models.outbox import OutboxMessage
from tests.conftest import BACKENDS, drop_database, fresh_database_url
from tests.fakes.telegram_api import Call, FakeBotApi
from tests.test_faults_delivery import CSV, ICS, LONG, expected_calls, received
from tests.test_outbox import (
    BROADCAST,
    FIRST_CHAT,
    acknowledged,
    broadcast_database,
    start_worker,
)

KILL_AT = BROADCAST * 3 // 8  # the 150th message processed by the fake
IN_FLIGHT_MAX = Settings.model_fields["outbox_unrecorded"].default  # delivered, unrecorded


async def crash_when(
    api: FakeBotApi,
    worker: asyncio.subprocess.Process,
    when: Callable[[Call], bool],
    timeout: float = 60,
) -> Call:
    """SIGKILL the worker as soon as the fake has processed a call matching `when`, before the
    answer is written: that send is delivered, and the worker never learns it."""
    killed: list[Call] = []

    def hook(call: Call) -> None:
        if not killed and when(call):
            os.kill(worker.pid, signal.SIGKILL)
            killed.append(call)

    api.on_accept = hook
    try:
        assert await asyncio.wait_for(worker.wait(), timeout) == -signal.SIGKILL
    finally:
        api.on_accept = None
        if worker.returncode is None:  # the moment never came: leave no process behind
            worker.kill()
            await worker.wait()
    return killed[0]


async def settle(api: FakeBotApi, url: str, timeout: float = 20) -> None:
    """After the kill: the fake has finished what the dead process had already sent, and (on
    PostgreSQL) its sessions are gone, so a commit it had sent is in or out for good."""
    await api.wait_for(lambda: api.active == 0, timeout)
    if not url.startswith("postgresql"):
        return  # SQLite: the next reader rolls a half-written transaction back
    engine = create_engine(url)
    deadline = time.monotonic() + timeout
    try:
        while True:
            with engine.connect() as conn:
                others = conn.execute(
                    text(
                        "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() "
                        "AND pid <> pg_backend_pid()"
                    )
                ).scalar_one()
            if not others:
                return
            assert time.monotonic() < deadline, f"{others} sessions of the dead worker remain"
            await asyncio.sleep(0.05)
    finally:
        engine.dispose()


def outbox_rows(db: Database) -> list[OutboxMessage]:
    with db.session() as s:
        return list(s.exec(select(OutboxMessage).order_by(OutboxMessage.id)).all())


async def finish(worker: asyncio.subprocess.Process, db: Database, timeout: float = 90) -> None:
    """Let the worker deliver until nothing is pending, then end it (a clean stop is not what
    these tests are about, and takes seconds)."""
    deadline = time.monotonic() + timeout
    try:
        while any(r.status == "pending" for r in await asyncio.to_thread(outbox_rows, db)):
            assert time.monotonic() < deadline, "the restarted worker did not finish"
            await asyncio.sleep(0.1)
    finally:
        worker.kill()
        await worker.wait()


@pytest.mark.parametrize("backend", BACKENDS)
async def test_sigkill_mid_broadcast_then_restart_loses_nothing_and_repeats_only_the_window(
    backend: str, api: FakeBotApi, tmp_path: Path
) -> None:
    """400 private chats; the worker is killed just after the fake processed the 150th
    message. After the restart every chat has the announcement; the only chats that have it
    twice are those whose send was processed but not yet marked when the process died — the
    killed one among them, never more than one extra copy per chat, never more than the sends
    that may be delivered and not yet recorded (EMPIRIE_OUTBOX_UNRECORDED, default 5)."""
    url = fresh_database_url(backend, tmp_path, "empirie_sigkill")
    broadcast_database(url)
    db = Database(url)
    try:
        worker = await start_worker(url, api, tmp_path)
        accepted = 0

        def at_kill_point(call: Call) -> bool:
            nonlocal accepted
            accepted += call.method == "sendMessage"
            return accepted == KILL_AT

        killed = await crash_when(api, worker, at_kill_point)
        await settle(api, url)
        marked = {int(r.chat_id) for r in outbox_rows(db) if r.status == "sent"}

        restarted = await start_worker(url, api, tmp_path)
        await finish(restarted, db)
        # what the dead process got delivered: every send before the new process's first call
        # (its getMe; sends the dead one had already written are processed long before that)
        kill_at = next(i for i, c in enumerate(api.calls) if c is killed)
        restart_at = next(i for i, c in enumerate(api.calls) if c.method == "getMe" and i > kill_at)
        before = Counter(
            int(c.params["chat_id"])
            for c in api.calls[:restart_at]
            if c.method == "sendMessage" and c.status == 200
        )
        assert KILL_AT <= len(before) < BROADCAST and max(before.values()) == 1
        assert marked <= set(before)  # nothing is marked that was not delivered
        window = set(before) - marked  # delivered, and the dead process never recorded it
        assert int(killed.params["chat_id"]) in window
        assert len(window) <= IN_FLIGHT_MAX

        counts = acknowledged(api)
        assert set(counts) == {FIRST_CHAT + i for i in range(BROADCAST)}  # nobody lost
        assert max(counts.values()) <= 2  # at most one extra copy per chat
        assert {chat for chat, n in counts.items() if n == 2} == window  # and only the window
        assert {r.status for r in outbox_rows(db)} == {"sent"}
    finally:
        db.dispose()
        if backend == "postgres":
            drop_database(url)


async def test_sigkill_between_parts_resumes_at_the_unmarked_part(
    api: FakeBotApi, tmp_path: Path
) -> None:
    """A three-part text with an .ics and a .csv, then a later message, to one person. The
    worker dies just after the fake processed the .ics. The restarted worker resumes there:
    the text is not repeated, the .ics is the one-part window (delivered, not yet marked), the
    .csv and the later message follow once, in order."""
    url = fresh_database_url("sqlite", tmp_path, "empirie_parts")
    upgrade(url)
    db = Database(url)
    person = "900123"
    invitation = Outgoing(LONG, files=(ICS, CSV))
    with db.session() as s:
        for message in (invitation, Outgoing("Następna wiadomość")):
            enqueue(s, Target("telegram", person), message, datetime.now(UTC))
    try:
        worker = await start_worker(url, api, tmp_path, TELEGRAM_CHAT_INTERVAL="0")
        await crash_when(api, worker, lambda c: c.method == "sendDocument")
        await settle(api, url)
        first = outbox_rows(db)[0]
        assert first.status == "pending" and first.parts_done == len(split(LONG, 4096)) == 3

        restarted = await start_worker(url, api, tmp_path, TELEGRAM_CHAT_INTERVAL="0")
        await finish(restarted, db)
        parts = expected_calls(invitation)
        assert received(api, person) == [
            *parts[:4],
            parts[3],
            parts[4],
            ("sendMessage", "Następna wiadomość"),
        ]
        assert {r.status for r in outbox_rows(db)} == {"sent"}
    finally:
        db.dispose()


REPEATED = 1_200  # private chats of the broadcast killed again and again
KILLS = 6  # SIGKILLs, each after the restarted worker had this many sends processed:
KILL_EVERY = 150
# sends handed to Telegram and not yet recorded, at most (EMPIRIE_OUTBOX_UNRECORDED): all a
# kill can make the restarted worker repeat. Before that bound (sends recorded after the
# fact, however late the database or a loaded machine let them be) this test counted 28
# duplicates on SQLite and 49 on PostgreSQL (issue 23: 17 in 2,400).
UNRECORDED = "2"


@pytest.mark.parametrize("backend", BACKENDS)
async def test_repeated_sigkills_during_a_broadcast_repeat_at_most_the_killed_sends(
    backend: str, api: FakeBotApi, tmp_path: Path
) -> None:
    """A broadcast to 1,200 people; the worker is SIGKILLed six times, each time just after
    the fake processed its 150th send, and started again. Nobody is left out, nobody gets more
    than one extra copy, and the extra copies are at most two per kill (the setting): the send
    the process died on, and at most one more that was delivered but not yet recorded."""
    url = fresh_database_url(backend, tmp_path, "empirie_sigkills")
    broadcast_database(url, REPEATED)
    db = Database(url)
    try:
        for _ in range(KILLS):
            worker = await start_worker(url, api, tmp_path, EMPIRIE_OUTBOX_UNRECORDED=UNRECORDED)
            accepted = 0

            def at_kill_point(call: Call) -> bool:
                nonlocal accepted
                accepted += call.method == "sendMessage"
                return accepted == KILL_EVERY

            await crash_when(api, worker, at_kill_point, timeout=150)  # a start on a busy machine
            await settle(api, url)
        await finish(
            await start_worker(url, api, tmp_path, EMPIRIE_OUTBOX_UNRECORDED=UNRECORDED), db
        )

        counts = acknowledged(api)
        assert set(counts) == {FIRST_CHAT + i for i in range(REPEATED)}  # nobody lost
        assert max(counts.values()) <= 2  # at most one extra copy per chat
        duplicates = sum(1 for n in counts.values() if n == 2)
        assert duplicates <= int(UNRECORDED) * KILLS, duplicates
        assert {r.status for r in outbox_rows(db)} == {"sent"}
    finally:
        db.dispose()
        if backend == "postgres":
            drop_database(url)

"""The outbox against the fake Bot API: retries, permanent failures, and two processes sharing
one outbox (a crash mid-broadcast is in tests/test_faults_crash.py)."""

from __future__ import annotations

import asyncio
import os
import signal
import sys
from collections import Counter
from collections.abc import AsyncIterator
from datetime import timedelta
from pathlib import Path

import pytest
from sqlmodel import select

from bot.migrate import upgrade
from bot.outbox import OutboxDispatcher, dead_owner
from bot.router import Router
from bot.transports.telegram import TelegramTransport
from core.clock import FrozenClock
from core.config import Settings
from core.messages import Outgoing, Target
from core.outbox import enqueue
from handlers.announcements.render import queue_announcement
from models import seed
from models.announcements import Announcement
from models.core import Account, City, CityStanding, NetworkRole, Person
from models.db import Database
from models.outbox import OutboxMessage
from tests.conftest import POSTGRES_OK, START, drop_database, fresh_database_url
from tests.fakes.telegram_api import FakeBotApi
from tests.test_telegram import telegram_settings

BROADCAST = 400
FIRST_CHAT = 600_000


@pytest.fixture
async def sender(
    api: FakeBotApi, router: Router, settings: Settings
) -> AsyncIterator[TelegramTransport]:
    transport = TelegramTransport(
        router,
        telegram_settings(settings, f"http://127.0.0.1:{api.port}", telegram_read_timeout=0.5),
        receive=False,
    )
    await transport.start()
    yield transport
    await transport.stop()


def queue_one(db: Database, clock: FrozenClock, chat_id: str = "4242") -> int:
    with db.session() as s:
        row = enqueue(s, Target("telegram", chat_id), Outgoing("Przypomnienie"), clock.now())
        s.flush()
        return row.id or 0


def row(db: Database, row_id: int) -> OutboxMessage:
    with db.session() as s:
        found = s.get(OutboxMessage, row_id)
        assert found is not None
        return found


@pytest.mark.parametrize("fault", ["429", "500", "slow"])
async def test_transient_failures_are_retried_later(
    fault: str, api: FakeBotApi, sender: TelegramTransport, seeded: Database, clock: FrozenClock
) -> None:
    api.fail("sendMessage", fault, times=5, retry_after=30, delay=2)  # PTB retries a 429 itself
    row_id = queue_one(seeded, clock)
    dispatcher = OutboxDispatcher(seeded, clock, {"telegram": sender})
    await dispatcher.run_once()
    first = row(seeded, row_id)
    assert first.status == "pending" and first.attempts == 1 and first.last_error
    assert first.not_before > clock.now()
    api.faults.clear()
    await dispatcher.run_once()
    assert row(seeded, row_id).status == "pending"  # not before its time
    clock.advance(timedelta(seconds=31))
    await dispatcher.run_once()
    done = row(seeded, row_id)
    assert done.status == "sent" and done.attempts == 2
    assert api.texts(4242) == ["Przypomnienie"]


async def test_permanent_failure_is_recorded_not_retried(
    api: FakeBotApi, sender: TelegramTransport, seeded: Database, clock: FrozenClock
) -> None:
    api.fail("sendMessage", "forbidden", times=10)
    row_id = queue_one(seeded, clock)
    await OutboxDispatcher(seeded, clock, {"telegram": sender}).run_once()
    failed = row(seeded, row_id)
    assert failed.status == "failed" and "blocked" in (failed.last_error or "")
    clock.advance(timedelta(hours=1))
    await OutboxDispatcher(seeded, clock, {"telegram": sender}).run_once()
    assert len([c for c in api.calls if c.method == "sendMessage"]) == 1


async def test_retries_stop_after_the_limit(
    api: FakeBotApi, sender: TelegramTransport, seeded: Database, clock: FrozenClock
) -> None:
    api.fail("sendMessage", "500", times=100)
    row_id = queue_one(seeded, clock)
    dispatcher = OutboxDispatcher(seeded, clock, {"telegram": sender}, max_attempts=3)
    for _ in range(4):
        await dispatcher.run_once()
        clock.advance(timedelta(minutes=15))
    assert row(seeded, row_id).status == "failed"
    assert row(seeded, row_id).attempts == 3


async def test_a_dead_local_process_leases_are_freed_at_once_a_live_or_remote_ones_kept(
    api: FakeBotApi, sender: TelegramTransport, seeded: Database, clock: FrozenClock
) -> None:
    """Three rows leased for another minute: by a process of this machine that has exited
    (SIGKILLed, reaped), by one still running, and by a process elsewhere. The restarted
    dispatcher sends the dead one's row at once; the others wait for their leases."""
    child = await asyncio.create_subprocess_exec(sys.executable, "-c", "pass")
    await child.wait()
    live = OutboxDispatcher(seeded, clock, {"telegram": sender})
    host, namespace = live.owner.split("/")[:2]
    holders = {
        "5001": f"{host}/{namespace}/{child.pid}/0dead000",  # gone
        "5002": f"{host}/{namespace}/{os.getppid()}/0live000",  # running
        "5003": f"elsewhere/{namespace}/{child.pid}/0away000",  # another machine
    }
    with seeded.session() as s:
        for chat, holder in holders.items():
            queued = enqueue(s, Target("telegram", chat), Outgoing(f"Dla {chat}"), clock.now())
            queued.lease_owner, queued.lease_until = holder, clock.now() + timedelta(minutes=1)
    assert dead_owner(holders["5001"]) and not dead_owner(live.owner)
    await OutboxDispatcher(seeded, clock, {"telegram": sender}).run_once()
    assert api.texts(5001) == ["Dla 5001"]
    assert api.texts(5002) == api.texts(5003) == []


# --- other processes --------------------------------------------------------------------


def broadcast_database(url: str, size: int = BROADCAST) -> int:
    """A migrated store with one announcement queued to `size` Telegram users."""
    upgrade(url)
    db = Database(url)
    with db.session() as s:
        network = seed.ensure_networks(s)[0]
        city = City(name="Łomża")
        s.add(city)
        s.flush()
        s.add(CityStanding(network_id=network.id or 0, city_id=city.id or 0, standing="laureat"))
        people = [Person(name=f"Osoba {i}", city_id=city.id, created_at=START) for i in range(size)]
        s.add_all(people)
        s.flush()
        s.add_all(
            [
                Account(
                    person_id=p.id or 0,
                    platform="telegram",
                    external_id=str(FIRST_CHAT + i),
                    linked_at=START,
                )
                for i, p in enumerate(people)
            ]
        )
        s.add_all(
            [
                NetworkRole(person_id=p.id or 0, network_id=network.id, role="representative")
                for p in people
            ]
        )
        ann = Announcement(
            created_at=START,
            text="Ważne: nabór",
            network_ids=[network.id],
            audience="all",
            delivery="private",
        )
        s.add(ann)
        s.flush()
        settings = Settings(TELEGRAM_BOT_TOKEN="123456:TEST-TOKEN")
        chats, persons = queue_announcement(s, ann, START, settings)
        assert (chats, persons) == (0, size)
    db.dispose()
    return ann.id or 0


async def start_worker(
    url: str, api: FakeBotApi, tmp_path: Path, lease: float = 2, **settings: str
) -> asyncio.subprocess.Process:
    """`empirie-bot worker` as a process of its own, configured by environment variables."""
    env = {
        **os.environ,
        "EMPIRIE_DATABASE_URL": url,
        "EMPIRIE_SEED_DEMO": "false",
        "TELEGRAM_BOT_TOKEN": api.token,
        "TELEGRAM_API_BASE_URL": f"http://127.0.0.1:{api.port}",
        "TELEGRAM_RATE_OVERALL": "400",
        "TELEGRAM_TIMEOUT": "3",
        "EMPIRIE_OUTBOX_POLL_SECONDS": "0.2",
        "EMPIRIE_OUTBOX_LEASE_SECONDS": str(lease),
        "EMPIRIE_LOG_LEVEL": "WARNING",
        **settings,
    }
    return await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "bot.cli",
        "worker",
        env=env,
        cwd=tmp_path,
        stdout=asyncio.subprocess.DEVNULL,
        stderr=asyncio.subprocess.DEVNULL,
    )


def acknowledged(api: FakeBotApi) -> Counter[int]:
    return Counter(int(c.params["chat_id"]) for c in api.sent("sendMessage"))


def assert_everyone_exactly_once(api: FakeBotApi, url: str) -> Database:
    counts = acknowledged(api)
    assert set(counts) == {FIRST_CHAT + i for i in range(BROADCAST)}
    assert max(counts.values()) == 1, [c for c, n in counts.items() if n > 1]
    db = Database(url)
    with db.session() as s:
        rows = s.exec(select(OutboxMessage)).all()
    assert len(rows) == BROADCAST and {r.status for r in rows} == {"sent"}
    return db


async def stop(process: asyncio.subprocess.Process) -> None:
    """SIGTERM, as a service manager stops the bot; it finishes what it is sending."""
    if process.returncode is None:
        process.send_signal(signal.SIGTERM)
        await asyncio.wait_for(process.wait(), 30)


@pytest.mark.skipif(not POSTGRES_OK, reason="PostgreSQL not reachable (outside CI)")
async def test_two_processes_share_the_outbox_without_double_sending(
    api: FakeBotApi, tmp_path: Path
) -> None:
    url = fresh_database_url("postgres", tmp_path, "empirie_two")
    broadcast_database(url)
    # both live: a lease long enough that a loaded machine's stall (seconds of no CPU for the
    # worker or the fake) does not hand a row in flight to the other (production: 60 s)
    workers = [await start_worker(url, api, tmp_path, lease=15) for _ in range(2)]
    try:
        await api.wait_for(lambda: len(acknowledged(api)) == BROADCAST, timeout=90)
        await asyncio.sleep(1)
        db = assert_everyone_exactly_once(api, url)
        with db.session() as s:
            senders = Counter(r.sent_by for r in s.exec(select(OutboxMessage)).all())
        db.dispose()
        assert len(senders) == 2, senders  # both processes took part
    finally:
        for worker in workers:
            await stop(worker)
        drop_database(url)

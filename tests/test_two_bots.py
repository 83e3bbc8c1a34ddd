"""Two bot processes on one PostgreSQL, as deployed behind a load balancer: each is a real
`empirie-bot run` in webhook mode, receiving half of the updates and running its own outbox
dispatcher and scheduled work, against the fake Bot API. For EMPIRIE_TWO_BOTS_SECONDS (60 s
in CI) representatives change their answers, book office hours and look at their meetings
while meeting reminders and answer nudges come due. Then: no reminder reached anyone twice,
everyone who had answered got theirs, no office-hours slot is held twice, every booking a
person was told about is in the database, and every message got a Polish answer."""

from __future__ import annotations

import asyncio
import json
import os
import random
import re
import sys
from collections import Counter
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import aiohttp
import pytest
from sqlmodel import select, update

from bot.migrate import upgrade
from bot.router import Router
from core.clock import SystemClock
from core.config import Settings
from core.messages import ChatRef, Incoming, Sender
from models import directory, seed
from models.core import Account, City, CityStanding, NetworkRole, Person
from models.db import Database
from models.due import DueTask
from models.office_hours import OfficeBooking, OfficeSession
from models.outbox import PENDING, OutboxMessage
from tests.cast import find_cast
from tests.conftest import IN_CI, POSTGRES_OK, Chat, drop_database, fresh_database_url
from tests.fakes import telegram_updates as tg
from tests.fakes.telegram_api import FakeBotApi
from tests.polish import assert_polish
from tests.test_outbox import stop
from tests.test_telegram import free_port

SECONDS = float(os.environ.get("EMPIRIE_TWO_BOTS_SECONDS", "60" if IN_CI else "20"))
WARSAW = ZoneInfo("Europe/Warsaw")
STEADY, CHANGING = 10, 10  # representatives who answered beforehand / who change answers now
FIRST_UID = 820_000
MEETINGS = 3
ANSWERS = ("stacjonarnie", "online", "moze", "nie")
SECRET = "two-bots-secret"
SCHEDULED = ("⏰", "Prosimy o odpowiedź na zaproszenie")  # reminders and nudges, not replies
BOOKED = re.compile(r"Zarezerwowano: dyżur nr (\d+)")


@dataclass
class World:
    url: str
    meetings: list[int]
    sessions: list[int]
    city_of: dict[int, int]  # Telegram user id -> city id


def build(url: str) -> World:
    """Representatives with Telegram accounts, meetings due soon, office hours open now."""
    upgrade(url)
    db = Database(url)
    now = datetime.now(UTC)
    city_of: dict[int, int] = {}
    with db.session() as s:
        seed.seed_demo(s, now)  # the staff (console accounts) who set things up
        network = directory.require_network(s, "cyfrowe")
        for n in range(STEADY + CHANGING):
            city = City(name=f"Gmina {n}")
            s.add(city)
            s.flush()
            s.add(
                CityStanding(network_id=network.id or 0, city_id=city.id or 0, standing="laureat")
            )
            person = Person(name=f"Osoba {n}", city_id=city.id, created_at=now)
            s.add(person)
            s.flush()
            s.add(
                Account(
                    person_id=person.id or 0,
                    platform="telegram",
                    external_id=str(FIRST_UID + n),
                    linked_at=now,
                )
            )
            s.add(
                NetworkRole(person_id=person.id or 0, network_id=network.id, role="representative")
            )
            city_of[FIRST_UID + n] = city.id or 0
    router = Router(db, SystemClock(), Settings(EMPIRIE_DATABASE_URL=url))
    chat = Chat(router)
    cast = find_cast(db)
    start = (now + timedelta(days=10)).astimezone(WARSAW).replace(minute=0, second=0, microsecond=0)
    meetings = []
    for k in range(MEETINGS):
        text = asyncio.run(
            chat.text(
                cast.coordinator,
                f"/spotkanie_nowe cyfrowe; Spotkanie {k}; "
                f"{start + timedelta(hours=k):%d.%m.%Y %H:%M}; hybrydowe; 2; Łomża; "
                f"https://example.org/m{k}; 200; nie",
            )
        )
        meetings.append(int(re.search(r"nr (\d+)", text).group(1)))  # type: ignore[union-attr]
    first = (now + timedelta(days=3)).astimezone(WARSAW).replace(minute=0, second=0, microsecond=0)
    series = f"/dyzur_seria cyfrowe; {first:%d.%m.%Y %H:%M}; 2; 60; 15; https://teams.example/d"
    sessions = _sessions(asyncio.run(chat.text(cast.expert, series)))
    for n in range(STEADY):  # these answered before: their reminders must all arrive
        for meeting in meetings:
            uid = FIRST_UID + n
            replies = asyncio.run(
                router.handle(
                    Incoming(
                        Sender("telegram", str(uid)),
                        ChatRef("telegram", str(uid), private=True),
                        text=f"/rsvp {meeting} stacjonarnie",
                    )
                )
            )
            assert "Zapisano" in replies[0].text
    with db.session() as s:  # booking is open for the first one only
        sessions = [i for i in sessions if s.get(OfficeSession, i).opens_at <= now]  # type: ignore[union-attr]
    db.dispose()
    return World(url, meetings, sessions, city_of)


def reminders_come_due(world: World) -> None:
    """One reminder and one nudge per meeting, due at moments spread over the run."""
    db = Database(world.url)
    now = datetime.now(UTC)
    with db.session() as s:
        for k, meeting in enumerate(world.meetings):
            due = now + timedelta(seconds=SECONDS * (k + 1) / (MEETINGS + 1))
            for kind, later in (("reminder_1d", 0), ("rsvp_nudge", 2)):
                s.execute(
                    update(DueTask)
                    .where(DueTask.ref_id == meeting, DueTask.kind == kind)
                    .values(due_at=due + timedelta(seconds=later))
                )
    db.dispose()


def _sessions(text: str) -> list[int]:
    assert "Cykl dyżurów nr" in text, text
    return [int(n) for n in re.findall(r"#(\d+) \d\d\.\d\d", text)]


async def start_bot(
    world: World, api: FakeBotApi, folder: Path, port: int
) -> asyncio.subprocess.Process:
    folder.mkdir()
    env = {
        **os.environ,
        "EMPIRIE_DATABASE_URL": world.url,
        "EMPIRIE_SEED_DEMO": "false",
        "TELEGRAM_BOT_TOKEN": api.token,
        "TELEGRAM_API_BASE_URL": f"http://127.0.0.1:{api.port}",
        "TELEGRAM_WEBHOOK_URL": f"http://127.0.0.1:{port}/telegram",
        "TELEGRAM_WEBHOOK_SECRET": SECRET,
        "EMPIRIE_HTTP_PORT": str(port),
        "TELEGRAM_RATE_OVERALL": "400",
        "TELEGRAM_CHAT_INTERVAL": "0.2",
        "TELEGRAM_TIMEOUT": "5",
        "EMPIRIE_OUTBOX_POLL_SECONDS": "0.3",
        "EMPIRIE_OUTBOX_LEASE_SECONDS": "5",
        "EMPIRIE_JOBS_POLL_SECONDS": "0.5",
        "EMPIRIE_LOG_LEVEL": "WARNING",
    }
    return await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "bot.cli",
        "run",
        env=env,
        cwd=folder,
        stdout=asyncio.subprocess.DEVNULL,
        stderr=(folder / "stderr.log").open("wb"),
    )


def texts_to(api: FakeBotApi, uid: int) -> list[str]:
    return api.texts(uid)


def replies_to(api: FakeBotApi, uid: int) -> list[str]:
    return [t for t in api.texts(uid) if not t.startswith(SCHEDULED)]


async def person(
    n: int,
    world: World,
    api: FakeBotApi,
    ports: list[int],
    http: aiohttp.ClientSession,
    until: float,
) -> int:
    """One representative, one message at a time (waiting for the answer), until `until`.
    Returns how many messages they sent."""
    uid, rng, sent = FIRST_UID + n, random.Random(n), 0
    loop = asyncio.get_running_loop()
    while loop.time() < until:
        roll = rng.random()
        if roll < 0.35:
            command = f"/dyzur_rezerwuj {rng.choice(world.sessions)} - temat {uid}"
        elif roll < 0.7 and n >= STEADY:
            command = f"/rsvp {rng.choice(world.meetings)} {rng.choice(ANSWERS)}"
        else:
            command = rng.choice(["/moje_spotkania", "/moje_dyzury"])
        before = len(replies_to(api, uid))
        update = {
            "update_id": FIRST_UID * 10 + n * 10_000 + sent,
            **tg.message(tg.user(uid), tg.private_chat(uid), command),
        }
        async with http.post(
            f"http://127.0.0.1:{rng.choice(ports)}/telegram",
            data=json.dumps(update),
            headers={"X-Telegram-Bot-Api-Secret-Token": SECRET, "Content-Type": "application/json"},
        ) as response:
            assert response.status == 200
        sent += 1
        await api.wait_for(lambda before=before: len(replies_to(api, uid)) > before, timeout=60)
        await asyncio.sleep(rng.uniform(0.3, 1.2))  # a person reads before typing again
    return sent


@pytest.mark.skipif(not POSTGRES_OK, reason="PostgreSQL not reachable (outside CI)")
async def test_two_bots_one_database_mixed_load_with_reminders_due(
    api: FakeBotApi, tmp_path: Path
) -> None:
    url = fresh_database_url("postgres", tmp_path, "empirie_twobots")
    world = await asyncio.to_thread(build, url)
    db = Database(url)
    ports = [free_port(), free_port()]
    bots = [await start_bot(world, api, tmp_path / f"bot{i}", port) for i, port in enumerate(ports)]
    try:
        await api.wait_for(lambda: len(api.sent("setWebhook")) == 2, timeout=90)
        await asyncio.to_thread(reminders_come_due, world)
        loop = asyncio.get_running_loop()
        async with aiohttp.ClientSession() as http:
            counts = await asyncio.gather(
                *(
                    person(n, world, api, ports, http, loop.time() + SECONDS)
                    for n in range(STEADY + CHANGING)
                )
            )

        def settled() -> bool:  # every reminder and nudge that came due is done and delivered
            with db.session() as s:
                due = s.exec(
                    select(DueTask).where(
                        DueTask.kind.in_(  # type: ignore[attr-defined]
                            ("reminder_1d", "rsvp_nudge")
                        ),
                        DueTask.ref_id.in_(  # type: ignore[attr-defined]
                            world.meetings
                        ),
                    )
                ).all()
                waiting = s.exec(
                    select(OutboxMessage).where(
                        OutboxMessage.platform == "telegram", OutboxMessage.status == PENDING
                    )
                ).all()
            return all(d.status == "done" for d in due) and not waiting

        await api.wait_for(settled, timeout=90)
    finally:
        for bot in bots:
            await stop(bot)
    try:
        logs = [(tmp_path / f"bot{i}" / "stderr.log").read_text() for i in range(2)]
        for log in logs:  # no update and no due task crashed (shutdown noise aside)
            assert "handler.crash" not in log and "jobs.crash" not in log, log[-3000:]
        assert [b.returncode for b in bots] == [0, 0]
        assert sum(counts) > (STEADY + CHANGING) * 2  # there was load

        uids = [FIRST_UID + n for n in range(STEADY + CHANGING)]
        for uid, count in zip(uids, counts, strict=True):
            replies = replies_to(api, uid)
            assert len(replies) >= count  # every message was answered…
            for reply in replies:
                assert_polish(reply)  # …in Polish, never with a traceback
            scheduled = Counter(t for t in texts_to(api, uid) if t.startswith(SCHEDULED))
            assert all(n == 1 for n in scheduled.values()), scheduled  # nothing twice
        for uid in uids[:STEADY]:  # answered beforehand: one reminder per meeting, each
            reminders = [t for t in texts_to(api, uid) if t.startswith("⏰")]
            assert sorted(
                int(re.search(r"nr (\d+)", t).group(1))  # type: ignore[union-attr]
                for t in reminders
            ) == sorted(world.meetings), reminders

        with db.session() as s:
            held = s.exec(select(OfficeBooking).where(OfficeBooking.active_slot != None)).all()  # noqa: E711
        slots = [(b.session_id, b.slot) for b in held]
        assert len(slots) == len(set(slots))  # no slot held twice
        per_city = [(b.session_id, b.city_id) for b in held]
        assert len(per_city) == len(set(per_city))  # one slot per city per session
        told = {
            (int(m), world.city_of[uid])
            for uid in uids
            for t in replies_to(api, uid)
            for m in BOOKED.findall(t)
        }
        assert told and told <= set(per_city)  # every booking someone was told about holds
    finally:
        db.dispose()
        drop_database(url)

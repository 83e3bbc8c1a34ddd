"""Office-hours booking storm (issue #25): 40 cities book an expert's office-hours slots at
once, through the bot as deployed — real `empirie-bot run` processes in webhook mode (as
behind a load balancer, updates spread over them) with the real PTB client against the local
fake Bot API — on PostgreSQL with **two** bot processes and, for reference, on a SQLite file
with one.

The expert's session has 40 slots of 10 minutes; each of 40 cities' representatives types
`/dyzur_rezerwuj <session> - <topic>` (the first free slot) privately, all 40 posted at once,
so every booking races for the same "first free" slot under the session's lock. Figures:
bookings/s (first update posted → last confirmation at the fake), p50/p99 update posted →
its confirmation ("Zarezerwowano…" at the fake), p99 to the confirmation's calendar file
(`dyzur_<session>_<slot>.ics`, the reply's second part), and double bookings — a slot
confirmed to two cities, or held twice in the database — which must be 0. The fake enforces no
flood limits and the bots' own limits are raised (TELEGRAM_RATE_OVERALL=1000,
TELEGRAM_CHAT_INTERVAL=0.05), as in the one-group press burst: the storm measures the bot, not
Telegram's pacing (at 30 messages/s, 40 replies of two parts take 2.7 s by themselves).

Anchor, same run: a bare PTB Application (polling the same fake) that answers each of the same
40 messages with a text and a small document, the same shape as a booking's confirmation.
Targets: ≥ 60 bookings/s and p99 ≤ 1 s on PostgreSQL, 0 double bookings on both.

    .venv/bin/python benchmarks/booking_storm.py          # BENCH_RUNS=3 by default
    BENCH_BACKENDS=postgres BENCH_RUNS=1 .venv/bin/python benchmarks/booking_storm.py
    BENCH_PROFILE=1 ...   # each bot process writes a cProfile of its run (see NOTES)
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import os
import re
import signal
import sys
import tempfile
import time
from collections import Counter
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import aiohttp
from sqlalchemy import text
from sqlmodel import col, select
from telegram import Update
from telegram.ext import Application, ApplicationBuilder, MessageHandler, filters

from benchmarks.common import RUNS, figure, save, show
from benchmarks.tg_harness import percentile, store
from bot.migrate import upgrade
from bot.router import Router
from bot.transports.telegram import ALLOWED_UPDATES, MAX_CONCURRENT_UPDATES
from core.clock import SystemClock
from core.config import Settings
from models import directory, seed
from models.core import Account, City, CityStanding, NetworkRole, Person
from models.db import Database
from models.office_hours import OfficeBooking, OfficeSession
from tests.cast import find_cast
from tests.conftest import Chat
from tests.fakes import telegram_updates as tg
from tests.fakes.telegram_api import FakeBotApi

CITIES = 40
FIRST_UID = 830_000
SECRET = "booking-storm-secret"
WARSAW = ZoneInfo("Europe/Warsaw")
TIMEOUT = 120.0
ICS = re.compile(r"dyzur_(\d+)_(\d+)\.ics")
BOOKED = "Zarezerwowano"
PROCESSES = {"sqlite": 1, "postgres": 2}
ROOT = Path(__file__).resolve().parent.parent
# the checkout the bot processes run from (BENCH_ROOT: another one, e.g. the code before a
# change, measured by this same script in the same conditions)
BOT_ROOT = Path(os.environ.get("BENCH_ROOT", str(ROOT))).resolve()
ANCHOR_FILE = b"BEGIN:VCALENDAR\r\n" + b"X" * 900 + b"\r\nEND:VCALENDAR\r\n"


@dataclass
class Run:
    seconds: float  # first update posted → last confirmation
    confirmed: list[float]  # posted → "Zarezerwowano…", one per city
    filed: list[float]  # posted → its .ics
    doubles: int  # slots confirmed to two cities + slots held twice in the database

    @property
    def rate(self) -> float:
        return len(self.confirmed) / self.seconds


def build(url: str) -> tuple[int, dict[int, int]]:
    """The demo cast, 40 laureate cities of `cyfrowe` with one Telegram-linked representative
    each, and an expert's series whose first session (40 slots of 10 minutes, in a few days)
    is open for booking now. Returns the session and the city of each Telegram user."""
    upgrade(url)
    db = Database(url)
    now = datetime.now(UTC)
    city_of: dict[int, int] = {}
    with db.session() as s:
        seed.seed_demo(s, now)
        network = directory.require_network(s, "cyfrowe")
        for n in range(CITIES):
            city = City(name=f"Gmina dyżurowa {n}")
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
    day = (now + timedelta(days=3)).astimezone(WARSAW)
    while day.weekday() >= 5:
        day += timedelta(days=1)
    first = day.replace(hour=8, minute=0, second=0, microsecond=0)
    reply = asyncio.run(
        Chat(router).text(
            find_cast(db).expert,
            f"/dyzur_seria cyfrowe; {first:%d.%m.%Y %H:%M}; 2; 400; 10; https://teams.example/d",
        )
    )
    assert "Cykl dyżurów nr" in reply, reply
    with db.session() as s:
        session = s.exec(
            select(OfficeSession)
            .where(OfficeSession.opens_at <= now)
            .order_by(col(OfficeSession.starts_at))
        ).first()
        assert session is not None and session.slots == CITIES, reply
        session_id = session.id or 0
    db.dispose()
    return session_id, city_of


def reset(url: str, session_id: int) -> None:
    """The session empty again for the next run (its bookings, waitlist and their due work)."""
    db = Database(url)
    with db.session() as s:
        ids = [
            b.id
            for b in s.exec(select(OfficeBooking).where(OfficeBooking.session_id == session_id))
        ]
        if ids:
            listed = ",".join(str(i) for i in ids)
            s.execute(
                text(f"DELETE FROM due_task WHERE kind LIKE 'office%' AND ref_id IN ({listed})")
            )
        s.execute(text(f"DELETE FROM office_booking WHERE session_id = {session_id}"))
        s.execute(text(f"DELETE FROM office_waitlist WHERE session_id = {session_id}"))
    db.dispose()


def held_twice(url: str, session_id: int) -> int:
    db = Database(url)
    with db.session() as s:
        held = s.exec(
            select(OfficeBooking).where(
                OfficeBooking.session_id == session_id, col(OfficeBooking.active_slot).is_not(None)
            )
        ).all()
    db.dispose()
    slots = Counter(b.slot for b in held)
    cities = Counter(b.city_id for b in held)
    return sum(n - 1 for n in slots.values()) + sum(n - 1 for n in cities.values())


async def start_bot(
    url: str, api: FakeBotApi, folder: Path, port: int, profile: bool
) -> asyncio.subprocess.Process:
    folder.mkdir(parents=True, exist_ok=True)
    env = {
        **{k: v for k, v in os.environ.items() if not k.startswith(("EMPIRIE_", "TELEGRAM_"))},
        "PYTHONPATH": str(BOT_ROOT),
        "EMPIRIE_DATABASE_URL": url,
        "EMPIRIE_SEED_DEMO": "false",
        "EMPIRIE_FILES_DIR": str(folder / "files"),
        "TELEGRAM_BOT_TOKEN": api.token,
        "TELEGRAM_API_BASE_URL": f"http://127.0.0.1:{api.port}",
        "TELEGRAM_WEBHOOK_URL": f"http://127.0.0.1:{port}/telegram",
        "TELEGRAM_WEBHOOK_SECRET": SECRET,
        "EMPIRIE_HTTP_PORT": str(port),
        "TELEGRAM_RATE_OVERALL": "1000",
        "TELEGRAM_CHAT_INTERVAL": "0.05",
        "TELEGRAM_TIMEOUT": "10",
        "EMPIRIE_OUTBOX_POLL_SECONDS": "0.5",
        "EMPIRIE_JOBS_POLL_SECONDS": "30",
        "EMPIRIE_LOG_LEVEL": "WARNING",
    }
    args = [sys.executable]
    if profile:  # every thread profiled (updates run on worker threads)
        args += [str(ROOT / "benchmarks" / "profiled.py"), str(folder / "profile.out")]
        env["PYTHONPATH"] = f"{BOT_ROOT}:{ROOT}"
    else:
        args += ["-m", "bot.cli"]
    return await asyncio.create_subprocess_exec(
        *args,
        "run",
        env=env,
        cwd=folder,
        stdout=asyncio.subprocess.DEVNULL,  # (cwd: not a checkout, so BOT_ROOT is what runs)
        stderr=(folder / "stderr.log").open("ab"),
    )


async def stop(process: asyncio.subprocess.Process) -> None:
    if process.returncode is None:
        process.send_signal(signal.SIGTERM)
        await asyncio.wait_for(process.wait(), 60)


def free_port() -> int:
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def arrivals(api: FakeBotApi, uid: int, since: int) -> tuple[float | None, float | None, int]:
    """When uid's confirmation text and its .ics arrived (calls from index `since` on), and
    the slot the .ics names (0 if none yet)."""
    text_at = file_at = None
    slot = 0
    for call in api.calls[since:]:
        if str(call.params.get("chat_id")) != str(uid) or call.status != 200:
            continue
        if call.method == "sendMessage" and BOOKED in str(call.params.get("text", "")):
            text_at = text_at or call.at
        if call.method == "sendDocument":
            name = call.files.get("document", ("", b""))[0]
            found = ICS.search(name or "")
            if found:
                file_at, slot = file_at or call.at, int(found.group(2))
    return text_at, file_at, slot


async def storm(
    api: FakeBotApi, session_id: int, post: Any, uids: list[int]
) -> tuple[dict[int, float], int]:
    """Post the 40 bookings at once; returns when each was posted, and where the fake's call
    log stood before."""
    since = len(api.calls)
    posted: dict[int, float] = {}

    async def one(k: int, uid: int) -> None:
        posted[uid] = time.monotonic()
        await post(k, uid, f"/dyzur_rezerwuj {session_id} - sprawa gminy {uid}")

    await asyncio.gather(*(one(k, uid) for k, uid in enumerate(uids)))
    return posted, since


async def wait_all(api: FakeBotApi, uids: list[int], since: int, files: bool = True) -> None:
    def done() -> bool:
        for uid in uids:
            text_at, file_at, _ = arrivals(api, uid, since)
            if text_at is None or (files and file_at is None):
                return False
        return True

    await api.wait_for(done, timeout=TIMEOUT)


def measured(api: FakeBotApi, posted: dict[int, float], since: int, extra_doubles: int = 0) -> Run:
    confirmed, filed, slots = [], [], Counter[int]()
    last = 0.0
    for uid, at in posted.items():
        text_at, file_at, slot = arrivals(api, uid, since)
        assert text_at is not None and file_at is not None
        confirmed.append(text_at - at)
        filed.append(file_at - at)
        last = max(last, text_at)
        slots[slot] += 1
    doubles = sum(n - 1 for s, n in slots.items() if s) + extra_doubles
    return Run(last - min(posted.values()), confirmed, filed, doubles)


async def ours(backend: str, profile: bool) -> tuple[list[Run], str]:
    runs: list[Run] = []
    report = ""
    with store(backend, "bench_booking_storm") as url:
        session_id, city_of = await asyncio.to_thread(build, url)
        uids = sorted(city_of)
        api = FakeBotApi()
        await api.start()
        folder = Path(tempfile.mkdtemp(prefix="booking_storm_"))
        ports = [free_port() for _ in range(PROCESSES[backend])]
        bots = [
            await start_bot(url, api, folder / f"bot{i}", port, profile)
            for i, port in enumerate(ports)
        ]
        try:
            await api.wait_for(lambda: len(api.sent("setWebhook")) == len(ports), timeout=120)
            warm = [0]
            async with aiohttp.ClientSession() as http:

                async def post(k: int, uid: int, command: str) -> None:
                    update = {
                        "update_id": uid * 100 + warm[0],
                        **tg.message(tg.user(uid), tg.private_chat(uid), command),
                    }
                    async with http.post(
                        f"http://127.0.0.1:{ports[k % len(ports)]}/telegram",
                        data=json.dumps(update),
                        headers={
                            "X-Telegram-Bot-Api-Secret-Token": SECRET,
                            "Content-Type": "application/json",
                        },
                    ) as response:
                        assert response.status == 200

                for k in range(RUNS + 1):  # the first: a warm-up (first-use imports)
                    await asyncio.to_thread(reset, url, session_id)
                    posted, since = await storm(api, session_id, post, uids)
                    await wait_all(api, uids, since)
                    twice = await asyncio.to_thread(held_twice, url, session_id)
                    if k:
                        runs.append(measured(api, posted, since, twice))
                    warm[0] += 1
        finally:
            for bot in bots:
                await stop(bot)
            await api.stop()
        for i in range(len(ports)):
            log = (folder / f"bot{i}" / "stderr.log").read_text()
            if "handler.crash" in log or "Traceback" in log:
                print(f"bot{i} on {backend} logged errors:\n{log[-3000:]}")
            if profile:
                import io
                import pstats

                out = io.StringIO()
                stats = pstats.Stats(str(folder / f"bot{i}" / "profile.out"), stream=out)
                stats.sort_stats("cumulative").print_stats(r"/(bot|handlers|models|core)/", 25)
                report += f"--- bot{i} on {backend} ---\n{out.getvalue()}"
    return runs, report


async def anchor() -> list[Run]:
    """A bare PTB Application, polling the fake like a deployed bot, answering each message
    with a text and a small document (the shape of a booking's confirmation)."""
    runs = []
    api = FakeBotApi()
    await api.start()
    app: Application[Any, Any, Any, Any, Any, Any] = (
        ApplicationBuilder()
        .token(api.token)
        .base_url(f"http://127.0.0.1:{api.port}/bot")
        .concurrent_updates(MAX_CONCURRENT_UPDATES)
        .read_timeout(10)
        .write_timeout(10)
        .connect_timeout(10)
        .pool_timeout(10)
        .connection_pool_size(16)
        .build()
    )

    async def answer(update: Update, context: Any) -> None:
        assert update.message is not None and update.message.text is not None
        slot = update.message.text.split()[-1]
        await update.message.reply_text(f"✅ {BOOKED}: dyżur, termin {slot}")
        await update.message.reply_document(ANCHOR_FILE, filename=f"dyzur_1_{slot}.ics")

    app.add_handler(MessageHandler(filters.TEXT, answer))
    await app.initialize()
    await app.start()
    assert app.updater is not None
    await app.updater.start_polling(allowed_updates=ALLOWED_UPDATES, poll_interval=0.0, timeout=1)
    try:
        uids = [FIRST_UID + n for n in range(CITIES)]
        for k in range(RUNS + 1):  # the first: a warm-up, as for ours

            async def post(k: int, uid: int, command: str) -> None:
                await api.inject(
                    tg.message(tg.user(uid), tg.private_chat(uid), f"{command} {k + 1}")
                )

            posted, since = await storm(api, 1, post, uids)
            await wait_all(api, uids, since)
            if k:
                runs.append(measured(api, posted, since))
    finally:
        await app.updater.stop()
        await app.stop()
        await app.shutdown()
        await api.stop()
    return runs


def figures(label: str, runs: list[Run], base: list[Run], target: bool) -> list[dict[str, Any]]:
    def med(values: list[float]) -> float:
        return sorted(values)[len(values) // 2]

    return [
        figure(
            f"{label}: bookings/s (40 cities at once)",
            "/s",
            [r.rate for r in runs],
            digits=1,
            target="≥ 60/s" if target else None,
            ok=(lambda v: v >= 60) if target else None,
            baseline=med([r.rate for r in base]),
        ),
        figure(
            f"{label}: p50 update → confirmation",
            "s",
            [percentile(r.confirmed, 50) for r in runs],
            baseline=med([percentile(r.confirmed, 50) for r in base]),
        ),
        figure(
            f"{label}: p99 update → confirmation",
            "s",
            [percentile(r.confirmed, 99) for r in runs],
            target="≤ 1 s" if target else None,
            ok=(lambda v: v <= 1.0) if target else None,
            baseline=med([percentile(r.confirmed, 99) for r in base]),
        ),
        figure(
            f"{label}: p99 update → its .ics",
            "s",
            [percentile(r.filed, 99) for r in runs],
            baseline=med([percentile(r.filed, 99) for r in base]),
        ),
        figure(
            f"{label}: double bookings",
            "",
            [float(r.doubles) for r in runs],
            digits=0,
            target="0",
            ok=lambda v: v == 0,
        ),
    ]


async def main() -> None:
    logging.disable(logging.INFO)
    profile = bool(os.environ.get("BENCH_PROFILE"))
    base = await anchor()
    results = [
        figure("anchor (bare PTB): replies/s", "/s", [r.rate for r in base], digits=1),
        figure(
            "anchor (bare PTB): p99 message → reply",
            "s",
            [percentile(r.confirmed, 99) for r in base],
        ),
    ]
    for backend in os.environ.get("BENCH_BACKENDS", "sqlite,postgres").split(","):
        runs, report = await ours(backend, profile)
        label = f"{backend}, {PROCESSES[backend]} process{'es' if PROCESSES[backend] > 1 else ''}"
        results += figures(label, runs, base, target=backend == "postgres")
        if report:
            print(report)
    show("Office-hours booking storm: 40 cities at once, beside a bare PTB anchor", results)
    print(f"  results: {save('booking_storm', results)}")


if __name__ == "__main__":
    with contextlib.suppress(KeyboardInterrupt):
        asyncio.run(main())

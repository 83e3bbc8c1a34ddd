"""Button-press burst (issue #16, benchmark 1): 2,000 RSVP presses from 400 linked people in 8
groups, through the real PTB Application as deployed (our TelegramTransport, Router, outbox),
against the local fake Bot API (limits not enforced: what is measured is the bot's own work).

Eight networks are bound to eight groups; a meeting is published in each by its coordinator's
command and the presses carry the real button tokens of the group invitations' keyboards. Each
person presses five times (cycling through the answers), all 2,000 injected at once.

Figures, on a SQLite file and on a fresh PostgreSQL database: presses/s (first injection to
last answer), and p50/p95/p99 from a press's injection to its answerCallbackQuery arriving at
the fake. Baseline, same harness and run: a bare PTB Application whose only handler answers the
callback query. Targets: ≥ 50 % of the baseline's throughput, p99 ≤ 3 × the baseline's p99.

    .venv/bin/python benchmarks/button_burst.py           # BENCH_RUNS=3 by default
    BENCH_PROFILE=1 .venv/bin/python benchmarks/button_burst.py   # + where a press's time goes
"""

from __future__ import annotations

import asyncio
import logging
import os
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from telegram import Update
from telegram.ext import Application, ApplicationBuilder, CallbackQueryHandler

from benchmarks.common import RUNS, figure, save, show
from benchmarks.tg_harness import (
    TEAM,
    ThreadProfile,
    TimedBotApi,
    networks_in_groups,
    percentile,
    store,
)
from bot.transports.telegram import ALLOWED_UPDATES, MAX_CONCURRENT_UPDATES
from core.clock import SystemClock
from core.config import Settings
from models import directory
from models.db import Database
from tests.burst_scenario import add_representatives, running_bot
from tests.fakes import telegram_updates as tg

GROUPS, PEOPLE_PER_GROUP, PRESSES_EACH = 8, 50, 5
PRESSES = GROUPS * PEOPLE_PER_GROUP * PRESSES_EACH
FIRST_GROUP = -1009980000
FIRST_USER = 900000
TIMEOUT = 900.0  # a loaded 2-core machine has seen 7 presses/s


def group_id(g: int) -> int:
    return FIRST_GROUP - g


def user_id(g: int, j: int) -> int:
    return FIRST_USER + g * 1000 + j


@dataclass
class Run:
    seconds: float
    latencies: list[float]  # injection → answer, one per press

    @property
    def rate(self) -> float:
        return PRESSES / self.seconds

    def p(self, n: int) -> float:
        return percentile(self.latencies, n)


async def press_all(api: TimedBotApi, buttons: dict[int, list[str]]) -> Run:
    """Inject every press at once (person by person, five rounds), wait for every answer."""
    api.expect(PRESSES)
    injected: dict[str, float] = {}
    started = time.monotonic()
    for k in range(PRESSES_EACH):
        for g in range(GROUPS):
            for j in range(PEOPLE_PER_GROUP):
                choices = buttons[g]
                update = await api.inject(
                    tg.callback(
                        tg.user(user_id(g, j)),
                        tg.group_chat(group_id(g)),
                        choices[(j + k) % len(choices)],
                    )
                )
                injected[update["callback_query"]["id"]] = time.monotonic()
    await api.all_answered(TIMEOUT)
    latencies = [api.answered[q] - at for q, at in injected.items()]
    return Run(max(api.answered.values()) - started, latencies)


def prepare(url: str) -> Database:
    """8 networks bound to 8 groups; the coordinating team linked on Telegram."""
    return networks_in_groups(url, group_id)[0]


async def publish(api: TimedBotApi, db: Database) -> dict[int, list[str]]:
    """A meeting in each group, by command; the answer buttons of each group's invitation."""
    with db.session() as s:
        codes = [n.code for n in directory.networks(s)]
    for g, code in enumerate(codes):
        await api.inject(
            tg.message(
                tg.user(TEAM),
                tg.group_chat(group_id(g)),
                f"/spotkanie_nowe {code}; Spotkanie robocze; 12.05.2027 10:00; "
                "hybrydowe; 6; Łomża, ul. Długa 1; https://meet.example/x",
            )
        )

    def keyboards() -> dict[int, list[str]]:
        found = {}
        for g in range(GROUPS):
            for call in api.sent("sendMessage", group_id(g)):
                if "📅" in call.params["text"] and call.params.get("reply_markup"):
                    found[g] = [
                        b["callback_data"]
                        for row in call.params["reply_markup"]["inline_keyboard"]
                        for b in row
                        if "callback_data" in b
                    ]
        return found

    await api.wait_for(lambda: len(keyboards()) == GROUPS, timeout=60)
    return keyboards()


async def ours(backend: str, profile: bool = False) -> tuple[list[Run], str, dict[str, int]]:
    runs: list[Run] = []
    report = ""
    with store(backend, "bench_button_burst") as url:
        db, clock = prepare(url), SystemClock()
        settings = Settings(EMPIRIE_DATABASE_URL=url, EMPIRIE_FILES_DIR=tempfile.mkdtemp())
        api = TimedBotApi()
        await api.start()
        try:
            async with running_bot(api, db, clock, settings):
                buttons = await publish(api, db)
                for g, network in enumerate(_codes(db)):
                    add_representatives(
                        db, PEOPLE_PER_GROUP, clock.now(), network, first=user_id(g, 0)
                    )
                for _ in range(RUNS):
                    runs.append(await press_all(api, buttons))
                if profile:
                    profiler = ThreadProfile()
                    async with profiler.running():
                        await press_all(api, buttons)
                    report = profiler.report()
                toasts = _toasts(api)
        finally:
            await api.stop()
            db.dispose()
    return runs, report, toasts


def _codes(db: Database) -> list[str]:
    with db.session() as s:
        return [n.code for n in directory.networks(s)]


def _toasts(api: TimedBotApi) -> dict[str, int]:
    """What the pressers were told (the first word of each toast), as a sanity check."""
    seen: dict[str, int] = {}
    for call in api.sent("answerCallbackQuery"):
        word = (call.params.get("text") or "(none)").split(":")[0]
        seen[word] = seen.get(word, 0) + 1
    return seen


async def baseline() -> list[Run]:
    """A bare PTB Application, built and polling like ours, whose handler only answers."""
    runs = []
    for _ in range(RUNS):
        api = TimedBotApi()
        await api.start()
        app: Application[Any, Any, Any, Any, Any, Any] = (
            ApplicationBuilder()
            .token(api.token)
            .base_url(f"http://127.0.0.1:{api.port}/bot")
            .concurrent_updates(MAX_CONCURRENT_UPDATES)
            .read_timeout(5)
            .write_timeout(5)
            .connect_timeout(5)
            .pool_timeout(5)
            .connection_pool_size(16)
            .build()
        )

        async def answer(update: Update, context: Any) -> None:
            assert update.callback_query is not None
            await update.callback_query.answer()

        app.add_handler(CallbackQueryHandler(answer))
        await app.initialize()
        await app.start()
        assert app.updater is not None
        await app.updater.start_polling(
            allowed_updates=ALLOWED_UPDATES, poll_interval=0.0, timeout=1
        )
        try:
            runs.append(await press_all(api, {g: ["a", "b", "c", "d"] for g in range(GROUPS)}))
        finally:
            await app.updater.stop()
            await app.stop()
            await app.shutdown()
            await api.stop()
    return runs


def figures(label: str, runs: list[Run], base: list[Run]) -> list[dict[str, Any]]:
    base_rate = sorted(r.rate for r in base)[len(base) // 2]
    base_p99 = sorted(r.p(99) for r in base)[len(base) // 2]
    out = [
        figure(
            f"{label}: presses/s",
            "/s",
            [r.rate for r in runs],
            digits=1,
            target=f"≥ 50 % of baseline ({0.5 * base_rate:.0f}/s)",
            ok=lambda v: v >= 0.5 * base_rate,
            baseline=base_rate,
        )
    ]
    for n in (50, 95):
        out.append(
            figure(
                f"{label}: p{n} injection → answer",
                "s",
                [r.p(n) for r in runs],
                baseline=sorted(r.p(n) for r in base)[len(base) // 2],
            )
        )
    out.append(
        figure(
            f"{label}: p99 injection → answer",
            "s",
            [r.p(99) for r in runs],
            target=f"≤ 3 × baseline p99 ({3 * base_p99:.3f} s)",
            ok=lambda v: v <= 3 * base_p99,
            baseline=base_p99,
        )
    )
    return out


async def main() -> None:
    logging.disable(logging.INFO)  # the service logs every press at INFO
    profile = os.environ.get("BENCH_PROFILE") == "1"
    base = await baseline()
    results: list[dict[str, Any]] = [
        figure("baseline (bare PTB): presses/s", "/s", [r.rate for r in base], digits=1),
        figure("baseline (bare PTB): p50 injection → answer", "s", [r.p(50) for r in base]),
        figure("baseline (bare PTB): p99 injection → answer", "s", [r.p(99) for r in base]),
    ]
    toasts: dict[str, dict[str, int]] = {}
    for backend in ("sqlite", "postgres"):
        runs, report, toasts[backend] = await ours(backend, profile and backend == "sqlite")
        results += figures(backend, runs, base)
        if report:
            print(
                f"cProfile of one more burst of {PRESSES} presses on {backend} (all threads; "
                f"wall-clock seconds, divide by {PRESSES} for one press):"
            )
            print(report)
    show(
        f"{PRESSES} RSVP presses from {GROUPS * PEOPLE_PER_GROUP} people in {GROUPS} groups, "
        "all injected at once (fake Bot API, no limits)",
        results,
    )
    print(f"  toasts: {toasts}")
    print(f"  results: {save('button_burst', results, toasts=toasts)}")


if __name__ == "__main__":
    asyncio.run(main())

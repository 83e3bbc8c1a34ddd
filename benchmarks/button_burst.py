"""Button-press bursts (issues #16 and #25), through the real PTB Application as deployed (our
TelegramTransport, Router, outbox) against the local fake Bot API, on a SQLite file and on a
fresh PostgreSQL database, each beside its anchor in the same run: a bare PTB Application whose
only handler answers the callback query, pressed the same way.

Eight networks are bound to eight groups; a meeting is published by the coordinator's command
and the presses carry the real button tokens of the group invitations' keyboards. Scenarios
(`BENCH_SCENARIOS`, comma-separated; all by default):

- `one_group` (#25): 2,000 presses by 400 people in ONE group, one meeting, each person five
  times (cycling through the answers), all injected at once; the fake enforces no limits (ours
  stay as deployed; a toast is not paced). presses/s (first injection → last answer) and
  p50/p99 injection → answerCallbackQuery. Target ≥ 0.5 × the anchor's presses/s.
- `forged` (#25): the same 2,000 presses carrying forged tokens (random, of the signed tokens'
  length): the cheapest path, a refusal. Target ≥ 0.7 × the anchor's presses/s.
- `forty` (#25): 40 presses by 40 people injected at once in the group, the fake enforcing
  Telegram's flood limits: first injection → the last press acknowledged. Target ≤ 0.3 s.
- `eight_groups` (#16): 2,000 presses by 400 people in 8 groups (50 each, a meeting each).
  Targets ≥ 50 % of the anchor's presses/s, p99 ≤ 3 × the anchor's.

    .venv/bin/python benchmarks/button_burst.py           # BENCH_RUNS=3 by default
    BENCH_SCENARIOS=one_group,forty .venv/bin/python benchmarks/button_burst.py
    BENCH_PROFILE=1 .venv/bin/python benchmarks/button_burst.py   # + where a press's time goes
"""

from __future__ import annotations

import asyncio
import logging
import os
import secrets
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
from models.buttons import SIGNED_CHARS
from models.db import Database
from tests.burst_scenario import add_representatives, running_bot
from tests.fakes import telegram_updates as tg

GROUPS, PEOPLE, PRESSES_EACH = 8, 400, 5
PRESSES = PEOPLE * PRESSES_EACH
FORTY = 40
FIRST_GROUP = -1009980000
FIRST_USER = 900000
TIMEOUT = 900.0  # a loaded 2-core machine has seen 7 presses/s
SCENARIOS = ("one_group", "forged", "forty", "eight_groups")
CHOSEN = [s for s in os.environ.get("BENCH_SCENARIOS", ",".join(SCENARIOS)).split(",") if s]
Press = tuple[int, int, str]  # (user, group, callback data)


def group_id(g: int) -> int:
    return FIRST_GROUP - g


def user_id(g: int, j: int) -> int:
    return FIRST_USER + g * 1000 + j


@dataclass
class Run:
    seconds: float  # first injection → last answer
    latencies: list[float]  # injection → answer, one per press

    @property
    def rate(self) -> float:
        return len(self.latencies) / self.seconds

    def p(self, n: int) -> float:
        return percentile(self.latencies, n)


def presses(scenario: str, buttons: dict[int, list[str]]) -> list[Press]:
    """Every press of a scenario, in the order they are injected."""
    if scenario == "eight_groups":
        per_group = PEOPLE // GROUPS
        return [
            (user_id(g, j), g, buttons[g][(j + k) % len(buttons[g])])
            for k in range(PRESSES_EACH)
            for g in range(GROUPS)
            for j in range(per_group)
        ]
    if scenario == "forty":
        return [(user_id(0, j), 0, buttons[0][j % len(buttons[0])]) for j in range(FORTY)]
    out = []
    for k in range(PRESSES_EACH):
        for j in range(PEOPLE):
            data = buttons[0][(j + k) % len(buttons[0])]
            if scenario == "forged":
                data = secrets.token_urlsafe(SIGNED_CHARS)[:SIGNED_CHARS]
            out.append((user_id(0, j), 0, data))
    return out


async def press_all(api: TimedBotApi, todo: list[Press]) -> Run:
    """Inject every press at once, wait for every answer."""
    api.expect(len(todo))
    injected: dict[str, float] = {}
    started = time.monotonic()
    for user, g, data in todo:
        update = await api.inject(tg.callback(tg.user(user), tg.group_chat(group_id(g)), data))
        injected[update["callback_query"]["id"]] = time.monotonic()
    await api.all_answered(TIMEOUT)
    latencies = [api.answered[q] - at for q, at in injected.items()]
    return Run(max(api.answered.values()) - started, latencies)


async def scenario_run(api: TimedBotApi, scenario: str, buttons: dict[int, list[str]]) -> Run:
    """One run of a scenario; `forty` with Telegram's limits enforced by the fake."""
    if scenario == "forty":
        api.enforce_limits()
    try:
        return await press_all(api, presses(scenario, buttons))
    finally:
        api.limits = None


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


async def ours(
    backend: str, profile: str | None = None
) -> tuple[dict[str, list[Run]], str, dict[str, int]]:
    """Every chosen scenario, RUNS times each, on one bot and database of this backend."""
    runs: dict[str, list[Run]] = {name: [] for name in CHOSEN}
    report = ""
    with store(backend, "bench_button_burst") as url:
        db, clock = prepare(url), SystemClock()
        settings = Settings(EMPIRIE_DATABASE_URL=url, EMPIRIE_FILES_DIR=tempfile.mkdtemp())
        api = TimedBotApi()
        await api.start()
        try:
            async with running_bot(api, db, clock, settings):
                buttons = await publish(api, db)
                codes = _codes(db)
                add_representatives(db, PEOPLE, clock.now(), codes[0], first=user_id(0, 0))
                per_group = PEOPLE // GROUPS
                for g, network in enumerate(codes[1:], start=1):
                    add_representatives(db, per_group, clock.now(), network, first=user_id(g, 0))
                for _ in range(RUNS):
                    for name in CHOSEN:
                        runs[name].append(await scenario_run(api, name, buttons))
                if profile:
                    profiler = ThreadProfile()
                    async with profiler.running():
                        await scenario_run(api, profile, buttons)
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
        word = (call.params.get("text") or "(none)").split(":")[0][:40]
        seen[word] = seen.get(word, 0) + 1
    return seen


async def baseline() -> dict[str, list[Run]]:
    """A bare PTB Application, built and polling like ours, whose handler only answers."""
    runs: dict[str, list[Run]] = {name: [] for name in CHOSEN}
    fake = {g: ["a", "b", "c", "d"] for g in range(GROUPS)}
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
            for name in CHOSEN:
                runs[name].append(await scenario_run(api, name, fake))
        finally:
            await app.updater.stop()
            await app.stop()
            await app.shutdown()
            await api.stop()
    return runs


def _median(values: list[float]) -> float:
    return sorted(values)[len(values) // 2]


def figures(name: str, label: str, runs: list[Run], base: list[Run]) -> list[dict[str, Any]]:
    """The figures of one scenario on one database, against the anchor's runs."""
    if name == "forty":
        base_last = _median([r.seconds for r in base])
        return [
            figure(
                f"{label}: 40 presses at once in one group, limits enforced: last acknowledged",
                "s",
                [r.seconds for r in runs],
                target="≤ 0.3 s",
                ok=lambda v: v <= 0.3,
                baseline=base_last,
            )
        ]
    base_rate = _median([r.rate for r in base])
    share = {"one_group": 0.5, "forged": 0.7, "eight_groups": 0.5}[name]
    what = {
        "one_group": "2,000 presses by 400 people in one group",
        "forged": "2,000 forged presses in one group",
        "eight_groups": "2,000 presses by 400 people in 8 groups",
    }[name]
    out = [
        figure(
            f"{label}: {what}: presses/s",
            "/s",
            [r.rate for r in runs],
            digits=1,
            target=f"≥ {share} × anchor ({share * base_rate:.0f}/s)",
            ok=lambda v: v >= share * base_rate,
            baseline=base_rate,
        ),
        figure(
            f"{label}: {what}: p50 injection → answer",
            "s",
            [r.p(50) for r in runs],
            baseline=_median([r.p(50) for r in base]),
        ),
    ]
    base_p99 = _median([r.p(99) for r in base])
    out.append(
        figure(
            f"{label}: {what}: p99 injection → answer",
            "s",
            [r.p(99) for r in runs],
            target=f"≤ 3 × anchor p99 ({3 * base_p99:.3f} s)" if name == "eight_groups" else None,
            ok=(lambda v: v <= 3 * base_p99) if name == "eight_groups" else None,
            baseline=base_p99,
        )
    )
    return out


def anchor_figures(base: dict[str, list[Run]]) -> list[dict[str, Any]]:
    out = []
    for name, runs in base.items():
        if name == "forty":
            out.append(
                figure(
                    "anchor (bare PTB): 40 at once, limits enforced: last acknowledged",
                    "s",
                    [r.seconds for r in runs],
                )
            )
        else:
            out.append(
                figure(
                    f"anchor (bare PTB): {name}: presses/s", "/s", [r.rate for r in runs], digits=1
                )
            )
    return out


async def main() -> None:
    logging.disable(logging.INFO)  # the service logs every press at INFO
    profile = os.environ.get("BENCH_PROFILE")
    scenario = None if not profile else (profile if profile in SCENARIOS else CHOSEN[0])
    base = await baseline()
    results: list[dict[str, Any]] = anchor_figures(base)
    toasts: dict[str, dict[str, int]] = {}
    for backend in os.environ.get("BENCH_BACKENDS", "sqlite,postgres").split(","):
        runs, report, toasts[backend] = await ours(backend, scenario)
        for name in CHOSEN:
            results += figures(name, backend, runs[name], base[name])
        if report:
            print(
                f"cProfile of one more run of {scenario} on {backend} (all threads; "
                f"wall-clock seconds):"
            )
            print(report)
    show("RSVP button presses through the bot as deployed, beside a bare PTB anchor", results)
    print(f"  toasts: {toasts}")
    print(f"  results: {save('button_burst', results, toasts=toasts)}")


if __name__ == "__main__":
    asyncio.run(main())

"""Broadcast (issue #16, benchmark 3): one announcement to 8 groups + 400 private chats through
the outbox, the fake Bot API enforcing Telegram's flood limits (30 messages/s overall, 1/s per
chat, 20/min per group; 429 + retry_after beyond them).

The coordinating team writes the announcement in its private chat through the real /ogloszenie
dialogue (text, no file, all networks, everyone, in the chats and privately, no pin, now) and
presses the preview's "Send" button; the bot runs as deployed (real PTB, our pacing, the outbox
woken every 0.2 s) on a SQLite file. Measured from the press to the last of the 408 copies
accepted by the fake; the floor set by the limits is 408 / 30 s = 13.6 s. Also counted at the
fake, per chat: 429s, chats that got no copy (lost) or more than one (duplicated).

Baseline, same run and fake: PTB's AIORateLimiter (default limits, max_retries=3) sending the
same 408 messages directly with bot.send_message, all at once.
Targets: ≤ 1.05 × floor, 0 × 429, 0 lost, 0 duplicated.

    .venv/bin/python benchmarks/broadcast.py
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from telegram.error import TelegramError
from telegram.ext import AIORateLimiter, ExtBot
from telegram.request import HTTPXRequest

from benchmarks.common import RUNS, figure, none_expected, save, show
from benchmarks.tg_harness import TEAM, networks_in_groups
from core.clock import SystemClock
from core.config import Settings
from models.db import Database
from tests.burst_scenario import add_representatives, running_bot
from tests.fakes import telegram_updates as tg
from tests.fakes.telegram_api import FakeBotApi
from tests.reply_lane_scenario import draft

GROUPS, PEOPLE_PER_GROUP = 8, 50
MESSAGES = GROUPS + GROUPS * PEOPLE_PER_GROUP
FLOOR = MESSAGES / 30
FIRST_GROUP = -1009970000
FIRST_USER = 950000


def group_id(g: int) -> int:
    return FIRST_GROUP - g


def chats() -> list[str]:
    return [str(group_id(g)) for g in range(GROUPS)] + [
        str(FIRST_USER + g * 1000 + j) for g in range(GROUPS) for j in range(PEOPLE_PER_GROUP)
    ]


class Copies:
    """The copies of one announcement the fake accepted, per chat (read incrementally: the
    bot shares the event loop with this count)."""

    def __init__(self, api: FakeBotApi, marker: str) -> None:
        self.api, self.marker, self.seen = api, marker, len(api.calls)
        self.per_chat: dict[str, int] = {}
        self.last = 0.0

    def update(self) -> Copies:
        calls = self.api.calls
        for call in calls[self.seen :]:
            if (
                call.method == "sendMessage"
                and call.status == 200
                and self.marker in str(call.params.get("text", ""))
            ):
                chat = str(call.params["chat_id"])
                self.per_chat[chat] = self.per_chat.get(chat, 0) + 1
                self.last = max(self.last, call.at)
        self.seen = len(calls)
        return self

    def lost(self) -> int:
        return sum(1 for c in chats() if c not in self.per_chat)

    def duplicated(self) -> int:
        return sum(1 for c in chats() if self.per_chat.get(c, 0) > 1)


def prepare(url: str) -> Database:
    db, codes = networks_in_groups(url, group_id)
    now = SystemClock().now()
    for g, code in enumerate(codes):
        add_representatives(db, PEOPLE_PER_GROUP, now, code, first=FIRST_USER + g * 1000)
    return db


async def ours() -> list[dict[str, float]]:
    runs = []
    with tempfile.TemporaryDirectory() as folder:
        url = f"sqlite:///{Path(folder) / 'broadcast.db'}"
        db, clock = prepare(url), SystemClock()
        settings = Settings(EMPIRIE_DATABASE_URL=url, EMPIRIE_FILES_DIR=str(Path(folder) / "f"))
        api = FakeBotApi()
        await api.start()
        limits = api.enforce_limits()
        try:
            async with running_bot(api, db, clock, settings):
                markers = [f"[bench {n}]" for n in range(RUNS)]
                buttons = [await draft(api, marker) for marker in markers]
                for marker, send in zip(markers, buttons, strict=True):
                    await asyncio.sleep(1.1)  # the overall window of the previous run is over
                    copies, refused = Copies(api, marker), limits.refused
                    pressed = time.monotonic()
                    await api.inject(tg.callback(tg.user(TEAM), tg.private_chat(TEAM), send))
                    await api.wait_for(
                        lambda c=copies: len(c.update().per_chat) == MESSAGES, timeout=120
                    )
                    await asyncio.sleep(1.0)  # anything sent twice would arrive by now
                    copies.update()
                    runs.append(
                        {
                            "total": copies.last - pressed,
                            "refused": limits.refused - refused,
                            "lost": copies.lost(),
                            "duplicated": copies.duplicated(),
                        }
                    )
        finally:
            await api.stop()
            db.dispose()
    return runs


async def baseline() -> list[dict[str, float]]:
    """PTB's AIORateLimiter, the 408 messages sent at once, straight to the fake."""
    runs = []
    for n in range(RUNS):
        api = FakeBotApi()
        await api.start()
        limits = api.enforce_limits()
        bot: ExtBot[Any] = ExtBot(
            api.token,
            base_url=f"http://127.0.0.1:{api.port}/bot",
            request=HTTPXRequest(connection_pool_size=16, pool_timeout=30, read_timeout=30),
            rate_limiter=AIORateLimiter(max_retries=3),
        )
        marker = f"[baseline {n}]"
        text = f"📣 Ogłoszenie — wszystkie sieci\n\nSpotkanie sieci 12 maja. {marker}"

        async def send(chat: str, bot: ExtBot[Any] = bot, text: str = text) -> None:
            with contextlib.suppress(TelegramError):  # counted as lost at the fake
                await bot.send_message(chat, text)

        async with bot:
            copies = Copies(api, marker)
            started = time.monotonic()
            await asyncio.gather(*(send(chat) for chat in chats()))
            await asyncio.sleep(1.0)
            copies.update()
        await api.stop()
        runs.append(
            {
                "total": copies.last - started,
                "refused": limits.refused,
                "lost": copies.lost(),
                "duplicated": copies.duplicated(),
            }
        )
    return runs


async def main() -> None:
    logging.disable(logging.CRITICAL)  # PTB logs every 429 the baseline gets, with a traceback
    base = await baseline()
    mine = await ours()

    def values(runs: list[dict[str, float]], key: str) -> list[float]:
        return [float(r[key]) for r in runs]

    def median(runs: list[dict[str, float]], key: str) -> float:
        return sorted(values(runs, key))[len(runs) // 2]

    figures = [
        figure(
            "outbox: press of Send → last of 408 copies delivered",
            "s",
            values(mine, "total"),
            target=f"≤ 1.05 × floor {FLOOR:.1f} s = {1.05 * FLOOR:.2f} s",
            ok=lambda v: v <= 1.05 * FLOOR,
            baseline=median(base, "total"),
        ),
        figure(
            "outbox: ratio to the floor",
            "×",
            [v / FLOOR for v in values(mine, "total")],
            baseline=median(base, "total") / FLOOR,
        ),
        none_expected(
            "outbox: 429s received", values(mine, "refused"), baseline=median(base, "refused")
        ),
        none_expected(
            "outbox: chats without the announcement (lost)",
            values(mine, "lost"),
            baseline=median(base, "lost"),
        ),
        none_expected(
            "outbox: chats that got it twice (duplicated)",
            values(mine, "duplicated"),
            baseline=median(base, "duplicated"),
        ),
        figure("baseline AIORateLimiter: time for 408", "s", values(base, "total")),
        figure("baseline AIORateLimiter: 429s received", "", values(base, "refused"), digits=0),
    ]
    show(
        f"One announcement to {GROUPS} groups + {GROUPS * PEOPLE_PER_GROUP} private chats, "
        f"Telegram's limits enforced (floor {MESSAGES} / 30 s = {FLOOR:.1f} s)",
        figures,
    )
    print(f"  results: {save('broadcast', figures)}")


if __name__ == "__main__":
    asyncio.run(main())

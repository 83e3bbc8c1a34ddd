"""What the Telegram benchmarks share: a store (a SQLite file, or a fresh PostgreSQL database
dropped afterwards), the fake Bot API noting when each callback answer arrives (no polling of
its call log while the bot works), latency percentiles, and a cProfile of every thread.

The fake runs in the benchmark's own process and event loop, as in the tests: its work is part
of every figure, ours and the baseline's alike.
"""

from __future__ import annotations

import asyncio
import contextlib
import cProfile
import io
import os
import pstats
import statistics
import sys
import tempfile
import threading
import time
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from sqlalchemy import create_engine, text

from bot.migrate import upgrade
from core.clock import SystemClock
from models import seed
from models.db import Database
from tests.fakes.telegram_api import FakeBotApi
from tests.reply_lane_scenario import TEAM as TEAM  # the team: may publish in every network
from tests.reply_lane_scenario import bind_groups

POSTGRES_URL = os.environ.get(
    "EMPIRIE_TEST_POSTGRES_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test"
)


@contextlib.contextmanager
def store(backend: str, name: str) -> Iterator[str]:
    """The URL of an empty database of this run's own; removed afterwards."""
    if backend == "sqlite":
        with tempfile.TemporaryDirectory() as folder:
            yield f"sqlite:///{Path(folder) / (name + '.db')}"
        return
    name = f"{name}_{os.getpid()}"
    admin = create_engine(POSTGRES_URL, isolation_level="AUTOCOMMIT")
    try:
        with admin.connect() as conn:
            conn.execute(text(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)"))
            conn.execute(text(f"CREATE DATABASE {name}"))
        yield POSTGRES_URL.rsplit("/", 1)[0] + f"/{name}"
    finally:
        with admin.connect() as conn:
            conn.execute(text(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)"))
        admin.dispose()


class TimedBotApi(FakeBotApi):
    """The fake Bot API, noting the arrival of every answerCallbackQuery by query id."""

    def __init__(self) -> None:
        super().__init__()
        self.answered: dict[str, float] = {}
        self._expected = 0
        self._all_answered = asyncio.Event()

    def expect(self, n: int) -> None:
        self.answered.clear()
        self._expected = n
        self._all_answered.clear()

    async def all_answered(self, timeout: float) -> None:
        try:
            await asyncio.wait_for(self._all_answered.wait(), timeout)
        except TimeoutError:
            raise AssertionError(
                f"{len(self.answered)} of {self._expected} presses answered after {timeout} s"
            ) from None

    async def _api_answerCallbackQuery(self, params: dict[str, Any], files: Any) -> bool:
        self.answered[str(params["callback_query_id"])] = time.monotonic()
        if len(self.answered) >= self._expected:
            self._all_answered.set()
        return True


def percentile(values: list[float], p: int) -> float:
    return statistics.quantiles(values, n=100, method="inclusive")[p - 1]


class ThreadProfile:
    """cProfile of the event loop's thread and of the worker threads database work runs in
    (asyncio.to_thread), merged: where the time of the profiled work goes."""

    def __init__(self) -> None:
        self.main = cProfile.Profile()
        self.workers: list[cProfile.Profile] = []
        self._pool: ThreadPoolExecutor | None = None

    def _start_in_thread(self, *_: Any) -> None:
        profile = cProfile.Profile()
        self.workers.append(profile)
        profile.enable()  # replaces this hook for the rest of the thread's life

    @contextlib.asynccontextmanager
    async def running(self) -> Any:
        threading.setprofile(self._start_in_thread)
        self._pool = ThreadPoolExecutor(max_workers=8, thread_name_prefix="profiled")
        loop = asyncio.get_running_loop()
        loop.set_default_executor(self._pool)
        self.main.enable()
        try:
            yield self
        finally:
            self.main.disable()
            threading.setprofile(None)  # type: ignore[arg-type]
            self._pool.shutdown(wait=True)
            loop.set_default_executor(ThreadPoolExecutor())

    def report(self, top: int = 20) -> str:
        """Own time (idle waits of the event loop and of the thread pool left out), then the
        cumulative time of the project's own functions."""
        stats = pstats.Stats(self.main, stream=io.StringIO())
        for profile in self.workers:
            with contextlib.suppress(TypeError):  # a thread that never ran anything
                stats.add(profile)
        idle = (
            "'get' of '_queue.SimpleQueue'",
            "'poll' of 'select.epoll'",
            "'acquire' of '_thread.lock'",
        )
        for key in [k for k in stats.stats if any(w in k[2] for w in idle)]:  # type: ignore[attr-defined]
            del stats.stats[key]  # type: ignore[attr-defined]
        out = io.StringIO()
        stats.stream = out  # type: ignore[attr-defined]
        stats.sort_stats("tottime").print_stats(top)
        stats.sort_stats("cumulative").print_stats(r"/(bot|handlers|models|core)/", top)
        return out.getvalue()


def demo_store(url: str) -> Database:
    """The demo cast on a migrated database."""
    upgrade(url)
    db = Database(url)
    with db.session() as s:
        seed.seed_demo(s, SystemClock().now())
    return db


def networks_in_groups(url: str, group_id: Callable[[int], int]) -> tuple[Database, list[str]]:
    """The demo cast on a migrated database, the coordinating team linked on Telegram, network
    g bound to the group `group_id(g)`; returns the database and the networks' codes in order."""
    db = demo_store(url)
    return db, bind_groups(db, SystemClock(), group_id)

"""The weekly funding digest as the job sends it (#25): 8 networks, 10,000 stored calls, one
bound chat per network, on a SQLite file and on PostgreSQL.

Measured: every network's digest composed, rendered (message + the full list as CSV) and queued
to its chat, i.e. `handlers.funding.digest.send` for the 8 networks in one transaction (rolled
back after each run so every run sends the same digests). Anchor, same run and same database: a
plain SELECT of every call's text and deadlines plus a substring test of each network's keywords
(what a naive digest would do, blind to inflection and rendering nothing).

Two digests: the **first** (nothing told yet: every fitting call is new, listed, written to the
CSV and remembered — the worst case) and the **next week's** (the first committed, then 100 new
calls and 50 changed deadlines: what the job sends every Monday). Wall time and the process's
CPU time (the machine is shared; CPU does not depend on the cores the process got).

    .venv/bin/python benchmarks/funding_digest.py [N]
"""

from __future__ import annotations

import os
import sys
import tempfile
import time
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from sqlalchemy import text

from benchmarks.common import RUNS, figure, save, show
from benchmarks.funding import synthetic
from core.config import Settings
from handlers.funding.digest import send
from handlers.funding.match import fold
from handlers.funding.store import ensure_matches, ensure_profiles, ingest
from jobs.funding import WEEKLY
from models import directory, seed
from models.db import Database

PG = os.environ.get(
    "EMPIRIE_TEST_POSTGRES_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test"
)


def anchor(db: Database, profiles: list[tuple[int, list[str]]]) -> tuple[float, int]:
    """Plain SELECT + substring: seconds, matched pairs."""
    start = time.perf_counter()
    with db.engine.connect() as conn:
        rows = conn.execute(
            text("SELECT id, title, programme, summary, deadlines FROM funding_call")
        ).all()
    folded = [(r[0], fold(f"{r[1]} {r[2] or ''} {r[3]}")) for r in rows]
    pairs = 0
    for _nid, words in profiles:
        pairs += sum(1 for _id, low in folded if any(w in low for w in words))
    return time.perf_counter() - start, pairs


Runs = dict[str, list[float]]


def _digests(db: Database, settings: Settings, now: datetime, keep: bool) -> tuple[float, float]:
    """Every network's digest, as the job sends it: wall and CPU seconds."""
    start, cpu = time.perf_counter(), time.process_time()
    with db.session() as s:
        for network in directory.networks(s):
            send(s, network, now, settings, heading_id=WEEKLY, key=f"bench:{network.id}:{now}")
        took = time.perf_counter() - start, time.process_time() - cpu
        if not keep:
            s.rollback()
    return took


def _next_week(db: Database, n: int, first: datetime, later: datetime) -> None:
    """A week's news: 100 new calls, 50 calls' deadlines moved by three days."""
    calls = synthetic(n + 100, first)  # the first n are the stored ones
    moved = [
        replace(c, deadlines=tuple(d + timedelta(days=3) for d in c.deadlines)) for c in calls[:50]
    ]
    with db.session() as s:
        ingest(s, [*moved, *calls[n:]], later)


def measure(url: str, n: int, now: datetime) -> tuple[Runs, list[float], int, list[int]]:
    db = Database(url)
    db.create_all()
    settings = Settings(EMPIRIE_DATABASE_URL=url, TELEGRAM_BOT_TOKEN="1:bench")
    with db.session() as s:
        seed.ensure_networks(s)
        ensure_profiles(s, now)
        for i, network in enumerate(directory.networks(s)):
            directory.bind_chat(s, network, "telegram", str(-1000 - i), network.name, None, now)
    with db.session() as s:
        ingest(s, synthetic(n, now), now)
    with db.session() as s:  # steady state: every profile classified once, as after a week
        for network in directory.networks(s):
            ensure_matches(s, network.id or 0, now)
    with db.session() as s:
        from models import funding

        profiles = [(p.network_id, [fold(k) for k in p.keywords]) for p in funding.profiles(s)]
    ours: Runs = {"first": [], "first_cpu": [], "week": [], "week_cpu": []}
    base: list[float] = []
    for _ in range(RUNS):
        took, pairs = anchor(db, profiles)
        base.append(took)
        wall, cpu = _digests(db, settings, now, keep=False)
        ours["first"].append(wall)
        ours["first_cpu"].append(cpu)
    _digests(db, settings, now, keep=True)  # the first digest went out
    later = now + timedelta(days=7)
    _next_week(db, n, now, later)
    for _ in range(RUNS):
        wall, cpu = _digests(db, settings, later, keep=False)
        ours["week"].append(wall)
        ours["week_cpu"].append(cpu)
    with db.session() as s:
        chats = [len(directory.chats_of(s, [network.id or 0])) for network in directory.networks(s)]
    db.dispose()
    return ours, base, pairs, chats


def main(n: int) -> None:
    now = datetime.now(UTC)
    figures = []
    with tempfile.TemporaryDirectory() as tmp:
        from tests.conftest import drop_database, fresh_database_url

        for name, url in (
            ("sqlite", f"sqlite:///{tmp}/digest.db"),
            ("postgres", fresh_database_url("postgres", Path(tmp), "bench_digest")),
        ):
            ours, base, pairs, chats = measure(url, n, now)
            anchor_s = sorted(base)[len(base) // 2]
            figures += [
                figure(
                    f"{name}: first digest, 8 networks × {n} calls (sent to {sum(chats)} chats)",
                    "s",
                    ours["first"],
                    target="≤ 2 s",
                    ok=lambda v: v <= 2.0,
                    baseline=anchor_s,
                    digits=2,
                ),
                figure(f"{name}: first digest, CPU", "s", ours["first_cpu"], digits=2),
                figure(
                    f"{name}: next week's digest (100 new calls, 50 deadlines moved)",
                    "s",
                    ours["week"],
                    target="≤ 2 s",
                    ok=lambda v: v <= 2.0,
                    baseline=anchor_s,
                    digits=2,
                ),
                figure(f"{name}: next week's digest, CPU", "s", ours["week_cpu"], digits=2),
                figure(
                    f"{name}: anchor, plain SELECT + substring ({pairs} pairs)", "s", base, digits=2
                ),
            ]
            if name == "postgres":
                drop_database(url)
    show(f"Weekly funding digest: {n} calls, 8 networks", figures)
    print(f"  → {save('funding_digest', figures, calls=n)}")


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 10_000)

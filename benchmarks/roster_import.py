"""The office's roster import at 500, 2,000 and 5,000 rows (issue #23 item 7), on a SQLite file
and on PostgreSQL.

Each size imports a synthetic sheet (tests/roster_data.py: cities with one representative in
each of three networks, Polish names) as a CSV through `handlers.roster.office.import_file`,
the CLI's path, into a fresh database with only the 8 networks: reading and checking the file,
then one transaction that adds every city, standing, person and role with its audit entry.
Baseline, same run: reading and checking the same file alone (the floor the database work
adds to). Each figure is the median of BENCH_RUNS runs (min–max), in wall time and in the
CPU time of this process (on a shared machine the wall time also counts waiting for a core;
PostgreSQL's own work is in its server, not in the CPU figure). "Growth" is the CPU time per
row at 5,000 rows over that at 500: 1.0 is linear (before: 500 rows took 42 s and 4,000 over
400 s, ~1.2 × more per row at each doubling).

    .venv/bin/python benchmarks/roster_import.py
    BENCH_DB=sqlite .venv/bin/python benchmarks/roster_import.py
"""

from __future__ import annotations

import os
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from sqlalchemy import create_engine, text

from benchmarks.common import RUNS, figure, save, show
from core.clock import FrozenClock
from core.config import Settings
from core.i18n import Translator
from handlers.roster import office, sheet
from models import directory, seed
from models.db import Database
from tests.conftest import START
from tests.roster_data import synthetic_rows
from tests.test_roster_import import write_csv

PG_ADMIN = os.environ.get(
    "BENCH_POSTGRES_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/postgres"
)
SIZES = (500, 2000, 5000)


def _fresh(backend: str, folder: Path, run: int) -> Database:
    if backend == "sqlite":
        db = Database(f"sqlite:///{folder / f'roster-{run}.db'}")
    else:
        _drop()
        admin = create_engine(PG_ADMIN, isolation_level="AUTOCOMMIT")
        with admin.connect() as conn:
            conn.execute(text("CREATE DATABASE empirie_bench_roster"))
        admin.dispose()
        db = Database(PG_ADMIN.rsplit("/", 1)[0] + "/empirie_bench_roster")
    db.create_all()
    with db.session() as s:
        seed.ensure_networks(s)
    return db


def _drop() -> None:
    admin = create_engine(PG_ADMIN, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text("DROP DATABASE IF EXISTS empirie_bench_roster WITH (FORCE)"))
    admin.dispose()


def bench(backend: str, folder: Path) -> list[dict[str, Any]]:
    settings = Settings(
        EMPIRIE_DATABASE_URL=f"sqlite:///{folder / 'unused.db'}",
        EMPIRIE_FILES_DIR=str(folder / "files"),
    )
    t = Translator("pl", settings.tz)
    figures, medians = [], {}
    run = 0
    for n in SIZES:
        path = write_csv(folder / f"roster-{n}.csv", synthetic_rows(n))
        took, cpu, floor = [], [], []
        for _ in range(RUNS):
            run += 1
            db = _fresh(backend, folder, run)
            with db.session() as s:
                codes = [network.code for network in directory.networks(s)]
            start = time.perf_counter()
            sheet.read(path, codes)
            floor.append(time.perf_counter() - start)
            start, started_cpu = time.perf_counter(), time.process_time()
            result = office.import_file(db, FrozenClock(START), settings, path, t)
            took.append(time.perf_counter() - start)
            cpu.append(time.process_time() - started_cpu)
            assert result.ok, result.lines[:3]
            db.dispose()
        base = figure(f"{backend}: read and check {n} rows (baseline)", "s", floor)
        target = "≤ 10 s (before: 500 rows 42 s, 4,000 rows > 400 s)" if n == 5000 else None
        main = figure(
            f"{backend}: import {n} rows",
            "s",
            took,
            target=target,
            ok=(lambda v: v <= 10) if n == 5000 else None,
            baseline=base["median"],
        )
        used = figure(f"{backend}: import {n} rows, CPU of this process", "s", cpu)
        medians[n] = used["median"]
        figures += [main, used, base]
    if backend == "postgres":
        _drop()
    growth = (medians[5000] / 5000) / (medians[500] / 500)
    figures.append(
        figure(
            f"{backend}: growth, CPU time per row at 5,000 over 500",
            "×",
            [growth],
            target="≤ 1.5 (linear: 1.0)",
            ok=lambda v: v <= 1.5,
            digits=2,
        )
    )
    return figures


def main() -> None:
    chosen = os.environ.get("BENCH_DB", "sqlite,postgres").split(",")
    folder = Path(tempfile.mkdtemp(prefix="empirie-roster-"))
    figures: list[dict[str, Any]] = []
    for backend in chosen:
        figures += bench(backend, folder)
    show("Roster import (median of runs; baseline: reading and checking the file alone)", figures)
    print(f"saved {save('roster_import', figures, sizes=list(SIZES))}")


if __name__ == "__main__":
    main()

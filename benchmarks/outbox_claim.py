"""The outbox claim: one batch of 50 among 100,000 sent rows, with 1,000 and with 10,000
pending, on SQLite and PostgreSQL — the figure must stay flat in the number pending.

The pending rows are all due at once (a fan-out gives every row the same `not_before`), five
to each chat (four wait behind the first), and the first 50 chats' first rows already leased to
another process (in flight, e.g. waiting for their pacing slot), so a claim has to pass them
and the rows behind them. Measured: `models.outbox.claim_due`
of the bulk lane (the dispatcher's claim), after `refresh_statistics` as the dispatcher does
after a fan-out. Same-run baseline: the claim as it was before (every due row checked for an
older pending row in its chat by a NOT EXISTS, sorted, then LIMIT 50), on the same database.

    .venv/bin/python benchmarks/outbox_claim.py          # BENCH_DB=sqlite,postgres
"""

from __future__ import annotations

import os
import sys
import tempfile
import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from sqlalchemy import and_, create_engine, exists, text, update
from sqlalchemy.orm import aliased
from sqlmodel import Session, col

from benchmarks.common import RUNS, figure, save, show
from bot.migrate import upgrade
from models import outbox, queue
from models.db import Database
from models.outbox import PENDING, REPLY, OutboxMessage

PG_ADMIN = os.environ.get(
    "BENCH_POSTGRES_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/postgres"
)
SENT, BATCH, IN_FLIGHT, PER_CHAT = 100_000, 50, 50, 5
PENDING_SIZES = (1_000, 10_000)
NOW = datetime(2026, 11, 23, 10, 0, tzinfo=UTC)
TARGET_MS = {"sqlite": 2.0, "postgres": 5.0}


def old_claim(session: Session, now: datetime, owner: str) -> Sequence[OutboxMessage]:
    """The claim before the chats' heads (kept here as the baseline)."""
    table = OutboxMessage.__table__  # type: ignore[attr-defined]
    older = aliased(OutboxMessage)
    ahead = and_(
        col(older.platform) == table.c.platform,
        col(older.chat_id) == table.c.chat_id,
        col(older.status) == PENDING,
        col(older.id) < table.c.id,
    )
    extra = and_(table.c.platform.in_(["telegram"]), ~exists().where(ahead), table.c.kind != REPLY)
    return queue.claim(
        session,
        OutboxMessage,
        due_column=table.c.not_before,
        now=now,
        owner=owner,
        lease=timedelta(seconds=60),
        limit=BATCH,
        extra=extra,
    )


def new_claim(session: Session, now: datetime, owner: str) -> Sequence[OutboxMessage]:
    return outbox.claim_due(
        session,
        now=now,
        owner=owner,
        lease=timedelta(seconds=60),
        limit=BATCH,
        platforms=["telegram"],
        replies=False,
    )


def rows(n: int, status: str, first_chat: int, per_chat: int) -> list[dict[str, Any]]:
    return [
        {
            "created_at": NOW - timedelta(days=1) if status != PENDING else NOW,
            "platform": "telegram",
            "chat_id": str(first_chat + i // per_chat),
            "payload": {"text": "Przypomnienie: spotkanie sieci jutro o 10:00."},
            "kind": "reminder",
            "status": status,
            "not_before": NOW - timedelta(days=1) if status != PENDING else NOW,
            "sent_at": NOW - timedelta(days=1) if status != PENDING else None,
        }
        for i in range(n)
    ]


def build(db: Database, pending: int) -> None:
    with db.session() as s:
        s.execute(text("DELETE FROM outbox_message"))
        for start in range(0, SENT, 10_000):
            outbox.add_many(s, rows(10_000, "sent", 10**6 + start, 1))
        # all due at once, PER_CHAT rows to each chat, queued chat after chat
        outbox.add_many(s, rows(pending, PENDING, 1, PER_CHAT))
        s.commit()
        # the first rows are in flight (leased by another process)
        s.execute(
            update(OutboxMessage)
            .where(
                col(OutboxMessage.status) == PENDING,
                col(OutboxMessage.chat_id).in_([str(1 + i) for i in range(IN_FLIGHT)]),
            )
            .values(lease_owner="other", lease_until=NOW + timedelta(minutes=5))
        )
        outbox.refresh_statistics(s)
        s.commit()


def timed(db: Database, claim: Any) -> tuple[float, int]:
    with db.session() as s:
        t0 = time.perf_counter()
        claimed = claim(s, NOW, "bench")
        took = (time.perf_counter() - t0) * 1000
    with db.session() as s:  # give them back
        s.execute(
            update(OutboxMessage)
            .where(col(OutboxMessage.lease_owner) == "bench")
            .values(lease_owner=None, lease_until=None)
        )
        s.commit()
    return took, len(claimed)


@contextmanager
def database(backend: str, folder: Path) -> Iterator[str]:
    if backend == "sqlite":
        yield f"sqlite:///{folder / 'claim.db'}"
        return
    base, name = PG_ADMIN.rsplit("/", 1)[0], "empirie_bench_claim"
    admin = create_engine(PG_ADMIN, isolation_level="AUTOCOMMIT")
    try:
        with admin.connect() as conn:
            conn.execute(text(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)"))
            conn.execute(text(f"CREATE DATABASE {name}"))
        yield f"{base}/{name}"
    finally:
        with admin.connect() as conn:
            conn.execute(text(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)"))
        admin.dispose()


def bench(backend: str, folder: Path) -> list[dict[str, Any]]:
    figures = []
    with database(backend, folder) as url:
        upgrade(url)
        db = Database(url)
        medians: dict[int, float] = {}
        for pending in PENDING_SIZES:
            build(db, pending)
            for claim in (new_claim, old_claim):  # warm both (statement caches, pages)
                timed(db, claim)
            new, old = [], []
            for _ in range(max(RUNS, 5)):
                took, got = timed(db, new_claim)
                assert got == BATCH, got
                new.append(took)
                took, got = timed(db, old_claim)
                assert got == BATCH, got
                old.append(took)
            target = TARGET_MS[backend]
            f = figure(
                f"{backend}: outbox claim of {BATCH}, {pending:,} pending among {SENT:,} sent",
                "ms",
                new,
                target=f"≤ {target:g} ms",
                ok=lambda v, target=target: v <= target,  # type: ignore[misc]
                baseline=sorted(old)[len(old) // 2],
            )
            medians[pending] = f["median"]
            figures.append(f)
        small, large = PENDING_SIZES
        ratio = medians[large] / max(medians[small], 1e-6)
        figures.append(
            figure(
                f"{backend}: claim with {large:,} pending / with {small:,} pending (flatness)",
                "×",
                [ratio],
                target="≤ 1.5×",
                ok=lambda v: v <= 1.5,
                digits=2,
            )
        )
        db.dispose()
    return figures


def main() -> None:
    chosen = os.environ.get("BENCH_DB", "sqlite,postgres").split(",")
    folder = Path(tempfile.mkdtemp(prefix="empirie-claim-"))
    figures: list[dict[str, Any]] = []
    for backend in chosen:
        figures += bench(backend, folder)
    show("Outbox claim (median; baseline: the previous claim query, same database)", figures)
    path = save(
        "outbox_claim",
        figures,
        baseline="the claim query before the chats' heads, on the same database in the same run",
        scenario=(
            f"{SENT:,} sent rows; N pending rows, {PER_CHAT} per chat, all due at once; "
            f"{IN_FLIGHT} chats' first rows in flight; claim of {BATCH} (bulk lane)"
        ),
    )
    print(f"written {path}")


if __name__ == "__main__":
    main()

"""Outbox storage per meeting cycle of a network of 40 (SQLite).

A network of 40 representatives (plus the demo's people), one meeting: the coordinator
publishes it in the network's group (the invitation with its .ics to the group and to every
person privately), then the scheduled work runs through the cycle (reminders before the
meeting, what follows it), every message delivered. Measured: outbox rows and the bytes of
their contents (payload JSON and stored files) — as stored now (each file once) and, as the
same-run baseline, as they were stored before (every file inlined in base64 in every
recipient's row); then after the daily housekeeping once EMPIRIE_OUTBOX_KEEP_DAYS passed (rows
left in the outbox, rows in the delivery log and their bytes).

    .venv/bin/python benchmarks/outbox_storage.py
"""

from __future__ import annotations

import asyncio
import base64
import json
import sys
import tempfile
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from sqlmodel import select

from benchmarks.common import figure, save, show
from benchmarks.outbox_throughput import NullTransport
from bot.migrate import upgrade
from bot.outbox import OutboxDispatcher
from bot.router import Router
from core.clock import FrozenClock
from core.config import Settings
from jobs.dispatch import DueDispatcher
from models import directory, retention, seed
from models.blobs import Blob
from models.core import Account, City, CityStanding, NetworkRole, Person
from models.db import Database
from models.outbox import LOGGED, Delivery, OutboxMessage
from tests.cast import find_cast
from tests.conftest import Chat

START = datetime(2026, 11, 2, 9, 0, tzinfo=UTC)
MEETING = "/spotkanie_nowe cyfrowe; Spotkanie sieci; 25.11.2026 10:00; hybrydowe; 4; Łomża, ul. Długa 1; https://meet.example/x"
PEOPLE = 40


def add_people(db: Database) -> None:
    with db.session() as s:
        network = directory.require_network(s, "cyfrowe")
        city = None
        for i in range(PEOPLE):
            if i % 3 == 0:
                city = City(name=f"Miasto {i // 3}")
                s.add(city)
                s.flush()
                s.add(
                    CityStanding(
                        network_id=network.id or 0, city_id=city.id or 0, standing="laureat"
                    )
                )
            assert city is not None
            person = Person(name=f"Osoba Próbna {i}", city_id=city.id, created_at=START)
            s.add(person)
            s.flush()
            s.add(
                NetworkRole(person_id=person.id or 0, network_id=network.id, role="representative")
            )
            s.add(
                Account(
                    person_id=person.id or 0,
                    platform="console",
                    external_id=f"p{i}",
                    linked_at=START,
                )
            )


def storage(db: Database) -> dict[str, int]:
    with db.session() as s:
        rows = s.exec(select(OutboxMessage)).all()
        blobs = {b.id: b for b in s.exec(select(Blob).where(Blob.digest.is_not(None))).all()}  # type: ignore[union-attr]
        log = s.exec(select(Delivery)).all()
    payload = sum(len(json.dumps(r.payload)) + len(json.dumps(r.sent_ids)) for r in rows)

    def inlined(spec: dict[str, Any]) -> dict[str, Any]:
        blob = blobs.get(spec.get("blob"))
        if blob is None:
            return spec
        return {
            "name": blob.name,
            "mime": blob.mime,
            "b64": base64.b64encode(blob.content).decode(),
        }

    before = sum(
        len(json.dumps({**r.payload, "files": [inlined(f) for f in r.payload.get("files", [])]}))
        + len(json.dumps(r.sent_ids))
        for r in rows
    )
    return {
        "rows": len(rows),
        "bytes": payload + sum(len(b.content) for b in blobs.values()),
        "bytes_inline": before,
        "files": len(blobs),
        "log_rows": len(log),
        "log_bytes": sum(len(str(getattr(d, f) or "")) for d in log for f in LOGGED),
    }


async def cycle() -> tuple[dict[str, int], dict[str, int]]:
    folder = Path(tempfile.mkdtemp(prefix="empirie-storage-"))
    url = f"sqlite:///{folder / 'storage.db'}"
    upgrade(url)
    db, clock = Database(url), FrozenClock(START)
    settings = Settings(EMPIRIE_DATABASE_URL=url)
    with db.session() as s:
        seed.seed_demo(s, clock.now())
    add_people(db)
    cast = find_cast(db)
    chat = Chat(Router(db, clock, settings))
    reply = await chat.text(cast.coordinator, MEETING, chat="cyfrowe")
    assert "opublikowane" in reply, reply
    transport = NullTransport()
    outbox = OutboxDispatcher(db, clock, {"console": transport})
    jobs = DueDispatcher(db, clock, settings)
    for _ in range(24 * 30):  # the cycle, an hour at a time, through the meeting and after
        await jobs.run_once()
        await outbox.run_once()
        clock.advance(timedelta(hours=1))
    cycle_storage = storage(db)
    clock.advance(timedelta(days=settings.outbox_keep_days + 1))
    with db.session() as s:
        retention.compact_outbox(s, clock.now(), timedelta(days=settings.outbox_keep_days))
        s.commit()
    after = storage(db)
    db.dispose()
    return cycle_storage, after


def main() -> None:
    cycle_storage, after = asyncio.run(cycle())
    kb = 1024
    figures = [
        figure(
            "outbox rows per meeting cycle (network of 40)",
            "rows",
            [cycle_storage["rows"]],
            digits=0,
        ),
        figure(
            f"outbox content per meeting cycle: payloads + {cycle_storage['files']} stored files",
            "KB",
            [cycle_storage["bytes"] / kb],
            baseline=cycle_storage["bytes_inline"] / kb,
            target="one copy per file version",
            ok=lambda v: cycle_storage["files"] <= 2,
            digits=1,
        ),
        figure(
            f"after EMPIRIE_OUTBOX_KEEP_DAYS: outbox rows left (+ {after['log_rows']} in the delivery log)",
            "rows",
            [after["rows"]],
            baseline=cycle_storage["rows"],
            digits=0,
        ),
        figure(
            "after compaction: outbox content + delivery log",
            "KB",
            [(after["bytes"] + after["log_bytes"]) / kb],
            baseline=cycle_storage["bytes"] / kb,
            target="sent rows compacted",
            ok=lambda v: after["rows"] < cycle_storage["rows"],
            digits=1,
        ),
    ]
    show(
        "Outbox storage per meeting cycle (baseline: files inlined in every row / before compaction)",
        figures,
    )
    path = save(
        "outbox_storage",
        figures,
        cycle=cycle_storage,
        compacted=after,
        baseline="the same rows with every file inlined in base64 (the storage before this change); before compaction",
    )
    print(f"written {path}")


if __name__ == "__main__":
    main()

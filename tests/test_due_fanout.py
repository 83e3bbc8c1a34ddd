"""Reminders due together are fanned out in batches (one lookup of every recipient, one insert
of every message): each still reaches exactly the people coming to its meeting, once, and its
task is marked done once — also with two dispatchers at the same moment, and when one task of
the batch fails (the others still go out)."""

from __future__ import annotations

import asyncio
from datetime import timedelta
from pathlib import Path

import pytest
from alembic import command
from sqlalchemy import create_engine, inspect
from sqlmodel import select

from bot.migrate import alembic_config, upgrade
from core.clock import FrozenClock
from core.config import Settings
from jobs import dispatch
from jobs.dispatch import DueDispatcher
from models import due
from models.core import Account, Network, NetworkRole, Person
from models.db import Database
from models.due import DueTask
from models.meetings import Meeting, Rsvp
from models.outbox import OutboxMessage
from tests.conftest import BACKENDS, START, drop_database, fresh_database_url

ANSWERS = ("stacjonarnie", "online", "moze", "nie", "stacjonarnie")


def build(db: Database, now: FrozenClock, networks: int = 3) -> dict[int, dict[str, set[int]]]:
    """Networks with a meeting each; per meeting who must get the reminder, and how."""
    expected: dict[int, dict[str, set[int]]] = {}
    at = now.now()
    with db.session() as s:
        for n in range(networks):
            network = Network(code=f"siec{n}", name=f"Sieć {n}", theme="test")
            s.add(network)
            s.flush()
            starts = at + timedelta(days=1, minutes=1)
            meeting = Meeting(
                network_id=network.id or 0,
                title=f"Spotkanie {n}",
                starts_at=starts,
                format="hybrydowe",
                online_link="https://meet.example/m",
                created_at=at,
                rsvp_deadline=starts - timedelta(days=2),
                capacity=2,
            )
            s.add(meeting)
            s.flush()
            want: dict[str, set[int]] = {"in_person": set(), "online": set()}
            for k, choice in enumerate(ANSWERS):
                person = Person(
                    name=f"Osoba {n}.{k}", created_at=at, language="en" if k == 1 else None
                )
                s.add(person)
                s.flush()
                s.add(
                    NetworkRole(
                        person_id=person.id or 0, network_id=network.id, role="representative"
                    )
                )
                s.add(
                    Account(
                        person_id=person.id or 0,
                        platform="console",
                        external_id=f"u{person.id}",
                        linked_at=at,
                    )
                )
                # the second "stacjonarnie" is over the 2 seats: waitlisted, not reminded
                waitlisted = k == 4
                s.add(
                    Rsvp(
                        meeting_id=meeting.id or 0,
                        person_id=person.id or 0,
                        answer=choice,
                        waitlisted=waitlisted,
                        answered_at=at,
                    )
                )
                if choice == "stacjonarnie" and not waitlisted:
                    want["in_person"].add(person.id or 0)
                elif choice in ("online", "moze"):
                    want["online"].add(person.id or 0)
            # coming, but without any account (cannot be reached) and one erased: skipped
            for erased in (False, True):
                ghost = Person(name=None, created_at=at, erased_at=at if erased else None)
                s.add(ghost)
                s.flush()
                if erased:
                    s.add(
                        Account(
                            person_id=ghost.id or 0,
                            platform="console",
                            external_id=f"u{ghost.id}",
                            linked_at=at,
                        )
                    )
                s.add(
                    Rsvp(
                        meeting_id=meeting.id or 0,
                        person_id=ghost.id or 0,
                        answer="stacjonarnie",
                        answered_at=at,
                    )
                )
            due.schedule(
                s,
                "reminder_1d",
                meeting.id or 0,
                f"reminder_1d:{meeting.id}",
                starts - timedelta(days=1),
            )
            expected[meeting.id or 0] = want
    return expected


def reminders(db: Database) -> list[OutboxMessage]:
    with db.session() as s:
        return list(s.exec(select(OutboxMessage).where(OutboxMessage.kind == "reminder_1d")).all())


def check(db: Database, expected: dict[int, dict[str, set[int]]]) -> None:
    rows = reminders(db)
    assert len(rows) == sum(len(w["in_person"]) + len(w["online"]) for w in expected.values())
    assert len({(r.chat_id, r.dedupe_key) for r in rows}) == len(rows)  # nobody twice
    for meeting_id, want in expected.items():
        mine = [r for r in rows if (r.dedupe_key or "").startswith(f"reminder_1d:{meeting_id}:")]
        got_link = {r.person_id for r in mine if "https://meet.example/m" in r.payload["text"]}
        assert {r.person_id for r in mine} == want["in_person"] | want["online"]
        assert got_link == want["online"]
        assert all(r.chat_id == f"u{r.person_id}" for r in mine)
    english = [r for r in rows if r.payload["text"].startswith("⏰ Reminder")]
    assert len(english) == len(expected)  # the person who reads English, in English


@pytest.fixture
def now() -> FrozenClock:
    return FrozenClock(START)


async def test_many_reminders_reach_exactly_the_people_coming_once(
    db: Database, now: FrozenClock, settings: Settings
) -> None:
    expected = build(db, now)
    now.advance(timedelta(minutes=2))
    jobs = DueDispatcher(db, now, settings, batch=2)  # two batches: 2 tasks, then 1
    assert await jobs.run_once() == len(expected)
    check(db, expected)
    assert await jobs.run_once() == 0  # nothing twice on the next tick
    check(db, expected)
    with db.session() as s:
        tasks = s.exec(select(DueTask).where(DueTask.kind == "reminder_1d")).all()
    assert {t.status for t in tasks} == {"done"} and all(t.done_at == now.now() for t in tasks)


async def test_two_dispatchers_at_the_same_moment_send_each_reminder_once(
    db: Database, now: FrozenClock, settings: Settings
) -> None:
    expected = build(db, now, networks=4)
    now.advance(timedelta(minutes=2))
    first, second = (DueDispatcher(db, now, settings, owner=o, batch=2) for o in ("a", "b"))
    done = await asyncio.gather(first.run_once(), second.run_once())
    assert sum(done) == len(expected)  # every task done by exactly one of them
    check(db, expected)


async def test_a_failing_task_does_not_hold_up_the_rest_of_its_batch(
    db: Database, now: FrozenClock, settings: Settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    expected = build(db, now)
    bad = min(expected)
    real = dispatch.BATCHES["reminder_1d"]

    def fragile(job: dispatch.Job, items: list[DueTask]) -> int:
        if any(i.ref_id == bad for i in items):
            raise RuntimeError("broken meeting")
        return real(job, items)

    monkeypatch.setitem(dispatch.BATCHES, "reminder_1d", fragile)
    monkeypatch.setitem(dispatch.HANDLERS, "reminder_1d", lambda job, item: fragile(job, [item]))
    now.advance(timedelta(minutes=2))
    assert await DueDispatcher(db, now, settings).run_once() == len(expected) - 1
    del expected[bad]
    check(db, expected)
    with db.session() as s:
        status = {t.ref_id: t.status for t in s.exec(select(DueTask)).all()}
    assert status[bad] == "pending"  # rolled back: retried when its lease runs out
    assert {status[m] for m in expected} == {"done"}


INDEXES = {"meeting": "ix_meeting_starts_at", "due_task": "ix_due_task_ref"}


@pytest.mark.parametrize("backend", BACKENDS)
def test_the_scale_indexes_come_and_go_with_their_migration(backend: str, tmp_path: Path) -> None:
    url = fresh_database_url(backend, tmp_path, "empirie_scale_indexes")

    def present() -> set[str]:
        engine = create_engine(url)
        found = {
            name
            for t, name in INDEXES.items()
            if name in {i["name"] for i in inspect(engine).get_indexes(t)}
        }
        engine.dispose()
        return found

    try:
        upgrade(url)
        assert present() == set(INDEXES.values())
        command.downgrade(alembic_config(url), "0006")
        assert present() == set()
        upgrade(url)
        assert present() == set(INDEXES.values())
    finally:
        if backend == "postgres":
            drop_database(url)

"""PostgreSQL connections killed under the bot (`pg_terminate_backend`, as a server restart or
a failover does): people keep answering invitations and booking office hours through the
router meanwhile. Every person gets a Polish answer (never a traceback), the bot reconnects by
itself, and nothing a person was told is saved is missing afterwards."""

from __future__ import annotations

import asyncio
import itertools
import logging
import re
import threading
from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta
from pathlib import Path

import pytest
from sqlalchemy import create_engine, text
from sqlmodel import select

from bot.router import Router
from core.clock import FrozenClock
from core.config import Settings
from core.messages import ChatRef, Incoming, Sender
from models import seed
from models.db import Database
from models.meetings import Rsvp
from models.office_hours import OfficeBooking, OfficeWaitlist
from tests.cast import find_cast
from tests.conftest import POSTGRES_OK, START, Chat, drop_database, fresh_database_url
from tests.polish import assert_polish
from tests.test_office_hours import FIRST, add_city, define

CITIES = 16
ANSWERS = ("stacjonarnie", "online", "moze", "nie")
AGAIN = "Wyślij to proszę jeszcze raz"  # the reply when even the second try lost the database
PAUSE = 0.3  # seconds between kills
TRIES = 6  # a person sends the same thing again at most this often


class Killer:
    """From a thread, every `PAUSE` seconds: terminates the bot's connections that are in the
    middle of work (a statement running or a transaction open), as a failover would."""

    def __init__(self, url: str) -> None:
        self.engine = create_engine(url, isolation_level="AUTOCOMMIT")
        self.name = url.rsplit("/", 1)[1]
        self.stop = threading.Event()
        self.killed = 0

    def run(self) -> None:
        with self.engine.connect() as conn:
            while not self.stop.wait(PAUSE):
                self.killed += conn.execute(
                    text(
                        "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity "
                        "WHERE datname = :name AND pid <> pg_backend_pid() "
                        "AND state IN ('active', 'idle in transaction')"
                    ),
                    {"name": self.name},
                ).scalar_one()
        self.engine.dispose()


@pytest.mark.skipif(not POSTGRES_OK, reason="PostgreSQL not reachable (outside CI)")
async def test_killed_connections_lose_no_answer_and_show_no_traceback(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    url = fresh_database_url("postgres", tmp_path, "empirie_kill")
    db = Database(url)
    db.create_all()
    clock = FrozenClock(START)
    try:
        with db.session() as s:
            seed.seed_demo(s, clock.now())
        router = Router(
            db, clock, Settings(EMPIRIE_DATABASE_URL=url, EMPIRIE_FILES_DIR=str(tmp_path / "files"))
        )
        chat = Chat(router)
        cast = find_cast(db)
        created = await chat.text(
            cast.coordinator,
            "/spotkanie_nowe cyfrowe; Spotkanie; "
            "12.12.2026 10:00; hybrydowe; 6; Łomża; https://example.org/x;"
            " 200; nie",
        )
        meeting = int(re.search(r"nr (\d+)", created).group(1))  # type: ignore[union-attr]
        sessions = await define(chat, cast.expert)
        clock.set(FIRST - timedelta(days=7))  # booking opens
        people = [add_city(db, f"Miasto {n}") for n in range(CITIES)]
        event_ids = itertools.count(1)

        def say(person: int, command: str) -> list[str]:
            """A person sends `command` until the bot says something other than "again";
            returns every reply they saw."""
            seen: list[str] = []
            for _ in range(TRIES):
                incoming = Incoming(
                    Sender("console", str(person)),
                    ChatRef("console", str(person), private=True),
                    text=command,
                    event_id=f"kill-{next(event_ids)}",
                )
                reply = "\n".join(m.text for m in asyncio.run(router.handle(incoming)))
                seen.append(reply)
                if AGAIN not in reply:
                    break
            return seen

        commands = {
            person: {
                "rsvp": f"/rsvp {meeting} {ANSWERS[i % len(ANSWERS)]} bez glutenu",
                "book": f"/dyzur_rezerwuj {sessions[0]} - temat {person}",
            }
            for i, person in enumerate(people)
        }

        def work(person: int) -> dict[str, list[str]]:
            return {kind: say(person, command) for kind, command in commands[person].items()}

        killer = Killer(url)
        thread = threading.Thread(target=killer.run)
        with caplog.at_level(logging.WARNING, logger="empirie"):
            thread.start()
            try:
                with ThreadPoolExecutor(max_workers=8) as pool:
                    results = list(pool.map(work, people))
            finally:
                killer.stop.set()
                thread.join(30)
            assert killer.killed > 0
            # after the storm the bot reconnects by itself: whoever was asked to send something
            # again does so and gets through, and everyone sees their own state
            for person, result in zip(people, results, strict=True):
                for kind, replies in result.items():
                    if AGAIN in replies[-1]:
                        replies += await asyncio.to_thread(say, person, commands[person][kind])
            after = {person: await chat.text(person, "/moje_spotkania") for person in people}

        disconnects = [r for r in caplog.records if r.getMessage().startswith("db.disconnected")]
        assert disconnects, "no update was hit by a killed connection: the test proves nothing"
        crashes = [
            r.getMessage() for r in caplog.records if r.getMessage().startswith("handler.crash")
        ]
        assert crashes == []  # a lost connection is never the generic "something went wrong"

        for replies in (r for result in results for r in result.values()):
            for reply in replies:
                assert_polish(reply)
                assert "Traceback" not in reply and "psycopg" not in reply
                assert "Error" not in reply and "SELECT" not in reply
        final = {
            person: {k: v[-1] for k, v in result.items()}
            for person, result in zip(people, results, strict=True)
        }
        with db.session() as s:
            rsvps = {
                r.person_id: r for r in s.exec(select(Rsvp).where(Rsvp.meeting_id == meeting)).all()
            }
            booked = s.exec(select(OfficeBooking).where(OfficeBooking.active_slot != None)).all()  # noqa: E711
            waiting = s.exec(select(OfficeWaitlist)).all()
            cities = {p: directory_city(s, p) for p in people}
        for index, person in enumerate(people):
            rsvp, book = final[person]["rsvp"], final[person]["book"]
            assert rsvp.startswith("Zapisano"), rsvp  # every person got through in the end…
            assert rsvps[person].answer == ANSWERS[index % len(ANSWERS)]  # …and it is saved
            session = sessions[0]
            # booked, or (the reply to a booking lost with the connection) told so on resending
            if "Zarezerwowano" in book or "Twoje miasto ma już termin" in book:
                assert any(
                    b.city_id == cities[person] and b.session_id == session for b in booked
                ), book
            else:
                assert "liście rezerwowej" in book, book
                assert any(
                    w.city_id == cities[person] and w.session_id == session for w in waiting
                ), book
            assert "Spotkanie" in after[person]  # the meeting they answered is listed
        per_slot = [(b.session_id, b.slot) for b in booked]
        assert len(per_slot) == len(set(per_slot))  # no slot held twice
        assert len(booked) == 4  # every slot taken, by one city each
    finally:
        db.dispose()
        drop_database(url)


def directory_city(s: object, person_id: int) -> int:
    from models.core import Person

    person = s.get(Person, person_id)  # type: ignore[attr-defined]
    assert person is not None and person.city_id is not None
    return person.city_id

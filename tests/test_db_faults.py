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
from sqlalchemy.exc import OperationalError
from sqlmodel import Session, select

from bot.router import Router
from core.clock import FrozenClock, SystemClock
from core.config import Settings
from core.messages import ChatRef, Incoming, Sender
from models import seed
from models.core import Account
from models.db import Database
from models.meetings import Rsvp
from models.office_hours import OfficeBooking, OfficeWaitlist
from tests.burst_scenario import add_representatives, running_bot
from tests.cast import find_cast
from tests.conftest import POSTGRES_OK, START, Chat, drop_database, fresh_database_url
from tests.fakes import telegram_updates as tg
from tests.fakes.telegram_api import FakeBotApi
from tests.polish import assert_polish
from tests.test_office_hours import FIRST, add_city, define

CITIES = 16
ANSWERS = ("stacjonarnie", "online", "moze", "nie")
AGAIN = "Wyślij to proszę jeszcze raz"  # the reply when even the second try lost the database
PAUSE = 0.3  # seconds between kills
TRIES = 20  # a person sends the same thing again at most this often (kills come every PAUSE
# seconds whatever the speed of the machine, so on a loaded one an answer may be hit often)


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


# --- the reply of a stored change, through Telegram ------------------------------------------

RSVP_PEOPLE = 60
FIRST_RSVP = 930_000
NOTED = "Zapisano Cię na spotkanie"


@pytest.mark.skipif(not POSTGRES_OK, reason="PostgreSQL not reachable (outside CI)")
async def test_killed_connections_every_stored_answer_is_confirmed(
    tmp_path: Path, api: FakeBotApi, caplog: pytest.LogCaptureFixture
) -> None:
    """People answer an invitation with /rsvp in their private Telegram chats (real PTB, the
    fake Bot API) while connections are killed: everyone whose answer is stored got its
    confirmation, including when the connection died after the commit (in the commit's
    answer, or in the database work of sending the reply)."""
    url = fresh_database_url("postgres", tmp_path, "empirie_kill_replies")
    db = Database(url)
    db.create_all()
    clock = SystemClock()
    try:
        with db.session() as s:
            seed.seed_demo(s, clock.now())
        settings = Settings(EMPIRIE_DATABASE_URL=url, EMPIRIE_FILES_DIR=str(tmp_path / "files"))
        cast = find_cast(db)
        day = (clock.now() + timedelta(days=60)).astimezone(settings.tz)
        created = await Chat(Router(db, clock, settings)).text(
            cast.coordinator,
            f"/spotkanie_nowe cyfrowe; Spotkanie; {day:%d.%m.%Y} 10:00; hybrydowe; 6; "
            f"Łomża; https://example.org/x; {RSVP_PEOPLE}; nie",
        )
        meeting = int(re.search(r"nr (\d+)", created).group(1))  # type: ignore[union-attr]
        people = [
            FIRST_RSVP + i
            for i in range(len(add_representatives(db, RSVP_PEOPLE, clock.now(), first=FIRST_RSVP)))
        ]

        def replies(person: int) -> list[str]:
            return [t for t in api.texts(person) if not t.startswith("📅")]

        async with running_bot(api, db, clock, settings):
            killer = Killer(url)
            thread = threading.Thread(target=killer.run)
            with caplog.at_level(logging.INFO):
                thread.start()
                try:
                    seen = {p: 0 for p in people}
                    for _ in range(TRIES):  # whoever is asked to send it again does
                        for i, person in enumerate(people):
                            if seen[person] == len(replies(person)) and seen[person] > 0:
                                continue
                            if seen[person] and AGAIN not in replies(person)[-1]:
                                continue
                            seen[person] = len(replies(person))
                            await api.inject(
                                tg.message(
                                    tg.user(person),
                                    tg.private_chat(person),
                                    f"/rsvp {meeting} {ANSWERS[i % 2]}",
                                )
                            )
                            await asyncio.sleep(0.02)
                        await api.wait_for(
                            lambda: all(len(replies(p)) > seen[p] for p in people), timeout=60
                        )
                        if not any(AGAIN in replies(p)[-1] for p in people):
                            break
                finally:
                    killer.stop.set()
                    thread.join(30)
                await asyncio.sleep(1.5)  # anything still on its way arrives
        assert killer.killed > 0
        disconnects = [r for r in caplog.records if r.getMessage().startswith("db.disconnected")]
        assert disconnects, "no update was hit by a killed connection: the test proves nothing"
        errors = [
            r.getMessage() for r in caplog.records if r.levelno >= logging.ERROR and r.exc_info
        ]
        assert errors == []  # nothing in the reply path broke
        with db.session() as s:
            stored = {
                r.person_id: r.answer
                for r in s.exec(select(Rsvp).where(Rsvp.meeting_id == meeting)).all()
            }
            accounts = {
                int(a.external_id): a.person_id
                for a in s.exec(select(Account).where(Account.platform == "telegram")).all()
            }
        assert len(stored) == RSVP_PEOPLE  # every answer got through in the end…
        for person in people:
            confirmations = [t for t in replies(person) if NOTED in t]
            assert confirmations, (person, replies(person))  # …and every one was confirmed
            assert stored[accounts[person]] in ("stacjonarnie", "online")
            for reply in replies(person):
                assert_polish(reply)
    finally:
        db.dispose()
        drop_database(url)


async def test_a_commit_whose_answer_was_lost_is_still_confirmed(
    chat: Chat, seeded: Database, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The connection dies after the database committed the answer but before the bot heard
    so (a failover in the commit's reply). The bot runs the update again, finds it done, and
    confirms what was stored — not silence, not "send it again"."""
    cast = find_cast(seeded)
    created = await chat.text(
        cast.coordinator,
        "/spotkanie_nowe cyfrowe; Spotkanie; 12.12.2026 10:00; hybrydowe; 6; Łomża; "
        "https://example.org/x; 20; nie",
    )
    meeting = int(re.search(r"nr (\d+)", created).group(1))  # type: ignore[union-attr]
    real_commit = Session.commit
    lost: list[bool] = []

    def commit_then_lose_the_answer(session: Session) -> None:
        real_commit(session)
        if not lost:
            lost.append(True)
            raise OperationalError(
                "COMMIT", {}, Exception("server closed the connection"), connection_invalidated=True
            )

    monkeypatch.setattr(Session, "commit", commit_then_lose_the_answer)
    reply = "\n".join(
        m.text
        for m in await chat.say(cast.laureate_rep, f"/rsvp {meeting} online", event_id="lost-1")
    )
    monkeypatch.undo()
    assert lost  # the fault happened
    assert "Zapisano Cię na spotkanie nr 1 (online)" in reply, reply
    with seeded.session() as s:
        stored = s.exec(select(Rsvp).where(Rsvp.meeting_id == meeting)).all()
    assert [(r.person_id, r.answer) for r in stored] == [(cast.laureate_rep, "online")]

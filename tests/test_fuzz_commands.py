"""Every registered command, with arbitrary arguments, as every kind of person in every kind of
chat: the bot never reaches the router's apology path, always answers a private message, and
whatever it says is Polish from the catalogue (tests/polish.py), never a traceback.

New commands join automatically (REGISTRY.commands()); a crash found here is a bug in the
command, not in this test. It runs on SQLite and on PostgreSQL (fewer examples there:
EMPIRIE_FUZZ_EXAMPLES_PG), with values over every column's length, NUL bytes and other control
characters among the pieces: PostgreSQL refuses what SQLite stores, so a missed length check
shows up there as a crash (tests/test_field_limits.py covers each field by name).
"""

from __future__ import annotations

import asyncio
import logging
import os
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from bot.router import Router
from core.clock import FrozenClock
from core.config import Settings
from core.messages import Outgoing
from handlers import load_all
from handlers.kit.registry import REGISTRY
from models import seed
from models.core import Account, Person
from models.db import Database
from tests.cast import find_cast
from tests.conftest import POSTGRES_OK, START, Chat, drop_database, fresh_database_url
from tests.polish import polish_problem

load_all()
NAMES = sorted({c.name for c in REGISTRY.commands()})
# Pieces that have broken parsers before: unicode digits, huge numbers, far dates, NUL, codes.
TOKENS = [
    "1",
    "2",
    "3",
    "0",
    "-1",
    "²",
    "①",
    "٣",
    "9223372036854775808",
    "1e9",
    "99999999999",
    "cyfrowe",
    "liderzy",
    "zielone",
    "nic",
    "potwierdzam",
    "stacjonarnie",
    "online",
    "nie",
    "moze",
    "tak",
    "tytul",
    "miejsce",
    "link",
    "program",
    "limit",
    "12.05.2027 10:00",
    "01.01.0001 10:00",
    "31.12.9999 23:59",
    "jutro 10:00",
    "29.02 10:00",
    "\x00",
    ";",
    "; ; ; ;",
    "x" * 400,
    "ż" * 300,
    # just over a column: a city (120), a name or e-mail (200), a title (200/300), a link (500)
    "Ś" * 121,
    "N" * 201,
    "a" * 196 + "@b.pl",
    "T" * 301,
    "https://example.org/" + "l" * 490,
    "F" * 121 + ";" + "G" * 201,
    "T\x00T",
    "\x07\x1b",
    "%",
    "' OR 1=1 --",
    "@bot",
    "\n",
    "hybrydowe",
    "wszystkie",
    "rdzen",
    "czaty",
    "prywatnie",
    "teraz",
    "bez",
    "-",
]
NUMBERS = ["1", "2", "²", "①", "٣", "9223372036854775808", "0", "-5", "12abc"]
WORDS = st.lists(st.one_of(st.sampled_from(TOKENS), st.text(max_size=30)), max_size=6).map(
    lambda parts: " ".join(parts)
)
# Most commands take an object number first: aim there often.
ARGS = st.one_of(WORDS, st.tuples(st.sampled_from(NUMBERS), WORDS).map(" ".join))
CHATS = [None, "cyfrowe", "liderzy", "luzna-grupa"]  # private, bound, closed bound, unbound
# Each command's own example with one value replaced by something a column cannot hold (just
# over its length, a NUL, control characters): random words rarely get that far.
EXAMPLES = {
    c.name: c.example.replace("…", "example.org/x")
    for c in REGISTRY.commands()
    if c.example.startswith(f"/{c.name} ")
}
HOSTILE = [
    "Ś" * 121,
    "N" * 201,
    "a" * 196 + "@b.pl",
    "T" * 301,
    "https://example.org/" + "l" * 490,
    "P" * 301,
    "x" * 4001,
    "Ł\x00ódź",
    "\x00",
    "Nowe\x07 Miasto\x1b",
]


def _hostile(example: str, piece: int, value: str) -> str:
    """The example's arguments with the `piece`-th (of `;`-fields or words) made `value`."""
    args = example.split(None, 1)[1]
    separator = "; " if ";" in args else " "
    parts = [p.strip() for p in args.split(separator.strip() or None)]
    parts[piece % len(parts)] = value
    return separator.join(parts)


World = tuple[Chat, list[int | None], FrozenClock]


@pytest.fixture
def world(tmp_path: Path) -> Iterator[World]:
    db = Database(f"sqlite:///{tmp_path / 'fuzz.db'}")
    yield _world(db, tmp_path)
    db.dispose()


@pytest.fixture
def pg_world(tmp_path: Path) -> Iterator[World]:
    url = fresh_database_url("postgres", tmp_path, "empirie_fuzz")
    db = Database(url)
    yield _world(db, tmp_path)
    db.dispose()
    drop_database(url)


def _world(db: Database, tmp_path: Path) -> World:
    db.create_all()
    clock = FrozenClock(START)
    with db.session() as s:
        seed.seed_demo(s, clock.now())
    router = Router(
        db,
        clock,
        Settings(
            EMPIRIE_DATABASE_URL=f"sqlite:///{tmp_path / 'u.db'}",
            EMPIRIE_FILES_DIR=str(tmp_path / "files"),
        ),
    )
    chat = Chat(router)
    cast = find_cast(db)
    # a stranger, every role of handlers/kit/permissions (staff: coordinating team, coordinators,
    # expert, organiser; representatives of every standing) and a person with no role at all
    people: list[int | None] = [
        None,
        cast.team,
        cast.coordinator,
        cast.other_coordinator,
        cast.expert,
        cast.organiser,
        cast.laureate_rep,
        cast.laureate_rep2,
        cast.observer_rep,
        cast.mayor,
        _without_role(db),
    ]
    return chat, people, clock


def _without_role(db: Database) -> int:
    """Linked, but in no network (e.g. their city left, their role ended)."""
    with db.session() as s:
        person = Person(name="Bez Roli", created_at=START)
        s.add(person)
        s.flush()
        s.add(
            Account(
                person_id=person.id or 0,
                platform="console",
                external_id=str(person.id),
                linked_at=START,
            )
        )
        return person.id or 0


def _check_replies(replies: list[Outgoing], private: bool, what: object) -> None:
    """Private messages are always answered; anything said is Polish (groups may stay quiet)."""
    if private:
        assert any(m.text.strip() or m.files for m in replies), ("no answer", what)
    for message in replies:
        if message.text.strip():
            problem = polish_problem(message.text)
            assert problem is None, (problem, message.text[:300], what)


async def _prepare(chat: Chat, people: list[int | None]) -> None:
    team, coordinator = people[1], people[2]
    await chat.say(
        coordinator,
        "/spotkanie_nowe cyfrowe; Spotkanie; 12.12.2026 10:00; "
        "hybrydowe; 6; Łomża; https://example.org/x; 2; nie",
    )
    await chat.say(
        team,
        "/spotkanie_nowe liderzy; Zamknięte; 13.12.2026 10:00; online; 4; ; https://example.org/l",
    )
    await chat.say(coordinator, "/ogloszenie")
    for step in ("Treść", "bez", "cyfrowe", "wszyscy", "czaty", "nie", "teraz"):
        await chat.say(coordinator, step)


@settings(
    max_examples=int(os.environ.get("EMPIRIE_FUZZ_EXAMPLES", "400")),
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(data=st.data())
def test_no_command_crashes(
    world: World, caplog: pytest.LogCaptureFixture, data: st.DataObject
) -> None:
    _one_example(world, caplog, data)


@pytest.mark.skipif(not POSTGRES_OK, reason="PostgreSQL not reachable (outside CI)")
@settings(
    max_examples=int(os.environ.get("EMPIRIE_FUZZ_EXAMPLES_PG", "150")),
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(data=st.data())
def test_no_command_crashes_on_postgres(
    pg_world: World, caplog: pytest.LogCaptureFixture, data: st.DataObject
) -> None:
    _one_example(pg_world, caplog, data)


def _one_example(world: World, caplog: pytest.LogCaptureFixture, data: st.DataObject) -> None:
    chat, people, clock = world
    loop = asyncio.new_event_loop()
    try:
        if not getattr(chat, "prepared", False):
            loop.run_until_complete(_prepare(chat, people))
            chat.prepared = True  # type: ignore[attr-defined]
        name = data.draw(st.sampled_from(NAMES), label="command")
        if name in EXAMPLES and data.draw(st.booleans(), label="hostile worked example"):
            piece = data.draw(st.integers(0, 9), label="which value")
            args = _hostile(EXAMPLES[name], piece, data.draw(st.sampled_from(HOSTILE)))
            who = data.draw(st.sampled_from(people[1:3]), label="staff")  # who may do most
            room = data.draw(st.sampled_from([None, None, "cyfrowe"]), label="chat")
        else:
            args = data.draw(ARGS, label="args")
            who = data.draw(st.sampled_from(people), label="person")
            room = data.draw(st.sampled_from(CHATS), label="chat")
        follow = data.draw(st.lists(ARGS, max_size=2), label="follow-up text")
        if data.draw(st.booleans(), label="later"):
            clock.advance(timedelta(days=data.draw(st.integers(0, 40))))
        caplog.clear()
        with caplog.at_level(logging.ERROR, logger="empirie"):
            command = f"/{name} {args}"
            replies = loop.run_until_complete(chat.say(who, command, chat=room))
            _check_replies(replies, room is None, (command, who, room))
            for text in follow:  # a guided flow's next answers, or ordinary chatter
                replies = loop.run_until_complete(chat.say(who, text, chat=room))
                if text.strip():  # (whitespace alone may be ignored)
                    _check_replies(replies, room is None, (command, text, who, room))
        crashes = [r for r in caplog.records if r.getMessage().startswith("handler.crash")]
        assert not crashes, (
            name,
            args,
            who,
            room,
            follow,
            [logging.Formatter().formatException(r.exc_info) for r in crashes if r.exc_info][:1],
        )
    finally:
        loop.close()

"""Fixtures: the real stores (a SQLite file and the PostgreSQL server), a clock tests can move,
and a chat driver that talks to the router the way a transport does."""

from __future__ import annotations

import os
from collections.abc import AsyncIterator, Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest
from hypothesis import HealthCheck
from hypothesis import settings as hypothesis_settings
from sqlalchemy import create_engine, text
from sqlmodel import SQLModel

import models  # noqa: F401  (registers tables)
from bot.router import Router
from core.clock import FrozenClock
from core.config import Settings
from core.messages import ChatRef, EventKind, Incoming, Outgoing, Sender
from models import seed
from models.db import Database
from tests.fakes.graph_api import FakeGraph
from tests.fakes.telegram_api import FakeBotApi

POSTGRES_URL = os.environ.get(
    "EMPIRIE_TEST_POSTGRES_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test"
)
IN_CI = os.environ.get("CI", "").lower() in ("1", "true", "yes")
START = datetime(2026, 11, 23, 9, 0, tzinfo=UTC)

# Property-based tests: bounded in CI (a couple of seconds per property on 2 cores), more
# locally on request (HYPOTHESIS_PROFILE=deep). A failure prints the blob to reproduce it.
# (The every-command fuzz sets its own count: EMPIRIE_FUZZ_EXAMPLES.)
for _name, _examples in (("ci", 300), ("dev", 150), ("deep", 5000)):
    hypothesis_settings.register_profile(
        _name,
        max_examples=_examples,
        deadline=None,
        print_blob=True,
        suppress_health_check=[HealthCheck.too_slow],
    )
hypothesis_settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "ci" if IN_CI else "dev"))


def _postgres_reachable() -> bool:
    try:
        engine = create_engine(POSTGRES_URL, connect_args={"connect_timeout": 3})
        with engine.connect() as conn:
            conn.execute(text("select 1"))
        engine.dispose()
        return True
    except Exception:
        return False


# In CI a missing PostgreSQL is a failure (the fixture errors), never a silent skip.
POSTGRES_OK = IN_CI or _postgres_reachable()
BACKENDS = [
    "sqlite",
    pytest.param(
        "postgres",
        marks=pytest.mark.skipif(not POSTGRES_OK, reason="PostgreSQL not reachable (outside CI)"),
    ),
]


def fresh_database_url(backend: str, tmp_path: Path, name: str) -> str:
    """An empty database of its own (for migrations and for other processes to share).

    PostgreSQL names carry the test run's pid, so two runs on one server never collide."""
    if backend == "sqlite":
        return f"sqlite:///{tmp_path / (name + '.db')}"
    name = f"{name}_{os.getpid()}"
    admin = create_engine(POSTGRES_URL, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)"))
        conn.execute(text(f"CREATE DATABASE {name}"))
    admin.dispose()
    return POSTGRES_URL.rsplit("/", 1)[0] + f"/{name}"


def drop_database(url: str) -> None:
    admin = create_engine(POSTGRES_URL, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f"DROP DATABASE IF EXISTS {url.rsplit('/', 1)[1]} WITH (FORCE)"))
    admin.dispose()


@pytest.fixture(scope="session")
def postgres_db(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Database]:
    url = fresh_database_url("postgres", tmp_path_factory.mktemp("pg"), "empirie_test")
    db = Database(url)
    db.create_all()
    yield db
    db.dispose()
    drop_database(url)


def _truncate(db: Database) -> None:
    names = ", ".join(f'"{t.name}"' for t in SQLModel.metadata.sorted_tables)
    with db.engine.begin() as conn:
        conn.execute(text(f"TRUNCATE {names} RESTART IDENTITY CASCADE"))


@pytest.fixture(params=BACKENDS)
def db(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Database]:
    if request.param == "sqlite":
        database = Database(f"sqlite:///{tmp_path / 'test.db'}")
        database.create_all()
        yield database
        database.dispose()
    else:
        database = request.getfixturevalue("postgres_db")
        _truncate(database)
        yield database


@pytest.fixture
def clock() -> FrozenClock:
    return FrozenClock(START)


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    return Settings(
        EMPIRIE_DATABASE_URL=f"sqlite:///{tmp_path / 'unused.db'}",
        EMPIRIE_FILES_DIR=str(tmp_path / "files"),
    )


@pytest.fixture
def seeded(db: Database, clock: FrozenClock) -> Database:
    with db.session() as s:
        seed.seed_demo(s, clock.now())
    return db


@pytest.fixture
def router(seeded: Database, clock: FrozenClock, settings: Settings) -> Router:
    return Router(seeded, clock, settings)


class Chat:
    """Speaks to the router like a transport: as a person, in a network chat or privately."""

    def __init__(self, router: Router, platform: str = "console") -> None:
        self.router = router
        self.platform = platform

    async def say(
        self,
        who: int | str | None,
        text: str,
        chat: str | None = None,
        event_id: str | None = None,
        kind: EventKind = EventKind.TEXT,
    ) -> list[Outgoing]:
        user = str(who) if who is not None else "stranger"
        room = (
            ChatRef(self.platform, chat, private=False)
            if chat
            else ChatRef(self.platform, user, private=True)
        )
        return await self.router.handle(
            Incoming(Sender(self.platform, user), room, kind, text, event_id)
        )

    async def text(self, who: int | str | None, text: str, chat: str | None = None) -> str:
        return "\n".join(m.text for m in await self.say(who, text, chat))


@pytest.fixture
def chat(router: Router) -> Chat:
    return Chat(router)


@pytest.fixture
async def api() -> AsyncIterator[FakeBotApi]:
    """The fake Bot API server, listening on 127.0.0.1."""
    fake = FakeBotApi()
    await fake.start()
    yield fake
    await fake.stop()


@pytest.fixture
async def graph() -> AsyncIterator[FakeGraph]:
    """The fake Microsoft Graph server, listening on 127.0.0.1 (for the real msgraph-sdk)."""
    fake = FakeGraph()
    await fake.start()
    yield fake
    await fake.stop()

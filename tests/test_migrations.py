"""Alembic builds the same schema the models describe, on SQLite and PostgreSQL."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import create_engine
from sqlmodel import SQLModel

from bot.migrate import upgrade
from tests.conftest import BACKENDS, drop_database, fresh_database_url


@pytest.fixture(params=BACKENDS)
def empty_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    url = fresh_database_url(request.param, tmp_path, "empirie_migrations")
    yield url
    if request.param == "postgres":
        drop_database(url)


def test_upgrade_head_matches_models(empty_url: str) -> None:
    upgrade(empty_url)
    upgrade(empty_url)  # idempotent: a restart migrates nothing twice
    engine = create_engine(empty_url)
    with engine.connect() as conn:
        diff = compare_metadata(MigrationContext.configure(conn), SQLModel.metadata)
    engine.dispose()
    assert diff == []


def test_the_migrated_outbox_triggers_are_the_models(empty_url: str) -> None:
    """The triggers that keep each chat's head, as the migrations leave them, are those
    `create_all` makes (models.outbox.HEAD_DDL): a migrated production database behaves as
    the tested one."""
    import re

    from sqlalchemy import text

    from models.outbox import HEAD_DDL

    upgrade(empty_url)
    engine = create_engine(empty_url)
    with engine.connect() as conn:
        dialect = conn.dialect.name
        if dialect == "postgresql":
            found = dict(
                conn.execute(
                    text(
                        "SELECT proname, prosrc FROM pg_proc WHERE proname IN "
                        "('outbox_head_queued', 'outbox_head_next')"
                    )
                ).all()
            )
        else:
            found = dict(
                conn.execute(
                    text("SELECT name, sql FROM sqlite_master WHERE type = 'trigger'")
                ).all()
            )
    engine.dispose()

    def words(sql: str) -> str:
        return " ".join(sql.split())

    if dialect == "postgresql":
        bodies = {
            re.search(r"FUNCTION (\w+)\(", ddl).group(1): ddl.split("$$")[1]  # type: ignore[union-attr]
            for ddl in HEAD_DDL["postgresql"]
            if "FUNCTION" in ddl.split("\n")[0]
        }
        assert {name: words(body) for name, body in bodies.items()} == {
            name: words(body) for name, body in found.items()
        }
        assert "(o.status || '') = 'pending'" in found["outbox_head_queued"]
    else:
        expected = {
            re.search(r"TRIGGER (\w+)", ddl).group(1): words(ddl)  # type: ignore[union-attr]
            for ddl in HEAD_DDL["sqlite"]
        }
        assert {name: words(sql) for name, sql in found.items() if name in expected} == expected


def test_the_newest_revision_is_read_as_alembic_reads_it() -> None:
    from alembic.script import ScriptDirectory

    from bot.migrate import alembic_config, script_heads

    assert script_heads() == set(
        ScriptDirectory.from_config(alembic_config("sqlite://")).get_heads()
    )


def test_a_database_behind_the_newest_revision_is_still_upgraded(empty_url: str) -> None:
    from alembic.script import ScriptDirectory

    from bot.migrate import alembic_config, at_head

    script = ScriptDirectory.from_config(alembic_config(empty_url))
    head = script.get_current_head()
    previous = script.get_revision(head).down_revision  # type: ignore[union-attr]
    assert isinstance(previous, str)
    upgrade(empty_url, previous)
    assert not at_head(empty_url)
    upgrade(empty_url)  # a start after installing a newer version
    assert at_head(empty_url)
    engine = create_engine(empty_url)
    with engine.connect() as conn:
        diff = compare_metadata(MigrationContext.configure(conn), SQLModel.metadata)
    engine.dispose()
    assert diff == []


def test_migration_files_are_numbered_in_chain_order() -> None:
    """A newcomer reads migrations/versions top to bottom as the database went: each file's
    number is its place in the chain (revision ids stay as deployed databases know them)."""
    from alembic.script import ScriptDirectory

    from bot.migrate import alembic_config

    script = ScriptDirectory.from_config(alembic_config("sqlite://"))
    chain = list(reversed(list(script.walk_revisions())))
    numbers = [Path(rev.path).name.split("_")[0] for rev in chain]
    assert numbers == [f"{n:04d}" for n in range(1, len(chain) + 1)]


def test_polls_closed_before_0019_keep_their_counts_and_markers_say_asked(empty_url: str) -> None:
    """A database from before the poll counts: a closed poll's markers still said how far
    each person got. The upgrade moves the counts to the poll and blanks the markers (and
    the buttons of its questions); a running poll keeps what resuming needs."""
    from datetime import UTC, datetime

    from sqlalchemy import MetaData, insert, select

    upgrade(empty_url, "0016_office_title")
    engine = create_engine(empty_url)
    now = datetime(2026, 12, 1, tzinfo=UTC)
    tables = MetaData()
    tables.reflect(engine)
    t = tables.tables
    with engine.begin() as conn:
        conn.execute(
            insert(t["network"]).values(id=1, code="cyfrowe", name="C", theme="C", closed=False)
        )
        conn.execute(
            insert(t["person"]),
            [{"id": n, "office": "official", "created_at": now} for n in (1, 2, 3)],
        )
        common = {"network_id": 1, "kind": "meeting", "survey": "meeting", "questions": []}
        conn.execute(
            insert(t["poll"]),
            [
                {
                    **common,
                    "id": 1,
                    "title": "A",
                    "status": "closed",
                    "anonymous": True,
                    "opens_at": now,
                    "closes_at": now,
                },
                {
                    **common,
                    "id": 2,
                    "title": "B",
                    "status": "open",
                    "anonymous": True,
                    "opens_at": now,
                    "closes_at": now,
                },
            ],
        )
        conn.execute(
            insert(t["poll_participant"]),
            [
                {"poll_id": 1, "person_id": 1, "progress": 6, "done": True, "reminded": False},
                {"poll_id": 1, "person_id": 2, "progress": 2, "done": False, "reminded": True},
                {"poll_id": 1, "person_id": 3, "progress": 0, "done": False, "reminded": True},
                {"poll_id": 2, "person_id": 1, "progress": 3, "done": False, "reminded": False},
            ],
        )
        conn.execute(
            insert(t["action_token"]),
            [
                {
                    "token": k,
                    "payload": payload,
                    "platform": "console",
                    "chat_id": "2",
                    "created_at": now,
                    "expires_at": now,
                }
                for k, payload in (
                    ("a", "/ankieta 1 3 4"),
                    ("b", "/ankieta 2 4 -"),
                    ("c", "/ankieta 12 1 1"),
                )
            ],
        )
    upgrade(empty_url)
    tables = MetaData()
    tables.reflect(engine)
    t = tables.tables
    with engine.connect() as conn:
        polls = {r.id: (r.answered, r.finished) for r in conn.execute(select(t["poll"]))}
        marks = {
            (r.poll_id, r.person_id): (r.progress, bool(r.done), bool(r.reminded))
            for r in conn.execute(select(t["poll_participant"]))
        }
        tokens = {r.payload for r in conn.execute(select(t["action_token"]))}
    engine.dispose()
    assert polls == {1: (2, 1), 2: (None, None)}
    assert marks == {
        (1, 1): (0, False, False),
        (1, 2): (0, False, False),
        (1, 3): (0, False, False),
        (2, 1): (3, False, False),  # still running: where person 1 resumes
    }
    assert tokens == {"/ankieta 2 4 -", "/ankieta 12 1 1"}

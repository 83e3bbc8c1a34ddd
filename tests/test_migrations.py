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

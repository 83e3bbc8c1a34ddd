"""Alembic builds the same schema the models describe, on SQLite and PostgreSQL."""

from __future__ import annotations

from pathlib import Path

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import create_engine, text
from sqlmodel import SQLModel

from bot.migrate import upgrade
from tests.conftest import BACKENDS, POSTGRES_URL


@pytest.fixture(params=BACKENDS)
def empty_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'migrated.db'}"
    admin = create_engine(POSTGRES_URL, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text("DROP DATABASE IF EXISTS empirie_migrations WITH (FORCE)"))
        conn.execute(text("CREATE DATABASE empirie_migrations"))
    admin.dispose()
    return POSTGRES_URL.rsplit("/", 1)[0] + "/empirie_migrations"


def test_upgrade_head_matches_models(empty_url: str) -> None:
    upgrade(empty_url)
    upgrade(empty_url)  # idempotent: a restart migrates nothing twice
    engine = create_engine(empty_url)
    with engine.connect() as conn:
        diff = compare_metadata(MigrationContext.configure(conn), SQLModel.metadata)
    engine.dispose()
    assert diff == []

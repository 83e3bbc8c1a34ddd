"""Alembic, driven from code: `empirie-bot migrate` and start-up both call `upgrade`.

Start-up on a database that is already at the newest revision is the usual case, so that is
checked first without alembic: the newest revision is read from the migration files' headers
and compared with the database's `alembic_version`. Importing alembic (with mako and pygments)
costs ~0.3 s and ~10 MB on every start; it is loaded only when there is something to migrate.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING

from sqlalchemy import create_engine, inspect, pool, text
from sqlalchemy.exc import SQLAlchemyError

if TYPE_CHECKING:
    from alembic.config import Config

MIGRATIONS = Path(__file__).resolve().parent.parent / "migrations"
_REVISION = re.compile(r"^revision\s*(?::[^=\n]*)?=\s*['\"]([^'\"]+)['\"]", re.MULTILINE)
_DOWN_REVISION = re.compile(r"^down_revision\s*(?::[^=\n]*)?=\s*(.+)$", re.MULTILINE)
log = logging.getLogger("empirie.migrate")
MIGRATION_LOCK = 0x656D7069  # "empi": the advisory lock key of `upgrade` on PostgreSQL


def alembic_config(url: str) -> Config:
    from alembic.config import Config

    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    config.set_main_option("sqlalchemy.url", url.replace("%", "%%"))
    return config


def script_revisions() -> set[str]:
    """Every revision the migration files know (a backup from one of them can be restored)."""
    found = set()
    for path in (MIGRATIONS / "versions").glob("*.py"):
        match = _REVISION.search(path.read_text(encoding="utf-8"))
        if match is not None:
            found.add(match.group(1))
    return found


def script_heads() -> set[str]:
    """The newest revision(s) of the migration files; empty when a header cannot be read (then
    alembic decides). tests/test_migrations.py checks this agrees with alembic's own view."""
    revisions: set[str] = set()
    parents: set[str] = set()
    for path in (MIGRATIONS / "versions").glob("*.py"):
        source = path.read_text(encoding="utf-8")
        revision, down = _REVISION.search(source), _DOWN_REVISION.search(source)
        if revision is None or down is None:
            return set()
        revisions.add(revision.group(1))
        parents.update(re.findall(r"['\"]([^'\"]+)['\"]", down.group(1)))
    return revisions - parents


def at_head(url: str) -> bool:
    """Is the database already at the newest revision? False when unsure."""
    heads = script_heads()
    if not heads:
        return False
    engine = create_engine(url, poolclass=pool.NullPool)
    try:
        with engine.connect() as connection:
            if not inspect(connection).has_table("alembic_version"):
                return False
            current = {
                row[0]
                for row in connection.execute(text("SELECT version_num FROM alembic_version"))
            }
    except SQLAlchemyError:
        return False
    finally:
        engine.dispose()
    return current == heads


def upgrade(url: str, revision: str = "head") -> None:
    """Migrate once, whoever asks: on PostgreSQL under an advisory lock, so that the bot and a
    worker starting together after an upgrade do not both run the same migration (the second
    waits, then finds the schema current)."""
    if revision == "head" and at_head(url):
        log.debug("migrate.up_to_date")
        return
    with _migration_lock(url):
        if revision == "head" and at_head(url):  # another process did it while we waited
            log.info("migrate.done_by_another_process")
            return
        from alembic import command

        log.info("migrate.start", extra={"to": revision})
        command.upgrade(alembic_config(url), revision)
        log.info("migrate.done", extra={"to": revision})


@contextmanager
def _migration_lock(url: str) -> Iterator[None]:
    if not url.startswith("postgresql"):
        yield  # SQLite: one writer at a time anyway; the bot and a worker share PostgreSQL
        return
    engine = create_engine(url, poolclass=pool.NullPool)
    try:
        with engine.connect() as connection:
            connection.execute(text("SELECT pg_advisory_lock(:key)"), {"key": MIGRATION_LOCK})
            connection.commit()
            try:
                yield
            finally:
                connection.execute(text("SELECT pg_advisory_unlock(:key)"), {"key": MIGRATION_LOCK})
                connection.commit()
    finally:
        engine.dispose()

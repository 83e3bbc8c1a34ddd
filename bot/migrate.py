"""Alembic, driven from code: `empirie-bot migrate` and start-up both call `upgrade`.

Start-up on a database that is already at the newest revision is the usual case, so that is
checked first without alembic: the newest revision is read from the migration files' headers
and compared with the database's `alembic_version`. Importing alembic (with mako and pygments)
costs ~0.3 s and ~10 MB on every start; it is loaded only when there is something to migrate.
"""

from __future__ import annotations

import logging
import re
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


def alembic_config(url: str) -> Config:
    from alembic.config import Config

    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    config.set_main_option("sqlalchemy.url", url.replace("%", "%%"))
    return config


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
    if revision == "head" and at_head(url):
        log.debug("migrate.up_to_date")
        return
    from alembic import command

    command.upgrade(alembic_config(url), revision)

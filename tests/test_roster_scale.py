# ruff: noqa: F811  (the test takes the `empty` fixture imported from tests.test_roster_import)
"""The roster import takes time in proportion to the file: 5,000 rows import in seconds on
SQLite and PostgreSQL, and the queries it makes do not grow with the rows (what is stored is
read in a few queries up front, what changes is written in batches)."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from sqlalchemy import event, func
from sqlmodel import select

from core.clock import FrozenClock
from core.config import Settings
from models.core import AuditEntry, City, NetworkRole, Person
from models.db import Database
from tests.roster_data import synthetic_rows
from tests.test_roster_import import empty, run, write_csv  # noqa: F401  (fixture)


@contextmanager
def statements(db: Database) -> Iterator[Counter[str]]:
    """Every statement sent while inside, by its verb and table ("INSERT person")."""
    seen: Counter[str] = Counter()

    def count(_conn: Any, _cursor: Any, sql: str, *_args: Any) -> None:
        words = sql.split()
        verb = words[0].upper()
        table = words[2] if verb in ("INSERT", "DELETE") else ""
        seen[f"{verb} {table}".strip()] += 1

    event.listen(db.engine, "before_cursor_execute", count)
    try:
        yield seen
    finally:
        event.remove(db.engine, "before_cursor_execute", count)


def _count(db: Database, table: Any) -> int:
    with db.session() as s:
        return s.exec(select(func.count()).select_from(table)).one()


def test_5000_rows_import_with_queries_that_do_not_grow_with_the_file(
    empty: Database, clock: FrozenClock, settings: Settings, tmp_path: Path
) -> None:
    small = write_csv(tmp_path / "500.csv", synthetic_rows(500))
    with statements(empty) as first:
        assert run(empty, clock, settings, small).ok
    big = write_csv(tmp_path / "5000.csv", synthetic_rows(5000))  # the 500 and 4,500 more
    with statements(empty) as second:
        result = run(empty, clock, settings, big)
    assert result.ok and result.lines[0] == "Zaimportowano plik i wprowadzono 15000 zmian."
    assert _count(empty, Person) == 5000 and _count(empty, City) == 1667
    assert _count(empty, NetworkRole) == 5000

    # Reading: the same few queries for 500 rows and for 5,000 (those already linked to a
    # chat are looked up 500 people at a time).
    assert second["SELECT"] - first["SELECT"] <= 4500 // 500, (first, second)
    assert second["SELECT"] <= 20, second
    # Writing: standings, roles and the audit in batches; on PostgreSQL cities and people too.
    # (SQLite cannot return the ids of a batch in their order, so there each new city and
    # person is an INSERT of its own: a call inside the process, not a round trip.)
    for table in ("city_standing", "network_role", "audit_entry"):
        assert second[f"INSERT {table}"] <= 5, (table, second)
    if empty.is_postgres:
        assert second["INSERT city"] + second["INSERT person"] <= 10, second
        assert sum(second.values()) <= 50, second
    else:
        assert second["INSERT city"] == 1667 - 167 and second["INSERT person"] == 4500
    audit_before = _count(empty, AuditEntry)

    with statements(empty) as again:  # a re-import reads and changes nothing
        result = run(empty, clock, settings, big)
    assert result.lines == ["Skład już odpowiada plikowi: nie ma nic do zmiany."]
    assert set(again) == {"SELECT"} and again["SELECT"] <= 10, again
    assert _count(empty, AuditEntry) == audit_before

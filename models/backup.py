"""A portable copy of every table: written from one consistent view of the database, read back
into SQLite or PostgreSQL (either way round).

Why not `pg_dump` or a copy of the SQLite file: the copy must restore on either backend (the
embedded SQLite of a trial goes to PostgreSQL in production, and a PostgreSQL backup can be
opened on a laptop), and the image need not carry PostgreSQL's client tools.

Each table goes out as JSON lines, one list of values per row in primary-key order, with the
column names and a kind per column (datetime, date, time, bytes, decimal or plain JSON) in the
manifest. The schema is read from the database itself (reflection), so a backup is tied to its
Alembic revision, not to this code: a restore creates the schema at that revision, loads the
rows in foreign-key order, then migrates to the newest one.

Consistency: PostgreSQL reads every table inside one REPEATABLE READ, read-only transaction (one
snapshot); SQLite is first copied with SQLite's online backup API, and the copy is read.
"""

from __future__ import annotations

import base64
import json
import sqlite3
import tempfile
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time
from decimal import Decimal
from pathlib import Path
from typing import IO, Any

from sqlalchemy import MetaData, Table, create_engine, func, pool, select, text
from sqlalchemy.engine import Connection, Engine

VERSION_TABLE = "alembic_version"
BATCH = 500
Kind = str  # "datetime" | "date" | "time" | "bytes" | "decimal" | "plain"


class BackupError(Exception):
    """The backup or the target cannot be used; the message says why and what to do."""


@dataclass
class TableDump:
    name: str
    columns: list[str]
    kinds: list[Kind]
    rows: int = 0


@dataclass
class Snapshot:
    """What was written (or read): the manifest's content."""

    revision: str
    backend: str
    tables: list[TableDump] = field(default_factory=list)

    def counts(self) -> dict[str, int]:
        return {d.name: d.rows for d in self.tables}


def _kind(column: Any) -> Kind:
    try:
        python = column.type.python_type
    except NotImplementedError:
        return "plain"
    for kind, cls in (
        ("datetime", datetime),
        ("date", date),
        ("time", time),
        ("bytes", bytes),
        ("decimal", Decimal),
    ):
        if issubclass(python, cls):
            return kind
    return "plain"


def _encode(value: Any, kind: Kind) -> Any:
    if value is None or kind == "plain":
        return value
    if kind == "bytes":
        return base64.b64encode(bytes(value)).decode("ascii")
    if kind == "decimal":
        return str(value)
    if kind == "datetime" and value.tzinfo is not None:  # stored as naive UTC on both backends
        value = value.astimezone(UTC).replace(tzinfo=None)
    return value.isoformat()


def _decode(value: Any, kind: Kind) -> Any:
    if value is None or kind == "plain":
        return value
    decoder: dict[Kind, Callable[[Any], Any]] = {
        "bytes": base64.b64decode,
        "decimal": Decimal,
        "datetime": datetime.fromisoformat,
        "date": date.fromisoformat,
        "time": time.fromisoformat,
    }
    return decoder[kind](value)


def _tables(connection: Connection) -> list[Table]:
    """The database's own tables, parents before children (foreign keys)."""
    metadata = MetaData()
    metadata.reflect(connection)
    return [table for table in metadata.sorted_tables if table.name != VERSION_TABLE]


def revision(connection: Connection) -> str | None:
    metadata = MetaData()
    metadata.reflect(connection, only=lambda name, _: name == VERSION_TABLE)
    if VERSION_TABLE not in metadata.tables:
        return None
    found = connection.execute(text(f"SELECT version_num FROM {VERSION_TABLE}")).scalars().all()
    return ",".join(sorted(found)) or None


def _sqlite_copy(url_database: str, into: Path) -> None:
    """SQLite's online backup: a consistent copy while the bot may be writing."""
    source = sqlite3.connect(f"file:{url_database}?mode=ro", uri=True)
    target = sqlite3.connect(into)
    try:
        with target:
            source.backup(target)
    finally:
        source.close()
        target.close()


def dump(url: str, write: Callable[[str], IO[bytes]]) -> Snapshot:
    """Write every table (`write(name)` opens tables/<name>.jsonl for writing)."""
    engine = create_engine(url, poolclass=pool.NullPool)
    try:
        if engine.dialect.name == "sqlite":
            database = engine.url.database or ""
            if not database or database == ":memory:" or not Path(database).exists():
                raise BackupError(f"no SQLite database at {database or url}")
            with tempfile.TemporaryDirectory(prefix="empirie-backup-") as tmp:
                copy = Path(tmp) / "snapshot.db"
                _sqlite_copy(database, copy)
                snapshot_engine = create_engine(f"sqlite:///{copy}", poolclass=pool.NullPool)
                try:
                    return _dump(snapshot_engine, "sqlite", write)
                finally:
                    snapshot_engine.dispose()
        return _dump(engine, engine.dialect.name, write)
    finally:
        engine.dispose()


def _dump(engine: Engine, backend: str, write: Callable[[str], IO[bytes]]) -> Snapshot:
    options: dict[str, Any] = {}
    if backend == "postgresql":  # one snapshot for every table
        options = {"isolation_level": "REPEATABLE READ", "postgresql_readonly": True}
    with engine.connect().execution_options(**options) as connection, connection.begin():
        current = revision(connection)
        if current is None:
            raise BackupError("the database has no schema yet (run `empirie-bot migrate` first)")
        snapshot = Snapshot(current, backend)
        for table in _tables(connection):
            dumped = TableDump(
                table.name, [c.name for c in table.columns], [_kind(c) for c in table.columns]
            )
            order = list(table.primary_key.columns) or list(table.columns)
            with write(table.name) as out:
                rows = connection.execute(
                    select(table).order_by(*order),
                    execution_options={"stream_results": True, "yield_per": BATCH},
                )
                for row in rows:
                    values = [_encode(v, k) for v, k in zip(row, dumped.kinds, strict=True)]
                    out.write(json.dumps(values, ensure_ascii=False).encode("utf-8") + b"\n")
                    dumped.rows += 1
            snapshot.tables.append(dumped)
    return snapshot


def table_rows(lines: Iterator[bytes], dumped: TableDump) -> Iterator[dict[str, Any]]:
    for line in lines:
        if line.strip():
            values = json.loads(line)
            yield {
                c: _decode(v, k)
                for c, v, k in zip(dumped.columns, values, dumped.kinds, strict=True)
            }


def row_counts(connection: Connection) -> dict[str, int]:
    return {
        table.name: int(connection.execute(select(func.count()).select_from(table)).scalar_one())
        for table in _tables(connection)
    }


def load(
    connection: Connection,
    snapshot: Snapshot,
    read: Callable[[str], Iterator[bytes]],
    replace: bool = False,
) -> None:
    """Insert the snapshot's rows (in the caller's transaction). The schema must be at the
    snapshot's revision; `replace` empties every table first, else they must be empty."""
    tables = {table.name: table for table in _tables(connection)}
    missing = [d.name for d in snapshot.tables if d.name not in tables]
    if missing:
        raise BackupError(f"the database has no table {', '.join(missing)}")
    if replace:
        for table in reversed(list(tables.values())):
            connection.execute(table.delete())
    else:
        filled = sorted(name for name, n in row_counts(connection).items() if n)
        if filled:
            raise BackupError(
                "the database is not empty (rows in " + ", ".join(filled[:5]) + "): restore "
                "into a new, empty database, or add --replace to overwrite everything in it"
            )
    for dumped in snapshot.tables:
        table = tables[dumped.name]
        unknown = set(dumped.columns) - set(table.columns.keys())
        if unknown:
            raise BackupError(f"table {dumped.name} has no column {', '.join(sorted(unknown))}")
        batch: list[dict[str, Any]] = []
        for row in table_rows(read(dumped.name), dumped):
            batch.append(row)
            if len(batch) >= BATCH:
                connection.execute(table.insert(), batch)
                batch = []
        if batch:
            connection.execute(table.insert(), batch)
    if connection.dialect.name == "postgresql":
        _advance_sequences(connection, list(tables.values()))


def _advance_sequences(connection: Connection, tables: list[Table]) -> None:
    """New rows after a restore must not reuse the restored ids."""
    for table in tables:
        for column in table.primary_key.columns:
            sequence = connection.execute(
                text("SELECT pg_get_serial_sequence(:t, :c)"), {"t": table.name, "c": column.name}
            ).scalar_one()
            if sequence is None:
                continue
            connection.execute(
                text(
                    f'SELECT setval(:s, coalesce((SELECT max("{column.name}") FROM '
                    f'"{table.name}"), 0) + 1, false)'
                ),
                {"s": sequence},
            )

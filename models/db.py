"""Engine and sessions. SQLite (WAL) is the embedded default; PostgreSQL is production.

`Database.unit()` makes one update one transaction: every `session()` opened inside it (on the
same thread) reuses the unit's Session and connection as a SAVEPOINT, so an inner refusal or
IntegrityError still undoes only its own block, while the whole unit commits once at the end or,
on a crash, rolls back entirely.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass
from typing import Any, TypeVar

from sqlalchemy import event
from sqlalchemy import inspect as sa_inspect
from sqlalchemy.engine import Connection, Engine
from sqlalchemy.exc import DBAPIError
from sqlalchemy.orm import configure_mappers, make_transient_to_detached
from sqlmodel import Session, SQLModel, create_engine

from models.errors import DomainError

log = logging.getLogger("empirie.db")
T = TypeVar("T")


def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.close()


def make_engine(url: str) -> Engine:
    """hide_parameters: a failing statement's error (and so a logged traceback) never carries
    the values — names, notes, messages."""
    if url.startswith("sqlite"):
        engine = create_engine(
            url, connect_args={"check_same_thread": False, "timeout": 30}, hide_parameters=True
        )
        event.listen(engine, "connect", _sqlite_pragmas)
        return engine
    return create_engine(url, pool_pre_ping=True, pool_size=5, max_overflow=5, hide_parameters=True)


def is_disconnect(error: BaseException) -> bool:
    """The database connection died under us (server restart, `pg_terminate_backend`, network):
    SQLAlchemy has thrown the connection away and the next session gets a fresh one, so the
    unit of work may simply be run again."""
    return isinstance(error, DBAPIError) and bool(error.connection_invalidated)


def retried(work: Callable[[], T], tries: int = 4, what: str = "db") -> T:
    """`work()` (a short unit of its own), run again on a fresh connection when the one it
    had died under it (see `is_disconnect`): for database work around a send that must not
    cost the send — a reply's bookkeeping, the outbox's marks. `work` must be safe to repeat
    (its first commit may have gone through before the connection died)."""
    for attempt in range(1, tries + 1):
        try:
            return work()
        except Exception as error:
            if not is_disconnect(error) or attempt == tries:
                raise
            log.warning("db.disconnected work=%s attempt=%d", what, attempt)
            time.sleep(0.1 * attempt)
    raise AssertionError("unreachable")


M = TypeVar("M", bound=SQLModel)


def detached(model: type[M], values: Mapping[str, Any]) -> M:
    """A row read without a session, made into its model as the ORM loads one (no validation:
    the values come from the database, through the columns' types) and detached, as a loaded
    object is after its session. `values` must hold every column (a missing one would be an
    expired attribute, unreadable without a session). A tenth of the model's __init__."""
    mapper = sa_inspect(model)
    if not mapper.configured:  # a fresh process: as the first query would (else unreadable)
        configure_mappers()
    obj: M = mapper.class_manager.new_instance()
    obj.__dict__.update(values)
    make_transient_to_detached(obj)
    return obj


@dataclass
class _Unit:
    db: Database
    session: Session
    thread: int
    depth: int = 0


_UNIT: ContextVar[_Unit | None] = ContextVar("empirie_db_unit", default=None)


class Database:
    def __init__(self, url: str) -> None:
        self.url = url
        self.engine = make_engine(url)

    @property
    def is_postgres(self) -> bool:
        return self.engine.dialect.name == "postgresql"

    @contextmanager
    def session(self) -> Iterator[Session]:
        """One unit of work: committed on success, rolled back on any error (a DomainError
        that asks to `keep` its changes commits them). Inside `unit()`: a savepoint of it."""
        unit = _UNIT.get()
        if unit is not None and self._joinable(unit):
            with self._savepoint(unit) as session:
                yield session
            return
        with Session(self.engine, expire_on_commit=False) as session:
            try:
                yield session
                session.commit()
            except DomainError as refusal:
                if refusal.keep:
                    session.commit()
                else:
                    session.rollback()
                raise
            except BaseException:
                session.rollback()
                raise

    @contextmanager
    def reading(self) -> Iterator[Connection]:
        """A connection for reads only, without an ORM session (a third of a small read's
        cost: the answer pages); what it began is rolled back when it closes."""
        with self.engine.connect() as connection:
            yield connection

    def _joinable(self, unit: _Unit | None) -> bool:
        return unit is not None and unit.db is self and unit.thread == threading.get_ident()

    @contextmanager
    def _savepoint(self, unit: _Unit) -> Iterator[Session]:
        session = unit.session
        nested = session.begin_nested()
        unit.depth += 1
        try:
            yield session
            nested.commit()  # flushes: a constraint error surfaces here, in its own block
        except DomainError as refusal:
            if refusal.keep and nested.is_active:
                nested.commit()
            elif session.get_nested_transaction() is nested:
                nested.rollback()
            raise
        except BaseException:
            if session.get_nested_transaction() is nested:  # also after a failed flush
                nested.rollback()
            raise
        finally:
            unit.depth -= 1
            if unit.depth == 0:
                # As with a session of its own, what a block loaded is detached when it ends:
                # changing it afterwards (e.g. for display) is not written by a later flush.
                session.expunge_all()

    @contextmanager
    def unit(self) -> Iterator[None]:
        """One transaction for everything inside (e.g. one chat update): committed once at the
        end; any exception rolls it all back (a DomainError commits, as its blocks have already
        kept or undone their own part). Nested use joins the unit already open.

        Only the thread that opened the unit joins it (a Session is not shared across threads).
        On SQLite the unit starts with BEGIN IMMEDIATE: it takes the one write lock up front
        (waiting for it like any writer) instead of reading first and failing to upgrade when
        another connection wrote meanwhile; and an explicit BEGIN is what makes the SAVEPOINTs
        part of the transaction under pysqlite's default (legacy) transaction control, which
        otherwise emits BEGIN only before DML (see SQLAlchemy's SQLite dialect docs,
        "Transactions with SQLite and the sqlite3 driver"). Sessions outside a unit keep
        pysqlite's default behaviour."""
        if self._joinable(_UNIT.get()):
            yield
            return
        with Session(self.engine, expire_on_commit=False) as session:
            if not self.is_postgres:
                session.connection().exec_driver_sql("BEGIN IMMEDIATE")
            token = _UNIT.set(_Unit(self, session, threading.get_ident()))
            try:
                yield
                session.commit()
            except DomainError:
                session.commit()
                raise
            except BaseException:
                session.rollback()
                raise
            finally:
                _UNIT.reset(token)

    @contextmanager
    def step(self) -> Iterator[None]:
        """One step of the open unit that an error undoes alone (a SAVEPOINT), e.g. one of
        several updates committed together; its blocks behave as in a unit of its own."""
        unit = _UNIT.get()
        if unit is None or not self._joinable(unit):
            raise RuntimeError("a step needs a unit open on this thread")
        session = unit.session
        nested = session.begin_nested()
        try:
            yield
            if nested.is_active:
                nested.commit()
        except BaseException:
            if session.get_nested_transaction() is nested:
                nested.rollback()
            raise

    def create_all(self) -> None:
        SQLModel.metadata.create_all(self.engine)

    def dispose(self) -> None:
        self.engine.dispose()

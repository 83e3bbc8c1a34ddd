"""What fits a network, read and written in bulk (digests over thousands of calls): the
matches, the calls as rows, what each network was told."""

from __future__ import annotations

import json
from collections.abc import Iterable, Sequence
from datetime import UTC, datetime
from functools import lru_cache
from typing import Any, NamedTuple

from sqlalchemy import (
    Text,
    bindparam,
    cast,
    delete,
    exists,
    update,
)
from sqlalchemy import select as sa_select
from sqlmodel import Session, col, select

from models.funding.tables import (
    FundingCall,
    FundingMatch,
    FundingMute,
    FundingProfile,
    FundingSeen,
)

# --- what fits a network, read and written in bulk (digests over thousands of calls) ---------


@lru_cache(maxsize=65_536)
def _when(iso: str) -> datetime:
    return datetime.fromisoformat(iso)


@lru_cache(maxsize=65_536)
@lru_cache(maxsize=8192)
def _strings(raw: str | None) -> tuple[str, ...]:
    """A JSON list column read as text: decoded once per distinct value (a call's deadlines
    repeat in every network it fits; a network's keyword sets repeat across its calls)."""
    return tuple(json.loads(raw)) if raw else ()


class CallRow(NamedTuple):
    """The columns a digest or a list shows of a call: read without the ORM's per-object cost."""

    id: int
    title: str
    programme: str | None
    link: str | None
    status: str
    deadlines: tuple[str, ...]
    budget: float | None
    currency: str | None
    withdrawn_at: datetime | None = None

    @property
    def deadline_list(self) -> list[datetime]:
        return [_when(d) for d in self.deadlines]


class Fit(NamedTuple):
    call: CallRow
    programme: str | None
    keywords: tuple[str, ...]


_ROW = (
    col(FundingCall.id),
    col(FundingCall.title),
    col(FundingCall.programme),
    col(FundingCall.link),
    col(FundingCall.status),
    cast(col(FundingCall.deadlines), Text),
    col(FundingCall.budget),
    col(FundingCall.currency),
)


def fitting_calls(session: Session, network_id: int) -> list[Fit]:
    """The network's matched calls that are not withdrawn and not muted there (one query)."""
    muted_here = exists().where(
        col(FundingMute.network_id) == network_id,
        col(FundingMute.call_id) == col(FundingMatch.call_id),
    )
    rows = session.execute(
        sa_select(*_ROW, col(FundingMatch.programme), cast(col(FundingMatch.keywords), Text))
        .join(FundingMatch, col(FundingMatch.call_id) == col(FundingCall.id))
        .where(
            col(FundingMatch.network_id) == network_id,
            col(FundingCall.withdrawn_at).is_(None),
            ~muted_here,
        )
        .order_by(col(FundingCall.id))
    ).all()
    return [
        Fit(CallRow(r[0], r[1], r[2], r[3], r[4], _strings(r[5]), r[6], r[7]), r[8], _strings(r[9]))
        for r in rows
    ]


class CallText(NamedTuple):
    id: int
    title: str
    programme: str | None
    tags: list[str]
    summary: str


def call_texts(session: Session, call_ids: Sequence[int] | None = None) -> list[CallText]:
    """What classification reads of each call not withdrawn (all, or the given ones)."""
    query = sa_select(
        col(FundingCall.id),
        col(FundingCall.title),
        col(FundingCall.programme),
        col(FundingCall.tags),
        col(FundingCall.summary),
    ).where(col(FundingCall.withdrawn_at).is_(None))
    if call_ids is not None:
        query = query.where(col(FundingCall.id).in_(list(call_ids)))
    return [CallText(*r) for r in session.execute(query).all()]


MatchRow = tuple[int, int, str | None, list[str]]  # network, call, programme, keywords


def replace_matches(
    session: Session,
    rows: Iterable[MatchRow],
    *,
    calls: Sequence[int] = (),
    network_id: int | None = None,
) -> None:
    """The matches of these calls (or of this network) become `rows`."""
    if network_id is not None:
        session.execute(delete(FundingMatch).where(col(FundingMatch.network_id) == network_id))
    for start in range(0, len(calls), 500):
        chunk = list(calls[start : start + 500])
        session.execute(delete(FundingMatch).where(col(FundingMatch.call_id).in_(chunk)))
    values = [{"network_id": n, "call_id": c, "programme": p, "keywords": k} for n, c, p, k in rows]
    if values:
        _insert_many(session, FundingMatch, values)


def mark_matched(session: Session, network_id: int, now: datetime | None) -> None:
    session.execute(
        update(FundingProfile)
        .where(col(FundingProfile.network_id) == network_id)
        .values(matched_at=now)
    )


def _insert_many(session: Session, model: Any, values: list[dict[str, Any]]) -> None:
    """Many rows at once, in the session's transaction: PostgreSQL's COPY (one stream, no
    statement to parse per row or per page), elsewhere one executemany."""
    table = model.__table__
    conn = session.connection()
    names = list(values[0])
    if conn.dialect.name != "postgresql":
        _executemany(conn, table, names, values)
        return
    columns = ", ".join(f'"{n}"' for n in names)
    raw = conn.connection.dbapi_connection
    assert raw is not None
    cursor: Any = raw.cursor()  # psycopg's: COPY is its own API
    with cursor, cursor.copy(f"COPY {table.name} ({columns}) FROM STDIN") as copy:
        for row in values:
            copy.write_row([_copy_value(row[n]) for n in names])


def _executemany(conn: Any, table: Any, names: list[str], values: list[dict[str, Any]]) -> None:
    """One executemany straight to the driver, each value bound by its column's type as
    SQLAlchemy would (once per distinct value: a digest's rows share their moment), without
    SQLAlchemy's per-row compilation of the parameters."""
    processors = [table.c[n].type.bind_processor(conn.dialect) for n in names]
    seen: list[dict[Any, Any]] = [{} for _ in names]

    def bound(i: int, value: Any) -> Any:
        process = processors[i]
        if process is None or value is None:
            return value
        try:
            return seen[i][value]
        except KeyError:
            seen[i][value] = done = process(value)
            return done
        except TypeError:  # not hashable (a JSON list)
            return process(value)

    columns = ", ".join(f'"{n}"' for n in names)
    marks = ", ".join("?" for _ in names)
    rows = [tuple(bound(i, row[n]) for i, n in enumerate(names)) for row in values]
    conn.exec_driver_sql(f'INSERT INTO "{table.name}" ({columns}) VALUES ({marks})', rows)


def _copy_value(value: Any) -> Any:
    if isinstance(value, datetime):
        return value.astimezone(UTC).replace(tzinfo=None)  # as UTCDateTime stores it
    if isinstance(value, list | dict):
        return json.dumps(value)
    return value


class Told(NamedTuple):
    deadline: str | None
    budget: float | None
    soon_told: bool


def told(session: Session, network_id: int) -> dict[int, Told]:
    """What the network was told of each call (call id -> what it was told)."""
    rows = session.execute(
        select(
            FundingSeen.call_id, FundingSeen.deadline, FundingSeen.budget, FundingSeen.soon_told
        ).where(FundingSeen.network_id == network_id)
    ).all()
    return {r[0]: Told(r[1], r[2], bool(r[3])) for r in rows}


def tell(
    session: Session, network_id: int, now: datetime, news: dict[int, Told], before: dict[int, Told]
) -> None:
    """Record what the network has now been told: new rows in one insert, changed rows in
    one executemany update, unchanged rows not touched."""
    fresh = [
        {
            "network_id": network_id,
            "call_id": c,
            "first_at": now,
            "deadline": v.deadline,
            "budget": v.budget,
            "soon_told": v.soon_told,
        }
        for c, v in news.items()
        if c not in before
    ]
    changed = [
        {"k_call": c, "k_deadline": v.deadline, "k_budget": v.budget, "k_soon": v.soon_told}
        for c, v in news.items()
        if c in before and before[c] != v
    ]
    if fresh:
        _insert_many(session, FundingSeen, fresh)
    if changed:
        session.connection().execute(
            update(FundingSeen)
            .where(
                col(FundingSeen.network_id) == network_id,
                col(FundingSeen.call_id) == bindparam("k_call"),
            )
            .values(
                deadline=bindparam("k_deadline"),
                budget=bindparam("k_budget"),
                soon_told=bindparam("k_soon"),
            ),
            changed,
        )


def sources_of(session: Session, call_ids: Sequence[int]) -> dict[int, str]:
    """Where each call came from (`eu`, `feed:<id>`, `manual`, `csv`), by its number."""
    if not call_ids:
        return {}
    rows = session.execute(
        sa_select(col(FundingCall.id), col(FundingCall.source)).where(
            col(FundingCall.id).in_(list(call_ids))
        )
    ).all()
    return {int(r[0]): str(r[1]) for r in rows}

"""Claiming rows of a work table so that two processes never take the same row.

A claim is a lease: `lease_owner` + `lease_until`. On PostgreSQL the candidate rows are picked
with `FOR UPDATE SKIP LOCKED`; SQLite serialises writers, so its single UPDATE is atomic. A
process that dies leaves leases that simply run out, and its rows are claimed again.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta
from typing import Any, TypeVar

from sqlalchemy import and_, or_, select, update
from sqlmodel import Session

T = TypeVar("T")


def claim(
    session: Session,
    model: type[T],
    *,
    due_column: Any,
    now: datetime,
    owner: str,
    lease: timedelta,
    limit: int,
    extra: Any = None,
) -> Sequence[T]:
    table = model.__table__  # type: ignore[attr-defined]
    candidates = (
        select(table.c.id)
        .where(
            table.c.status == "pending",
            due_column <= now,
            or_(table.c.lease_until.is_(None), table.c.lease_until < now),
        )
        .order_by(due_column, table.c.id)
        .limit(limit)
    )
    if extra is not None:
        candidates = candidates.where(extra)
    if session.get_bind().dialect.name == "postgresql":
        candidates = candidates.with_for_update(skip_locked=True)
    until = now + lease
    ids = [
        row[0]
        for row in session.execute(
            update(table)
            .where(table.c.id.in_(candidates.scalar_subquery()))
            .values(lease_owner=owner, lease_until=until)
            .returning(table.c.id)
        )
    ]
    session.commit()
    if not ids:
        return []
    rows = (
        session.execute(
            select(model).where(and_(table.c.id.in_(ids), table.c.lease_owner == owner))
        )
        .scalars()
        .all()
    )
    return sorted(rows, key=lambda r: r.id)

"""GDPR requests: export everything stored about a person, erase what identifies them.

Tables take part by having a `person_id` column (exported) and by naming the columns that
identify someone in `__pii_columns__` (erased). New feature tables join in by doing the same.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import Table, delete, select, update
from sqlmodel import Session, SQLModel

from models import audit
from models.core import Account, Conversation, Invitation, Person

_PERSON_COLUMNS = ("person_id", "actor_id", "issued_by")
# Rows that only exist to reach the person: gone entirely on erasure.
_DELETE_ON_ERASE: tuple[type[SQLModel], ...] = (Account, Invitation, Conversation)


def _jsonable(value: Any) -> Any:
    if isinstance(value, datetime):
        return value.isoformat()
    return value


def _tables_with(column: str) -> list[Table]:
    return [t for t in SQLModel.metadata.sorted_tables if column in t.c]


def export(session: Session, person_id: int) -> dict[str, Any]:
    person = session.get(Person, person_id)
    data: dict[str, Any] = {"person": person.model_dump(mode="json") if person else None}
    for column in _PERSON_COLUMNS:
        for table in _tables_with(column):
            rows = session.execute(select(table).where(table.c[column] == person_id)).mappings()
            found = [{k: _jsonable(v) for k, v in row.items()} for row in rows]
            if found:
                data.setdefault(table.name, []).extend(found)
    return data


def erase(session: Session, person_id: int, now: datetime) -> None:
    """Blank identifying columns everywhere; keep ids so counts and history stay whole."""
    for model in _DELETE_ON_ERASE:
        table = model.__table__  # type: ignore[attr-defined]
        session.execute(delete(table).where(table.c.person_id == person_id))
    for model in SQLModel.__subclasses__():
        pii: tuple[str, ...] = getattr(model, "__pii_columns__", ())
        table = getattr(model, "__table__", None)
        if not pii or table is None or model in _DELETE_ON_ERASE:
            continue
        key = table.c.id if model is Person else table.c.get("person_id")
        if key is None:
            continue
        session.execute(update(table).where(key == person_id).values({c: None for c in pii}))
    session.execute(update(Person.__table__).where(  # type: ignore[attr-defined]
        Person.__table__.c.id == person_id).values(erased_at=now))  # type: ignore[attr-defined]
    audit.record(session, now, person_id, "person.erase", f"person:{person_id}")

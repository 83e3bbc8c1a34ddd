"""Who changed what: one row per change, ids only (no personal data in details)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import insert
from sqlmodel import Session

from models.core import AuditEntry


def record(
    session: Session, at: datetime, actor_id: int | None, action: str, subject: str, **details: Any
) -> None:
    session.add(
        AuditEntry(at=at, actor_id=actor_id, action=action, subject=subject, details=details)
    )


def entry(
    at: datetime, actor_id: int | None, action: str, subject: str, **details: Any
) -> dict[str, Any]:
    """One entry for `record_many`."""
    return {
        "at": at,
        "actor_id": actor_id,
        "action": action,
        "subject": subject,
        "details": details,
    }


def record_many(session: Session, entries: list[dict[str, Any]]) -> None:
    """Many entries in one batched INSERT (a roster import writes thousands)."""
    if entries:
        session.execute(insert(AuditEntry), entries)

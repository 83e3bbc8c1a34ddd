"""Who changed what: one row per change, ids only (no personal data in details)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlmodel import Session

from models.core import AuditEntry


def record(
    session: Session, at: datetime, actor_id: int | None, action: str, subject: str, **details: Any
) -> None:
    session.add(
        AuditEntry(at=at, actor_id=actor_id, action=action, subject=subject, details=details)
    )

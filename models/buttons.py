"""Opaque button tokens: a platform button carries a token, the store knows its command.

A forged token is unknown; a stale one has expired or belongs to another chat.
"""

from __future__ import annotations

import secrets
from datetime import datetime, timedelta

from sqlmodel import Session, col, delete

from models.core import ActionToken

TOKEN_LIFETIME = timedelta(days=60)


def issue(
    session: Session,
    command: str,
    platform: str,
    chat_id: str,
    now: datetime,
    person_id: int | None = None,
) -> str:
    """A token for a button; `person_id`: the only person it acts for (None: anyone)."""
    token = secrets.token_urlsafe(12)
    session.add(
        ActionToken(
            token=token,
            payload=command[:512],
            platform=platform,
            chat_id=chat_id,
            person_id=person_id,
            created_at=now,
            expires_at=now + TOKEN_LIFETIME,
        )
    )
    return token


def resolve(
    session: Session, token: str, platform: str, chat_id: str, now: datetime
) -> ActionToken | None:
    row = session.get(ActionToken, token[:32])
    if row is None or row.platform != platform or row.chat_id != chat_id or row.expires_at <= now:
        return None
    return row


def purge_expired(session: Session, now: datetime) -> int:
    result = session.exec(delete(ActionToken).where(col(ActionToken.expires_at) <= now))
    return int(result.rowcount)

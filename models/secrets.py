"""Server secrets generated once and kept in the store, so every process shares them."""

from __future__ import annotations

import secrets
from datetime import datetime

from sqlalchemy import String
from sqlalchemy.exc import IntegrityError
from sqlmodel import Field, Session, SQLModel

from models.core import utc_field


class AppSecret(SQLModel, table=True):
    __tablename__ = "app_secret"

    name: str = Field(primary_key=True, sa_type=String(40))
    value: str = Field(sa_type=String(128))
    created_at: datetime = utc_field()


def get_or_create(session: Session, name: str, now: datetime) -> str:
    """The named secret; the first caller generates it (a racing second one reads it)."""
    row = session.get(AppSecret, name)
    if row is not None:
        return row.value
    try:
        with session.begin_nested():
            session.add(AppSecret(name=name, value=secrets.token_urlsafe(48), created_at=now))
    except IntegrityError:
        pass
    row = session.get(AppSecret, name)
    assert row is not None
    return row.value

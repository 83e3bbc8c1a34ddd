"""Guarding identity: wrong invitation-code guesses per account, and relinks awaiting the
person's (or the coordinating team's) confirmation."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import ClassVar

from sqlalchemy import String, UniqueConstraint
from sqlmodel import Field, SQLModel

from models.core import utc_field


class CodeGuess(SQLModel, table=True):
    """Wrong codes typed from one platform account within the current burst."""

    __tablename__ = "code_guess"
    __pii_columns__: ClassVar[tuple[str, ...]] = ("external_id",)
    __table_args__ = (UniqueConstraint("platform", "external_id"),)

    id: int | None = Field(default=None, primary_key=True)
    platform: str = Field(sa_type=String(16))
    external_id: str = Field(sa_type=String(128))
    failures: int = 0
    burst_started: datetime = utc_field()
    locked_until: datetime | None = utc_field(nullable=True)


class LinkStatus(StrEnum):
    PENDING = "pending"
    CONFIRMED = "confirmed"
    REFUSED = "refused"


class LinkRequest(SQLModel, table=True):
    """A code redeemed from a new account for a person who already has one: it takes effect
    only when the person confirms from the old account, or the coordinating team does."""

    __tablename__ = "link_request"
    __pii_columns__: ClassVar[tuple[str, ...]] = ("external_id", "username")

    id: int | None = Field(default=None, primary_key=True)
    person_id: int = Field(foreign_key="person.id", index=True)
    platform: str = Field(sa_type=String(16))
    external_id: str | None = Field(default=None, sa_type=String(128))
    username: str | None = Field(default=None, sa_type=String(128))
    created_at: datetime = utc_field()
    expires_at: datetime = utc_field()
    status: str = Field(default=LinkStatus.PENDING, sa_type=String(12))  # LinkStatus
    decided_by: int | None = Field(default=None, foreign_key="person.id")
    decided_at: datetime | None = utc_field(nullable=True)

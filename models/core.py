"""Foundation tables: networks, cities, people, roles, chats, invitations, audit, idempotency."""

from __future__ import annotations

from datetime import datetime
from typing import Any, ClassVar

from sqlalchemy import JSON, Column, String, UniqueConstraint
from sqlmodel import Field, SQLModel

from models.types import UTCDateTime


def utc_field(*, nullable: bool = False, index: bool = False) -> Any:
    return Field(
        default=None if nullable else ..., sa_type=UTCDateTime, nullable=nullable, index=index
    )


class Network(SQLModel, table=True):
    id: int | None = Field(default=None, primary_key=True)
    code: str = Field(sa_type=String(32), unique=True, index=True)
    name: str = Field(sa_type=String(200))
    theme: str = Field(sa_type=String(200))
    closed: bool = False  # the leaders' network: only its members and the coordinating team


class City(SQLModel, table=True):
    id: int | None = Field(default=None, primary_key=True)
    name: str = Field(sa_type=String(120), unique=True)
    voivodeship: str | None = Field(default=None, sa_type=String(60))


class CityStanding(SQLModel, table=True):
    __tablename__ = "city_standing"
    __table_args__ = (UniqueConstraint("network_id", "city_id"),)

    id: int | None = Field(default=None, primary_key=True)
    network_id: int = Field(foreign_key="network.id", index=True)
    city_id: int = Field(foreign_key="city.id", index=True)
    standing: str = Field(sa_type=String(20))


class Person(SQLModel, table=True):
    # Personal data erased by /usun_dane; the row stays so aggregates keep their counts.
    __pii_columns__: ClassVar[tuple[str, ...]] = ("name", "position", "office_title", "email")

    id: int | None = Field(default=None, primary_key=True)
    name: str | None = Field(default=None, sa_type=String(200))
    city_id: int | None = Field(default=None, foreign_key="city.id", index=True)
    position: str | None = Field(default=None, sa_type=String(200))
    office: str = Field(default="official", sa_type=String(20))
    # the function as the office's sheet writes it ("Burmistrz Miasta"), kept on export
    office_title: str | None = Field(default=None, sa_type=String(200))
    language: str | None = Field(default=None, sa_type=String(5))
    email: str | None = Field(default=None, sa_type=String(200))
    created_at: datetime = utc_field()
    erased_at: datetime | None = utc_field(nullable=True)

    @property
    def display_name(self) -> str:
        return self.name or f"#{self.id}"


class Account(SQLModel, table=True):
    """A person's identity on one platform (Telegram user id, Entra object id, console)."""

    __pii_columns__: ClassVar[tuple[str, ...]] = ("external_id", "username")
    __table_args__ = (
        UniqueConstraint("platform", "external_id"),
        UniqueConstraint("person_id", "platform"),
    )

    id: int | None = Field(default=None, primary_key=True)
    person_id: int = Field(foreign_key="person.id", index=True)
    platform: str = Field(sa_type=String(16))
    external_id: str = Field(sa_type=String(128))
    username: str | None = Field(default=None, sa_type=String(128))
    linked_at: datetime = utc_field()


class NetworkRole(SQLModel, table=True):
    """A role a person holds (or held: `ended_at` set) in a network; never deleted, so who
    was where stays known. Ending and granting again reopens the row (the audit log keeps
    every period)."""

    __tablename__ = "network_role"
    __table_args__ = (UniqueConstraint("person_id", "network_id", "role"),)

    id: int | None = Field(default=None, primary_key=True)
    person_id: int = Field(foreign_key="person.id", index=True)
    network_id: int | None = Field(default=None, foreign_key="network.id", index=True)
    role: str = Field(sa_type=String(24))
    started_at: datetime | None = utc_field(nullable=True)
    ended_at: datetime | None = utc_field(nullable=True, index=True)


class ChatBinding(SQLModel, table=True):
    """A group chat (Telegram group, Teams channel, console room) bound to one network."""

    __tablename__ = "chat_binding"
    __table_args__ = (UniqueConstraint("platform", "chat_id"),)

    id: int | None = Field(default=None, primary_key=True)
    network_id: int = Field(foreign_key="network.id", index=True)
    platform: str = Field(sa_type=String(16))
    chat_id: str = Field(sa_type=String(128))
    title: str | None = Field(default=None, sa_type=String(200))
    bound_by: int | None = Field(default=None, foreign_key="person.id")
    bound_at: datetime = utc_field()


class Invitation(SQLModel, table=True):
    id: int | None = Field(default=None, primary_key=True)
    code_hash: str = Field(sa_type=String(64), unique=True)
    person_id: int = Field(foreign_key="person.id", index=True)
    issued_by: int | None = Field(default=None, foreign_key="person.id")
    created_at: datetime = utc_field()
    expires_at: datetime = utc_field()
    used_at: datetime | None = utc_field(nullable=True)
    used_platform: str | None = Field(default=None, sa_type=String(16))
    voided_at: datetime | None = utc_field(nullable=True)  # a newer code, or it was exposed


class AuditEntry(SQLModel, table=True):
    __tablename__ = "audit_entry"

    id: int | None = Field(default=None, primary_key=True)
    at: datetime = utc_field(index=True)
    actor_id: int | None = Field(default=None, foreign_key="person.id", index=True)
    action: str = Field(sa_type=String(64))
    subject: str = Field(sa_type=String(128))
    details: dict[str, Any] = Field(default_factory=dict, sa_column=Column(JSON, nullable=False))


class ProcessedEvent(SQLModel, table=True):
    """Platform event ids already handled: a redelivered update has one effect."""

    __tablename__ = "processed_event"

    platform: str = Field(sa_type=String(16), primary_key=True)
    event_id: str = Field(sa_type=String(128), primary_key=True)
    at: datetime = utc_field()


class Conversation(SQLModel, table=True):
    """Where a person is in a guided, multi-step command (per chat)."""

    __table_args__ = (UniqueConstraint("platform", "chat_id", "person_id"),)

    id: int | None = Field(default=None, primary_key=True)
    platform: str = Field(sa_type=String(16))
    chat_id: str = Field(sa_type=String(128))
    person_id: int = Field(foreign_key="person.id", index=True)
    flow: str = Field(sa_type=String(32))
    step: str = Field(sa_type=String(32))
    data: dict[str, Any] = Field(default_factory=dict, sa_column=Column(JSON, nullable=False))
    updated_at: datetime = utc_field()


class ActionToken(SQLModel, table=True):
    """A button shown on a platform: its opaque token maps back to the typed command."""

    __tablename__ = "action_token"

    token: str = Field(sa_type=String(32), primary_key=True)
    payload: str = Field(sa_type=String(512))
    person_id: int | None = Field(default=None, foreign_key="person.id", index=True)  # whose
    platform: str = Field(sa_type=String(16))
    chat_id: str = Field(sa_type=String(128))
    created_at: datetime = utc_field()
    expires_at: datetime = utc_field(index=True)

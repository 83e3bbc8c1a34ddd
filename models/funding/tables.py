"""The funding tables: calls, their changes, the networks' profiles and matches, feeds,
mutes, follows, what each network was told and what was sent."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import (
    JSON,
    Column,
    Float,
    String,
    Text,
    UniqueConstraint,
)
from sqlmodel import Field, SQLModel

from models.errors import N_
from models.types import UTCDateTime

NO_CALL = N_("There is no funding call with the number “{id}”. /konkursy lists them.")
NO_FEED = N_("There is no feed with the number “{id}”.")


class CallStatus(StrEnum):
    """What the source says about a call (a past last deadline closes it whatever it says)."""

    FORTHCOMING = "forthcoming"
    OPEN = "open"
    CLOSED = "closed"


def _json_list() -> Any:
    return Field(default_factory=list, sa_column=Column(JSON, nullable=False))


class FundingCall(SQLModel, table=True):
    __tablename__ = "funding_call"

    id: int | None = Field(default=None, primary_key=True)
    source: str = Field(sa_type=String(32))  # eu | feed:<id> | manual | csv
    identifier: str | None = Field(default=None, sa_type=String(120), unique=True)
    link: str | None = Field(default=None, sa_type=String(500))
    link_key: str | None = Field(default=None, sa_type=String(500), index=True)
    title: str = Field(sa_type=String(300))
    title_key: str = Field(sa_type=String(300), index=True)
    programme: str | None = Field(default=None, sa_type=String(120))  # or the funder
    status: str = Field(default=CallStatus.OPEN, sa_type=String(12))  # CallStatus
    opens_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    deadlines: list[str] = _json_list()  # ISO datetimes, UTC, sorted
    budget: float | None = Field(default=None, sa_type=Float)
    currency: str | None = Field(default=None, sa_type=String(3))
    tags: list[str] = _json_list()
    summary: str = Field(default="", sa_type=Text)
    first_seen_at: datetime = Field(sa_type=UTCDateTime, index=True)
    updated_at: datetime = Field(sa_type=UTCDateTime)
    withdrawn_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    created_by: int | None = Field(default=None, foreign_key="person.id")

    @property
    def deadline_list(self) -> list[datetime]:
        return [datetime.fromisoformat(d) for d in self.deadlines]


class FundingChange(SQLModel, table=True):
    """What changed in a call after it was first seen (a deadline moved, a budget changed)."""

    __tablename__ = "funding_change"

    id: int | None = Field(default=None, primary_key=True)
    call_id: int = Field(foreign_key="funding_call.id", index=True)
    at: datetime = Field(sa_type=UTCDateTime)
    field_name: str = Field(sa_type=String(24))  # deadline | budget | status | title
    old: str | None = Field(default=None, sa_type=String(300))
    new: str | None = Field(default=None, sa_type=String(300))


class FundingProfile(SQLModel, table=True):
    """A network's theme: keywords (Polish and English) and the programmes that fit it."""

    __tablename__ = "funding_profile"

    id: int | None = Field(default=None, primary_key=True)
    network_id: int = Field(foreign_key="network.id", unique=True)
    keywords: list[str] = _json_list()
    programmes: list[str] = _json_list()
    updated_at: datetime = Field(sa_type=UTCDateTime)
    # when every call was last classified against this profile (None: never, or the profile
    # changed since): the network's `funding_match` rows are current only when this is set
    matched_at: datetime | None = Field(default=None, sa_type=UTCDateTime)


class FundingMatch(SQLModel, table=True):
    """A call that fits a network's profile, and why: kept current when a call is stored or
    edited and when the profile changes, so a digest reads its calls in one indexed query
    instead of classifying every stored call again."""

    __tablename__ = "funding_match"

    network_id: int = Field(foreign_key="network.id", primary_key=True)
    call_id: int = Field(foreign_key="funding_call.id", primary_key=True, index=True)
    programme: str | None = Field(default=None, sa_type=String(120))
    keywords: list[str] = _json_list()


class FundingFeed(SQLModel, table=True):
    """A source we poll: an RSS/Atom feed, or the EU portal (kind `eu`)."""

    __tablename__ = "funding_feed"

    id: int | None = Field(default=None, primary_key=True)
    kind: str = Field(default="rss", sa_type=String(8))
    url: str = Field(sa_type=String(500), unique=True)
    title: str | None = Field(default=None, sa_type=String(200))
    funder: str | None = Field(default=None, sa_type=String(120))
    network_id: int | None = Field(default=None, foreign_key="network.id")  # who hears of trouble
    added_by: int | None = Field(default=None, foreign_key="person.id")
    added_at: datetime = Field(sa_type=UTCDateTime)
    active: bool = True
    etag: str | None = Field(default=None, sa_type=String(200))
    last_modified: str | None = Field(default=None, sa_type=String(100))
    polled_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    ok_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    newest_entry_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    problem: str | None = Field(default=None, sa_type=String(300))
    problem_since: datetime | None = Field(default=None, sa_type=UTCDateTime)


class FundingMute(SQLModel, table=True):
    __tablename__ = "funding_mute"
    __table_args__ = (UniqueConstraint("network_id", "call_id"),)

    id: int | None = Field(default=None, primary_key=True)
    network_id: int = Field(foreign_key="network.id", index=True)
    call_id: int = Field(foreign_key="funding_call.id")
    muted_by: int | None = Field(default=None, foreign_key="person.id")
    at: datetime = Field(sa_type=UTCDateTime)


class FundingFollow(SQLModel, table=True):
    __tablename__ = "funding_follow"
    __table_args__ = (UniqueConstraint("person_id", "call_id"),)

    id: int | None = Field(default=None, primary_key=True)
    person_id: int = Field(foreign_key="person.id", index=True)
    call_id: int = Field(foreign_key="funding_call.id", index=True)
    at: datetime = Field(sa_type=UTCDateTime)


class FundingSeen(SQLModel, table=True):
    """What a network was told about a call, so the next digest says only what is new."""

    __tablename__ = "funding_seen"
    __table_args__ = (UniqueConstraint("network_id", "call_id"),)

    id: int | None = Field(default=None, primary_key=True)
    network_id: int = Field(foreign_key="network.id", index=True)
    call_id: int = Field(foreign_key="funding_call.id")
    first_at: datetime = Field(sa_type=UTCDateTime)
    deadline: str | None = Field(default=None, sa_type=String(40))  # the next one, as told
    budget: float | None = Field(default=None, sa_type=Float)
    soon_told: bool = False  # already listed under "closing soon"


class FundingSent(SQLModel, table=True):
    """A digest, reminder or report that went out: its key makes it once-only."""

    __tablename__ = "funding_sent"

    id: int | None = Field(default=None, primary_key=True)
    key: str = Field(sa_type=String(160), unique=True)
    network_id: int | None = Field(default=None, foreign_key="network.id", index=True)
    at: datetime = Field(sa_type=UTCDateTime)

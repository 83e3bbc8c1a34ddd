"""Join requests ("nabór"): someone the bot does not know asks to join one or more networks;
each network's coordinator accepts or rejects. One open request per account (enforced by a
partial unique index), and a request lapses after 14 days.

A network's coordinators are not written to per request: what came in (and what is about to
lapse) is noted in the network's `JoinDigest` row, and one summary goes at most every few
minutes (jobs/joining.py). The same row, locked, makes filing a request and the network's
hourly cap one serial decision, also across processes."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import datetime, timedelta
from enum import StrEnum
from typing import Any, ClassVar

from sqlalchemy import JSON, Column, Index, String, cast, text, update
from sqlalchemy.exc import IntegrityError
from sqlmodel import Field, Session, SQLModel, col, select

from core.workdays import DEFAULT as WORKDAYS
from models import due
from models.errors import N_, DomainError
from models.types import UTCDateTime

LIFETIME = timedelta(days=14)
REMIND_BEFORE = timedelta(days=3)  # the coordinators are reminded this long before it lapses


class JoinStatus(StrEnum):
    """draft → open → accepted | rejected | expired; draft → cancelled. Also a network's
    decision in `JoinRequest.decisions` (accepted | rejected)."""

    DRAFT = "draft"  # still answering the bot's questions
    OPEN = "open"
    ACCEPTED = "accepted"
    REJECTED = "rejected"
    EXPIRED = "expired"
    CANCELLED = "cancelled"


OPEN = (JoinStatus.DRAFT, JoinStatus.OPEN)


class JoinRequest(SQLModel, table=True):
    __tablename__ = "join_request"
    __pii_columns__: ClassVar[tuple[str, ...]] = (
        "external_id",
        "username",
        "city_name",
        "name",
        "position",
        "email",
    )
    __table_args__ = (
        Index(
            "uq_join_request_open_account",
            "platform",
            "external_id",
            unique=True,
            sqlite_where=text("status IN ('draft', 'open')"),
            postgresql_where=text("status IN ('draft', 'open')"),
        ),
    )

    id: int | None = Field(default=None, primary_key=True)
    platform: str = Field(sa_type=String(16))
    external_id: str | None = Field(default=None, sa_type=String(128))
    username: str | None = Field(default=None, sa_type=String(128))
    language: str | None = Field(default=None, sa_type=String(5))
    # draft → open → accepted | rejected | expired; draft → cancelled
    status: str = Field(default=JoinStatus.DRAFT, sa_type=String(12), index=True)
    step: str | None = Field(default=None, sa_type=String(16))
    city_name: str | None = Field(default=None, sa_type=String(120))
    name: str | None = Field(default=None, sa_type=String(200))
    position: str | None = Field(default=None, sa_type=String(200))
    office: str = Field(default="official", sa_type=String(20))
    email: str | None = Field(default=None, sa_type=String(200))
    networks: list[str] = Field(default_factory=list, sa_column=Column(JSON, nullable=False))
    # network code → "accepted" | "rejected", filled as each network's coordinator decides
    decisions: dict[str, Any] = Field(default_factory=dict, sa_column=Column(JSON, nullable=False))
    person_id: int | None = Field(default=None, foreign_key="person.id", index=True)
    created_at: datetime = Field(sa_type=UTCDateTime)
    submitted_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    expires_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    decided_at: datetime | None = Field(default=None, sa_type=UTCDateTime)

    @property
    def pending(self) -> list[str]:
        return [code for code in self.networks if code not in self.decisions]


def _expire(session: Session, now: datetime, platform: str, external_id: str) -> None:
    for row in session.exec(
        select(JoinRequest).where(
            JoinRequest.platform == platform,
            JoinRequest.external_id == external_id,
            JoinRequest.status == JoinStatus.OPEN,
            col(JoinRequest.expires_at) <= now,
        )
    ).all():
        row.status = JoinStatus.EXPIRED
        session.add(row)
    session.flush()


def current(session: Session, platform: str, external_id: str, now: datetime) -> JoinRequest | None:
    """The account's draft or open request (a lapsed one is marked expired first)."""
    _expire(session, now, platform, external_id)
    return session.exec(
        select(JoinRequest).where(
            JoinRequest.platform == platform,
            JoinRequest.external_id == external_id,
            col(JoinRequest.status).in_(OPEN),
        )
    ).first()


def start(
    session: Session,
    platform: str,
    external_id: str,
    username: str | None,
    language: str | None,
    now: datetime,
) -> JoinRequest:
    existing = current(session, platform, external_id, now)
    if existing is not None and existing.status == JoinStatus.OPEN:
        raise DomainError(
            N_(
                "You already have a request waiting for the coordinator "
                "(#{id}). You will hear from me when it is decided."
            ),
            id=existing.id,
        )
    if existing is not None:  # a draft: begin again
        session.delete(existing)
        session.flush()
    row = JoinRequest(
        platform=platform,
        external_id=external_id,
        username=username,
        language=language,
        step="city",
        created_at=now,
    )
    session.add(row)
    session.flush()
    return row


def submit(session: Session, row: JoinRequest, now: datetime) -> None:
    row.status, row.step = JoinStatus.OPEN, None
    row.submitted_at, row.expires_at = now, now + LIFETIME
    session.add(row)
    session.flush()
    due.schedule(session, "join_expiry", row.id or 0, f"join_expiry:{row.id}", row.expires_at)
    remind_at = WORKDAYS.before(row.expires_at - REMIND_BEFORE, row.expires_at)
    due.schedule(session, "join_remind", row.id or 0, f"join_remind:{row.id}", remind_at)


def waiting(session: Session, request_id: int, now: datetime) -> JoinRequest | None:
    """The request if it still waits for a decision (not lapsed)."""
    row = session.get(JoinRequest, request_id)
    if row is None or row.status != JoinStatus.OPEN or row.expires_at is None:
        return None
    return row if row.expires_at > now else None


def expire(session: Session, request_id: int, now: datetime) -> JoinRequest | None:
    """Mark a still undecided request as lapsed; returns it, or None if it was decided."""
    row = session.get(JoinRequest, request_id, with_for_update=True)
    if (
        row is None
        or row.status != JoinStatus.OPEN
        or row.expires_at is None
        or row.expires_at > now
    ):
        return None
    row.status = JoinStatus.EXPIRED
    session.add(row)
    return row


def cancel_draft(session: Session, platform: str, external_id: str, now: datetime) -> bool:
    """The account's unfinished request stops (False: there was none)."""
    row = current(session, platform, external_id, now)
    if row is None or row.status != JoinStatus.DRAFT:
        return False
    row.status = JoinStatus.CANCELLED
    session.add(row)
    return True


NO_REQUEST = N_("There is no join request #{id}.")


def load_open(
    session: Session,
    request_id: int,
    now: datetime,
    visible: Callable[[JoinRequest], bool] = lambda _row: True,
) -> JoinRequest:
    """The open request, locked. One the caller may not see (`visible` says no: it asks only
    for networks the caller may not read) answers exactly as a missing number does."""
    row = session.get(JoinRequest, request_id, with_for_update=True)
    if row is None or row.status in (JoinStatus.DRAFT, JoinStatus.CANCELLED) or not visible(row):
        raise DomainError(NO_REQUEST, id=request_id)
    if row.status == JoinStatus.OPEN and row.expires_at is not None and row.expires_at <= now:
        row.status = JoinStatus.EXPIRED
        session.add(row)
    if row.status == JoinStatus.EXPIRED:
        raise DomainError(
            N_("Join request #{id} has expired (after 14 days)."), id=request_id, keep=True
        )
    if row.status != JoinStatus.OPEN:
        raise DomainError(N_("Join request #{id} has already been decided."), id=request_id)
    return row


def decide(
    session: Session, row: JoinRequest, codes: Sequence[str], decision: JoinStatus, now: datetime
) -> None:
    row.decisions = {**row.decisions, **{code: str(decision) for code in codes}}
    if not row.pending:
        accepted = any(v == JoinStatus.ACCEPTED for v in row.decisions.values())
        row.status = JoinStatus.ACCEPTED if accepted else JoinStatus.REJECTED
        row.decided_at = now
    session.add(row)
    session.flush()


class JoinDigest(SQLModel, table=True):
    """Per network: the requests its coordinators have not been told about yet (`fresh`), the
    ones to remind them of (`lapsing`), and when the last summary went."""

    __tablename__ = "join_digest"

    network_id: int = Field(
        primary_key=True, foreign_key="network.id", sa_column_kwargs={"autoincrement": False}
    )
    sent_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    fresh: list[int] = Field(default_factory=list, sa_column=Column(JSON, nullable=False))
    lapsing: list[int] = Field(default_factory=list, sa_column=Column(JSON, nullable=False))


def digest(session: Session, network_id: int) -> JoinDigest:
    """The network's digest row, locked until the transaction ends (made on first use).

    The lock is a no-op UPDATE: a row lock on PostgreSQL, and on SQLite the database's write
    lock, taken before the row is read (a plain SELECT there reads outside any transaction)."""
    lock = (
        update(JoinDigest)
        .where(col(JoinDigest.network_id) == network_id)
        .values(sent_at=JoinDigest.__table__.c.sent_at)  # type: ignore[attr-defined]
    )
    if session.execute(lock).rowcount == 0:  # type: ignore[attr-defined]
        try:
            with session.begin_nested():
                session.add(JoinDigest(network_id=network_id))
        except IntegrityError:  # made meanwhile by another process
            pass
        session.execute(lock)
    query = (
        select(JoinDigest)
        .where(JoinDigest.network_id == network_id)
        .execution_options(populate_existing=True)
    )
    return session.exec(query).one()


def note(session: Session, row: JoinDigest, request_id: int, *, lapsing: bool = False) -> None:
    """Remember a request for the network's next summary (new, or about to lapse)."""
    kept = row.lapsing if lapsing else row.fresh
    if request_id in kept:
        return
    if lapsing:
        row.lapsing = [*kept, request_id]
    else:
        row.fresh = [*kept, request_id]
    session.add(row)


def take(
    session: Session, network_id: int, now: datetime, quiet: timedelta
) -> tuple[JoinDigest, list[int], list[int]] | None:
    """What the network's next summary tells (new ids, lapsing ids), emptied from its row, when
    one is due now; None when there is nothing, or the last summary is less than `quiet` ago.
    The row stays locked: the caller sets `sent_at` when a summary really goes."""
    row = digest(session, network_id)
    if not (row.fresh or row.lapsing) or (row.sent_at is not None and row.sent_at > now - quiet):
        return None
    fresh, lapsing = list(row.fresh), list(row.lapsing)
    row.fresh, row.lapsing = [], []
    session.add(row)
    return row, fresh, lapsing


def digests_to_send(session: Session, now: datetime, quiet: timedelta) -> list[int]:
    """Networks with something to tell whose last summary is at least `quiet` ago (a read
    without locks: usually none, and one small row per network)."""
    return [
        row.network_id
        for row in session.exec(select(JoinDigest).order_by(col(JoinDigest.network_id))).all()
        if (row.fresh or row.lapsing) and (row.sent_at is None or row.sent_at <= now - quiet)
    ]


def _mentions(code: str) -> Any:
    """SQL: the request's networks (a JSON list of codes) include `code`. A cheap filter on
    the stored text; callers check `pending` on the rows."""
    escaped = code.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    stored = cast(JoinRequest.__table__.c.networks, String)  # type: ignore[attr-defined]
    return stored.like(f'%"{escaped}"%', escape="\\")


def waiting_for(session: Session, code: str, now: datetime) -> list[JoinRequest]:
    """The network's requests still waiting for its decision, oldest first."""
    rows = session.exec(
        select(JoinRequest)
        .where(
            JoinRequest.status == JoinStatus.OPEN,
            col(JoinRequest.expires_at) > now,
            _mentions(code),
        )
        .order_by(col(JoinRequest.submitted_at), col(JoinRequest.id))
    ).all()
    return [row for row in rows if code in row.pending]


def count_waiting(session: Session, code: str, now: datetime) -> int:
    """How many of the network's requests wait for its decision."""
    rows = session.exec(
        select(JoinRequest.networks, JoinRequest.decisions).where(
            JoinRequest.status == JoinStatus.OPEN,
            col(JoinRequest.expires_at) > now,
            _mentions(code),
        )
    ).all()
    return sum(1 for networks, decisions in rows if code in networks and code not in decisions)


def filed_since(session: Session, code: str, since: datetime) -> int:
    """How many of the network's requests filed after `since` still wait for its decision."""
    rows = session.exec(
        select(JoinRequest).where(
            JoinRequest.status == JoinStatus.OPEN,
            col(JoinRequest.submitted_at) > since,
            _mentions(code),
        )
    ).all()
    return sum(1 for row in rows if code in row.pending)


def still_waiting(
    session: Session, ids: Sequence[int], code: str, now: datetime
) -> list[JoinRequest]:
    """Of these requests, the ones still waiting for the network's decision, in id order."""
    if not ids:
        return []
    rows = session.exec(
        select(JoinRequest).where(col(JoinRequest.id).in_(ids)).order_by(col(JoinRequest.id))
    ).all()
    return [
        row
        for row in rows
        if row.status == JoinStatus.OPEN
        and row.expires_at is not None
        and row.expires_at > now
        and code in row.pending
    ]

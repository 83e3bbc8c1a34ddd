"""The staff desk's sign-in: one-time links and browser sessions, kept server-side.

Only hashes of the secrets are stored (SHA-256 of a random token): a copy of the database
opens no one's desk. A sign-in link is good once and for LOGIN_TTL; a session lasts SESSION_TTL
from sign-in and ends early when the person signs out (`/panel wyloguj` ends them all).
"""

from __future__ import annotations

import hashlib
import secrets
from collections.abc import Sequence
from datetime import datetime, timedelta

from sqlalchemy import String, func, update
from sqlmodel import Field, Session, SQLModel, col, select

from models import audit
from models.core import Person, utc_field
from models.feedback import Poll, PollStatus
from models.meetings import Meeting, MeetingStatus
from models.office_hours.tables import BookingStatus, OfficeBooking, OfficeSession, SessionStatus
from models.outbox import FAILED, OutboxMessage

LOGIN_TTL = timedelta(minutes=15)
SESSION_TTL = timedelta(hours=12)
USED_BOOKINGS = (
    BookingStatus.OFFERED,
    BookingStatus.BOOKED,
    BookingStatus.DONE,
    BookingStatus.NO_SHOW,
)


class DeskLogin(SQLModel, table=True):
    """A one-time sign-in link sent by `/panel`."""

    __tablename__ = "desk_login"

    id: int | None = Field(default=None, primary_key=True)
    token_hash: str = Field(sa_type=String(64), unique=True)
    person_id: int = Field(foreign_key="person.id", index=True)
    created_at: datetime = utc_field()
    expires_at: datetime = utc_field()
    used_at: datetime | None = utc_field(nullable=True)


class DeskSession(SQLModel, table=True):
    """A signed-in browser."""

    __tablename__ = "desk_session"

    id: int | None = Field(default=None, primary_key=True)
    token_hash: str = Field(sa_type=String(64), unique=True)
    person_id: int = Field(foreign_key="person.id", index=True)
    created_at: datetime = utc_field()
    expires_at: datetime = utc_field()
    ended_at: datetime | None = utc_field(nullable=True)


def digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def issue_login(session: Session, person_id: int, now: datetime) -> str:
    """A new one-time sign-in token for the person (only its hash is kept)."""
    token = secrets.token_urlsafe(32)
    session.add(
        DeskLogin(
            token_hash=digest(token),
            person_id=person_id,
            created_at=now,
            expires_at=now + LOGIN_TTL,
        )
    )
    session.flush()
    return token


def login_state(session: Session, token: str, now: datetime) -> str:
    """`ok`, `unknown`, `used` or `expired` (read only: the GET page shows it)."""
    row = session.exec(select(DeskLogin).where(DeskLogin.token_hash == digest(token))).first()
    if row is None:
        return "unknown"
    if row.used_at is not None:
        return "used"
    if now >= row.expires_at:
        return "expired"
    return "ok"


def redeem(session: Session, token: str, now: datetime) -> tuple[str, int | None]:
    """Use a sign-in token: (`ok`, the person) once; `unknown`, `used` or `expired` after.

    The update is conditional on the row still being unused, so two browsers racing with one
    link get one session between them."""
    state = login_state(session, token, now)
    if state != "ok":
        return state, None
    done = session.execute(
        update(DeskLogin)
        .where(col(DeskLogin.token_hash) == digest(token), col(DeskLogin.used_at).is_(None))
        .values(used_at=now)
    )
    if getattr(done, "rowcount", 0) != 1:
        return "used", None
    row = session.exec(select(DeskLogin).where(DeskLogin.token_hash == digest(token))).one()
    return "ok", row.person_id


def start(session: Session, person_id: int, now: datetime) -> str:
    """A new browser session for the person; the cookie's value (only its hash is kept)."""
    token = secrets.token_urlsafe(32)
    session.add(
        DeskSession(
            token_hash=digest(token),
            person_id=person_id,
            created_at=now,
            expires_at=now + SESSION_TTL,
        )
    )
    session.flush()
    audit.record(session, now, person_id, "desk.sign_in", f"person:{person_id}")
    return token


def current(session: Session, token: str, now: datetime) -> tuple[DeskSession, Person] | None:
    """The live session of this cookie and its person (not erased), or None."""
    if not token:
        return None
    row = session.exec(select(DeskSession).where(DeskSession.token_hash == digest(token))).first()
    if row is None or row.ended_at is not None or now >= row.expires_at:
        return None
    person = session.get(Person, row.person_id)
    if person is None or person.erased_at is not None:
        return None
    return row, person


def end(session: Session, token: str, now: datetime) -> None:
    session.execute(
        update(DeskSession)
        .where(col(DeskSession.token_hash) == digest(token), col(DeskSession.ended_at).is_(None))
        .values(ended_at=now)
    )


def end_all(session: Session, person_id: int, now: datetime) -> int:
    """End every session of the person and void their unused sign-in links; how many
    sessions were open."""
    live = session.exec(
        select(DeskSession).where(
            DeskSession.person_id == person_id,
            col(DeskSession.ended_at).is_(None),
            col(DeskSession.expires_at) > now,
        )
    ).all()
    session.execute(
        update(DeskSession)
        .where(col(DeskSession.person_id) == person_id, col(DeskSession.ended_at).is_(None))
        .values(ended_at=now)
    )
    session.execute(
        update(DeskLogin)
        .where(col(DeskLogin.person_id) == person_id, col(DeskLogin.used_at).is_(None))
        .values(used_at=now)
    )
    return len(live)


def sessions_of(session: Session, person_id: int) -> Sequence[DeskSession]:
    return session.exec(
        select(DeskSession).where(DeskSession.person_id == person_id).order_by(col(DeskSession.id))
    ).all()


# --- what the desk reads (a few queries for any number of networks) -------------------------


def next_meetings(
    session: Session, network_ids: Sequence[int], now: datetime
) -> dict[int, Meeting]:
    """Each network's next published meeting (not yet ended), by network id."""
    rows = session.exec(
        select(Meeting)
        .where(
            col(Meeting.network_id).in_(list(network_ids)),
            Meeting.status == MeetingStatus.PUBLISHED,
            Meeting.starts_at >= now - timedelta(hours=12),
        )
        .order_by(col(Meeting.starts_at), col(Meeting.id))
    ).all()
    found: dict[int, Meeting] = {}
    for meeting in rows:
        found.setdefault(meeting.network_id, meeting)
    return found


def meetings_of(session: Session, network_id: int, since: datetime) -> Sequence[Meeting]:
    """A network's meetings from `since` on (cancelled ones included), soonest first."""
    return session.exec(
        select(Meeting)
        .where(Meeting.network_id == network_id, Meeting.starts_at >= since)
        .order_by(col(Meeting.starts_at), col(Meeting.id))
    ).all()


def open_polls(session: Session, network_ids: Sequence[int]) -> dict[int, list[Poll]]:
    rows = session.exec(
        select(Poll)
        .where(col(Poll.network_id).in_(list(network_ids)), Poll.status == PollStatus.OPEN)
        .order_by(col(Poll.closes_at), col(Poll.id))
    ).all()
    found: dict[int, list[Poll]] = {}
    for poll in rows:
        found.setdefault(poll.network_id, []).append(poll)
    return found


def office_use(
    session: Session, network_ids: Sequence[int], start: datetime, end: datetime
) -> dict[int, tuple[int, int, int]]:
    """Per network, office-hours sessions starting in [start, end): (sessions, slots, slots
    taken by a booking that was not cancelled)."""
    sessions = session.exec(
        select(OfficeSession).where(
            col(OfficeSession.network_id).in_(list(network_ids)),
            OfficeSession.starts_at >= start,
            OfficeSession.starts_at < end,
            OfficeSession.status != SessionStatus.CANCELLED,
        )
    ).all()
    by_id = {o.id: o for o in sessions}
    taken: dict[int, int] = {}
    if by_id:
        for session_id, count in session.exec(
            select(OfficeBooking.session_id, func.count())
            .where(
                col(OfficeBooking.session_id).in_(list(by_id)),
                col(OfficeBooking.status).in_(USED_BOOKINGS),
            )
            .group_by(col(OfficeBooking.session_id))
        ).all():
            taken[session_id] = int(count)
    found: dict[int, tuple[int, int, int]] = {}
    for o in sessions:
        n, slots, used = found.get(o.network_id, (0, 0, 0))
        found[o.network_id] = (n + 1, slots + o.slots, used + taken.get(o.id or 0, 0))
    return found


def failed_messages(session: Session, since: datetime) -> int:
    """Messages the outbox gave up delivering since `since`."""
    return int(
        session.exec(
            select(func.count())
            .select_from(OutboxMessage)
            .where(OutboxMessage.status == FAILED, col(OutboxMessage.sent_at) >= since)
        ).one()
    )

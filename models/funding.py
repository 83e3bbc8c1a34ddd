"""Funding calls: the deduplicated calls, what changed, network profiles, feeds, follows,
mutes and what each network was already told.

Deduplication across sources happens here (identifier, canonical link, normalised title with
the same next deadline), because the lookup and the insert must be one unit of work.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Sequence
from datetime import UTC, datetime
from enum import StrEnum
from functools import lru_cache
from typing import Any, NamedTuple

from sqlalchemy import (
    JSON,
    Column,
    Float,
    String,
    Text,
    UniqueConstraint,
    bindparam,
    cast,
    delete,
    exists,
    literal,
    update,
)
from sqlalchemy import select as sa_select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.exc import IntegrityError
from sqlmodel import Field, Session, SQLModel, col, select

from models.core import Network
from models.errors import N_, DomainError
from models.meetings import Meeting
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


def claim_once(session: Session, key: str, now: datetime, network_id: int | None = None) -> bool:
    """Record that `key` is being sent; False if it already was (here or by another process).

    A savepoint keeps the caller's transaction usable when the key exists; on PostgreSQL a
    concurrent insert of the same key waits for the other transaction and then fails here.
    """
    if session.exec(select(FundingSent.id).where(FundingSent.key == key)).first() is not None:
        return False
    try:
        with session.begin_nested():
            session.add(FundingSent(key=key, network_id=network_id, at=now))
    except IntegrityError:
        return False
    return True


def last_sent(session: Session, network_id: int, prefix: str) -> datetime | None:
    row = session.exec(
        select(FundingSent.at)
        .where(FundingSent.network_id == network_id, col(FundingSent.key).startswith(prefix))
        .order_by(col(FundingSent.at).desc())
    ).first()
    return row


def active_calls(session: Session) -> Sequence[FundingCall]:
    return session.exec(
        select(FundingCall)
        .where(col(FundingCall.withdrawn_at).is_(None))
        .order_by(col(FundingCall.id))
    ).all()


def profiles(session: Session) -> Sequence[FundingProfile]:
    return session.exec(select(FundingProfile).order_by(col(FundingProfile.network_id))).all()


def add_profile(
    session: Session, network_id: int, keywords: list[str], programmes: list[str], now: datetime
) -> None:
    """A network's first profile, unless another process added it a moment ago."""
    dialect = session.connection().dialect.name
    module = postgresql if dialect == "postgresql" else sqlite
    session.execute(
        module.insert(FundingProfile)
        .values(network_id=network_id, keywords=keywords, programmes=programmes, updated_at=now)
        .on_conflict_do_nothing(index_elements=["network_id"])
    )


def profile_of(session: Session, network_id: int) -> FundingProfile | None:
    return session.exec(
        select(FundingProfile).where(FundingProfile.network_id == network_id)
    ).first()


def muted(session: Session, network_id: int) -> set[int]:
    return set(
        session.exec(select(FundingMute.call_id).where(FundingMute.network_id == network_id)).all()
    )


def seen(session: Session, network_id: int) -> dict[int, FundingSeen]:
    return {
        r.call_id: r
        for r in session.exec(select(FundingSeen).where(FundingSeen.network_id == network_id)).all()
    }


def changes_since(
    session: Session, call_ids: Sequence[int], since: datetime | None
) -> Sequence[FundingChange]:
    query = select(FundingChange).where(col(FundingChange.call_id).in_(call_ids))
    if since is not None:
        query = query.where(FundingChange.at > since)
    return session.exec(query.order_by(col(FundingChange.at))).all()


def feeds(session: Session, *, active_only: bool = True) -> Sequence[FundingFeed]:
    query = select(FundingFeed).order_by(col(FundingFeed.id))
    if active_only:
        query = query.where(col(FundingFeed.active).is_(True))
    return session.exec(query).all()


def not_yet_sent(prefix: str, ref: Any, suffix: str = "") -> Any:
    """A condition: no once-only key `prefix + ref + suffix` was claimed (checked in the
    database against the key's unique index, so a sweep over every network or meeting on
    every tick is one query, not one per row)."""
    key = literal(prefix) + cast(ref, String) + literal(suffix)
    return ~exists().where(col(FundingSent.key) == key)


def networks_without(session: Session, prefix: str, suffix: str) -> Sequence[Network]:
    """Networks with no key `prefix + network id + suffix` claimed yet."""
    return session.exec(
        select(Network)
        .where(not_yet_sent(prefix, col(Network.id), suffix))
        .order_by(col(Network.id))
    ).all()


def follows_with_calls(session: Session) -> Sequence[tuple[FundingFollow, FundingCall]]:
    """Every follow with its call, in one query (the reminder sweep runs on every tick)."""
    return session.exec(
        select(FundingFollow, FundingCall)
        .join(FundingCall, col(FundingCall.id) == col(FundingFollow.call_id))
        .order_by(col(FundingFollow.id))
    ).all()


def find_same(
    session: Session,
    identifier: str | None,
    link_key: str | None,
    title_key: str,
    deadline_days: set[str],
) -> FundingCall | None:
    """The call a new record duplicates: same identifier, same canonical link, or the same
    normalised title with a deadline on the same day (or neither has one)."""
    if identifier:
        found = session.exec(
            select(FundingCall).where(FundingCall.identifier == identifier)
        ).first()
        if found is not None:
            return found
    if link_key:
        found = session.exec(
            select(FundingCall)
            .where(FundingCall.link_key == link_key)
            .order_by(col(FundingCall.id))
        ).first()
        if found is not None:
            return found
    return _same_day(
        session.exec(
            select(FundingCall)
            .where(FundingCall.title_key == title_key)
            .order_by(col(FundingCall.id))
        ).all(),
        deadline_days,
    )


def _same_day(candidates: Sequence[FundingCall], deadline_days: set[str]) -> FundingCall | None:
    for candidate in candidates:
        days = {d[:10] for d in candidate.deadlines}
        if days & deadline_days or not (days or deadline_days):
            return candidate
    return None


class SameCalls:
    """find_same for a whole batch (a feed, a SEDIA page run, a CSV): the stored calls read in
    one query and the batch's new calls registered as they are added, instead of three
    queries and a flush per record (10,000 records: ~25 s -> a few seconds)."""

    def __init__(self, session: Session) -> None:
        self._by_identifier: dict[str, FundingCall] = {}
        self._by_link: dict[str, FundingCall] = {}
        self._by_title: dict[str, list[FundingCall]] = {}
        for call in session.exec(select(FundingCall).order_by(col(FundingCall.id))).all():
            self.add(call)

    def add(self, call: FundingCall) -> None:
        """Register a call (in id order: the first one with a key is the one found)."""
        if call.identifier:
            self._by_identifier.setdefault(call.identifier, call)
        if call.link_key:
            self._by_link.setdefault(call.link_key, call)
        self._by_title.setdefault(call.title_key, []).append(call)

    def find(
        self, identifier: str | None, link_key: str | None, title_key: str, deadline_days: set[str]
    ) -> FundingCall | None:
        """As find_same."""
        if identifier and (found := self._by_identifier.get(identifier)) is not None:
            return found
        if link_key and (found := self._by_link.get(link_key)) is not None:
            return found
        return _same_day(self._by_title.get(title_key, ()), deadline_days)


def add_change(
    session: Session, call_id: int, at: datetime, field_name: str, old: str | None, new: str | None
) -> None:
    session.add(
        FundingChange(
            call_id=call_id,
            at=at,
            field_name=field_name,
            old=None if old is None else old[:300],
            new=None if new is None else new[:300],
        )
    )


def followers(session: Session, call_id: int) -> Sequence[FundingFollow]:
    return session.exec(select(FundingFollow).where(FundingFollow.call_id == call_id)).all()


def find_follow(session: Session, person_id: int, call_id: int) -> FundingFollow | None:
    return session.exec(
        select(FundingFollow).where(
            FundingFollow.person_id == person_id, FundingFollow.call_id == call_id
        )
    ).first()


def feed_by_url(session: Session, url: str) -> FundingFeed | None:
    return session.exec(select(FundingFeed).where(FundingFeed.url == url)).first()


def meetings_between(
    session: Session, start: datetime, end: datetime, unless_sent: str | None = None
) -> Sequence[Meeting]:
    """Published meetings starting in [start, end]: each gets a review of calls before it.
    With `unless_sent`, only those with no key `unless_sent + meeting id` claimed yet."""
    query = select(Meeting).where(
        Meeting.status == "published", Meeting.starts_at >= start, Meeting.starts_at <= end
    )
    if unless_sent is not None:
        query = query.where(not_yet_sent(unless_sent, col(Meeting.id)))
    return session.exec(query.order_by(col(Meeting.starts_at))).all()


def require_call(session: Session, call_id: int) -> FundingCall:
    """The call numbered `call_id`, or NO_CALL."""
    call = session.get(FundingCall, call_id)
    if call is None:
        raise DomainError(NO_CALL, id=call_id)
    return call


def require_feed(session: Session, feed_id: int) -> FundingFeed:
    """The feed numbered `feed_id`, or NO_FEED."""
    feed = session.get(FundingFeed, feed_id)
    if feed is None:
        raise DomainError(NO_FEED, id=feed_id)
    return feed


def follow(session: Session, person_id: int, call_id: int, now: datetime) -> None:
    """The person follows the call (once: following twice changes nothing)."""
    if find_follow(session, person_id, call_id) is None:
        session.add(FundingFollow(person_id=person_id, call_id=call_id, at=now))


def unfollow(session: Session, person_id: int, call_id: int) -> None:
    found = find_follow(session, person_id, call_id)
    if found is not None:
        session.delete(found)


def mute(
    session: Session, network_id: int, call_id: int, muted_by: int | None, now: datetime
) -> None:
    """The call is left out of the network's digests (once)."""
    if call_id not in muted(session, network_id):
        session.add(FundingMute(network_id=network_id, call_id=call_id, muted_by=muted_by, at=now))


def withdraw(session: Session, call: FundingCall, now: datetime) -> None:
    """Kept, never listed again; the first withdrawal's moment stays."""
    call.withdrawn_at = call.withdrawn_at or now
    session.add(call)


def add_feed(
    session: Session,
    url: str,
    *,
    network_id: int | None,
    added_by: int | None,
    funder: str | None,
    now: datetime,
) -> FundingFeed:
    feed = FundingFeed(
        url=url, network_id=network_id, added_by=added_by, added_at=now, funder=funder
    )
    session.add(feed)
    session.flush()
    return feed


def stop_feed(session: Session, feed: FundingFeed) -> None:
    feed.active = False
    session.add(feed)


def reviewed_calls(
    session: Session, network_id: int, start: datetime, end: datetime
) -> Sequence[FundingCall]:
    """The calls the network was first told about in [start, end), in the order told."""
    return session.exec(
        select(FundingCall)
        .join(FundingSeen, col(FundingSeen.call_id) == col(FundingCall.id))
        .where(
            FundingSeen.network_id == network_id,
            FundingSeen.first_at >= start,
            FundingSeen.first_at < end,
        )
        .order_by(col(FundingSeen.first_at), col(FundingCall.id))
    ).all()


def edit_call(session: Session, call: FundingCall, now: datetime, **fields: Any) -> None:
    """Set the given columns of a call by hand. A new deadline (`deadline`, replacing them all;
    `was` the next one before) or a new `budget` is recorded as a change, as a source's is."""
    call_id = call.id or 0
    if "deadline" in fields:
        new, was = fields.pop("deadline"), fields.pop("was", None)
        add_change(
            session, call_id, now, "deadline", was.isoformat() if was else None, new.isoformat()
        )
        call.deadlines = [new.isoformat()]
    if "budget" in fields:
        amount = fields.pop("budget")
        before = None if call.budget is None else str(call.budget)
        add_change(session, call_id, now, "budget", before, str(amount))
        call.budget, call.currency = amount, call.currency or "PLN"
    for name, value in fields.items():
        setattr(call, name, value)
    call.updated_at = now
    session.add(call)


# --- what fits a network, read and written in bulk (digests over thousands of calls) ---------


@lru_cache(maxsize=65_536)
def _when(iso: str) -> datetime:
    return datetime.fromisoformat(iso)


@lru_cache(maxsize=65_536)
@lru_cache(maxsize=8192)
def _strings(raw: str | None) -> tuple[str, ...]:
    """A JSON list column read as text: decoded once per distinct value (a call's deadlines
    repeat in every network it fits; a network's keyword sets repeat across its calls)."""
    return tuple(json.loads(raw)) if raw else ()


class CallRow(NamedTuple):
    """The columns a digest or a list shows of a call: read without the ORM's per-object cost."""

    id: int
    title: str
    programme: str | None
    link: str | None
    status: str
    deadlines: tuple[str, ...]
    budget: float | None
    currency: str | None
    withdrawn_at: datetime | None = None

    @property
    def deadline_list(self) -> list[datetime]:
        return [_when(d) for d in self.deadlines]


class Fit(NamedTuple):
    call: CallRow
    programme: str | None
    keywords: tuple[str, ...]


_ROW = (
    col(FundingCall.id),
    col(FundingCall.title),
    col(FundingCall.programme),
    col(FundingCall.link),
    col(FundingCall.status),
    cast(col(FundingCall.deadlines), Text),
    col(FundingCall.budget),
    col(FundingCall.currency),
)


def fitting_calls(session: Session, network_id: int) -> list[Fit]:
    """The network's matched calls that are not withdrawn and not muted there (one query)."""
    muted_here = exists().where(
        col(FundingMute.network_id) == network_id,
        col(FundingMute.call_id) == col(FundingMatch.call_id),
    )
    rows = session.execute(
        sa_select(*_ROW, col(FundingMatch.programme), cast(col(FundingMatch.keywords), Text))
        .join(FundingMatch, col(FundingMatch.call_id) == col(FundingCall.id))
        .where(
            col(FundingMatch.network_id) == network_id,
            col(FundingCall.withdrawn_at).is_(None),
            ~muted_here,
        )
        .order_by(col(FundingCall.id))
    ).all()
    return [
        Fit(CallRow(r[0], r[1], r[2], r[3], r[4], _strings(r[5]), r[6], r[7]), r[8], _strings(r[9]))
        for r in rows
    ]


class CallText(NamedTuple):
    id: int
    title: str
    programme: str | None
    tags: list[str]
    summary: str


def call_texts(session: Session, call_ids: Sequence[int] | None = None) -> list[CallText]:
    """What classification reads of each call not withdrawn (all, or the given ones)."""
    query = sa_select(
        col(FundingCall.id),
        col(FundingCall.title),
        col(FundingCall.programme),
        col(FundingCall.tags),
        col(FundingCall.summary),
    ).where(col(FundingCall.withdrawn_at).is_(None))
    if call_ids is not None:
        query = query.where(col(FundingCall.id).in_(list(call_ids)))
    return [CallText(*r) for r in session.execute(query).all()]


MatchRow = tuple[int, int, str | None, list[str]]  # network, call, programme, keywords


def replace_matches(
    session: Session,
    rows: Iterable[MatchRow],
    *,
    calls: Sequence[int] = (),
    network_id: int | None = None,
) -> None:
    """The matches of these calls (or of this network) become `rows`."""
    if network_id is not None:
        session.execute(delete(FundingMatch).where(col(FundingMatch.network_id) == network_id))
    for start in range(0, len(calls), 500):
        chunk = list(calls[start : start + 500])
        session.execute(delete(FundingMatch).where(col(FundingMatch.call_id).in_(chunk)))
    values = [{"network_id": n, "call_id": c, "programme": p, "keywords": k} for n, c, p, k in rows]
    if values:
        _insert_many(session, FundingMatch, values)


def mark_matched(session: Session, network_id: int, now: datetime | None) -> None:
    session.execute(
        update(FundingProfile)
        .where(col(FundingProfile.network_id) == network_id)
        .values(matched_at=now)
    )


def _insert_many(session: Session, model: Any, values: list[dict[str, Any]]) -> None:
    """Many rows at once, in the session's transaction: PostgreSQL's COPY (one stream, no
    statement to parse per row or per page), elsewhere one executemany."""
    table = model.__table__
    conn = session.connection()
    names = list(values[0])
    if conn.dialect.name != "postgresql":
        _executemany(conn, table, names, values)
        return
    columns = ", ".join(f'"{n}"' for n in names)
    raw = conn.connection.dbapi_connection
    assert raw is not None
    cursor: Any = raw.cursor()  # psycopg's: COPY is its own API
    with cursor, cursor.copy(f"COPY {table.name} ({columns}) FROM STDIN") as copy:
        for row in values:
            copy.write_row([_copy_value(row[n]) for n in names])


def _executemany(conn: Any, table: Any, names: list[str], values: list[dict[str, Any]]) -> None:
    """One executemany straight to the driver, each value bound by its column's type as
    SQLAlchemy would (once per distinct value: a digest's rows share their moment), without
    SQLAlchemy's per-row compilation of the parameters."""
    processors = [table.c[n].type.bind_processor(conn.dialect) for n in names]
    seen: list[dict[Any, Any]] = [{} for _ in names]

    def bound(i: int, value: Any) -> Any:
        process = processors[i]
        if process is None or value is None:
            return value
        try:
            return seen[i][value]
        except KeyError:
            seen[i][value] = done = process(value)
            return done
        except TypeError:  # not hashable (a JSON list)
            return process(value)

    columns = ", ".join(f'"{n}"' for n in names)
    marks = ", ".join("?" for _ in names)
    rows = [tuple(bound(i, row[n]) for i, n in enumerate(names)) for row in values]
    conn.exec_driver_sql(f'INSERT INTO "{table.name}" ({columns}) VALUES ({marks})', rows)


def _copy_value(value: Any) -> Any:
    if isinstance(value, datetime):
        return value.astimezone(UTC).replace(tzinfo=None)  # as UTCDateTime stores it
    if isinstance(value, list | dict):
        return json.dumps(value)
    return value


class Told(NamedTuple):
    deadline: str | None
    budget: float | None
    soon_told: bool


def told(session: Session, network_id: int) -> dict[int, Told]:
    """What the network was told of each call (call id -> what it was told)."""
    rows = session.execute(
        select(
            FundingSeen.call_id, FundingSeen.deadline, FundingSeen.budget, FundingSeen.soon_told
        ).where(FundingSeen.network_id == network_id)
    ).all()
    return {r[0]: Told(r[1], r[2], bool(r[3])) for r in rows}


def tell(
    session: Session, network_id: int, now: datetime, news: dict[int, Told], before: dict[int, Told]
) -> None:
    """Record what the network has now been told: new rows in one insert, changed rows in
    one executemany update, unchanged rows not touched."""
    fresh = [
        {
            "network_id": network_id,
            "call_id": c,
            "first_at": now,
            "deadline": v.deadline,
            "budget": v.budget,
            "soon_told": v.soon_told,
        }
        for c, v in news.items()
        if c not in before
    ]
    changed = [
        {"k_call": c, "k_deadline": v.deadline, "k_budget": v.budget, "k_soon": v.soon_told}
        for c, v in news.items()
        if c in before and before[c] != v
    ]
    if fresh:
        _insert_many(session, FundingSeen, fresh)
    if changed:
        session.connection().execute(
            update(FundingSeen)
            .where(
                col(FundingSeen.network_id) == network_id,
                col(FundingSeen.call_id) == bindparam("k_call"),
            )
            .values(
                deadline=bindparam("k_deadline"),
                budget=bindparam("k_budget"),
                soon_told=bindparam("k_soon"),
            ),
            changed,
        )


def sources_of(session: Session, call_ids: Sequence[int]) -> dict[int, str]:
    """Where each call came from (`eu`, `feed:<id>`, `manual`, `csv`), by its number."""
    if not call_ids:
        return {}
    rows = session.execute(
        sa_select(col(FundingCall.id), col(FundingCall.source)).where(
            col(FundingCall.id).in_(list(call_ids))
        )
    ).all()
    return {int(r[0]): str(r[1]) for r in rows}

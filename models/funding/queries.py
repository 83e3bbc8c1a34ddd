"""Funding calls one at a time: deduplication (identifier, canonical link, normalised title
with the same next deadline: the lookup and the insert one unit of work), follows, mutes,
feeds, edits, and what was already sent."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import (
    String,
    cast,
    exists,
    literal,
)
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, col, select

from models.core import Network
from models.errors import DomainError
from models.funding.tables import (
    NO_CALL,
    NO_FEED,
    FundingCall,
    FundingChange,
    FundingFeed,
    FundingFollow,
    FundingMute,
    FundingProfile,
    FundingSeen,
    FundingSent,
)
from models.meetings import Meeting


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

"""What a poll of a source means for the store and for the coordinator: new calls are
ingested; a broken, unreachable or silent-for-months feed is reported once per episode to the
person who added it (or the network's coordinators), never crashed on."""

from __future__ import annotations

import logging
from datetime import datetime, timedelta

from sqlmodel import Session

from core.config import Settings
from core.i18n import Translator
from core.messages import Outgoing
from core.outbox import enqueue_to_person
from handlers.funding.parse import CallRecord, FeedParse
from handlers.funding.store import IngestResult, ingest
from models import directory
from models import funding as store
from models.errors import N_
from models.funding import FundingFeed

log = logging.getLogger("empirie.funding.feeds")

# Every failure before a server answers (refused address, closed port, unknown name, TLS, the
# deadline): one reason, so a coordinator cannot map the network with feed addresses.
UNREACHABLE = "unreachable"
_SHOWN = {
    UNREACHABLE: N_("could not fetch (address unreachable or not allowed)"),
    "too large": N_("the feed is larger than allowed"),
    "silent": N_("no new entries for a long time"),
}


def problem_text(t: Translator, problem: str) -> str:
    """A stored problem as a coordinator reads it (details of network failures: logs only)."""
    if problem == "timeout" or problem.startswith(UNREACHABLE):  # also reasons stored before
        problem = UNREACHABLE
    shown = _SHOWN.get(problem)
    return t(shown) if shown else problem


def due_feeds(session: Session, now: datetime, settings: Settings) -> list[FundingFeed]:
    every = timedelta(hours=settings.funding_poll_hours)
    return [f for f in store.feeds(session) if f.polled_at is None or now - f.polled_at >= every]


def record_success(
    session: Session,
    feed: FundingFeed,
    now: datetime,
    settings: Settings,
    parsed: FeedParse | None,
    etag: str | None,
    last_modified: str | None,
) -> IngestResult:
    """A fetch that answered: 304 (`parsed` None) or a body that parsed (maybe broken)."""
    feed.polled_at = now
    feed.etag, feed.last_modified = etag or feed.etag, last_modified or feed.last_modified
    result = IngestResult()
    if parsed is not None and parsed.broken:
        record_failure(session, feed, now, settings, f"not a valid feed ({parsed.broken})")
        return result
    if parsed is not None:
        feed.title = feed.title or (parsed.title or "")[:200] or None
        if parsed.newest and (feed.newest_entry_at is None or parsed.newest > feed.newest_entry_at):
            feed.newest_entry_at = parsed.newest
        result = ingest(session, parsed.records, now)
    feed.ok_at = now
    silent_since = feed.newest_entry_at or feed.added_at
    if now - silent_since > timedelta(days=settings.funding_feed_silent_days):
        _problem(session, feed, now, settings, "silent")
    else:
        feed.problem = feed.problem_since = None
    session.add(feed)
    return result


def record_failure(
    session: Session, feed: FundingFeed, now: datetime, settings: Settings, reason: str
) -> None:
    feed.polled_at = now
    _problem(session, feed, now, settings, reason)
    session.add(feed)


def _problem(
    session: Session, feed: FundingFeed, now: datetime, settings: Settings, reason: str
) -> None:
    if feed.problem is None:
        feed.problem_since = now
    feed.problem = reason[:300]
    log.info("funding.feed_problem feed=%s reason=%s", feed.id, reason)
    since = feed.problem_since or now
    key = f"feed-problem:{feed.id}:{since.isoformat()}"
    people = [feed.added_by] if feed.added_by else []
    if not people and feed.network_id:
        people = [
            p.id
            for p, role, _c in directory.members(session, feed.network_id)
            if role == "coordinator" and p.id is not None
        ]
    if not people or not store.claim_once(session, key, now, feed.network_id):
        return

    def build(t: Translator) -> Outgoing:
        text = (
            t.tn(
                "The funding feed #{id} ({url}) has gone silent: no new entries for over "
                "{n} day. Check it, or stop it with /zrodlo_usun {id}.",
                "The funding feed #{id} ({url}) has gone silent: no new entries for over "
                "{n} days. Check it, or stop it with /zrodlo_usun {id}.",
                settings.funding_feed_silent_days,
                id=feed.id,
                url=feed.url,
            )
            if reason == "silent"
            else t(
                "The funding feed #{id} ({url}) could not be read: {why}. I will keep "
                "trying; /zrodlo_usun {id} stops it.",
                id=feed.id,
                url=feed.url,
                why=problem_text(t, reason),
            )
        )
        return Outgoing(text)

    for person_id in people:
        if person_id is not None:
            enqueue_to_person(
                session,
                person_id,
                settings,
                now,
                build,
                kind="funding_feed",
                dedupe_key=f"{key}:{person_id}"[:128],
            )


def record_portal(session: Session, now: datetime, records: list[CallRecord]) -> IngestResult:
    return ingest(session, records, now)

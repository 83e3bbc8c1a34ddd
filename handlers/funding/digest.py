"""A network's funding digest: NOWE, closing soon, changes, other open calls — with why each
call fits the network, a length cap with the full list as a CSV file, and a memory of what the
network was told so the next digest repeats nothing."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta
from functools import lru_cache

from sqlmodel import Session

from core.config import Settings
from core.i18n import Translator
from core.messages import Target
from core.outbox import enqueue
from handlers.funding.match import Match
from handlers.funding.parse import effective_status, next_deadline
from handlers.funding.render import days_left, digest_message
from handlers.funding.store import ensure_matches, ensure_profiles
from models import funding as store
from models.announcements import recipients
from models.core import Network
from models.funding import CallRow, CallStatus, Told


@dataclass
class Item:
    call: CallRow
    why: Match
    deadline: datetime | None
    days_left: int | None = None
    change: str | None = None  # "deadline" | "budget"
    old: str | None = None


@dataclass
class Digest:
    new: list[Item] = field(default_factory=list)
    soon: list[Item] = field(default_factory=list)
    changed: list[Item] = field(default_factory=list)
    other: list[Item] = field(default_factory=list)
    newly_soon: int = 0
    told: dict[int, Told] = field(default_factory=dict)  # what the network knew before

    @property
    def has_news(self) -> bool:
        return bool(self.new or self.changed or self.newly_soon)

    @property
    def all_items(self) -> list[Item]:
        return [*self.new, *self.soon, *self.changed, *self.other]


@lru_cache(maxsize=65_536)
def timing(status: str, deadlines: tuple[str, ...], now: datetime) -> tuple[bool, datetime | None]:
    """Whether a call is still open, and its next deadline (once per call and moment: a call
    fits several networks)."""
    parsed = [datetime.fromisoformat(d) for d in deadlines]
    return effective_status(status, parsed, now) != CallStatus.CLOSED, next_deadline(parsed, now)


def matching_calls(session: Session, network_id: int, now: datetime) -> list[tuple[CallRow, Match]]:
    """Open calls that fit the network's profile and are not muted there.

    The fit is stored when a call is stored or edited and when the profile changes
    (`store.refresh_matches`, `ensure_matches`): this is one indexed query, not a
    classification of every stored call."""
    ensure_profiles(session, now)
    ensure_matches(session, network_id, now)
    return [
        (fit.call, Match(network_id, fit.programme, fit.keywords))
        for fit in store.fitting_calls(session, network_id)
        if timing(fit.call.status, fit.call.deadlines, now)[0]
    ]


def _by_deadline(item: Item) -> tuple[bool, float, int]:
    """Soonest deadline first; calls without one last."""
    return (
        item.deadline is None,
        item.deadline.timestamp() if item.deadline else 0.0,
        item.call.id,
    )


def compose(
    session: Session, network_id: int, now: datetime, settings: Settings, t: Translator
) -> Digest:
    told = store.told(session, network_id)
    digest = Digest(told=told)
    soon_until = now + timedelta(days=settings.funding_soon_days)
    left: dict[datetime, int] = {}  # calls share deadlines: each counted once
    for call, why in matching_calls(session, network_id, now):
        deadline = timing(call.status, call.deadlines, now)[1]
        if deadline is not None and deadline not in left:
            left[deadline] = days_left(deadline, now, t)
        item = Item(call, why, deadline, left[deadline] if deadline else None)
        before = told.get(call.id)
        closing = deadline is not None and deadline <= soon_until
        if before is None:
            digest.new.append(item)
        elif before.deadline and deadline and before.deadline != deadline.isoformat():
            item.change, item.old = "deadline", before.deadline
            digest.changed.append(item)
        elif before.budget is not None and call.budget is not None and before.budget != call.budget:
            item.change, item.old = "budget", str(before.budget)
            digest.changed.append(item)
        elif closing:
            digest.soon.append(item)
            digest.newly_soon += not before.soon_told
        else:
            digest.other.append(item)
    for section in (digest.new, digest.soon, digest.changed, digest.other):
        section.sort(key=_by_deadline)
    return digest


def remember(
    session: Session, network_id: int, digest: Digest, now: datetime, settings: Settings
) -> None:
    """What the network has now been told (so it is not news next time): written in bulk,
    rows that did not change are not touched."""
    soon_until = now + timedelta(days=settings.funding_soon_days)
    told: dict[datetime | None, tuple[str | None, bool]] = {None: (None, False)}
    news: dict[int, Told] = {}
    for item in digest.all_items:
        when = item.deadline
        if when is not None and when not in told:  # calls share deadlines: each written once
            told[when] = (when.isoformat(), when <= soon_until)
        deadline, soon = told[when]
        news[item.call.id] = Told(deadline, item.call.budget, soon)
    store.tell(session, network_id, now, news, digest.told)


def send(
    session: Session,
    network: Network,
    now: datetime,
    settings: Settings,
    *,
    heading_id: str,
    key: str,
    force: bool = False,
    **heading: object,
) -> int:
    """Queue the network's digest to its bound chats; returns how many chats it went to.

    Without `force`, nothing is sent when nothing is new (no new call, no change, nothing
    newly closing soon). What was sent is remembered either way it went out."""
    t0 = Translator(settings.default_language, settings.tz)
    digest = compose(session, network.id or 0, now, settings, t0)
    if not digest.all_items or not (force or digest.has_news):
        return 0
    chats, _people = recipients(
        session, [network.id or 0], "all", "chats", settings.active_platforms
    )
    if not chats:
        return 0  # nobody told: it stays news for when a chat is bound
    for chat in chats:
        t = Translator(chat.language or settings.default_language, settings.tz)
        message = digest_message(
            t,
            network,
            digest,
            settings.funding_digest_cap,
            t(heading_id, network=network.name, **heading),
        )
        enqueue(
            session,
            Target(chat.platform, chat.chat_id),
            message,
            now,
            network_id=network.id,
            kind="funding_digest",
            dedupe_key=f"{key}:{chat.platform}:{chat.chat_id}"[:128],
        )
    remember(session, network.id or 0, digest, now, settings)
    return len(chats)

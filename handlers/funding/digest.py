"""A network's funding digest: NOWE, closing soon, changes, other open calls — with why each
call fits the network, a length cap with the full list as a CSV file, and a memory of what the
network was told so the next digest repeats nothing."""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from sqlmodel import Session

from core.config import Settings
from core.i18n import Translator
from core.messages import Action as Button
from core.messages import File, Outgoing, Target
from core.outbox import enqueue
from handlers.funding.match import Match, Matcher
from handlers.funding.parse import next_deadline
from handlers.funding.store import call_text, ensure_profiles, is_open, matcher_profiles
from models import funding as store
from models.announcements import recipients
from models.core import Network
from models.errors import N_
from models.funding import FundingCall, FundingSeen


@dataclass
class Item:
    call: FundingCall
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

    @property
    def has_news(self) -> bool:
        return bool(self.new or self.changed or self.newly_soon)

    @property
    def all_items(self) -> list[Item]:
        return [*self.new, *self.soon, *self.changed, *self.other]


def days_left(deadline: datetime, now: datetime, t: Translator) -> int:
    return (t.local(deadline).date() - t.local(now).date()).days


def matching_calls(
    session: Session, network_id: int, now: datetime
) -> list[tuple[FundingCall, Match]]:
    """Open calls that fit the network's profile and are not muted there."""
    ensure_profiles(session, now)
    row = store.profile_of(session, network_id)
    if row is None:
        return []
    matcher = Matcher(matcher_profiles([row]))
    hidden = store.muted(session, network_id)
    found = []
    for call in store.active_calls(session):
        if call.id in hidden or not is_open(call, now):
            continue
        hits = matcher.match(call_text(call), call.programme)
        if hits:
            found.append((call, hits[0]))
    return found


def _by_deadline(item: Item) -> tuple[bool, float, int]:
    """Soonest deadline first; calls without one last."""
    return (
        item.deadline is None,
        item.deadline.timestamp() if item.deadline else 0.0,
        item.call.id or 0,
    )


def compose(
    session: Session, network_id: int, now: datetime, settings: Settings, t: Translator
) -> Digest:
    digest = Digest()
    told = store.seen(session, network_id)
    soon_until = now + timedelta(days=settings.funding_soon_days)
    for call, why in matching_calls(session, network_id, now):
        deadline = next_deadline(call.deadline_list, now)
        item = Item(call, why, deadline, days_left(deadline, now, t) if deadline else None)
        before = told.get(call.id or 0)
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
    """What the network has now been told (so it is not news next time)."""
    told = store.seen(session, network_id)
    soon_until = now + timedelta(days=settings.funding_soon_days)
    for item in digest.all_items:
        row = told.get(item.call.id or 0) or FundingSeen(
            network_id=network_id, call_id=item.call.id or 0, first_at=now
        )
        row.deadline = item.deadline.isoformat() if item.deadline else None
        row.budget = item.call.budget
        row.soon_told = item.deadline is not None and item.deadline <= soon_until
        session.add(row)


def _why(t: Translator, why: Match) -> str:
    parts = []
    if why.keywords:
        parts.append(t("words: {words}", words=", ".join(why.keywords[:4])))
    if why.programme:
        parts.append(t("programme: {programme}", programme=why.programme))
    return "; ".join(parts)


def _money(t: Translator, call: FundingCall) -> str:
    if call.budget is None:
        return ""
    return f" · {t.number(round(call.budget))} {call.currency or ''}".rstrip()


def line(t: Translator, item: Item) -> str:
    call = item.call
    title = f"[{call.title}]({call.link})" if call.link else call.title
    when = (
        t("deadline {date}", date=t.local(item.deadline).strftime("%d.%m.%Y"))
        if item.deadline
        else t("no deadline given")
    )
    if item.days_left is not None and item.days_left <= 31:
        when += " " + t("({days} days left)", days=item.days_left)
    source = f" · {call.programme}" if call.programme else ""
    text = f"- #{call.id} {title}{source} · {when}{_money(t, call)} — {_why(t, item.why)}"
    if item.change == "deadline" and item.old:
        text += " · " + t(
            "deadline was {old}", old=t.local(datetime.fromisoformat(item.old)).strftime("%d.%m.%Y")
        )
    elif item.change == "budget" and item.old:
        text += " · " + t("budget was {old}", old=t.number(round(float(item.old))))
    return text


SECTIONS = (
    ("new", N_("NEW")),
    ("soon", N_("Closing soon")),
    ("changed", N_("Changes")),
    ("other", N_("Other open calls")),
)


def render(t: Translator, network: Network, digest: Digest, cap: int, heading: str) -> Outgoing:
    lines = [f"**{heading}**"]
    shown = 0
    for key, label in SECTIONS:
        items: list[Item] = getattr(digest, key)
        if not items:
            continue
        room = max(cap - shown, 0)
        if room == 0:
            break
        lines += ["", f"**{t(label)}** ({len(items)})"]
        lines += [line(t, i) for i in items[:room]]
        shown += min(len(items), room)
    total = len(digest.all_items)
    files: tuple[File, ...] = ()
    if total > shown:
        lines += [
            "",
            t("…and {count} more: the full list is in the attached file.", count=total - shown),
        ]
        files = (File(f"konkursy_{network.code}.csv", to_csv(t, digest.all_items), "text/csv"),)
    lines += [
        "",
        t(
            "Follow a call: /obserwuj <nr> (reminders 7 and 1 days before the "
            "deadline). Hide it for the network: /ukryj <nr>."
        ),
    ]
    buttons = tuple(
        Button(t("Follow #{id}", id=i.call.id), f"/obserwuj {i.call.id}") for i in digest.new[:3]
    )
    return Outgoing("\n".join(lines), actions=buttons, files=files, markdown=True)


def to_csv(t: Translator, items: list[Item]) -> bytes:
    out = io.StringIO()
    writer = csv.writer(out, delimiter=";")
    writer.writerow(
        [
            t("Call no."),
            t("Title"),
            t("Programme or funder"),
            t("Next deadline"),
            t("All deadlines"),
            t("Budget"),
            t("Link"),
            t("Why it matched"),
        ]
    )
    for i in items:
        c = i.call
        writer.writerow(
            [
                c.id,
                c.title,
                c.programme or "",
                t.local(i.deadline).strftime("%Y-%m-%d %H:%M") if i.deadline else "",
                ", ".join(t.local(d).strftime("%Y-%m-%d") for d in c.deadline_list),
                "" if c.budget is None else f"{c.budget:.0f} {c.currency or ''}",
                c.link or "",
                _why(t, i.why),
            ]
        )
    return ("\ufeff" + out.getvalue()).encode("utf-8")  # BOM: Excel opens it as UTF-8


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
        message = render(
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

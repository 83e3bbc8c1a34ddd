"""The funding messages that the jobs and the commands both send: a call described, a digest
(its lines, sections and the CSV of the full list) and a follower's reminder."""

from __future__ import annotations

import io
import re
from datetime import datetime
from typing import TYPE_CHECKING

from core.cells import SafeWriter
from core.formatting import escape
from core.i18n import Translator
from core.messages import Action as Button
from core.messages import File, Outgoing
from handlers.funding.match import Match
from handlers.funding.parse import next_deadline
from models.core import Network
from models.errors import N_
from models.funding import CallRow, FundingCall

if TYPE_CHECKING:
    from handlers.funding.digest import Digest, Item

_SAFE_LINK = re.compile(r"https?://[^\s()\[\]]+", re.IGNORECASE)

SECTIONS = (
    ("new", N_("NEW")),
    ("soon", N_("Closing soon")),
    ("changed", N_("Changes")),
    ("other", N_("Other open calls")),
)


def days_left(deadline: datetime, now: datetime, t: Translator) -> int:
    return (t.local(deadline).date() - t.local(now).date()).days


def describe(t: Translator, call: FundingCall, now: datetime) -> str:
    """A call in full: programme, identifier, deadlines, opening, budget, link."""
    deadline = next_deadline(call.deadline_list, now)
    lines = [f"#{call.id} {call.title}"]
    if call.programme:
        lines.append(t("Programme or funder: {name}", name=call.programme))
    if call.identifier:
        lines.append(t("Identifier: {id}", id=call.identifier))
    if deadline:
        left = days_left(deadline, now, t)
        lines.append(
            t.tn(
                "Next deadline: {when} ({n} day left)",
                "Next deadline: {when} ({n} days left)",
                left,
                when=t.datetime(deadline),
            )
        )
    elif call.deadline_list:
        lines.append(t("All deadlines have passed."))
    if len(call.deadline_list) > 1:
        lines.append(
            t(
                "All deadlines: {dates}",
                dates=", ".join(t.local(d).strftime("%d.%m.%Y") for d in call.deadline_list),
            )
        )
    if call.opens_at:
        lines.append(t("Opens: {date}", date=t.local(call.opens_at).strftime("%d.%m.%Y")))
    if call.budget is not None:
        lines.append(
            t(
                "Budget: {amount} {currency}",
                amount=t.number(round(call.budget)),
                currency=call.currency or "",
            )
        )
    if call.link:
        lines.append(call.link)
    if call.withdrawn_at:
        lines.append(t("Withdrawn."))
    return "\n".join(lines)


def reminder(t: Translator, call: FundingCall, deadline: datetime, now: datetime) -> Outgoing:
    """To a follower, some days before the call's next deadline."""
    left = days_left(deadline, now, t)
    return Outgoing(
        t.tn(
            "⏰ Funding call #{id} “{title}”: the deadline is {when} ({n} day left). {link}",
            "⏰ Funding call #{id} “{title}”: the deadline is {when} ({n} days left). {link}",
            left,
            id=call.id,
            title=call.title,
            when=t.datetime(deadline),
            link=call.link or "",
        ),
        actions=(Button(t("Stop following"), f"/nie_obserwuj {call.id}"),),
    )


def why(t: Translator, match: Match) -> str:
    """Why a call fits the network: the words and the programme that matched (plain text)."""
    parts = []
    if match.keywords:
        parts.append(t("words: {words}", words=", ".join(match.keywords[:4])))
    if match.programme:
        parts.append(t("programme: {programme}", programme=match.programme))
    return "; ".join(parts)


def _money(t: Translator, call: FundingCall | CallRow) -> str:
    if call.budget is None:
        return ""
    return f" · {t.number(round(call.budget))} {call.currency or ''}".rstrip()


def line(t: Translator, item: Item) -> str:
    """One call in a digest (markdown: what came from outside is escaped, and only an
    http(s) address becomes a link)."""
    call = item.call
    title = escape(call.title)
    if call.link and _SAFE_LINK.fullmatch(call.link):
        title = f"[{title}]({call.link})"
    when = (
        t("deadline {date}", date=t.local(item.deadline).strftime("%d.%m.%Y"))
        if item.deadline
        else t("no deadline given")
    )
    if item.days_left is not None and item.days_left <= 31:
        when += " " + t.tn("({n} day left)", "({n} days left)", item.days_left)
    source = f" · {escape(call.programme)}" if call.programme else ""
    reason = escape(why(t, item.why))
    text = f"- #{call.id} {title}{source} · {when}{_money(t, call)} — {reason}"
    if item.change == "deadline" and item.old:
        text += " · " + t(
            "deadline was {old}", old=t.local(datetime.fromisoformat(item.old)).strftime("%d.%m.%Y")
        )
    elif item.change == "budget" and item.old:
        text += " · " + t("budget was {old}", old=t.number(round(float(item.old))))
    return text


def digest_message(
    t: Translator, network: Network, digest: Digest, cap: int, heading: str
) -> Outgoing:
    """The digest in sections, at most `cap` lines; the full list attached as CSV beyond it."""
    lines = [f"**{escape(heading)}**"]
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
    writer = SafeWriter(out, delimiter=";")
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
    # a long list repeats the same days, deadline sets and reasons: each is formatted once
    day: dict[datetime, str] = {}
    days: dict[tuple[datetime, ...], str] = {}
    reasons: dict[Match, str] = {}

    moment: dict[datetime, str] = {}

    def on(d: datetime) -> str:
        if d not in day:
            day[d] = t.local(d).strftime("%Y-%m-%d")
        return day[d]

    def at(d: datetime) -> str:
        if d not in moment:
            moment[d] = t.local(d).strftime("%Y-%m-%d %H:%M")
        return moment[d]

    for i in items:
        c = i.call
        deadlines = tuple(c.deadline_list)
        if deadlines not in days:
            days[deadlines] = ", ".join(on(d) for d in deadlines)
        if i.why not in reasons:
            reasons[i.why] = why(t, i.why)
        writer.writerow(
            [
                c.id,
                c.title,
                c.programme or "",
                at(i.deadline) if i.deadline else "",
                days[deadlines],
                "" if c.budget is None else f"{c.budget:.0f} {c.currency or ''}",
                c.link or "",
                reasons[i.why],
            ]
        )
    return ("\ufeff" + out.getvalue()).encode("utf-8")  # BOM: Excel opens it as UTF-8

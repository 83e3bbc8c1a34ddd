"""The funding calls of a network on the desk: the calls matched to it and still open (the
same list `/konkursy` gives), each with its deadline, funder, where it came from and why it
fits; and a call's fields as the edit form shows them."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlmodel import Session

from core.i18n import Translator
from handlers.funding.digest import matching_calls
from handlers.funding.parse import next_deadline
from handlers.funding.render import days_left
from handlers.kit.limits import is_link
from models import funding as store
from models.core import Network
from models.errors import N_
from models.funding import FundingCall

SOURCE = {
    "eu": N_("EU Funding & Tenders portal"),
    "manual": N_("entered by hand"),
    "csv": N_("imported from a table"),
}


@dataclass(frozen=True)
class CallLine:
    id: int
    title: str
    link: str  # an http(s) address, or ""
    funder: str
    deadline: datetime | None
    days_left: int | None
    source: str
    why: str


def _source(t: Translator, raw: str, feeds: dict[int, str]) -> str:
    if raw.startswith("feed:"):
        number = raw.removeprefix("feed:")
        name = feeds.get(int(number)) if number.isdigit() else None
        return t("feed: {name}", name=name) if name else t("a feed")
    return t(SOURCE[raw]) if raw in SOURCE else raw


def calls(s: Session, t: Translator, network: Network, now: datetime) -> list[CallLine]:
    """The network's open matched calls, soonest deadline first (none last)."""
    found = matching_calls(s, network.id or 0, now)
    sources = store.sources_of(s, [call.id for call, _ in found])
    feeds = {f.id or 0: f.funder or f.url for f in store.feeds(s, active_only=False)}
    lines = []
    for call, why in found:
        deadline = next_deadline(call.deadline_list, now)
        lines.append(
            CallLine(
                call.id,
                call.title,
                call.link if call.link and is_link(call.link) else "",
                call.programme or "",
                deadline,
                days_left(deadline, now, t) if deadline else None,
                _source(t, sources.get(call.id, ""), feeds),
                ", ".join([*why.keywords[:3], *([why.programme] if why.programme else [])]),
            )
        )
    lines.sort(key=lambda c: (c.deadline is None, c.deadline or now, c.id))
    return lines


def fields(t: Translator, call: FundingCall, now: datetime) -> dict[str, str]:
    """A call's editable fields as text, in the words `/konkurs_zmien` takes."""
    deadline = next_deadline(call.deadline_list, now)
    return {
        "tytul": call.title,
        "grantodawca": call.programme or "",
        "link": call.link or "",
        "termin": t.local(deadline).strftime("%d.%m.%Y %H:%M") if deadline else "",
        "kwota": "" if call.budget is None else f"{call.budget:.2f}".removesuffix(".00"),
        "tagi": ", ".join(call.tags),
    }

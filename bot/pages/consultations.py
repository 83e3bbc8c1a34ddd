"""The consultation page: the result (its text, link or the document's name), the deadline,
one's own opinion so far and a form to give or rewrite it; the form becomes
`/opinia <consultation> <text>`, so every rule (the audience, the deadline) stays in the
handler. The hub lists open consultations still waiting for the person's opinion."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from bot.pages.registry import PAGES, HubItem, Page, PageRequest, long_text
from core import links
from handlers.consultations.render import audience_label
from models import consultations as store
from models import directory
from models.consultations import OPINION_MAX, Consultation
from models.core import Network
from models.errors import N_


def view(req: PageRequest) -> dict[str, Any]:
    t = req.t
    with req.db.session() as s:
        c = s.get(Consultation, req.int_param("consultation"))
        if c is None:
            raise LookupError("consultation")
        network = s.get(Network, c.network_id)
        asked = store.in_audience(s, c, req.person)
        mine = store.opinion_of(s, c.id or 0, req.person.id or 0)
        city = directory.city_name(s, req.person.city_id)
    return {
        "network": network,
        "c": c,
        "audience": audience_label(t, c.audience),
        "deadline": t.datetime(c.deadline),
        "open": c.open_at(req.now),
        "asked": asked,
        "mine": mine.text if mine else None,
        "city": city or "—",
        "text_max": OPINION_MAX,
        "hub_url": req.link(links.HUB),
    }


def form(req: PageRequest, data: Mapping[str, str]) -> str:
    text = long_text(data, "opinion", N_("Write your opinion."), OPINION_MAX)
    return f"/opinia {req.int_param('consultation')} {text}"


def hub(req: PageRequest) -> list[HubItem]:
    with req.db.session() as s:
        waiting = [
            c
            for c in store.open_for(s, req.person, req.now)
            if store.opinion_of(s, c.id or 0, req.person.id or 0) is None
        ]
    return [
        HubItem(
            req.t("Your opinion: {title}", title=c.title),
            req.t("Named, with your city. Open until {when}.", when=req.t.datetime(c.deadline)),
            req.link(links.CONSULTATION, consultation=c.id or 0),
            c.deadline,
        )
        for c in waiting
    ]


PAGES.add(Page(links.CONSULTATION, "consultations.html", N_("Your opinion"), view, form, hub=hub))

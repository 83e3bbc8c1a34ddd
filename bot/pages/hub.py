"""The person's hub: everything waiting for them, gathered from every page's `hub`."""

from __future__ import annotations

from typing import Any

from bot.pages.registry import PAGES, HubItem, Page, PageRequest
from core import links
from models import directory
from models.errors import N_


def hub_view(req: PageRequest) -> dict[str, Any]:
    items: list[HubItem] = []
    for page in PAGES.all():
        if page.hub is not None:
            items.extend(page.hub(req))
    items.sort(key=lambda i: (i.due is None, i.due))
    with req.db.session() as s:
        networks = [n.name for n in directory.networks_of(s, req.person.id or 0)]
    return {"items": items, "networks": networks, "meetings_url": req.link(links.MEETINGS)}


PAGES.add(Page(links.HUB, "hub.html", N_("Waiting for you"), hub_view))

"""The office-hours page: one session's free slots and my city's booking; the form is
`/dyzur_rezerwuj <session> <slot> <topic>`, so every booking rule stays in the handler."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import timedelta
from typing import Any

from bot.pages.registry import PAGES, FormError, HubItem, Page, PageRequest, one_line
from core import links
from handlers.kit.limits import parse_id
from handlers.kit.permissions import Action, Actor, allowed
from models import directory
from models import office_hours as oh
from models.core import Network
from models.errors import N_, Nn_


def view(req: PageRequest) -> dict[str, Any]:
    t, now = req.t, req.now
    with req.db.session() as s:
        session = s.get(oh.OfficeSession, req.int_param("session"))
        if session is None:
            raise LookupError("session")
        network = s.get(Network, session.network_id)
        city = req.person.city_id
        mine = oh.city_booking(s, session.id or 0, city) if city else None
        queue = [w.city_id for w in oh.waiting(s, session.id or 0)]
        free = oh.free_slots(s, session, now)
    return {
        "network": network,
        "session": session,
        "where": session.link or session.place,
        "open": session.scheduled and session.opens_at <= now < session.ends_at,
        "not_yet": now < session.opens_at,
        "slots": [(n, t.time(session.slot_start(n))) for n in free],
        "mine": mine,
        "mine_time": t.datetime(session.slot_start(mine.slot)) if mine else "",
        "waiting": queue.index(city) + 1 if city in queue else None,
        "topic_max": oh.TOPIC_MAX,
    }


def form(req: PageRequest, data: Mapping[str, str]) -> str:
    """The form as the typed command; the session comes from the signed link."""
    session_id = req.int_param("session")
    slot = data.get("slot", "").strip()
    if slot != "-" and parse_id(slot) is None:
        raise FormError(N_("Choose a slot."), field="slot")
    topic = one_line(data, "topic")
    if not topic:
        raise FormError(N_("Write the topic you will bring."), field="topic")
    if len(topic) > oh.TOPIC_MAX:
        raise FormError(
            N_("The topic can be at most {most} long."),
            field="topic",
            most=Nn_("{n} character", "{n} characters", oh.TOPIC_MAX),
        )
    return f"/dyzur_rezerwuj {session_id} {slot} {topic}"


def hub(req: PageRequest) -> list[HubItem]:
    """Sessions open for booking where my city may book and has no slot yet."""
    t, now, person = req.t, req.now, req.person
    if person.city_id is None:
        return []
    items = []
    with req.db.session() as s:
        for network in directory.networks_of(s, person.id or 0):
            actor = Actor(
                directory.roles_of(s, person.id or 0, network.id),
                directory.standing_of(s, person.city_id, network.id),
            )
            if not allowed(actor, Action.BOOK_OFFICE_HOURS, network_closed=network.closed):
                continue
            horizon = now + timedelta(days=req.settings.office_horizon_days)
            for session in oh.sessions_between(s, [network.id or 0], now, horizon):
                if (
                    not session.scheduled
                    or session.opens_at > now
                    or oh.city_booking(s, session.id or 0, person.city_id) is not None
                ):
                    continue
                free = oh.free_slots(s, session, now)
                items.append(
                    HubItem(
                        t("Book the expert's office hours: {network}", network=network.name),
                        t.tn(
                            "{when}. {n} free slot.",
                            "{when}. {n} free slots.",
                            len(free),
                            when=t.datetime(session.starts_at),
                        ),
                        req.link(links.OFFICE_HOURS, session=session.id or 0),
                        session.starts_at,
                    )
                )
    return items


PAGES.add(
    Page(
        links.OFFICE_HOURS,
        "office_hours.html",
        N_("The expert's office hours"),
        view,
        form,
        hub=hub,
    )
)

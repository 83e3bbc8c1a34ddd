"""The audit log: who changed what, and when (in the bot's timezone, Europe/Warsaw).

GET /desk/n/<code>/audit[?kind=&page=]   a network's entries (its coordinators, the team)
GET /desk/audit[?kind=&page=]            every entry, the programme's own too (the team)

Who may read a network's log is the permission table's VIEW_AUDIT in that network, so the
closed leaders' network's entries are shown only to those who may see that network; the whole
log only to whoever may read every network's (the coordinating team).
"""

from __future__ import annotations

from dataclasses import dataclass
from urllib.parse import urlencode

from aiohttp import web
from sqlmodel import Session

from bot.pages.desk.site import Desk, Routes, Visit
from core.i18n import Translator
from handlers.kit.labels import ROLE, STANDING
from handlers.kit.permissions import Action
from models import audit_log, directory
from models.core import AuditEntry, City, Network, Person
from models.enums import Role, Standing
from models.errors import N_
from models.meetings import Meeting

routes = Routes()
PAGE = 50

KINDS = {
    "account.link_email": N_("account linked by e-mail"),
    "account.relink": N_("account relinked"),
    "account.relink_refused": N_("account relinking refused"),
    "account.relink_requested": N_("account relinking requested"),
    "attendance.check_in": N_("checked in by the staff"),
    "chat.bind": N_("group chat bound"),
    "chat.moved": N_("group chat moved"),
    "chat.unbind": N_("group chat unbound"),
    "consultation.open": N_("consultation opened"),
    "desk.sign_in": N_("signed in to the staff desk"),
    "funding.add": N_("funding call added"),
    "funding.edit": N_("funding call changed"),
    "funding.feed_add": N_("funding feed added"),
    "funding.import": N_("funding calls imported"),
    "funding.mute": N_("funding call hidden from the network"),
    "funding.profile": N_("funding profile changed"),
    "funding.withdraw": N_("funding call withdrawn"),
    "invitation.issue": N_("invitation issued"),
    "invitation.redeem": N_("invitation used"),
    "join.accept": N_("request to join accepted"),
    "join.reject": N_("request to join refused"),
    "material.send": N_("materials sent"),
    "person.add": N_("person added"),
    "person.erase": N_("personal data erased"),
    "person.replace": N_("representative replaced"),
    "plan.action_add": N_("work plan: action added"),
    "plan.action_edit": N_("work plan: action changed"),
    "plan.contract_ack": N_("contract acknowledged"),
    "plan.contract_set": N_("contract set"),
    "plan.goal_add": N_("work plan: goal added"),
    "plan.goal_edit": N_("work plan: goal changed"),
    "plan.goal_remove": N_("work plan: goal removed"),
    "plan.meeting_add": N_("work plan: meeting planned"),
    "plan.meeting_remove": N_("work plan: planned meeting removed"),
    "report.submit": N_("coordinator's report submitted"),
    "report_form.set": N_("report form changed"),
    "role.end": N_("role ended"),
    "role.grant": N_("role given"),
    "roster.import": N_("office roster imported"),
    "standing.set": N_("city's standing set"),
}


@dataclass(frozen=True)
class Line:
    at: str
    who: str
    what: str
    about: str


def kind_label(t: Translator, kind: str) -> str:
    return t(KINDS[kind]) if kind in KINDS else kind


def _about(s: Session, t: Translator, entry: AuditEntry) -> str:
    """The entry's subject and details in words (ids only are stored)."""
    prefix, _, rest = entry.subject.partition(":")
    number = int(rest) if rest.isascii() and rest.isdigit() and len(rest) < 10 else None
    details = entry.details or {}
    parts: list[str] = []
    if prefix == "person" and number is not None:
        person = s.get(Person, number)
        parts.append(person.display_name if person else f"#{number}")
    elif prefix == "meeting" and number is not None:
        meeting = s.get(Meeting, number)
        parts.append(f"#{number} {meeting.title}" if meeting else f"#{number}")
    elif prefix == "city" and number is not None:
        city = s.get(City, number)
        parts.append(city.name if city else f"#{number}")
    elif prefix == "network":  # by code; the funding profile's entries name it by number
        found = s.get(Network, number) if number is not None else directory.network_by_code(s, rest)
        parts.append(found.name if found else rest)
    elif number is not None:
        parts.append(f"#{number}")
    role = details.get("role")
    if role in {r.value for r in Role}:
        parts.append(t(ROLE[Role(role)]))
    standing = details.get("new")
    if entry.action == "standing.set" and standing in {x.value for x in Standing}:
        parts.append(t(STANDING[Standing(standing)]))
    for key, msgid in (
        ("by_person", N_("replaced by {name}")),
        ("person", N_("person: {name}")),
    ):
        value = details.get(key)
        if isinstance(value, int):
            other = s.get(Person, value)
            name = other.display_name if other else "#" + str(value)
            parts.append(t(msgid, name=name))
    if details.get("guest") is True:
        parts.append(t(N_("as a guest")))
    return " · ".join(parts)


def _lines(s: Session, t: Translator, page: audit_log.LogPage) -> list[Line]:
    actors = directory.display_names(s, [e.actor_id for e in page.entries if e.actor_id])
    return [
        Line(
            t.short_datetime(e.at),
            actors.get(e.actor_id, f"#{e.actor_id}") if e.actor_id else t(N_("the bot")),
            kind_label(t, e.action),
            _about(s, t, e),
        )
        for e in page.entries
    ]


def _page_number(raw: str) -> int:
    return int(raw) if raw.isascii() and raw.isdigit() and 0 < len(raw) < 6 and int(raw) else 1


def _show(
    d: Desk, request: web.Request, visit: Visit, network: Network | None
) -> web.StreamResponse:
    t = visit.t
    number = _page_number(request.query.get("page", "1"))
    with d.db.session() as s:
        kinds = audit_log.kinds(s, network)
        kind = request.query.get("kind", "")
        kind = kind if kind in kinds else ""
        found = audit_log.entries(s, network, kind or None, (number - 1) * PAGE, PAGE)
        pages = max(1, -(-found.total // PAGE))
        if number > pages:  # past the last page (the log was filtered, or a link was edited)
            number = pages
            found = audit_log.entries(s, network, kind or None, (number - 1) * PAGE, PAGE)
        lines = _lines(s, t, found)

    def link(to: int) -> str:
        query = {"page": str(to), **({"kind": kind} if kind else {})}
        return f"{request.path}?{urlencode(query)}"

    return d.render(
        request,
        "audit.html",
        t,
        visit=visit,
        title=t(N_("Audit log: {network}"), network=network.name)
        if network
        else t(N_("Audit log: every network")),
        network=network,
        lines=lines,
        total=found.total,
        kinds=sorted(((k, kind_label(t, k)) for k in kinds), key=lambda pair: pair[1]),
        kind=kind,
        number=number,
        pages=pages,
        newer=link(number - 1) if number > 1 else "",
        older=link(number + 1) if number < pages else "",
        action=request.path,
    )


@routes.page("/desk/n/{code}/audit")
async def network_log(d: Desk, request: web.Request, visit: Visit) -> web.StreamResponse:
    found = d.network(visit, request.match_info["code"], Action.VIEW_AUDIT)
    if found is None:
        return d.not_found(request, visit)
    return _show(d, request, visit, found)


@routes.page("/desk/audit")
async def whole_log(d: Desk, request: web.Request, visit: Visit) -> web.StreamResponse:
    if not d.may_read_whole_log(visit):
        return d.not_found(request, visit)
    return _show(d, request, visit, None)

"""The desk's overviews.

GET /desk            every network the person may see, at a glance
GET /desk/n/<code>   a network: roster with standings and roles, meetings
"""

from __future__ import annotations

from aiohttp import web

from bot.pages.desk.site import Desk, Routes, Visit
from handlers.desk import glance
from handlers.kit.labels import ROLE, STANDING
from handlers.kit.permissions import Action
from handlers.meetings.render import answer_label
from models.errors import N_

routes = Routes()


@routes.page("/desk")
async def home(d: Desk, request: web.Request, visit: Visit) -> web.StreamResponse:
    networks = d.networks(visit)
    now = d.clock.now()
    with d.db.session() as s:
        rows = glance.glance(s, networks, now)
        failed = (
            glance.failed_lately(s, now) if visit.ctx.can_anywhere(Action.ANNOUNCE_ALL) else None
        )
    return d.render(
        request,
        "home.html",
        visit.t,
        visit=visit,
        title=visit.t(N_("Staff desk")),
        rows=rows,
        failed=failed,
        may_check_in={n.id: visit.ctx.can(Action.MANAGE_ATTENDANCE, n) for n in networks},
        answer_label=lambda a: answer_label(visit.t, a),
    )


@routes.page("/desk/n/{code}")
async def network(d: Desk, request: web.Request, visit: Visit) -> web.StreamResponse:
    found = d.network(visit, request.match_info["code"])
    if found is None:
        return d.not_found(request, visit)
    now = d.clock.now()
    with d.db.session() as s:
        members = glance.roster(s, found)
        meetings = glance.meetings(s, found, now)
    return d.render(
        request,
        "network.html",
        visit.t,
        visit=visit,
        title=found.name,
        network=found,
        members=members,
        meetings=meetings,
        role_label=lambda r: visit.t(ROLE[r]),
        standing_label=lambda st: visit.t(STANDING[st]) if st else "",
        may_check_in=visit.ctx.can(Action.MANAGE_ATTENDANCE, found),
        may_office=visit.ctx.can(Action.MANAGE_OFFICE_HOURS, found),
        may_funding=visit.ctx.can(Action.MANAGE_FUNDING, found),
        may_reports=visit.ctx.can(Action.VIEW_REPORTS, found),
        may_announce_here=visit.ctx.can(Action.ANNOUNCE, found),
        answer_label=lambda a: answer_label(visit.t, a),
    )

"""The desk's overviews.

GET /desk            every network the person may see, at a glance (the team: failing feeds)
GET /desk/n/<code>   a network: roster with standings and roles, meetings; the roster's forms
                     (bot.pages.desk.members) for those who manage its members
"""

from __future__ import annotations

from typing import Any

from aiohttp import web

from bot.pages.desk.site import Desk, Routes, Visit
from handlers.desk import glance
from handlers.kit.labels import ROLE, STANDING
from handlers.kit.permissions import Action
from handlers.meetings.render import answer_label
from models.core import Network
from models.enums import Role
from models.errors import N_

routes = Routes()


@routes.page("/desk")
async def home(d: Desk, request: web.Request, visit: Visit) -> web.StreamResponse:
    networks = d.networks(visit)
    now = d.clock.now()
    with d.db.session() as s:
        rows = glance.glance(s, networks, now)
        team = visit.ctx.can_anywhere(Action.ANNOUNCE_ALL)
        failed = glance.failed_lately(s, now) if team else None
        feeds = glance.failing_feeds(s, visit.t) if team else None
        reports = glance.reports_due(
            s, [n for n in networks if visit.ctx.can(Action.VIEW_REPORTS, n)], now, d.settings
        )
    return d.render(
        request,
        "home.html",
        visit.t,
        visit=visit,
        title=visit.t(N_("Staff desk")),
        rows=rows,
        failed=failed,
        feeds=feeds,
        reports=reports,
        may_check_in={n.id: visit.ctx.can(Action.MANAGE_ATTENDANCE, n) for n in networks},
        answer_label=lambda a: answer_label(visit.t, a),
    )


@routes.page("/desk/n/{code}")
async def network(d: Desk, request: web.Request, visit: Visit) -> web.StreamResponse:
    found = d.network(visit, request.match_info["code"])
    if found is None:
        return d.not_found(request, visit)
    return network_page(d, request, visit, found)


def network_page(
    d: Desk,
    request: web.Request,
    visit: Visit,
    found: Network,
    status: int = 200,
    **values: Any,
) -> web.Response:
    """A network's page; a roster form's answer adds its result and what was typed."""
    now = d.clock.now()
    may_manage = visit.ctx.can(Action.MANAGE_MEMBERS, found)
    with d.db.session() as s:
        members = glance.roster(s, found)
        meetings = glance.meetings(s, found, now)
        cities = glance.cities(s, found) if may_manage else []
    return d.render(
        request,
        "network.html",
        visit.t,
        status=status,
        visit=visit,
        title=found.name,
        network=found,
        members=members,
        meetings=meetings,
        cities=cities,
        representatives=[m for m in members if Role.REPRESENTATIVE in m.roles],
        in_network=[m for m in members if set(m.roles) - {Role.COORDINATING_TEAM}],
        role_label=lambda r: visit.t(ROLE[r]),
        standing_label=lambda st: visit.t(STANDING[st]) if st else "",
        may_check_in=visit.ctx.can(Action.MANAGE_ATTENDANCE, found),
        may_office=visit.ctx.can(Action.MANAGE_OFFICE_HOURS, found),
        may_funding=visit.ctx.can(Action.MANAGE_FUNDING, found),
        may_reports=visit.ctx.can(Action.VIEW_REPORTS, found),
        may_announce_here=visit.ctx.can(Action.ANNOUNCE, found),
        may_manage=may_manage,
        may_audit=visit.ctx.can(Action.VIEW_AUDIT, found),
        answer_label=lambda a: answer_label(visit.t, a),
        typed=values.pop("typed", {}),
        **values,
    )

"""The office-hours calendar of a network (the expert's, the coordinator's, the coordinating
team's: whoever manages office hours there).

GET /desk/n/<code>/office-hours   the sessions of the last weeks and ahead, week by week, each
                                  slot with the city, person and topic booked, and the free ones
"""

from __future__ import annotations

from aiohttp import web

from bot.pages.desk.site import Desk, Routes, Visit
from handlers.desk import office
from handlers.kit.permissions import Action
from models.errors import N_

routes = Routes()


@routes.page("/desk/n/{code}/office-hours")
async def calendar(d: Desk, request: web.Request, visit: Visit) -> web.StreamResponse:
    found = d.network(visit, request.match_info["code"], Action.MANAGE_OFFICE_HOURS)
    if found is None:
        return d.not_found(request, visit)
    t = visit.t
    with d.db.session() as s:
        weeks = office.calendar(s, t, found, d.clock.now(), d.settings.office_horizon_days)
    return d.render(
        request,
        "office_hours.html",
        t,
        visit=visit,
        title=t(N_("Office hours — {network}"), network=found.name),
        network=found,
        weeks=weeks,
        now=d.clock.now(),
        week_label=lambda monday: t(N_("Week from {date}"), date=t.date(monday)),
    )

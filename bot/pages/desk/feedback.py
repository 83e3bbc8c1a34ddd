"""Feedback results and their trend (whoever may read the network's reports: the coordinator,
the expert, the coordinating team). Charts are SVG drawn on the server (no JavaScript), each
with a table of the same numbers beside it.

GET /desk/n/<code>/feedback             the trend across meetings, and each meeting's poll
GET /desk/n/<code>/feedback/trend.svg   the trend chart
GET /desk/m/<id>/feedback               one meeting's results (`/raport`'s numbers)
GET /desk/m/<id>/feedback.svg           its chart
"""

from __future__ import annotations

import asyncio

from aiohttp import web

from bot.pages.desk.site import Desk, Routes, Visit
from handlers.desk import feedback
from handlers.feedback.render import MIN_GROUP
from handlers.feedback.report import by_standing, standing_label
from handlers.kit.permissions import Action
from models.errors import N_

routes = Routes()
# an SVG shown as an image runs no script whatever it says; its drawing needs inline styles
SVG_POLICY = "default-src 'none'; style-src 'unsafe-inline'; frame-ancestors 'none'"


def _svg(body: bytes) -> web.Response:
    return web.Response(
        body=body,
        content_type="image/svg+xml",
        charset="utf-8",
        headers={"X-Desk-Policy": SVG_POLICY},
    )


@routes.page("/desk/n/{code}/feedback")
async def overview(d: Desk, request: web.Request, visit: Visit) -> web.StreamResponse:
    found = d.network(visit, request.match_info["code"], Action.VIEW_REPORTS)
    if found is None:
        return d.not_found(request, visit)
    t = visit.t
    with d.db.session() as s:
        points = feedback.trend(s, t, found)
        lines = feedback.polls(s, t, found)
    return d.render(
        request,
        "feedback.html",
        t,
        visit=visit,
        title=t(N_("Feedback — {network}"), network=found.name),
        network=found,
        points=points,
        questions=feedback.questions(points),
        polls=lines,
        min_group=MIN_GROUP,
    )


@routes.page("/desk/n/{code}/feedback/trend.svg")
async def trend_svg(d: Desk, request: web.Request, visit: Visit) -> web.StreamResponse:
    found = d.network(visit, request.match_info["code"], Action.VIEW_REPORTS)
    if found is None:
        return d.not_found(request, visit)
    with d.db.session() as s:
        points = feedback.trend(s, visit.t, found)
    if not points:
        return d.not_found(request, visit)
    return _svg(await asyncio.to_thread(feedback.trend_svg, visit.t, found, points))


@routes.page("/desk/m/{meeting}/feedback")
async def meeting(d: Desk, request: web.Request, visit: Visit) -> web.StreamResponse:
    found = d.meeting(visit, request.match_info["meeting"], Action.VIEW_REPORTS)
    if found is None:
        return d.not_found(request, visit)
    t = visit.t
    with d.db.session() as s:
        report = feedback.meeting_report(s, t, found[0])
    return d.render(
        request,
        "feedback_meeting.html",
        t,
        visit=visit,
        title=t(N_("Feedback — meeting #{id}"), id=found[0].id),
        network=found[1],
        report=report,
        by_standing=sorted(by_standing(report.rows).items()),
        standing_label=lambda value: standing_label(t, value),
        min_group=MIN_GROUP,
    )


@routes.page("/desk/m/{meeting}/feedback.svg")
async def meeting_svg(d: Desk, request: web.Request, visit: Visit) -> web.StreamResponse:
    found = d.meeting(visit, request.match_info["meeting"], Action.VIEW_REPORTS)
    if found is None:
        return d.not_found(request, visit)
    with d.db.session() as s:
        report = feedback.meeting_report(s, visit.t, found[0])
    return _svg(await asyncio.to_thread(feedback.meeting_svg, visit.t, report))

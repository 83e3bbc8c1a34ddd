"""The programme's summary for ZMP's leadership, for the coordinating team.

GET /desk/summary                      the period form (empty: the last full quarter or month)
GET /desk/summary.pdf?od=&do=          the summary as PDF: runs `/podsumowanie`
GET /desk/summary.xlsx?od=&do=         the same as XLSX

The files are made by the chat command itself (one rule for the period and for who sees what);
a wrong period shows its refusal on the form. Whoever may not see the summary gets 404.
"""

from __future__ import annotations

from urllib.parse import quote

from aiohttp import web

from bot.pages.desk.site import Desk, Routes, Visit
from handlers.kit.permissions import Action
from handlers.summary.period import last_full
from models.errors import N_

routes = Routes()
FIELD_MAX = 30
TITLE = N_("Summary for ZMP's leadership")


def _period(request: web.Request) -> tuple[str, str]:
    def field(name: str) -> str:
        return " ".join(request.query.get(name, "").split())[:FIELD_MAX]

    return field("od"), field("do")


def _page(
    d: Desk,
    request: web.Request,
    visit: Visit,
    status: int = 200,
    refusal: list[str] | None = None,
) -> web.Response:
    settings = d.settings
    default = last_full(settings.summary_period, d.clock.now(), settings.tz)
    start, end = _period(request)
    return d.render(
        request,
        "summary.html",
        visit.t,
        status=status,
        visit=visit,
        title=visit.t(TITLE),
        start=start,
        end=end,
        default=default.shown,
        monthly=settings.summary_period == "month",
        result=refusal,
        result_ok=False,
    )


def _allowed(visit: Visit) -> bool:
    return visit.ctx.can_anywhere(Action.VIEW_SUMMARY)


@routes.page("/desk/summary")
async def form(d: Desk, request: web.Request, visit: Visit) -> web.StreamResponse:
    if not _allowed(visit):
        return d.not_found(request, visit)
    return _page(d, request, visit)


async def _download(d: Desk, request: web.Request, visit: Visit, suffix: str) -> web.StreamResponse:
    if not _allowed(visit):
        return d.not_found(request, visit)
    period = " ".join(part for part in _period(request) if part)
    ok, replies = await d.run(visit, f"/podsumowanie {period}".rstrip())
    files = [f for m in replies for f in m.files if f.name.endswith(suffix)]
    if not ok or not files:
        return _page(d, request, visit, 409, [m.text for m in replies])
    return web.Response(
        body=files[0].content,
        headers={
            "Content-Type": files[0].mime,
            "Content-Disposition": f"attachment; filename*=UTF-8''{quote(files[0].name)}",
        },
    )


@routes.page("/desk/summary.pdf")
async def pdf(d: Desk, request: web.Request, visit: Visit) -> web.StreamResponse:
    return await _download(d, request, visit, ".pdf")


@routes.page("/desk/summary.xlsx")
async def xlsx(d: Desk, request: web.Request, visit: Visit) -> web.StreamResponse:
    return await _download(d, request, visit, ".xlsx")

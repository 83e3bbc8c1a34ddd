"""The staff desk on the bot's HTTP server (/desk): coordinators, experts, the organiser and the
coordinating team see their networks and act on them from a laptop or a tablet.

Sign-in is `/panel` in a private chat (a one-time link, models.desk), or "Sign in with
Microsoft" where Teams is configured (`microsoft`); the browser then holds a server-side session (an HttpOnly cookie). What a person sees is what the permission table
(handlers.kit.permissions) gives them in each network, checked on every request; what they do
runs the typed command through the router (`Router.handle_for`), the same handler as in chat.

One module per area, each with its route table (`site.Routes`): `microsoft`, `signin`,
`overview`, `members` (the roster's forms on a network's page), `checkin`, `roster`,
`announcements`, `summary`, `audit`, and a network's `office_hours`, `funding` and `feedback`.
A new area is a module here, named in `areas()`.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from types import ModuleType
from typing import TYPE_CHECKING
from urllib.parse import quote

from aiohttp import web

from bot.http import HttpServer
from bot.router import Router

if TYPE_CHECKING:
    from bot.pages.desk.site import Desk


def areas() -> tuple[ModuleType, ...]:
    """The desk's modules, each with its `routes` table (/login/microsoft before the
    sign-in link's /login/{token})."""
    from bot.pages.desk import (
        announcements,
        audit,
        checkin,
        feedback,
        funding,
        members,
        microsoft,
        office_hours,
        overview,
        roster,
        signin,
        summary,
    )

    return (
        microsoft,
        signin,
        overview,
        members,
        checkin,
        roster,
        announcements,
        summary,
        audit,
        office_hours,
        funding,
        feedback,
    )


def install(http: HttpServer, router: Router) -> None:
    from bot.pages.desk.site import Desk, security_headers

    desk = Desk(router)
    http.app.middlewares.append(security_headers)
    for area in areas():
        area.routes.install(http, desk)
    _install_fallbacks(http, desk)


def _install_fallbacks(http: HttpServer, desk: Desk) -> None:
    """What the address bar can lead to besides the pages: a form's address opened again (the
    browser shows it after every desk form) goes back to the page the form belongs to, and any
    other address under /desk answers the desk's own "not found", never the server's bare
    English one."""
    from bot.pages.desk.site import Route, Routes, Visit

    declared = [route for area in areas() for route in area.routes.items]
    pages = {route.path for route in declared if route.method == "GET"}
    fallbacks = Routes()
    for path in sorted({r.path for r in declared if r.method == "POST"} - pages):
        parent = path
        while parent != "/desk" and parent not in pages:
            parent = parent.rsplit("/", 1)[0] or "/desk"

        fallbacks.items.append(Route("GET", path, _back_to(parent), signed_in=False))

    @fallbacks.page("/desk/{anything:.*}")
    async def unknown(d: Desk, request: web.Request, visit: Visit) -> web.StreamResponse:
        return d.not_found(request, visit)

    fallbacks.install(http, desk)


def _back_to(
    target: str,
) -> Callable[[Desk], Callable[[web.Request], Awaitable[web.StreamResponse]]]:
    """A GET on a form's address: 303 to `target` (its placeholders filled from the address);
    that page checks the session and the right itself."""

    def bind(_desk: Desk) -> Callable[[web.Request], Awaitable[web.StreamResponse]]:
        async def handle(request: web.Request) -> web.StreamResponse:
            values = {k: quote(v, safe="") for k, v in request.match_info.items()}
            raise web.HTTPSeeOther(target.format_map(values))

        return handle

    return bind

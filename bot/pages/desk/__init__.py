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

from types import ModuleType

from bot.http import HttpServer
from bot.router import Router


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

"""The staff desk on the bot's HTTP server (/desk): coordinators, experts, the organiser and the
coordinating team see their networks and act on them from a laptop or a tablet.

Sign-in is `/panel` in a private chat (a one-time link, models.desk); the browser then holds a
server-side session (an HttpOnly cookie). What a person sees is what the permission table
(handlers.kit.permissions) gives them in each network, checked on every request; what they do
runs the typed command through the router (`Router.handle_for`), the same handler as in chat.

One module per area, each with its route table (`site.Routes`): `signin`, `overview`,
`checkin`, `roster`,
`members` (the roster's forms on a network's page), `audit` (the audit log). A new area is a module here, named in `install`'s `areas`.
"""

from __future__ import annotations

from bot.http import HttpServer
from bot.router import Router


def install(http: HttpServer, router: Router) -> None:
    from bot.pages.desk import audit, checkin, members, overview, roster, signin
    from bot.pages.desk.site import Desk, security_headers

    areas = (signin, overview, checkin, roster, members, audit)
    desk = Desk(router)
    http.app.middlewares.append(security_headers)
    for area in areas:
        area.routes.install(http, desk)

"""The staff desk on the bot's HTTP server (/desk): coordinators, experts, the organiser and the
coordinating team see their networks and act on them from a laptop or a tablet.

Sign-in is `/panel` in a private chat (a one-time link, models.desk); the browser then holds a
server-side session (an HttpOnly cookie). What a person sees is what the permission table
(handlers.kit.permissions) gives them in each network, checked on every request; what they do
runs the typed command through the router (`Router.handle_for`), the same handler as in chat.
"""

from __future__ import annotations

from bot.http import HttpServer
from bot.router import Router


def install(http: HttpServer, router: Router) -> None:
    from bot.pages.desk.server import DeskServer

    DeskServer(router).install(http)

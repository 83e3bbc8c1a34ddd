"""The desk's shared part: the signed-in visit, rendering, CSRF, the permission look-ups, and
the route table every desk page registers in.

A page is a plain async function declared with the table (`routes.page`, `routes.form`,
`routes.public`); the table does the preamble every page needs: the session, the person's
language, the CSRF token of a form. What is not the person's answers 404 (nothing says whether
it exists).
"""

from __future__ import annotations

import hashlib
import hmac
import logging
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

from aiohttp import web
from jinja2 import Environment, FileSystemLoader, select_autoescape
from multidict import MultiDictProxy

from bot.http import HttpServer
from bot.pages.server import NETWORK_FAMILY, SECURITY_HEADERS
from bot.router import Router
from core import links
from core.i18n import LANGUAGES, Translator
from core.messages import WEB, ChatRef, EventKind, Incoming, Outgoing, Sender
from handlers.kit.context import Context
from handlers.kit.permissions import Action
from models import desk, directory
from models.core import Network, Person
from models.errors import N_
from models.meetings import Meeting

log = logging.getLogger("empirie.desk")
HERE = Path(__file__).parent
PREFIX = "/desk"
SESSION_COOKIE = "empirie_desk"
LANG_COOKIE = "empirie_desk_lang"
CSRF_FIELD = "csrf"
NOT_FOUND = N_("This page does not exist, or it is not for you.")

Form = MultiDictProxy[str | bytes | bytearray | web.FileField]


def _under_desk(path: str) -> bool:
    return path == PREFIX or path.startswith(PREFIX + "/")


@web.middleware
async def security_headers(request: web.Request, handler: Any) -> web.StreamResponse:
    """The pages' headers (no caching, no scripts, no framing, no referrer) on every answer
    under /desk, errors included."""
    if not _under_desk(request.path):
        return await handler(request)
    try:
        response: web.StreamResponse = await handler(request)
    except web.HTTPException as answer:
        answer.headers.update(SECURITY_HEADERS)
        raise
    except Exception:
        log.exception("desk.failed path=%s", request.path)
        raise web.HTTPInternalServerError(headers=SECURITY_HEADERS) from None
    own = response.headers.pop("X-Desk-Policy", None)
    response.headers.update(SECURITY_HEADERS)
    if own is not None:  # a picture that needs its own policy (an SVG chart's inline styles)
        response.headers["Content-Security-Policy"] = own
    return response


class Visit:
    """One signed-in request: the session, the person, their language, and a Context for the
    permission table (the same one a typed command gets)."""

    def __init__(self, token_hash: str, person: Person, ctx: Context) -> None:
        self.token_hash, self.person, self.ctx = token_hash, person, ctx

    @property
    def t(self) -> Translator:
        return self.ctx.t


class Desk:
    """What every desk page shares: the router (its database, clock, settings and handlers),
    the templates, and the helpers below."""

    def __init__(self, router: Router) -> None:
        self.router = router
        self.db, self.clock, self.settings = router.db, router.clock, router.settings
        self.env = Environment(
            loader=FileSystemLoader(HERE / "templates"),
            autoescape=select_autoescape(["html"]),
            trim_blocks=True,
            lstrip_blocks=True,
        )

    @property
    def secure(self) -> bool:
        return self.settings.public_url.startswith("https://")

    def language(self, request: web.Request, person: Person | None) -> str:
        for asked in (request.query.get("lang", ""), request.cookies.get(LANG_COOKIE, "")):
            if asked in LANGUAGES:
                return asked
        if person is not None and person.language in LANGUAGES:
            return str(person.language)
        return self.settings.default_language

    def translator(self, request: web.Request) -> Translator:
        """The language of a page shown before anyone is signed in."""
        return self.router.translator(self.language(request, None))

    def sign(self, text: str) -> str:
        key = links.signer(self.db, self.settings, self.clock.now()).secret.encode()
        return hmac.new(key, f"desk|{text}".encode(), hashlib.sha256).hexdigest()

    # --- answers ---------------------------------------------------------------------------

    def render(
        self,
        request: web.Request,
        template: str,
        t: Translator,
        status: int = 200,
        visit: Visit | None = None,
        **values: Any,
    ) -> web.Response:
        other = "en" if t.language == "pl" else "pl"
        query = {k: v for k, v in request.query.items() if k != "lang"}
        switch = f"{request.path}?{urlencode({**query, 'lang': other})}"
        html = self.env.get_template(template).render(
            t=t,
            tn=t.tn,
            lang=t.language,
            other_lang=other,
            other_lang_name="English" if other == "en" else "Polski",
            switch=switch,
            family=NETWORK_FAMILY,
            visit=visit,
            csrf=self.sign(visit.token_hash) if visit else "",
            may_edit_roster=visit is not None and self.may_edit_roster(visit),
            may_announce=visit is not None and visit.ctx.can_anywhere(Action.ANNOUNCE),
            may_summarise=visit is not None and visit.ctx.can_anywhere(Action.VIEW_SUMMARY),
            may_read_whole_log=visit is not None and self.may_read_whole_log(visit),
            csrf_field=CSRF_FIELD,
            **values,
        )
        response = web.Response(text=html, status=status, content_type="text/html", charset="utf-8")
        if request.query.get("lang", "") in LANGUAGES:
            response.set_cookie(
                LANG_COOKIE,
                request.query["lang"],
                path=PREFIX,
                httponly=True,
                samesite="Lax",
                secure=self.secure,
                max_age=365 * 24 * 3600,
            )
        return response

    def message(
        self,
        request: web.Request,
        t: Translator,
        title: str,
        message: str,
        status: int,
        visit: Visit | None = None,
        offer_microsoft: bool = False,
    ) -> web.Response:
        """A page of one message; `title` and `message` are catalogue ids. `offer_microsoft`:
        the "Sign in with Microsoft" button under it, where that sign-in is configured."""
        return self.render(
            request,
            "message.html",
            t,
            status=status,
            visit=visit,
            title=t(title),
            message=t(message),
            microsoft=offer_microsoft and self.settings.desk_microsoft_enabled,
        )

    def not_found(self, request: web.Request, visit: Visit) -> web.Response:
        return self.message(request, visit.t, N_("Not found"), NOT_FOUND, 404, visit)

    def csrf_refused(self, request: web.Request, visit: Visit) -> web.Response:
        log.info("desk.csrf_refused person=%s path=%s", visit.person.id, request.path)
        return self.message(
            request,
            visit.t,
            N_("Form not accepted"),
            N_(
                "This form has expired or did not come from the desk, so nothing was "
                "changed. Open the page again and try once more."
            ),
            403,
            visit,
        )

    # --- the visit -------------------------------------------------------------------------

    def visit(self, request: web.Request) -> Visit | web.Response:
        """The signed-in visit, or the page asking to sign in."""
        now = self.clock.now()
        token = request.cookies.get(SESSION_COOKIE, "")
        with self.db.session() as s:
            found = desk.current(s, token, now)
        if found is None:
            return self.message(
                request,
                self.translator(request),
                N_("Sign in to the staff desk"),
                N_(
                    "You are not signed in, or your session has ended. Type /panel in your "
                    "private chat with the bot: it sends a one-time sign-in link."
                ),
                401,
                offer_microsoft=True,
            )
        row, person = found
        t = self.router.translator(self.language(request, person))
        return Visit(row.token_hash, person, self.context(person, t))

    def context(self, person: Person, t: Translator) -> Context:
        """The person's Context for the permission table (as a typed command gets it)."""
        incoming = Incoming(
            Sender(WEB, str(person.id)), ChatRef(WEB, str(person.id), private=True), EventKind.TEXT
        )
        return Context(self.db, self.clock, self.settings, incoming, person, None, t)

    def csrf_ok(self, visit: Visit, data: Mapping[str, Any]) -> bool:
        return hmac.compare_digest(str(data.get(CSRF_FIELD, "")), self.sign(visit.token_hash))

    # --- what the person may see -----------------------------------------------------------

    def networks(self, visit: Visit, action: Action = Action.VIEW_ATTENDANCE) -> list[Network]:
        """The networks the person may see on the desk (those where they are staff), or those
        where they may do `action`."""
        with self.db.session() as s:
            every = list(directory.networks(s))
        return [n for n in every if visit.ctx.can(action, n)]

    def network(
        self, visit: Visit, code: str, action: Action = Action.VIEW_ATTENDANCE
    ) -> Network | None:
        """The network of that code if the person may do `action` in it."""
        return next((n for n in self.networks(visit, action) if n.code == code), None)

    def meeting(self, visit: Visit, raw: str, action: Action) -> tuple[Meeting, Network] | None:
        if not raw.isascii() or not raw.isdigit() or len(raw) > 9:
            return None
        with self.db.session() as s:
            meeting = s.get(Meeting, int(raw))
            network = s.get(Network, meeting.network_id) if meeting else None
        if meeting is None or network is None or not visit.ctx.can(action, network):
            return None
        return meeting, network

    def may_edit_roster(self, visit: Visit) -> bool:
        """The office's sheet is the whole programme's: for whoever may manage members in every
        network (the coordinating team)."""
        with self.db.session() as s:
            every = list(directory.networks(s))
        return bool(every) and all(visit.ctx.can(Action.MANAGE_MEMBERS, n) for n in every)

    def may_read_whole_log(self, visit: Visit) -> bool:
        """The whole audit log (the programme's own entries too): for whoever may read every
        network's (the coordinating team)."""
        with self.db.session() as s:
            every = list(directory.networks(s))
        return bool(every) and all(visit.ctx.can(Action.VIEW_AUDIT, n) for n in every)

    async def run(self, visit: Visit, command: str) -> tuple[bool, list[Outgoing]]:
        """The typed command, for the desk's person, through the router: the chat's handler.
        Returns whether it succeeded and the replies meant for the person."""
        ok, replies = await self.router.handle_for(visit.person, command, visit.t.language)
        log.info("desk.action person=%s command=%s ok=%s", visit.person.id, command.split()[0], ok)
        return ok, [m for m in replies if m.to is None]


PublicPage = Callable[[Desk, web.Request], Awaitable[web.StreamResponse]]
Page = Callable[[Desk, web.Request, Visit], Awaitable[web.StreamResponse]]
FormPage = Callable[[Desk, web.Request, Visit, Form], Awaitable[web.StreamResponse]]
Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]


@dataclass(frozen=True)
class Route:
    method: str
    path: str
    bind: Callable[[Desk], Handler]
    signed_in: bool = True  # False: the sign-in pages and the style sheet


class Routes:
    """A desk module's pages, declared next to their functions:

    @routes.page("/desk/n/{code}")          GET, signed in
    @routes.form("/desk/m/{meeting}/x")     POST, signed in, CSRF checked, form read
    @routes.public("GET", "/desk/login/{token}")
    """

    def __init__(self) -> None:
        self.items: list[Route] = []

    def public(self, method: str, path: str) -> Callable[[PublicPage], PublicPage]:
        def declare(page: PublicPage) -> PublicPage:
            def bind(d: Desk) -> Handler:
                async def handle(request: web.Request) -> web.StreamResponse:
                    return await page(d, request)

                return handle

            self.items.append(Route(method, path, bind, signed_in=False))
            return page

        return declare

    def page(self, path: str) -> Callable[[Page], Page]:
        def declare(page: Page) -> Page:
            def bind(d: Desk) -> Handler:
                async def handle(request: web.Request) -> web.StreamResponse:
                    visit = d.visit(request)
                    if isinstance(visit, web.Response):
                        return visit
                    return await page(d, request, visit)

                return handle

            self.items.append(Route("GET", path, bind))
            return page

        return declare

    def form(self, path: str) -> Callable[[FormPage], FormPage]:
        def declare(page: FormPage) -> FormPage:
            def bind(d: Desk) -> Handler:
                async def handle(request: web.Request) -> web.StreamResponse:
                    visit = d.visit(request)
                    if isinstance(visit, web.Response):
                        return visit
                    data = await request.post()
                    if not d.csrf_ok(visit, data):
                        return d.csrf_refused(request, visit)
                    return await page(d, request, visit, data)

                return handle

            self.items.append(Route("POST", path, bind))
            return page

        return declare

    def install(self, http: HttpServer, d: Desk) -> None:
        for route in self.items:
            http.add_route(route.method, route.path, route.bind(d))

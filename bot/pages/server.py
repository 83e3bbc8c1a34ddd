"""The answer pages on the bot's HTTP server: check the link, render, take the form.

GET  /p/<purpose>/<token>[?lang=en]  the page (a refused link: a clear page, nothing changes)
POST /p/<purpose>/<token>            the form: CSRF token checked, then the typed command runs
                                     through the router, i.e. the chat's handlers and rules
GET  /p/static/<file>                the style sheet
"""

from __future__ import annotations

import hashlib
import hmac
import logging
import secrets
import threading
from collections import OrderedDict
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from aiohttp import web
from jinja2 import Environment, FileSystemLoader, select_autoescape
from markupsafe import Markup
from sqlalchemy.engine import Connection

from bot import workers
from bot.http import HttpServer
from bot.pages.registry import PAGES, FormError, Page, PageRequest
from bot.router import Router
from core import links
from core.i18n import LANGUAGES, Translator
from models import directory
from models.core import Person
from models.errors import N_

log = logging.getLogger("empirie.pages")
HERE = Path(__file__).parent
CSRF_COOKIE = "empirie_csrf"
CSRF_FIELD = "csrf"
NETWORK_FAMILY = "EMPIRIE – Sieci Wymiany Doświadczeń"
PAGE_WORKERS = 2
MEMO_SIZE = 512  # rendered page parts kept (bot.pages.server.PageServer._memo)
PREFIX = "/p"  # everything the pages answer lives under it
SECURITY_HEADERS = {
    "Cache-Control": "no-store, max-age=0",
    "Pragma": "no-cache",
    "Content-Security-Policy": (
        "default-src 'none'; style-src 'self'; img-src 'self'; "
        "form-action 'self'; frame-ancestors 'none'; base-uri 'none'"
    ),
    "Referrer-Policy": "no-referrer",  # the link is a credential: never leak it onwards
    "X-Content-Type-Options": "nosniff",
    "X-Frame-Options": "DENY",
    "X-Robots-Tag": "noindex, nofollow",
}
REFUSALS = {
    "tampered": N_(
        "This link is not valid. It may have been cut or changed on the way. Ask "
        "the bot for a new one: type /strona in your private chat with it."
    ),
    "expired": N_(
        "This link has expired. Ask the bot for a new one: type /strona in your "
        "private chat with it."
    ),
    "purpose": N_("This link is for another page. Open the link exactly as the bot sent it."),
    "person": N_("This link no longer works: the account it was made for does not exist any more."),
    "page": N_("This page does not exist."),
}


def _under_pages(path: str) -> bool:
    return path == PREFIX or path.startswith(PREFIX + "/")


@web.middleware
async def security_headers(request: web.Request, handler: Any) -> web.StreamResponse:
    """Every answer under the pages' prefix carries the headers: the pages' own, and also
    aiohttp's 404/405 (raised as exceptions by the router) and any other error answer."""
    if not _under_pages(request.path):
        return await handler(request)
    try:
        response: web.StreamResponse = await handler(request)
    except web.HTTPException as answer:  # 404, 405, 413 …: the exception is the response
        answer.headers.update(SECURITY_HEADERS)
        raise
    except Exception:
        log.exception("pages.failed path=%s", request.path)
        raise web.HTTPInternalServerError(headers=SECURITY_HEADERS) from None
    response.headers.update(SECURITY_HEADERS)
    return response


class PageServer:
    def __init__(self, router: Router) -> None:
        self.router = router
        self.db, self.clock, self.settings = router.db, router.clock, router.settings
        self.env = Environment(
            loader=FileSystemLoader(HERE / "templates"),
            autoescape=select_autoescape(["html"]),
            trim_blocks=True,
            lstrip_blocks=True,
            auto_reload=False,  # templates are part of the release: no stat() per page
        )
        self._translators: dict[str, Translator] = {}
        self._parts: OrderedDict[tuple[Any, ...], Markup] = OrderedDict()
        self._parts_lock = threading.Lock()
        self.env.globals["memo"] = self._memo
        # reads and rendering run here, off the event loop (SQLite reads do not wait for its
        # one writer: WAL); the answers themselves go through the router's update workers
        self.workers = workers.shared_named("page", PAGE_WORKERS)

    def install(self, http: HttpServer) -> None:
        http.app.middlewares.append(security_headers)
        http.add_route("GET", "/p/static/{name}", self._static)
        http.add_route("GET", "/p/{purpose}/{token}", self._get)
        http.add_route("POST", "/p/{purpose}/{token}", self._post)

    # --- helpers -------------------------------------------------------------------------

    def _language(self, request: web.Request, person: Person | None) -> str:
        asked = request.query.get("lang", "")
        if asked in LANGUAGES:
            return asked
        if person is not None and person.language in LANGUAGES:
            return str(person.language)
        return self.settings.default_language

    def _render(
        self, template: str, t: Translator, status: int = 200, **values: Any
    ) -> web.Response:
        other = "en" if t.language == "pl" else "pl"
        html = self.env.get_template(template).render(
            t=t,
            tn=t.tn,  # plural forms: tn("{n} seat", "{n} seats", n)
            lang=t.language,
            other_lang=other,
            other_lang_name="English" if other == "en" else "Polski",
            family=NETWORK_FAMILY,
            **values,
        )
        return web.Response(text=html, status=status, content_type="text/html", charset="utf-8")

    def _memo(self, template: str, key: tuple[Any, ...], **values: Any) -> Markup:
        """A part of a page rendered once for its key, which must hold everything the part
        shows (e.g. a meeting's card: its fields, the seats, the language); the last
        MEMO_SIZE parts are kept."""
        memo_key = (template, key)
        with self._parts_lock:
            html = self._parts.get(memo_key)
            if html is not None:
                self._parts.move_to_end(memo_key)
                return html
        html = Markup(self.env.get_template(template).render(**values))
        with self._parts_lock:
            self._parts[memo_key] = html
            if len(self._parts) > MEMO_SIZE:
                self._parts.popitem(last=False)
        return html

    def _translator(self, language: str) -> Translator:
        """One translator per language for the server's life (they only read catalogues)."""
        t = self._translators.get(language)
        if t is None:
            t = self._translators[language] = self.router.translator(language)
        return t

    def _refuse(self, request: web.Request, reason: str, status: int) -> web.Response:
        t = self._translator(self._language(request, None))
        log.info("page.refused reason=%s path=/p/%s", reason, request.match_info.get("purpose"))
        return self._render(
            "refused.html",
            t,
            status=status,
            title=t(N_("Link not valid")),
            message=t(REFUSALS[reason]),
        )

    def _open(
        self, request: web.Request, connection: Connection
    ) -> tuple[Page, PageRequest] | web.Response:
        """The page and the verified visit, or the refusal page (nothing else happens); the
        person is read on `connection`, which the visit's view may read on too."""
        page = PAGES.get(request.match_info["purpose"])
        if page is None:
            return self._refuse(request, "page", 404)
        now = self.clock.now()
        try:
            claim = links.signer(self.db, self.settings, now).verify(
                request.match_info["token"], now, page.purpose
            )
            person = directory.person_by_id(connection, claim.person_id)
            if person is None or person.erased_at is not None:
                raise links.LinkError("person")
        except links.LinkError as error:
            return self._refuse(request, error.reason, 410 if error.reason == "expired" else 403)
        t = self._translator(self._language(request, person))
        return page, PageRequest(self.db, self.clock, self.settings, person, claim, t, connection)

    def _csrf_expected(self, cookie: str, token: str) -> str:
        key = links.signer(self.db, self.settings, self.clock.now()).secret.encode()
        return hmac.new(key, f"csrf|{cookie}|{token}".encode(), hashlib.sha256).hexdigest()

    def _show(
        self, request: web.Request, page: Page, req: PageRequest, status: int = 200, **extra: Any
    ) -> web.Response:
        cookie = request.cookies.get(CSRF_COOKIE) or secrets.token_urlsafe(24)
        try:
            values = page.view(req)
        except LookupError:
            return self._refuse(request, "tampered", 404)
        response = self._render(
            page.template,
            req.t,
            status=status,
            title=req.t(page.title),
            req=req,
            csrf=self._csrf_expected(cookie, request.match_info["token"]),
            csrf_field=CSRF_FIELD,
            action=f"{request.path}?lang={req.t.language}",
            here=request.path,
            **values,
            **extra,
        )
        if CSRF_COOKIE not in request.cookies:
            response.set_cookie(
                CSRF_COOKIE,
                cookie,
                path="/p/",
                httponly=True,
                samesite="Lax",
                secure=self.settings.public_url.startswith("https://"),
            )
        return response

    # --- routes --------------------------------------------------------------------------

    async def _static(self, request: web.Request) -> web.StreamResponse:
        path = HERE / "static" / request.match_info["name"]
        if path.parent != HERE / "static" or not path.is_file():
            raise web.HTTPNotFound()
        return web.FileResponse(path, headers={"Content-Type": "text/css; charset=utf-8"})

    async def _get(self, request: web.Request) -> web.Response:
        return await self.workers.call(lambda: self._get_page(request))

    def _get_page(self, request: web.Request) -> web.Response:
        """On a page worker: the link, the person, the view and the rendering (the person and
        the page read on one connection)."""
        with self.db.reading() as connection:
            opened = self._open(request, connection)
            if isinstance(opened, web.Response):
                return opened
            return self._show(request, *opened)

    async def _post(self, request: web.Request) -> web.Response:
        data = await request.post()
        checked = await self.workers.call(lambda: self._take_form(request, data))
        if isinstance(checked, web.Response):
            return checked
        page, req, command = checked
        ok, replies = await self.router.handle_for(req.person, command, req.t.language)
        log.info("page.answered purpose=%s person=%s ok=%s", page.purpose, req.person.id, ok)
        shown = [m.text for m in replies if m.to is None]
        return await self.workers.call(
            lambda: self._show(
                request, page, req, status=200 if ok else 409, result=shown, result_ok=ok
            )
        )

    def _take_form(
        self, request: web.Request, data: Mapping[str, Any]
    ) -> web.Response | tuple[Page, PageRequest, str]:
        """On a page worker: the link, the person, the CSRF token and the form's fields;
        the typed command to run, or the page to answer with (nothing was changed)."""
        with self.db.reading() as connection:
            return self._check_form(request, data, connection)

    def _check_form(
        self, request: web.Request, data: Mapping[str, Any], connection: Connection
    ) -> web.Response | tuple[Page, PageRequest, str]:
        opened = self._open(request, connection)
        if isinstance(opened, web.Response):
            return opened
        page, req = opened
        if page.form is None:
            raise web.HTTPMethodNotAllowed("POST", ["GET"])
        cookie = request.cookies.get(CSRF_COOKIE, "")
        given = str(data.get(CSRF_FIELD, ""))
        if not cookie or not hmac.compare_digest(
            given, self._csrf_expected(cookie, request.match_info["token"])
        ):
            log.info("page.csrf_refused purpose=%s person=%s", page.purpose, req.person.id)
            return self._render(
                "refused.html",
                req.t,
                status=403,
                title=req.t(N_("Form not accepted")),
                message=req.t(
                    N_(
                        "This form has expired or did not come from "
                        "this page, so nothing was changed. Open the "
                        "link again and answer once more."
                    )
                ),
            )
        fields = {k: str(v) for k, v in data.items() if k != CSRF_FIELD}
        try:
            return page, req, page.form(req, fields)
        except FormError as error:
            return self._show(
                request,
                page,
                req,
                status=422,
                form_error=req.t(error.msgid, **error.params),
                error_field=error.field,
                submitted=fields,
            )
        except LookupError:
            return self._refuse(request, "tampered", 404)

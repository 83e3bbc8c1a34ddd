"""Signing in and out of the desk with `/panel`'s one-time link, and the style sheet.

GET  /desk/login/<token>   the link's page: a button to sign in (a link preview in a chat app
                           fetches the page without using the link)
POST /desk/login/<token>   uses the link (once), opens a session, sets its cookie
POST /desk/logout          ends this browser's session
GET  /desk/static/<file>   the style sheet
"""

from __future__ import annotations

import hmac
import logging
import secrets

from aiohttp import web

from bot.pages.desk.site import (
    CSRF_FIELD,
    HERE,
    PREFIX,
    SESSION_COOKIE,
    Desk,
    Form,
    Routes,
    Visit,
)
from models import desk
from models.core import Person
from models.errors import N_

log = logging.getLogger("empirie.desk")
routes = Routes()
LOGIN_COOKIE = "empirie_desk_login"  # binds the sign-in form to this browser (login CSRF)
LOGIN_REFUSALS = {
    "unknown": N_("This sign-in link is not valid. Type /panel in your private chat with the bot."),
    "used": N_(
        "This sign-in link has already been used; each link works once. For a new one, type "
        "/panel in your private chat with the bot."
    ),
    "expired": N_(
        "This sign-in link has expired. For a new one, type /panel in your private chat with "
        "the bot."
    ),
}


@routes.public("GET", "/desk/static/{name}")
async def static(d: Desk, request: web.Request) -> web.StreamResponse:
    path = HERE / "static" / request.match_info["name"]
    if path.parent != HERE / "static" or not path.is_file():
        raise web.HTTPNotFound()
    return web.FileResponse(path, headers={"Content-Type": "text/css; charset=utf-8"})


def _refused(d: Desk, request: web.Request, state: str) -> web.Response:
    log.info("desk.login_refused reason=%s", state)
    return d.message(
        request,
        d.translator(request),
        N_("Link not valid"),
        LOGIN_REFUSALS[state],
        410 if state in ("expired", "used") else 403,
        offer_microsoft=True,
    )


def start_session(d: Desk, person_id: int) -> web.Response:
    """A new desk session for the person: its cookie, and on to the desk."""
    with d.db.session() as s:
        token = desk.start(s, person_id, d.clock.now())
    log.info("desk.signed_in person=%s", person_id)
    response = web.Response(status=303, headers={"Location": PREFIX})
    response.set_cookie(
        SESSION_COOKIE,
        token,
        path=PREFIX,
        httponly=True,
        samesite="Lax",
        secure=d.secure,
        max_age=int(desk.SESSION_TTL.total_seconds()),
    )
    return response


@routes.public("GET", "/desk/login/{token}")
async def login_page(d: Desk, request: web.Request) -> web.StreamResponse:
    token = request.match_info["token"]
    with d.db.session() as s:
        state = desk.login_state(s, token, d.clock.now())
    if state != "ok":
        return _refused(d, request, state)
    t = d.translator(request)
    cookie = request.cookies.get(LOGIN_COOKIE) or secrets.token_urlsafe(24)
    response = d.render(
        request,
        "login.html",
        t,
        title=t(N_("Sign in to the staff desk")),
        login_csrf=d.sign(f"login|{cookie}|{token}"),
        action=request.path,
        microsoft=d.settings.desk_microsoft_enabled,
    )
    if LOGIN_COOKIE not in request.cookies:
        response.set_cookie(
            LOGIN_COOKIE,
            cookie,
            path=PREFIX,
            httponly=True,
            samesite="Strict",
            secure=d.secure,
        )
    return response


@routes.public("POST", "/desk/login/{token}")
async def login(d: Desk, request: web.Request) -> web.StreamResponse:
    token = request.match_info["token"]
    data = await request.post()
    cookie = request.cookies.get(LOGIN_COOKIE, "")
    if not cookie or not hmac.compare_digest(
        str(data.get(CSRF_FIELD, "")), d.sign(f"login|{cookie}|{token}")
    ):
        log.info("desk.login_csrf_refused")
        return d.message(
            request,
            d.translator(request),
            N_("Form not accepted"),
            N_(
                "This form did not come from this browser's sign-in page, so nothing was "
                "changed. Open the sign-in link again."
            ),
            403,
        )
    with d.db.session() as s:
        state, person_id = desk.redeem(s, token, d.clock.now())
        person = s.get(Person, person_id) if person_id is not None else None
        if state == "ok" and (person is None or person.erased_at is not None):
            state = "unknown"
    if state != "ok" or person_id is None:
        return _refused(d, request, state)
    response = start_session(d, person_id)
    response.del_cookie(LOGIN_COOKIE, path=PREFIX)
    return response


@routes.form("/desk/logout")
async def logout(d: Desk, request: web.Request, visit: Visit, form: Form) -> web.StreamResponse:
    with d.db.session() as s:
        desk.end(s, request.cookies.get(SESSION_COOKIE, ""), d.clock.now())
    log.info("desk.signed_out person=%s", visit.person.id)
    response = d.message(
        request,
        visit.t,
        N_("Signed out"),
        N_("You are signed out of the staff desk in this browser."),
        200,
    )
    response.del_cookie(SESSION_COOKIE, path=PREFIX)
    return response

"""The staff desk's routes.

GET  /desk/login/<token>          the one-time link's page: a button to sign in (a link preview
                                  in a chat app fetches the page without using the link)
POST /desk/login/<token>          uses the link (once), opens a session, sets its cookie
POST /desk/logout                 ends this browser's session
GET  /desk                        every network the person may see, at a glance
GET  /desk/n/<code>               a network: roster with standings and roles, meetings
GET  /desk/m/<id>/checkin[?q=]    the check-in desk of a meeting (search without JavaScript)
POST /desk/m/<id>/checkin         tick one person (or add a guest): runs `/jestem`
GET  /desk/m/<id>/attendance.csv  the attendance list: runs `/lista_obecnosci`
GET  /desk/roster                 the office's roster: download it, upload a new sheet
POST /desk/roster                 an uploaded sheet: the dry run's changes, nothing written
POST /desk/roster/apply           applies the sheet previewed, if the changes are still those
GET  /desk/roster.xlsx            the roster as the office's XLSX
GET  /desk/static/<file>          the style sheet

Every page checks the session and then the permission table in the network it shows; what is
not the person's answers 404 (nothing says whether it exists). Every form carries a CSRF token
bound to the session.
"""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import logging
import secrets
import tempfile
import time
from collections.abc import Mapping
from pathlib import Path
from typing import Any
from urllib.parse import quote, urlencode

from aiohttp import web
from jinja2 import Environment, FileSystemLoader, select_autoescape

from bot.http import HttpServer
from bot.pages.server import NETWORK_FAMILY, SECURITY_HEADERS
from bot.router import WEB, Router
from core import links
from core.i18n import LANGUAGES, Translator
from core.messages import ChatRef, EventKind, Incoming, Outgoing, Sender
from handlers.desk import glance
from handlers.kit.context import Context
from handlers.kit.dates import fold
from handlers.kit.labels import ROLE, STANDING
from handlers.kit.permissions import Action
from handlers.meetings.render import answer_label
from handlers.roster import office as roster_office
from models import attendance, desk, directory
from models.core import Network, Person
from models.errors import N_
from models.meetings import Meeting

log = logging.getLogger("empirie.desk")
HERE = Path(__file__).parent
PREFIX = "/desk"
SESSION_COOKIE = "empirie_desk"
LOGIN_COOKIE = "empirie_desk_login"  # binds the sign-in form to this browser (login CSRF)
LANG_COOKIE = "empirie_desk_lang"
CSRF_FIELD = "csrf"
GUEST_SEARCH_MIN = 3  # characters before unannounced guests are searched for
GUEST_SEARCH_MAX = 10
UPLOAD_KEPT_SECONDS = 24 * 3600  # a sheet uploaded for a dry run and never applied
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
NOT_FOUND = N_("This page does not exist, or it is not for you.")


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
    response.headers.update(SECURITY_HEADERS)
    return response


class Visit:
    """One signed-in request: the session, the person, their language, and a Context for the
    permission table (the same one a typed command gets)."""

    def __init__(self, token_hash: str, person: Person, ctx: Context) -> None:
        self.token_hash, self.person, self.ctx = token_hash, person, ctx

    @property
    def t(self) -> Translator:
        return self.ctx.t


class DeskServer:
    def __init__(self, router: Router) -> None:
        self.router = router
        self.db, self.clock, self.settings = router.db, router.clock, router.settings
        self.env = Environment(
            loader=FileSystemLoader(HERE / "templates"),
            autoescape=select_autoescape(["html"]),
            trim_blocks=True,
            lstrip_blocks=True,
        )

    def install(self, http: HttpServer) -> None:
        http.app.middlewares.append(security_headers)
        http.add_route("GET", "/desk/static/{name}", self._static)
        http.add_route("GET", "/desk/login/{token}", self._login_page)
        http.add_route("POST", "/desk/login/{token}", self._login)
        http.add_route("POST", "/desk/logout", self._logout)
        http.add_route("GET", "/desk", self._home)
        http.add_route("GET", "/desk/n/{code}", self._network)
        http.add_route("GET", "/desk/m/{meeting}/checkin", self._checkin_page)
        http.add_route("POST", "/desk/m/{meeting}/checkin", self._checkin)
        http.add_route("GET", "/desk/m/{meeting}/attendance.csv", self._attendance_csv)
        http.add_route("GET", "/desk/roster", self._roster_page)
        http.add_route("POST", "/desk/roster", self._roster_upload)
        http.add_route("POST", "/desk/roster/apply", self._roster_apply)
        http.add_route("GET", "/desk/roster.xlsx", self._roster_download)

    # --- helpers -------------------------------------------------------------------------

    @property
    def _secure(self) -> bool:
        return self.settings.public_url.startswith("https://")

    def _language(self, request: web.Request, person: Person | None) -> str:
        for asked in (request.query.get("lang", ""), request.cookies.get(LANG_COOKIE, "")):
            if asked in LANGUAGES:
                return asked
        if person is not None and person.language in LANGUAGES:
            return str(person.language)
        return self.settings.default_language

    def _hmac(self, text: str) -> str:
        key = links.signer(self.db, self.settings, self.clock.now()).secret.encode()
        return hmac.new(key, f"desk|{text}".encode(), hashlib.sha256).hexdigest()

    def _render(
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
            csrf=self._hmac(visit.token_hash) if visit else "",
            may_edit_roster=visit is not None and self._may_edit_roster(visit),
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
                secure=self._secure,
                max_age=365 * 24 * 3600,
            )
        return response

    def _message(
        self, request: web.Request, t: Translator, title: str, message: str, status: int
    ) -> web.Response:
        return self._render(
            request, "message.html", t, status=status, title=t(title), message=t(message)
        )

    def _not_found(self, request: web.Request, visit: Visit) -> web.Response:
        return self._render(
            request,
            "message.html",
            visit.t,
            status=404,
            visit=visit,
            title=visit.t(N_("Not found")),
            message=visit.t(NOT_FOUND),
        )

    def _visit(self, request: web.Request) -> Visit | web.Response:
        """The signed-in visit, or the page asking to sign in."""
        now = self.clock.now()
        token = request.cookies.get(SESSION_COOKIE, "")
        with self.db.session() as s:
            found = desk.current(s, token, now)
        if found is None:
            t = self.router.translator(self._language(request, None))
            return self._message(
                request,
                t,
                N_("Sign in to the staff desk"),
                N_(
                    "You are not signed in, or your session has ended. Type /panel in your "
                    "private chat with the bot: it sends a one-time sign-in link."
                ),
                401,
            )
        row, person = found
        t = self.router.translator(self._language(request, person))
        incoming = Incoming(
            Sender(WEB, str(person.id)), ChatRef(WEB, str(person.id), private=True), EventKind.TEXT
        )
        ctx = Context(self.db, self.clock, self.settings, incoming, person, None, t)
        return Visit(row.token_hash, person, ctx)

    def _csrf_ok(self, visit: Visit, data: Mapping[str, Any]) -> bool:
        return hmac.compare_digest(str(data.get(CSRF_FIELD, "")), self._hmac(visit.token_hash))

    def _csrf_refused(self, request: web.Request, visit: Visit) -> web.Response:
        log.info("desk.csrf_refused person=%s path=%s", visit.person.id, request.path)
        return self._render(
            request,
            "message.html",
            visit.t,
            status=403,
            visit=visit,
            title=visit.t(N_("Form not accepted")),
            message=visit.t(
                N_(
                    "This form has expired or did not come from the desk, so nothing was "
                    "changed. Open the page again and try once more."
                )
            ),
        )

    def _networks(self, visit: Visit) -> list[Network]:
        """The networks the person may see on the desk: those where they are staff."""
        with self.db.session() as s:
            every = list(directory.networks(s))
        return [n for n in every if visit.ctx.can(Action.VIEW_ATTENDANCE, n)]

    def _meeting(self, visit: Visit, raw: str, action: Action) -> tuple[Meeting, Network] | None:
        if not raw.isascii() or not raw.isdigit() or len(raw) > 9:
            return None
        with self.db.session() as s:
            meeting = s.get(Meeting, int(raw))
            network = s.get(Network, meeting.network_id) if meeting else None
        if meeting is None or network is None or not visit.ctx.can(action, network):
            return None
        return meeting, network

    async def _run(self, visit: Visit, command: str) -> tuple[bool, list[Outgoing]]:
        """The typed command, for the desk's person, through the router: the chat's handler."""
        ok, replies = await self.router.handle_for(visit.person, command, visit.t.language)
        log.info("desk.action person=%s command=%s ok=%s", visit.person.id, command.split()[0], ok)
        return ok, [m for m in replies if m.to is None]

    # --- sign-in ---------------------------------------------------------------------------

    async def _static(self, request: web.Request) -> web.StreamResponse:
        path = HERE / "static" / request.match_info["name"]
        if path.parent != HERE / "static" or not path.is_file():
            raise web.HTTPNotFound()
        return web.FileResponse(path, headers={"Content-Type": "text/css; charset=utf-8"})

    def _login_refused(self, request: web.Request, state: str) -> web.Response:
        t = self.router.translator(self._language(request, None))
        log.info("desk.login_refused reason=%s", state)
        return self._message(
            request,
            t,
            N_("Link not valid"),
            LOGIN_REFUSALS[state],
            410 if state in ("expired", "used") else 403,
        )

    async def _login_page(self, request: web.Request) -> web.Response:
        token = request.match_info["token"]
        with self.db.session() as s:
            state = desk.login_state(s, token, self.clock.now())
        if state != "ok":
            return self._login_refused(request, state)
        t = self.router.translator(self._language(request, None))
        cookie = request.cookies.get(LOGIN_COOKIE) or secrets.token_urlsafe(24)
        response = self._render(
            request,
            "login.html",
            t,
            title=t(N_("Sign in to the staff desk")),
            login_csrf=self._hmac(f"login|{cookie}|{token}"),
            action=request.path,
        )
        if LOGIN_COOKIE not in request.cookies:
            response.set_cookie(
                LOGIN_COOKIE,
                cookie,
                path=PREFIX,
                httponly=True,
                samesite="Strict",
                secure=self._secure,
            )
        return response

    async def _login(self, request: web.Request) -> web.Response:
        token = request.match_info["token"]
        data = await request.post()
        cookie = request.cookies.get(LOGIN_COOKIE, "")
        if not cookie or not hmac.compare_digest(
            str(data.get(CSRF_FIELD, "")), self._hmac(f"login|{cookie}|{token}")
        ):
            t = self.router.translator(self._language(request, None))
            log.info("desk.login_csrf_refused")
            return self._message(
                request,
                t,
                N_("Form not accepted"),
                N_(
                    "This form did not come from this browser's sign-in page, so nothing was "
                    "changed. Open the sign-in link again."
                ),
                403,
            )
        now = self.clock.now()
        with self.db.session() as s:
            state, person_id = desk.redeem(s, token, now)
            person = s.get(Person, person_id) if person_id is not None else None
            if state == "ok" and (person is None or person.erased_at is not None):
                state = "unknown"
            session_token = desk.start(s, person_id or 0, now) if state == "ok" else ""
        if state != "ok":
            return self._login_refused(request, state)
        log.info("desk.signed_in person=%s", person_id)
        response = web.Response(status=303, headers={"Location": PREFIX})
        response.set_cookie(
            SESSION_COOKIE,
            session_token,
            path=PREFIX,
            httponly=True,
            samesite="Lax",
            secure=self._secure,
            max_age=int(desk.SESSION_TTL.total_seconds()),
        )
        response.del_cookie(LOGIN_COOKIE, path=PREFIX)
        return response

    async def _logout(self, request: web.Request) -> web.Response:
        visit = self._visit(request)
        if isinstance(visit, web.Response):
            return visit
        if not self._csrf_ok(visit, await request.post()):
            return self._csrf_refused(request, visit)
        with self.db.session() as s:
            desk.end(s, request.cookies.get(SESSION_COOKIE, ""), self.clock.now())
        log.info("desk.signed_out person=%s", visit.person.id)
        response = self._message(
            request,
            visit.t,
            N_("Signed out"),
            N_("You are signed out of the staff desk in this browser."),
            200,
        )
        response.del_cookie(SESSION_COOKIE, path=PREFIX)
        return response

    # --- pages ---------------------------------------------------------------------------

    async def _home(self, request: web.Request) -> web.Response:
        visit = self._visit(request)
        if isinstance(visit, web.Response):
            return visit
        networks = self._networks(visit)
        now = self.clock.now()
        with self.db.session() as s:
            rows = glance.glance(s, networks, now)
            failed = (
                glance.failed_lately(s, now)
                if visit.ctx.can_anywhere(Action.ANNOUNCE_ALL)
                else None
            )
        return self._render(
            request,
            "home.html",
            visit.t,
            visit=visit,
            title=visit.t(N_("Staff desk")),
            rows=rows,
            failed=failed,
            may_check_in={n.id: visit.ctx.can(Action.MANAGE_ATTENDANCE, n) for n in networks},
            answer_label=lambda a: answer_label(visit.t, a),
        )

    async def _network(self, request: web.Request) -> web.Response:
        visit = self._visit(request)
        if isinstance(visit, web.Response):
            return visit
        code = request.match_info["code"]
        network = next((n for n in self._networks(visit) if n.code == code), None)
        if network is None:
            return self._not_found(request, visit)
        now = self.clock.now()
        with self.db.session() as s:
            members = glance.roster(s, network)
            meetings = glance.meetings(s, network, now)
        return self._render(
            request,
            "network.html",
            visit.t,
            visit=visit,
            title=network.name,
            network=network,
            members=members,
            meetings=meetings,
            role_label=lambda r: visit.t(ROLE[r]),
            standing_label=lambda st: visit.t(STANDING[st]) if st else "",
            may_check_in=visit.ctx.can(Action.MANAGE_ATTENDANCE, network),
            answer_label=lambda a: answer_label(visit.t, a),
        )

    def _checkin_view(
        self, request: web.Request, visit: Visit, meeting: Meeting, network: Network, query: str
    ) -> dict[str, Any]:
        with self.db.session() as s:
            fresh = s.get(Meeting, meeting.id)
            assert fresh is not None
            who = attendance.of_meeting(s, fresh)
            key = fold(query)
            people = [
                a for a in who.people if not key or key in fold(a.name) or key in fold(a.city)
            ]
            known = {a.person_id for a in who.people}
            guests: list[tuple[Person, str]] = []
            if len(key) >= GUEST_SEARCH_MIN and not network.closed and not query.isdigit():
                for person in directory.find_people(s, query):
                    if person.id not in known and len(guests) < GUEST_SEARCH_MAX:
                        guests.append((person, directory.city_name(s, person.city_id) or ""))
        return {
            "meeting": fresh,
            "network": network,
            "people": people,
            "present": sum(1 for a in who.people if a.checked_in_at is not None),
            "total": len(who.people),
            "guests": guests,
            "query": query,
            "searched": bool(key),
            "guests_possible": not network.closed,
            "guest_searched": len(key) >= GUEST_SEARCH_MIN,
            "answer_label": lambda a: answer_label(visit.t, a) if a else visit.t("no answer yet"),
            "action": request.path,
        }

    async def _checkin_page(self, request: web.Request) -> web.Response:
        visit = self._visit(request)
        if isinstance(visit, web.Response):
            return visit
        found = self._meeting(visit, request.match_info["meeting"], Action.MANAGE_ATTENDANCE)
        if found is None:
            return self._not_found(request, visit)
        values = self._checkin_view(request, visit, *found, request.query.get("q", "")[:100])
        return self._render(
            request,
            "checkin.html",
            visit.t,
            visit=visit,
            title=visit.t(N_("Check-in desk")),
            **values,
        )

    async def _checkin(self, request: web.Request) -> web.Response:
        visit = self._visit(request)
        if isinstance(visit, web.Response):
            return visit
        found = self._meeting(visit, request.match_info["meeting"], Action.MANAGE_ATTENDANCE)
        if found is None:
            return self._not_found(request, visit)
        data = await request.post()
        if not self._csrf_ok(visit, data):
            return self._csrf_refused(request, visit)
        meeting, network = found
        person, guest = str(data.get("person", "")), str(data.get("guest", ""))
        chosen = person or guest
        query = str(data.get("q", ""))[:100]
        if not chosen.isascii() or not chosen.isdigit() or len(chosen) > 9:
            ok, shown = False, [visit.t(N_("Choose a person on the list."))]
        else:
            command = f"/jestem {meeting.id} {chosen}" + (" gość" if guest and not person else "")
            ok, replies = await self._run(visit, command)
            shown = [m.text for m in replies]
        values = self._checkin_view(request, visit, meeting, network, query)
        return self._render(
            request,
            "checkin.html",
            visit.t,
            status=200 if ok else 409,
            visit=visit,
            title=visit.t(N_("Check-in desk")),
            result=shown,
            result_ok=ok,
            **values,
        )

    async def _attendance_csv(self, request: web.Request) -> web.StreamResponse:
        visit = self._visit(request)
        if isinstance(visit, web.Response):
            return visit
        found = self._meeting(visit, request.match_info["meeting"], Action.VIEW_ATTENDANCE)
        if found is None:
            return self._not_found(request, visit)
        ok, replies = await self._run(visit, f"/lista_obecnosci {found[0].id}")
        files = [f for m in replies for f in m.files if f.name.endswith(".csv")]
        if not ok or not files:
            return self._render(
                request,
                "message.html",
                visit.t,
                status=409,
                visit=visit,
                title=visit.t(N_("Attendance list")),
                message="\n".join(m.text for m in replies),
            )
        return web.Response(
            body=files[0].content,
            headers={
                "Content-Type": "text/csv; charset=utf-8",
                "Content-Disposition": f"attachment; filename*=UTF-8''{quote(files[0].name)}",
            },
        )

    # --- the office's roster -------------------------------------------------------------

    def _may_edit_roster(self, visit: Visit) -> bool:
        """The sheet is the whole programme's: for whoever may manage members in every
        network (the coordinating team)."""
        with self.db.session() as s:
            every = list(directory.networks(s))
        return bool(every) and all(visit.ctx.can(Action.MANAGE_MEMBERS, n) for n in every)

    def _upload_path(self, visit: Visit, upload: str, suffix: str) -> Path:
        """Where an uploaded sheet waits between its dry run and its import: named by the
        session and a random id, so another session cannot apply it."""
        name = self._hmac(f"roster|{visit.token_hash}|{upload}")[:32]
        folder = Path(self.settings.files_dir) / "desk-uploads"
        folder.mkdir(parents=True, exist_ok=True)
        return folder / f"{name}{suffix}"

    def _forget_old_uploads(self) -> None:
        """Sheets uploaded for a dry run and never applied are kept for a day."""
        folder = Path(self.settings.files_dir) / "desk-uploads"
        limit = time.time() - UPLOAD_KEPT_SECONDS
        for path in folder.glob("*") if folder.is_dir() else []:
            if path.is_file() and path.stat().st_mtime < limit:
                path.unlink(missing_ok=True)

    def _roster_view(self, request: web.Request, visit: Visit, **values: Any) -> web.Response:
        return self._render(
            request,
            "roster.html",
            visit.t,
            status=values.pop("status", 200),
            visit=visit,
            title=visit.t(N_("The office's roster")),
            **values,
        )

    async def _roster_page(self, request: web.Request) -> web.Response:
        visit = self._visit(request)
        if isinstance(visit, web.Response):
            return visit
        if not self._may_edit_roster(visit):
            return self._not_found(request, visit)
        return self._roster_view(request, visit)

    async def _dry_run(self, visit: Visit, path: Path) -> roster_office.ImportResult:
        return await asyncio.to_thread(
            roster_office.import_file,
            self.db,
            self.clock,
            self.settings,
            path,
            visit.t,
            True,
            visit.person.id,
        )

    @staticmethod
    def _digest(lines: list[str]) -> str:
        return hashlib.sha256("\n".join(lines).encode()).hexdigest()

    async def _roster_upload(self, request: web.Request) -> web.Response:
        visit = self._visit(request)
        if isinstance(visit, web.Response):
            return visit
        if not self._may_edit_roster(visit):
            return self._not_found(request, visit)
        data = await request.post()
        if not self._csrf_ok(visit, data):
            return self._csrf_refused(request, visit)
        sheet = data.get("sheet")
        if not isinstance(sheet, web.FileField):
            return self._roster_view(
                request, visit, status=422, result=[visit.t(N_("Choose a file."))], result_ok=False
            )
        suffix = Path(sheet.filename or "").suffix.lower()
        suffix = suffix if suffix in (".xlsx", ".csv") else ".xlsx"
        self._forget_old_uploads()
        upload = secrets.token_urlsafe(16)
        path = self._upload_path(visit, upload, suffix)
        path.write_bytes(sheet.file.read())
        result = await self._dry_run(visit, path)
        log.info("desk.roster_dry_run person=%s ok=%s", visit.person.id, result.ok)
        if not result.ok or not result.changes:
            path.unlink(missing_ok=True)
        return self._roster_view(
            request,
            visit,
            status=200 if result.ok else 422,
            preview=result.lines,
            preview_ok=result.ok,
            upload=upload if result.ok and result.changes else "",
            suffix=suffix,
            digest=self._digest(result.lines),
        )

    async def _roster_apply(self, request: web.Request) -> web.Response:
        visit = self._visit(request)
        if isinstance(visit, web.Response):
            return visit
        if not self._may_edit_roster(visit):
            return self._not_found(request, visit)
        data = await request.post()
        if not self._csrf_ok(visit, data):
            return self._csrf_refused(request, visit)
        upload, suffix = str(data.get("upload", "")), str(data.get("suffix", ""))
        path = self._upload_path(visit, upload, suffix if suffix in (".xlsx", ".csv") else ".xlsx")
        if not upload or not path.is_file():
            return self._roster_view(
                request,
                visit,
                status=409,
                result=[visit.t(N_("This upload is no longer here. Upload the file again."))],
                result_ok=False,
            )
        again = await self._dry_run(visit, path)
        if not again.ok or self._digest(again.lines) != str(data.get("digest", "")):
            # the roster changed since the preview: show what the file would do now
            return self._roster_view(
                request,
                visit,
                status=409,
                result=[
                    visit.t(
                        N_(
                            "The roster changed since the preview, so nothing was imported. "
                            "Check the changes below and apply again."
                        )
                    )
                ],
                result_ok=False,
                preview=again.lines,
                preview_ok=again.ok,
                upload=upload if again.ok and again.changes else "",
                suffix=suffix,
                digest=self._digest(again.lines),
            )
        result = await asyncio.to_thread(
            roster_office.import_file,
            self.db,
            self.clock,
            self.settings,
            path,
            visit.t,
            False,
            visit.person.id,
        )
        path.unlink(missing_ok=True)
        log.info("desk.roster_imported person=%s changes=%s", visit.person.id, result.changes)
        return self._roster_view(
            request,
            visit,
            status=200 if result.ok else 409,
            result=result.lines,
            result_ok=result.ok,
        )

    async def _roster_download(self, request: web.Request) -> web.StreamResponse:
        visit = self._visit(request)
        if isinstance(visit, web.Response):
            return visit
        if not self._may_edit_roster(visit):
            return self._not_found(request, visit)
        with tempfile.TemporaryDirectory() as folder:
            path = Path(folder) / "sklad_sieci.xlsx"
            await asyncio.to_thread(roster_office.export_file, self.db, path)
            body = path.read_bytes()
        return web.Response(
            body=body,
            headers={
                "Content-Type": (
                    "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
                ),
                "Content-Disposition": "attachment; filename=sklad_sieci.xlsx",
            },
        )

"""Announcements on the desk: compose, preview, send or schedule, and the delivery report.

GET  /desk/announcements                  the person's announcements and the compose form
POST /desk/announcements                  the form: runs `/ogloszenie <fields>` (the draft and
                                          its preview), then shows that preview
GET  /desk/announcements/<n>              one announcement: the preview of a draft, a scheduled
                                          one, or a sent one's delivery report
POST /desk/announcements/<n>/send         runs `/ogloszenie_wyslij <n>` (now or at its time)
POST /desk/announcements/<n>/change       a draft back into the form: runs `/ogloszenie_anuluj`
POST /desk/announcements/<n>/cancel       runs `/ogloszenie_anuluj <n>`
GET  /desk/announcements/<n>/report.csv   runs `/ogloszenie_raport <n>`

Everything is decided by the chat's handlers; the desk only turns its form into the one-line
command and shows the draft the way its recipients will read it. A refused form comes back
with what was written in it.
"""

from __future__ import annotations

import re
from typing import Any
from urllib.parse import quote

from aiohttp import web
from markupsafe import Markup
from sqlmodel import Session

from bot.pages.desk.site import Desk, Form, Routes, Visit
from core.formatting import to_html, to_plain
from core.i18n import Translator
from handlers.announcements.render import (
    AUDIENCE_LABEL,
    DELIVERY_LABEL,
    RESTRICTED,
    STATUS_LABEL,
    Reach,
    Report,
    addressed_to,
    platform_name,
    reach,
    reach_of,
    render,
    report_of,
    status_labels,
    unreached,
)
from handlers.kit.limits import ANNOUNCEMENT
from handlers.kit.permissions import Action
from models import announcements as store
from models.announcements import Announcement, AnnouncementStatus
from models.core import Network
from models.errors import N_

routes = Routes()
# The form's values, as the chat's one-line /ogloszenie reads them.
AUDIENCE_WORD = {"all": "wszyscy", "core": "rdzeń", "leaders": "liderzy"}
DELIVERY_WORD = {"chats": "czaty", "private": "prywatnie"}
LOCAL_TIME = re.compile(r"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}")  # <input type="datetime-local">
SEND = re.compile(r"^/ogloszenie_wyslij (\d+)$")


def _networks(d: Desk, visit: Visit) -> list[Network]:
    """The networks the person may announce in; none: the page is not for them."""
    return d.networks(visit, Action.ANNOUNCE)


def _mine(d: Desk, visit: Visit, raw: str) -> Announcement | None:
    """The announcement of that number if the chat would show it to this person (its author;
    the coordinating team: any)."""
    if not raw.isascii() or not raw.isdigit() or len(raw) > 9 or not _networks(d, visit):
        return None
    with d.db.session() as s:
        return store.of_author(s, int(raw), visit.person.id or 0)


def _blank(codes: list[str]) -> dict[str, Any]:
    return {
        "text": "",
        "codes": codes,
        "audience": "all",
        "delivery": "chats",
        "pin": False,
        "send_at": "",
    }


def _compose(
    d: Desk,
    request: web.Request,
    visit: Visit,
    form: dict[str, Any],
    status: int = 200,
    result: list[str] | None = None,
    invalid: str = "",
    result_ok: bool = False,
) -> web.Response:
    """The list of the person's announcements and the compose form, filled with `form`."""
    t = visit.t
    with d.db.session() as s:
        rows = list(store.by_author(s, visit.person.id or 0))
        reports = {
            a.id: report_of(s, t, a).counts for a in rows if a.status == AnnouncementStatus.QUEUED
        }
        names = {a.id: _names(s, t, a) for a in rows}
    return d.render(
        request,
        "announcements.html",
        t,
        status=status,
        visit=visit,
        title=t(N_("Announcements")),
        networks=_networks(d, visit),
        form=form,
        rows=rows,
        reports=reports,
        names=names,
        status_label=lambda st: t(STATUS_LABEL[AnnouncementStatus(st)]),
        audience_label=lambda a: t(AUDIENCE_LABEL[a]),
        delivery_label=lambda v: t(DELIVERY_LABEL[v]),
        first_line=_first_line,
        limit=ANNOUNCEMENT,
        result=result,
        result_ok=result_ok,
        invalid=invalid,
    )


def _first_line(text: str) -> str:
    return to_plain(text.splitlines()[0])[:80] if text else ""


def _names(s: Session, t: Translator, ann: Announcement) -> str:
    names = addressed_to(s, ann.network_ids)
    return t(N_("all networks")) if names is None else ", ".join(names)


@routes.page("/desk/announcements")
async def page(d: Desk, request: web.Request, visit: Visit) -> web.StreamResponse:
    networks = _networks(d, visit)
    if not networks:
        return d.not_found(request, visit)
    asked = request.query.get("network", "")
    codes = [n.code for n in networks if n.code == asked or len(networks) == 1]
    return _compose(d, request, visit, _blank(codes))


@routes.form("/desk/announcements")
async def compose(d: Desk, request: web.Request, visit: Visit, data: Form) -> web.StreamResponse:
    networks = _networks(d, visit)
    mine = {n.code for n in networks}
    codes = [str(c) for c in data.getall("network", [])]
    if not networks or any(code not in mine for code in codes):
        return d.not_found(request, visit)  # a network that is not theirs: nothing to say
    text = str(data.get("text", "")).replace("\r\n", "\n").replace("\r", "\n")
    audience, delivery = str(data.get("audience", "all")), str(data.get("delivery", "chats"))
    pin, send_at = data.get("pin") == "1", str(data.get("send_at", "")).strip()
    form: dict[str, Any] = {
        "text": text,
        "codes": codes,
        "audience": audience,
        "delivery": delivery,
        "pin": pin,
        "send_at": send_at,
    }
    refusal, invalid = "", ""
    if not text.strip():
        refusal, invalid = N_("The announcement needs some text."), "text"
    elif not codes:
        refusal, invalid = N_("Choose at least one network."), "networks"
    elif audience not in AUDIENCE_WORD or delivery not in DELIVERY_WORD:
        refusal, invalid = N_("Choose who gets it and how."), "audience"
    elif send_at and not LOCAL_TIME.fullmatch(send_at):
        refusal, invalid = N_("Give the sending time as a date and an hour."), "send_at"
    if refusal:
        return _compose(d, request, visit, form, 422, [visit.t(refusal)], invalid)
    command = "/ogloszenie " + "; ".join(
        (
            ",".join(codes),
            AUDIENCE_WORD[audience],
            DELIVERY_WORD[delivery],
            "przypnij" if pin else "nie",
            send_at or "teraz",
            text,  # last: it keeps its own `;` and line breaks
        )
    )
    ok, replies = await d.run(visit, command)
    number = next(
        (
            int(found.group(1))
            for m in replies
            for a in m.actions
            if (found := SEND.match(a.command)) is not None
        ),
        None,
    )
    if not ok or number is None:
        return _compose(d, request, visit, form, 422, [m.text for m in replies])
    raise web.HTTPSeeOther(f"/desk/announcements/{number}")


def _view(
    d: Desk, request: web.Request, visit: Visit, ann: Announcement, **values: Any
) -> web.Response:
    t = visit.t
    with d.db.session() as s:
        fresh = s.get(Announcement, ann.id)
        assert fresh is not None
        names = addressed_to(s, fresh.network_ids)
        waiting = fresh.status in (AnnouncementStatus.DRAFT, AnnouncementStatus.SCHEDULED)
        where: Reach | None = reach_of(s, fresh, d.settings) if waiting else None
        report: Report | None = (
            report_of(s, t, fresh) if fresh.status == AnnouncementStatus.QUEUED else None
        )
        networks = _names(s, t, fresh)
    # the message as its recipients read it: to_html escapes the text and adds only the
    # formatting the chat platforms get (bold, italics, links, lists)
    message = Markup(to_html(render(t, names, fresh.text)))
    return d.render(
        request,
        "announcement.html",
        t,
        status=values.pop("status", 200),
        visit=visit,
        title=t(N_("Announcement #{id}"), id=fresh.id),
        ann=fresh,
        message=message,
        networks=networks,
        status_label=t(STATUS_LABEL[AnnouncementStatus(fresh.status)]),
        audience_label=t(AUDIENCE_LABEL[fresh.audience]),
        delivery_label=t(DELIVERY_LABEL[fresh.delivery]),
        reach=reach(t, where.chats, where.people) if where else "",
        unreached=unreached(t, where.missing) if where and where.missing else "",
        restricted=t(RESTRICTED) if fresh.audience != "all" else "",
        report=report,
        labels=status_labels(t),
        platform_name=lambda p: platform_name(t, p),
        **values,
    )


@routes.page("/desk/announcements/{number}")
async def announcement(d: Desk, request: web.Request, visit: Visit) -> web.StreamResponse:
    ann = _mine(d, visit, request.match_info["number"])
    if ann is None:
        return d.not_found(request, visit)
    return _view(d, request, visit, ann)


async def _act(d: Desk, request: web.Request, visit: Visit, command: str) -> web.StreamResponse:
    ann = _mine(d, visit, request.match_info["number"])
    if ann is None:
        return d.not_found(request, visit)
    ok, replies = await d.run(visit, f"/{command} {ann.id}")
    return _view(
        d,
        request,
        visit,
        ann,
        status=200 if ok else 409,
        result=[m.text for m in replies],
        result_ok=ok,
    )


@routes.form("/desk/announcements/{number}/send")
async def send(d: Desk, request: web.Request, visit: Visit, data: Form) -> web.StreamResponse:
    return await _act(d, request, visit, "ogloszenie_wyslij")


@routes.form("/desk/announcements/{number}/cancel")
async def cancel(d: Desk, request: web.Request, visit: Visit, data: Form) -> web.StreamResponse:
    return await _act(d, request, visit, "ogloszenie_anuluj")


@routes.form("/desk/announcements/{number}/change")
async def change(d: Desk, request: web.Request, visit: Visit, data: Form) -> web.StreamResponse:
    """A draft back into the form, as written: the draft is cancelled, a new preview makes a
    new one."""
    ann = _mine(d, visit, request.match_info["number"])
    if ann is None:
        return d.not_found(request, visit)
    ok, replies = await d.run(visit, f"/ogloszenie_anuluj {ann.id}")
    if not ok:
        shown = [m.text for m in replies]
        return _view(d, request, visit, ann, status=409, result=shown, result_ok=False)
    allowed = {n.id: n.code for n in _networks(d, visit)}
    when = ann.send_at.astimezone(d.settings.tz).strftime("%Y-%m-%dT%H:%M") if ann.send_at else ""
    form = {
        "text": ann.text,
        "codes": [allowed[i] for i in ann.network_ids if i in allowed],
        "audience": ann.audience,
        "delivery": ann.delivery,
        "pin": ann.pin,
        "send_at": when,
    }
    back = visit.t(
        N_(
            "Announcement #{id} is back in the form and will not be sent; "
            "“Preview” makes a new one of it."
        ),
        id=ann.id,
    )
    return _compose(d, request, visit, form, result=[back], result_ok=True)


@routes.page("/desk/announcements/{number}/report.csv")
async def report_csv(d: Desk, request: web.Request, visit: Visit) -> web.StreamResponse:
    ann = _mine(d, visit, request.match_info["number"])
    if ann is None:
        return d.not_found(request, visit)
    ok, replies = await d.run(visit, f"/ogloszenie_raport {ann.id}")
    files = [f for m in replies for f in m.files if f.name.endswith(".csv")]
    if not ok or not files:
        return _view(
            d, request, visit, ann, status=409, result=[m.text for m in replies], result_ok=False
        )
    return web.Response(
        body=files[0].content,
        headers={
            "Content-Type": "text/csv; charset=utf-8",
            "Content-Disposition": f"attachment; filename*=UTF-8''{quote(files[0].name)}",
        },
    )

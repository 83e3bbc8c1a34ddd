"""The check-in desk at the venue, and the attendance list.

GET  /desk/m/<id>/checkin[?q=]    the check-in desk of a meeting (search without JavaScript)
POST /desk/m/<id>/checkin         tick one person (or add a guest): runs `/jestem`
GET  /desk/m/<id>/attendance.csv  the attendance list: runs `/lista_obecnosci`
"""

from __future__ import annotations

from typing import Any
from urllib.parse import quote

from aiohttp import web

from bot.pages.desk.site import Desk, Form, Routes, Visit
from handlers.kit.dates import fold
from handlers.kit.permissions import Action
from handlers.meetings.render import answer_label
from models import attendance, directory
from models.core import Network, Person
from models.errors import N_
from models.meetings import Meeting, MeetingStatus, check_in_window

routes = Routes()
GUEST_SEARCH_MIN = 3  # characters before unannounced guests are searched for
GUEST_SEARCH_MAX = 10


def _view(
    d: Desk, request: web.Request, visit: Visit, meeting: Meeting, network: Network, query: str
) -> dict[str, Any]:
    with d.db.session() as s:
        fresh = s.get(Meeting, meeting.id)
        assert fresh is not None
        who = attendance.of_meeting(s, fresh)
        key = fold(query)
        people = [a for a in who.people if not key or key in fold(a.name) or key in fold(a.city)]
        known = {a.person_id for a in who.people}
        guests: list[tuple[Person, str]] = []
        if len(key) >= GUEST_SEARCH_MIN and not network.closed and not query.isdigit():
            for person in directory.find_people(s, query):
                if person.id not in known and len(guests) < GUEST_SEARCH_MAX:
                    guests.append((person, directory.city_name(s, person.city_id) or ""))
    opens, closes = check_in_window(fresh)
    now = d.clock.now()
    closed = ""
    if fresh.status == MeetingStatus.CANCELLED:
        closed = visit.t(N_("This meeting has been cancelled."))
    elif now < opens:
        closed = visit.t(
            N_("Check-in opens {opens}, two hours before the meeting."),
            opens=visit.t.datetime(opens),
        )
    elif now > closes:
        closed = visit.t(
            N_("Check-in closed {closes}, when the meeting ended."), closes=visit.t.datetime(closes)
        )
    return {
        "closed": closed,
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


@routes.page("/desk/m/{meeting}/checkin")
async def checkin_page(d: Desk, request: web.Request, visit: Visit) -> web.StreamResponse:
    found = d.meeting(visit, request.match_info["meeting"], Action.MANAGE_ATTENDANCE)
    if found is None:
        return d.not_found(request, visit)
    values = _view(d, request, visit, *found, request.query.get("q", "")[:100])
    return d.render(
        request, "checkin.html", visit.t, visit=visit, title=visit.t(N_("Check-in desk")), **values
    )


@routes.form("/desk/m/{meeting}/checkin")
async def checkin(d: Desk, request: web.Request, visit: Visit, form: Form) -> web.StreamResponse:
    found = d.meeting(visit, request.match_info["meeting"], Action.MANAGE_ATTENDANCE)
    if found is None:
        return d.not_found(request, visit)
    meeting, network = found
    person, guest = str(form.get("person", "")), str(form.get("guest", ""))
    chosen = person or guest
    query = str(form.get("q", ""))[:100]
    if not chosen.isascii() or not chosen.isdigit() or len(chosen) > 9:
        ok, shown = False, [visit.t(N_("Choose a person on the list."))]
    else:
        command = f"/jestem {meeting.id} {chosen}" + (" gość" if guest and not person else "")
        ok, replies = await d.run(visit, command)
        shown = [m.text for m in replies]
    values = _view(d, request, visit, meeting, network, query)
    return d.render(
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


@routes.page("/desk/m/{meeting}/attendance.csv")
async def attendance_csv(d: Desk, request: web.Request, visit: Visit) -> web.StreamResponse:
    found = d.meeting(visit, request.match_info["meeting"], Action.VIEW_ATTENDANCE)
    if found is None:
        return d.not_found(request, visit)
    ok, replies = await d.run(visit, f"/lista_obecnosci {found[0].id}")
    files = [f for m in replies for f in m.files if f.name.endswith(".csv")]
    if not ok or not files:
        return d.render(
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

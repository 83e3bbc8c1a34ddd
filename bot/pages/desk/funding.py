"""The funding calls of a network (whoever manages funding there: the coordinator, the
expert, the coordinating team). Every change runs the chat's command.

GET  /desk/n/<code>/funding               the matched open calls: deadline, funder, source
POST /desk/n/<code>/funding               add a call: runs `/konkurs_dodaj`
GET  /desk/n/<code>/funding/<call>        a call's edit form
POST /desk/n/<code>/funding/<call>        the changed fields: runs `/konkurs_zmien`, one each
POST /desk/n/<code>/funding/<call>/hide   hide it from the network: runs `/ukryj`
"""

from __future__ import annotations

from typing import Any

from aiohttp import web

from bot.pages.desk.site import Desk, Form, Routes, Visit
from handlers.desk import funding
from handlers.kit.permissions import Action
from models import funding as store
from models.core import Network
from models.errors import N_, DomainError

routes = Routes()
ADD_FIELDS = ("title", "funder", "link", "deadline", "amount", "tags")  # /konkurs_dodaj's order
EDIT_FIELDS = ("tytul", "grantodawca", "link", "termin", "kwota", "tagi")  # /konkurs_zmien's words
FIELD_LIMIT = 600


def _value(form: Form, name: str) -> str:
    """One line of a form's field (a forged form's line breaks and tabs are spaces)."""
    return " ".join(str(form.get(name, ""))[:FIELD_LIMIT].split())


def _network(d: Desk, request: web.Request, visit: Visit) -> Network | None:
    return d.network(visit, request.match_info["code"], Action.MANAGE_FUNDING)


def _listed(d: Desk, visit: Visit, network: Network, raw: str) -> int | None:
    """The call's number if it is on the network's list (else the page answers 404)."""
    if not raw.isascii() or not raw.isdigit() or len(raw) > 9:
        return None
    with d.db.session() as s:
        ids = {c.id for c in funding.calls(s, visit.t, network, d.clock.now())}
    return int(raw) if int(raw) in ids else None


def _list(
    d: Desk, request: web.Request, visit: Visit, network: Network, **values: Any
) -> web.Response:
    with d.db.session() as s:
        found = funding.calls(s, visit.t, network, d.clock.now())
    return d.render(
        request,
        "funding.html",
        visit.t,
        status=values.pop("status", 200),
        visit=visit,
        title=visit.t(N_("Funding calls — {network}"), network=network.name),
        network=network,
        calls=found,
        entered=values.pop("entered", {}),
        **values,
    )


@routes.page("/desk/n/{code}/funding")
async def calls(d: Desk, request: web.Request, visit: Visit) -> web.StreamResponse:
    found = _network(d, request, visit)
    if found is None:
        return d.not_found(request, visit)
    return _list(d, request, visit, found)


@routes.form("/desk/n/{code}/funding")
async def add(d: Desk, request: web.Request, visit: Visit, form: Form) -> web.StreamResponse:
    found = _network(d, request, visit)
    if found is None:
        return d.not_found(request, visit)
    entered = {name: _value(form, name) for name in ADD_FIELDS}
    if any(";" in value for value in entered.values()):
        # the command's fields are separated by semicolons: one inside a field would shift them
        ok, shown = False, [visit.t(N_("A field cannot contain a semicolon (;). Use a comma."))]
    else:
        ok, replies = await d.run(visit, "/konkurs_dodaj " + "; ".join(entered.values()))
        shown = [m.text for m in replies]
    return _list(
        d,
        request,
        visit,
        found,
        status=200 if ok else 422,
        result=shown,
        result_ok=ok,
        entered={} if ok else entered,
    )


def _edit_page(
    d: Desk, request: web.Request, visit: Visit, network: Network, call: int, **values: Any
) -> web.Response:
    with d.db.session() as s:
        row = store.require_call(s, call)
        fields = funding.fields(visit.t, row, d.clock.now())
        title = row.title
    return d.render(
        request,
        "funding_edit.html",
        visit.t,
        status=values.pop("status", 200),
        visit=visit,
        title=visit.t(N_("Funding call #{id}"), id=call),
        call_title=title,
        network=network,
        call=call,
        fields=fields,
        **values,
    )


@routes.page("/desk/n/{code}/funding/{call}")
async def edit_page(d: Desk, request: web.Request, visit: Visit) -> web.StreamResponse:
    found = _network(d, request, visit)
    call = _listed(d, visit, found, request.match_info["call"]) if found else None
    if found is None or call is None:
        return d.not_found(request, visit)
    return _edit_page(d, request, visit, found, call)


@routes.form("/desk/n/{code}/funding/{call}")
async def edit(d: Desk, request: web.Request, visit: Visit, form: Form) -> web.StreamResponse:
    found = _network(d, request, visit)
    call = _listed(d, visit, found, request.match_info["call"]) if found else None
    if found is None or call is None:
        return d.not_found(request, visit)
    with d.db.session() as s:
        before = funding.fields(visit.t, store.require_call(s, call), d.clock.now())
    ok, shown = True, []
    for name in EDIT_FIELDS:
        value = _value(form, name)
        if not value or value == before[name]:
            continue  # an empty field keeps what the call has
        ok, replies = await d.run(visit, f"/konkurs_zmien {call} {name} {value}")
        shown.append(replies[0].text.split("\n\n")[0] if ok and replies else "")
        if not ok:
            shown[-1] = "\n".join(m.text for m in replies)
            break
    shown = list(dict.fromkeys(line for line in shown if line)) or [visit.t(N_("Nothing changed."))]
    try:
        return _edit_page(
            d, request, visit, found, call, status=200 if ok else 422, result=shown, result_ok=ok
        )
    except DomainError:
        return d.not_found(request, visit)


@routes.form("/desk/n/{code}/funding/{call}/hide")
async def hide(d: Desk, request: web.Request, visit: Visit, form: Form) -> web.StreamResponse:
    found = _network(d, request, visit)
    call = _listed(d, visit, found, request.match_info["call"]) if found else None
    if found is None or call is None:
        return d.not_found(request, visit)
    ok, replies = await d.run(visit, f"/ukryj {call} {found.code}")
    return _list(
        d,
        request,
        visit,
        found,
        status=200 if ok else 409,
        result=[m.text for m in replies],
        result_ok=ok,
    )

"""The roster's forms on a network's page, for those who manage its members (its coordinators,
the coordinating team): each runs the command a coordinator types in a private chat.

POST /desk/n/<code>/members/add       add a city's representative: `/osoba_dodaj`
POST /desk/n/<code>/members/replace   replace a representative: `/zastap`
POST /desk/n/<code>/members/end       end a person's membership in the network: `/zakoncz`

The answer is the network's page at its forms (`#change`), the handler's reply above them; a
refused form comes back with what was typed.
"""

from __future__ import annotations

from aiohttp import web

from bot.pages.desk.overview import network_page
from bot.pages.desk.site import Desk, Form, Routes, Visit
from handlers.kit.permissions import Action
from models.core import Network
from models.errors import N_

routes = Routes()
FIELD_MAX = 300  # the handlers' own limits are shorter: this only keeps a page's echo small
SEPARATOR = N_(
    "The character “;” cannot be used in a field: it separates the command's fields. "
    "Nothing was changed."
)
NOT_CONFIRMED = N_("Tick the box to confirm that the membership ends. Nothing was changed.")

ADD = ("city", "name", "position", "email")
REPLACE = ("person", "new", "position", "email")
END = ("person",)


def _typed(form: Form, names: tuple[str, ...]) -> dict[str, str]:
    """The form's fields as typed (one line each, trimmed)."""
    values = {}
    for name in names:
        raw = form.get(name, "")
        text = raw if isinstance(raw, str) else ""
        values[name] = " ".join(text.split())[:FIELD_MAX]
    return values


async def _act(
    d: Desk,
    request: web.Request,
    visit: Visit,
    network: Network,
    which: str,
    command: str,
    typed: dict[str, str],
) -> web.Response:
    """Run the command with the typed fields; the network's page with the result (and, when
    refused, the form as typed)."""
    if any(";" in value for value in typed.values()):
        ok, shown = False, [visit.t(SEPARATOR)]
        status = 422
    else:
        line = f"/{command} " + "; ".join([network.code, *typed.values()])
        ok, replies = await d.run(visit, line)
        shown = [text for m in replies for text in m.text.splitlines() if text.strip()]
        status = 200 if ok else 409
    return network_page(
        d,
        request,
        visit,
        network,
        status=status,
        change_result=shown,
        change_ok=ok,
        typed={} if ok else {which: typed},
    )


def _network(d: Desk, request: web.Request, visit: Visit) -> Network | None:
    return d.network(visit, request.match_info["code"], Action.MANAGE_MEMBERS)


@routes.form("/desk/n/{code}/members/add")
async def add(d: Desk, request: web.Request, visit: Visit, form: Form) -> web.StreamResponse:
    network = _network(d, request, visit)
    if network is None:
        return d.not_found(request, visit)
    return await _act(d, request, visit, network, "add", "osoba_dodaj", _typed(form, ADD))


@routes.form("/desk/n/{code}/members/replace")
async def replace(d: Desk, request: web.Request, visit: Visit, form: Form) -> web.StreamResponse:
    network = _network(d, request, visit)
    if network is None:
        return d.not_found(request, visit)
    return await _act(d, request, visit, network, "replace", "zastap", _typed(form, REPLACE))


@routes.form("/desk/n/{code}/members/end")
async def end(d: Desk, request: web.Request, visit: Visit, form: Form) -> web.StreamResponse:
    network = _network(d, request, visit)
    if network is None:
        return d.not_found(request, visit)
    typed = _typed(form, END)
    if form.get("confirm") != "yes":
        return network_page(
            d,
            request,
            visit,
            network,
            status=422,
            change_result=[visit.t(NOT_CONFIRMED)],
            change_ok=False,
            typed={"end": typed},
        )
    return await _act(d, request, visit, network, "end", "zakoncz", typed)

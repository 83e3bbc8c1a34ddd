"""Every route of the staff desk, read from the desk's own route tables (so a page added later
is covered without being listed here), refused to whoever may not use it: no session (401),
a representative with a session (404: nothing says the page exists), a coordinator on another
network's or the closed leaders' network's pages (404), and a form without the desk's CSRF
token (403). Over real HTTP, on both databases."""

from __future__ import annotations

import re
from collections.abc import AsyncIterator

import aiohttp
import pytest

from bot.pages.desk import areas
from bot.pages.desk.site import Route
from core.clock import FrozenClock
from core.config import Settings
from models import desk
from models.db import Database
from tests.desk_site import Desk, serve

# what any signed-in person may open: the desk's home (it says when there is nothing for
# them) and signing out
EVERYONE = {("GET", "/desk"), ("POST", "/desk/logout")}
NOT_FOR_YOU = "Ta strona nie istnieje albo nie jest dla Ciebie."


@pytest.fixture
async def site(seeded: Database, clock: FrozenClock, settings: Settings) -> AsyncIterator[Desk]:
    async with serve(seeded, clock, settings) as served:
        yield served


def _routes() -> list[Route]:
    return [route for area in areas() for route in area.routes.items if route.signed_in]


def _path(route: Route, code: str, meeting: int) -> str:
    values = {"code": code, "meeting": str(meeting)}
    return re.sub(r"\{(\w+)\}", lambda m: values.get(m.group(1), "1"), route.path)


async def _call(
    site: Desk, http: aiohttp.ClientSession, route: Route, path: str, csrf: str
) -> tuple[int, str]:
    data = {"csrf": csrf} if route.method == "POST" else None
    async with http.request(route.method, site.base + path, data=data) as answer:
        return answer.status, await answer.text()


def test_the_route_tables_hold_the_desk() -> None:
    declared = {(r.method, r.path) for r in _routes()}
    assert {("GET", "/desk"), ("GET", "/desk/n/{code}"), ("POST", "/desk/roster")} <= declared
    assert len(declared) == len(_routes()), "a route declared twice"


async def test_no_session_no_desk(site: Desk) -> None:
    async with site.browser() as http:
        for route in _routes():
            status, text = await _call(site, http, route, _path(route, "cyfrowe", site.meeting), "")
            assert status == 401, (route.method, route.path, status)
            assert "/panel" in text and "Traceback" not in text


async def test_a_representative_is_refused_every_staff_route(site: Desk) -> None:
    with site.db.session() as s:  # /panel refuses them: a session made directly
        token = desk.start(s, site.cast.laureate_rep, site.clock.now())
    async with site.browser() as http:
        http.cookie_jar.update_cookies({"empirie_desk": token})
        csrf = await site.csrf(http, "/desk")
        for route in _routes():
            if (route.method, route.path) in EVERYONE:
                continue
            status, text = await _call(
                site, http, route, _path(route, "cyfrowe", site.meeting), csrf
            )
            assert status == 404, (route.method, route.path, status)
            assert NOT_FOR_YOU in text


async def test_a_coordinator_is_refused_the_closed_networks_routes(site: Desk) -> None:
    async with site.browser() as http:
        await site.sign_in(http, site.cast.coordinator)
        csrf = await site.csrf(http, "/desk")
        for route in _routes():
            if (route.method, route.path) in EVERYONE or "{" not in route.path:
                continue
            path = _path(route, "liderzy", site.leaders_meeting)
            status, text = await _call(site, http, route, path, csrf)
            assert status == 404, (route.method, path, status)
            assert NOT_FOR_YOU in text
            assert "Spotkanie liderów" not in text


async def test_every_form_wants_the_desks_csrf_token(site: Desk) -> None:
    async with site.browser() as http:
        await site.sign_in(http, site.cast.team)  # the coordinating team: every right
        for route in _routes():
            if route.method != "POST":
                continue
            path = _path(route, "cyfrowe", site.meeting)
            for forged in ("", "0" * 64):
                status, text = await _call(site, http, route, path, forged)
                assert status == 403, (route.path, forged, status)
                assert "więc nic nie zmieniono" in text, route.path
        async with http.get(site.base + "/desk") as home:
            assert home.status == 200  # still signed in: the forged sign-out did nothing

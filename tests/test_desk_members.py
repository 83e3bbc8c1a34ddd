"""The desk's roster forms, audit log and glance over HTTP, on both databases: adding,
replacing and ending a representative from a network's page changes the roster as the chat
commands do, for those who manage the network's members only (404 to anyone else, 403 for a
forged form); the audit log shows the change just made and nothing of other networks; the
glance shows a missing report and, to the coordinating team, a failing funding feed."""

from __future__ import annotations

import html
import re
from collections.abc import AsyncIterator
from datetime import timedelta

import aiohttp
import pytest
from sqlmodel import select

from core.clock import FrozenClock
from core.config import Settings
from models import desk, directory, reports
from models import funding as funding_store
from models.core import AuditEntry, Person
from models.db import Database
from models.enums import Role
from models.meetings import Meeting
from tests.desk_site import Desk, serve


@pytest.fixture
async def site(seeded: Database, clock: FrozenClock, settings: Settings) -> AsyncIterator[Desk]:
    async with serve(seeded, clock, settings) as served:
        yield served


async def _get(site: Desk, http: aiohttp.ClientSession, path: str) -> tuple[int, str]:
    async with http.get(site.base + path) as response:
        return response.status, html.unescape(await response.text())


async def _post(
    site: Desk, http: aiohttp.ClientSession, path: str, data: dict[str, str]
) -> tuple[int, str]:
    async with http.post(site.base + path, data=data) as response:
        return response.status, html.unescape(await response.text())


def _roles(site: Desk, person: int, code: str = "cyfrowe") -> frozenset[Role]:
    with site.db.session() as s:
        network = directory.require_network(s, code)
        return directory.roles_of(s, person, network.id)


def _person(site: Desk, name: str) -> Person | None:
    with site.db.session() as s:
        return s.exec(select(Person).where(Person.name == name)).first()


def _city_of(site: Desk, person: int) -> str:
    with site.db.session() as s:
        found = s.get(Person, person)
        assert found is not None
        return directory.city_name(s, found.city_id) or ""


def _value(page: str, field: str) -> str:
    found = re.search(rf'id="{field}"[^>]*value="([^"]*)"', page)
    assert found, field
    return found.group(1)


# --- the roster's forms ---------------------------------------------------------------------


async def test_add_replace_and_end_from_the_desk_change_the_roster(site: Desk) -> None:
    rep = site.cast.laureate_rep
    city = _city_of(site, rep)
    async with site.browser() as http:
        await site.sign_in(http, site.cast.coordinator)
        status, page = await _get(site, http, "/desk/n/cyfrowe")
        assert status == 200 and "Zmiany w składzie sieci" in page
        assert f"<option>{city}</option>" in page  # the network's cities to choose from
        csrf = await site.csrf(http, "/desk/n/cyfrowe")
        # add, as /osoba_dodaj does
        status, page = await _post(
            site,
            http,
            "/desk/n/cyfrowe/members/add",
            {
                "csrf": csrf,
                "city": city,
                "name": "Zofia Źdźbło",
                "position": "Naczelniczka Wydziału IT",
                "email": "z.zdzblo@example.pl",
            },
        )
        assert status == 200, page
        assert "Zofia Źdźbło" in page and "/zaproszenie" in page  # the chat's own reply
        added = _person(site, "Zofia Źdźbło")
        assert added is not None and added.id is not None
        assert _roles(site, added.id) == {Role.REPRESENTATIVE}
        assert _city_of(site, added.id) == city
        assert _value(page, "add-name") == ""  # done: the form is empty again
        # replace, as /zastap does: the old representative's role ends, the new one holds it
        status, page = await _post(
            site,
            http,
            "/desk/n/cyfrowe/members/replace",
            {"csrf": csrf, "person": str(rep), "new": "Jan Nowak", "position": "", "email": ""},
        )
        assert status == 200, page
        successor = _person(site, "Jan Nowak")
        assert successor is not None and successor.id is not None
        assert Role.REPRESENTATIVE not in _roles(site, rep)
        assert _roles(site, successor.id) == {Role.REPRESENTATIVE}
        assert _city_of(site, successor.id) == city
        # end, as /zakoncz does (confirmed with the box)
        status, page = await _post(
            site,
            http,
            "/desk/n/cyfrowe/members/end",
            {"csrf": csrf, "person": str(added.id)},
        )
        assert status == 422 and "Zaznacz pole potwierdzenia" in page
        assert _roles(site, added.id) == {Role.REPRESENTATIVE}  # not confirmed: unchanged
        status, page = await _post(
            site,
            http,
            "/desk/n/cyfrowe/members/end",
            {"csrf": csrf, "person": str(added.id), "confirm": "yes"},
        )
        assert status == 200, page
        assert _roles(site, added.id) == frozenset()
        # the page's roster shows it
        status, page = await _get(site, http, "/desk/n/cyfrowe")
        roster = page.split('id="roster"')[1].split("</table>")[0]
        assert "Jan Nowak" in roster and "Zofia Źdźbło" not in roster


async def test_a_refused_form_says_why_in_polish_and_keeps_what_was_typed(site: Desk) -> None:
    city = _city_of(site, site.cast.laureate_rep)
    async with site.browser() as http:
        await site.sign_in(http, site.cast.coordinator)
        csrf = await site.csrf(http, "/desk/n/cyfrowe")
        typed = {
            "csrf": csrf,
            "city": city,
            "name": "Zofia <b>Źdźbło</b>",
            "position": "Naczelniczka",
            "email": "nie-adres",
        }
        async with http.post(site.base + "/desk/n/cyfrowe/members/add", data=typed) as refused:
            raw = await refused.text()
            assert refused.status == 409
        assert "<b>Źdźbło</b>" not in raw  # outside text escaped
        page = html.unescape(raw)
        assert "„nie-adres” nie jest adresem e-mail." in page
        assert _value(page, "add-name") == "Zofia <b>Źdźbło</b>"
        assert _value(page, "add-position") == "Naczelniczka"
        assert _value(page, "add-email") == "nie-adres"
        assert f"<option selected>{city}</option>" in page
        # a field cannot smuggle in another of the command's fields
        status, page = await _post(
            site,
            http,
            "/desk/n/cyfrowe/members/add",
            {**typed, "email": "", "position": "Naczelniczka; a@b.pl"},
        )
        assert status == 422 and "nie można użyć znaku „;”" in page
        assert _value(page, "add-position") == "Naczelniczka; a@b.pl"
        # replacing someone who is not a representative there: the handler's refusal
        status, page = await _post(
            site,
            http,
            "/desk/n/cyfrowe/members/replace",
            {"csrf": csrf, "person": str(site.cast.mayor), "new": "Jan Nowak"},
        )
        assert status == 409 and "nie jest przedstawiciel" in page
        assert _value(page, "replace-new") == "Jan Nowak"
    assert _person(site, "Zofia <b>Źdźbło</b>") is None and _person(site, "Jan Nowak") is None


async def test_the_roster_forms_are_refused_to_whoever_does_not_manage_the_network(
    site: Desk,
) -> None:
    rep = site.cast.laureate_rep
    forms = {
        "/desk/n/cyfrowe/members/add": {
            "city": _city_of(site, rep),
            "name": "Ktoś Obcy",
            "position": "Inspektor",
        },
        "/desk/n/cyfrowe/members/replace": {"person": str(rep), "new": "Ktoś Obcy"},
        "/desk/n/cyfrowe/members/end": {"person": str(rep), "confirm": "yes"},
    }

    async def refused(http: aiohttp.ClientSession, status: int, csrf: str) -> None:
        for path, data in forms.items():
            got, page = await _post(site, http, path, {"csrf": csrf, **data})
            assert got == status, (path, got)
            assert "Ktoś Obcy" not in page

    # the coordinator of another network, and an expert of this one (no forms for them)
    for person in (site.cast.other_coordinator, site.cast.expert):
        async with site.browser() as http:
            await site.sign_in(http, person)
            status, page = await _get(site, http, "/desk/n/cyfrowe")
            assert status in (200, 404) and "members/add" not in page
            await refused(http, 404, await site.csrf(http, "/desk"))
    # a representative holding a session (made directly: /panel refuses them)
    with site.db.session() as s:
        token = desk.start(s, rep, site.clock.now())
    async with site.browser() as http:
        http.cookie_jar.update_cookies({"empirie_desk": token})
        await refused(http, 404, await site.csrf(http, "/desk"))
    # the coordinator, with a form that did not come from the desk
    async with site.browser() as http:
        await site.sign_in(http, site.cast.coordinator)
        await refused(http, 403, "forged")
        # nor may they change the closed leaders' network
        csrf = await site.csrf(http, "/desk")
        got, _ = await _post(
            site,
            http,
            "/desk/n/liderzy/members/end",
            {"csrf": csrf, "person": str(site.cast.mayor), "confirm": "yes"},
        )
        assert got == 404
    assert Role.REPRESENTATIVE in _roles(site, rep)
    assert Role.REPRESENTATIVE in _roles(site, site.cast.mayor, "liderzy")
    assert _person(site, "Ktoś Obcy") is None


# --- the audit log --------------------------------------------------------------------------


async def test_the_audit_log_shows_the_change_just_made_and_hides_other_networks(
    site: Desk,
) -> None:
    with site.db.session() as s:
        coordinator = s.get(Person, site.cast.coordinator)
        mayor = s.get(Person, site.cast.mayor)
        assert coordinator is not None and mayor is not None
    async with site.browser() as http:  # the team ends a membership in the closed network
        await site.sign_in(http, site.cast.team)
        csrf = await site.csrf(http, "/desk/n/liderzy")
        status, _ = await _post(
            site,
            http,
            "/desk/n/liderzy/members/end",
            {"csrf": csrf, "person": str(site.cast.mayor), "confirm": "yes"},
        )
        assert status == 200
    async with site.browser() as http:
        await site.sign_in(http, site.cast.coordinator)
        csrf = await site.csrf(http, "/desk/n/cyfrowe")
        status, _ = await _post(
            site,
            http,
            "/desk/n/cyfrowe/members/add",
            {
                "csrf": csrf,
                "city": _city_of(site, site.cast.laureate_rep),
                "name": "Zofia Źdźbło",
                "position": "Inspektorka",
            },
        )
        assert status == 200
        status, page = await _get(site, http, "/desk/n/cyfrowe")
        assert 'href="/desk/n/cyfrowe/audit"' in page
        status, page = await _get(site, http, "/desk/n/cyfrowe/audit")
        assert status == 200 and "Dziennik zmian: MIASTO CYFROWE" in page
        rows = re.findall(
            r"<tr><td>(.*?)</td><td>(.*?)</td><td>(.*?)</td><td>(.*?)</td></tr>", page
        )
        assert rows, page
        when, who, what, about = rows[0]  # newest first
        assert who == coordinator.display_name
        assert what in ("dodano osobę", "nadano rolę") and "Zofia Źdźbło" in about
        assert {"dodano osobę", "nadano rolę"} <= {r[2] for r in rows[:2]}
        assert when == site.clock.now().astimezone(site.settings.tz).strftime("%d.%m.%Y %H:%M")
        # nothing of another network: the leaders' membership just ended is not here
        assert mayor.display_name not in page
        # filtered by kind
        status, page = await _get(site, http, "/desk/n/cyfrowe/audit?kind=person.add")
        kinds = {r[2] for r in re.findall(r"<tr><td>(.*?)</td><td>(.*?)</td><td>(.*?)</td>", page)}
        assert kinds == {"dodano osobę"}
        # not theirs: the leaders' log, another network's, the whole programme's
        for path in ("/desk/n/liderzy/audit", "/desk/audit", "/desk/n/nieznana/audit"):
            status, page = await _get(site, http, path)
            assert status == 404, path
            assert mayor.display_name not in page
    async with site.browser() as http:  # the coordinator of zielone sees only zielone's
        await site.sign_in(http, site.cast.other_coordinator)
        status, _ = await _get(site, http, "/desk/n/cyfrowe/audit")
        assert status == 404
        status, page = await _get(site, http, "/desk/n/zielone/audit")
        assert status == 200 and "Zofia Źdźbło" not in page
    async with site.browser() as http:  # an expert has no audit log
        await site.sign_in(http, site.cast.expert)
        status, _ = await _get(site, http, "/desk/n/cyfrowe/audit")
        assert status == 404
    async with site.browser() as http:  # the team: the leaders' log and the whole one
        await site.sign_in(http, site.cast.team)
        status, page = await _get(site, http, "/desk/n/liderzy/audit")
        assert status == 200 and mayor.display_name in page and "zakończono rolę" in page
        assert "Zofia Źdźbło" not in page
        status, page = await _get(site, http, "/desk/audit?kind=desk.sign_in")
        assert status == 200 and "logowanie do panelu zespołu" in page
        assert coordinator.display_name in page  # the desk's sign-ins are audited


async def test_the_audit_log_pages_and_records_the_desks_check_in(site: Desk) -> None:
    await site.chat.text(site.cast.laureate_rep, f"/rsvp {site.meeting} stacjonarnie")
    site.on_the_day()
    with site.db.session() as s:
        for n in range(60):  # older entries of the network, to page through
            s.add(
                AuditEntry(
                    at=site.clock.now() - timedelta(days=30, minutes=n),
                    actor_id=site.cast.team,
                    action="standing.set",
                    subject="city:1",
                    details={"network": "cyfrowe", "old": None, "new": "laureate"},
                )
            )
    async with site.browser() as http:
        await site.sign_in(http, site.cast.organiser)
        csrf = await site.csrf(http, f"/desk/m/{site.meeting}/checkin")
        status, _ = await _post(
            site,
            http,
            f"/desk/m/{site.meeting}/checkin",
            {"csrf": csrf, "person": str(site.cast.laureate_rep)},
        )
        assert status == 200
    with site.db.session() as s:
        entry = s.exec(select(AuditEntry).where(AuditEntry.action == "attendance.check_in")).one()
        assert entry.actor_id == site.cast.organiser
        assert entry.details["person"] == site.cast.laureate_rep
    async with site.browser() as http:
        await site.sign_in(http, site.cast.coordinator)
        status, page = await _get(site, http, "/desk/n/cyfrowe/audit")
        assert "obecność potwierdzona przez organizatorów" in page and "strona 1 z 2" in page
        older = re.search(r'href="([^"]+)">Starsze wpisy', page)
        assert older
        status, page = await _get(site, http, html.unescape(older.group(1)))
        assert status == 200 and "strona 2 z 2" in page and "Nowsze wpisy" in page
        status, last = await _get(site, http, "/desk/n/cyfrowe/audit?page=999")
        assert status == 200 and "strona 2 z 2" in last  # past the end: the last page
        older_rows = re.findall(r"<tr><td>(.*?)</td><td>(.*?)</td><td>(.*?)</td>", page)
        assert older_rows and "obecność potwierdzona przez organizatorów" not in {
            r[2] for r in older_rows
        }


# --- the glance -----------------------------------------------------------------------------


async def test_the_glance_shows_a_missing_report_and_a_failing_feed(site: Desk) -> None:
    with site.db.session() as s:
        meeting = s.get(Meeting, site.meeting)
        assert meeting is not None
        ended = meeting.starts_at + timedelta(minutes=meeting.duration_minutes)
        feed = funding_store.add_feed(
            s,
            "https://feeds.example.org/konkursy.xml",
            network_id=None,
            added_by=site.cast.team,
            funder=None,
            now=site.clock.now(),
        )
        feed.problem, feed.problem_since = "unreachable", site.clock.now()
        quiet = funding_store.add_feed(
            s,
            "https://cisza.example.org/rss",
            network_id=None,
            added_by=site.cast.team,
            funder=None,
            now=site.clock.now(),
        )
        quiet.problem = "silent"  # read fine, nothing new: not a failing fetch
        s.add_all([feed, quiet])
        feed_id = feed.id
    site.clock.set(ended + timedelta(days=site.settings.report_reminder_days, hours=1))

    async def card(person: int, code: str = "cyfrowe") -> tuple[str, str]:
        async with site.browser() as http:
            await site.sign_in(http, person)
            status, page = await _get(site, http, "/desk")
            assert status == 200
        return page.split(f'id="net-{code}"')[1].split("</section>")[0], page

    shown, page = await card(site.cast.coordinator)
    assert "Raport z ostatniego spotkania" in shown and "Spotkanie II" in shown
    assert "brak raportu" in shown
    assert 'id="feeds"' not in page  # the feeds are the team's
    # a draft, as /raport_sekcja leaves it; then submitted
    await site.chat.text(site.cast.coordinator, f"/raport_sekcja {site.meeting} 1 Przebieg.")
    shown, _ = await card(site.cast.coordinator)
    assert "rozpoczęty, niezłożony" in shown and "brak raportu" not in shown
    with site.db.session() as s:
        report = reports.of_meeting(s, site.meeting)
        assert report is not None
        reports.submit(s, report, site.cast.coordinator, site.clock.now())
    shown, _ = await card(site.cast.coordinator)
    assert "złożony " + site.clock.now().astimezone(site.settings.tz).strftime("%d.%m.%Y") in shown
    # the team: the failing feed, and the closed network's report too
    leaders, page = await card(site.cast.team, "liderzy")
    feeds = page.split('id="feeds"')[1].split("</section>")[0]
    assert "1 źródło konkursów nie działa" in feeds
    assert f"#{feed_id}" in feeds and "feeds.example.org" in feeds
    assert "nie udało się pobrać" in feeds and "cisza.example.org" not in feeds
    assert "Spotkanie liderów" in leaders and "brak raportu" in leaders
    # an organiser does not see reports
    shown, _ = await card(site.cast.organiser)
    assert "Raport z ostatniego spotkania" not in shown

"""The staff desk over HTTP, on both databases: the one-time sign-in link, sessions and their
end, the permission table on every page and form, and the check-in desk feeding the same
attendance the signing sheet reads."""

from __future__ import annotations

import io
import re
from collections.abc import AsyncIterator
from datetime import timedelta
from pathlib import Path

import aiohttp
import pytest
from openpyxl import load_workbook
from sqlmodel import select

from core.clock import FrozenClock
from core.config import Settings
from handlers.roster import office as roster_office
from models import desk, directory
from models.db import Database
from models.enums import Role
from models.meetings import Rsvp
from tests.conftest import Chat
from tests.desk_site import LINK, Desk, serve


@pytest.fixture
async def site(seeded: Database, clock: FrozenClock, settings: Settings) -> AsyncIterator[Desk]:
    async with serve(seeded, clock, settings) as served:
        yield served


async def _get(site: Desk, http: object, path: str) -> tuple[int, str]:
    async with http.get(site.base + path) as response:  # type: ignore[attr-defined]
        return response.status, await response.text()


def _checked_in(site: Desk, person: int) -> bool:
    with site.db.session() as s:
        row = s.exec(
            select(Rsvp).where(Rsvp.meeting_id == site.meeting, Rsvp.person_id == person)
        ).first()
    return row is not None and row.checked_in_at is not None


# --- sign-in --------------------------------------------------------------------------------


async def test_panel_link_signs_in_once_and_only_for_its_person(site: Desk) -> None:
    url = await site.link(site.cast.coordinator)
    async with site.browser() as http:
        for _ in range(2):  # a chat app's link preview fetches it: that does not use it up
            status, page = await _get(site, http, url.removeprefix(site.base))
            assert status == 200 and "Zaloguj się" in page
        csrf = re.search(r'name="csrf" value="([^"]+)"', page)
        assert csrf
        async with http.post(url, data={"csrf": csrf.group(1)}) as signed:
            assert signed.status == 200
            home = await signed.text()
        assert "MIASTO CYFROWE" in home and "Wyloguj" in home
        cookie = next(c for c in http.cookie_jar if c.key == "empirie_desk")
        assert cookie["httponly"] and cookie["samesite"] == "Lax" and cookie["path"] == "/desk"
        with site.db.session() as s:  # only the hash is stored
            stored = desk.sessions_of(s, site.cast.coordinator)
        assert [row.token_hash for row in stored] == [desk.digest(cookie.value)]
    async with site.browser() as other:  # the same link again, from another browser
        status, page = await _get(site, other, url.removeprefix(site.base))
        assert status == 410 and "już użyty" in page
        status, page = await _get(site, other, "/desk")
        assert status == 401 and "/panel" in page


@pytest.mark.parametrize("platform", ["telegram", "teams"])
async def test_panel_works_from_every_platforms_private_chat(site: Desk, platform: str) -> None:
    with site.db.session() as s:
        directory.link_account(s, site.cast.organiser, platform, "u-77", None, site.clock.now())
    reply = await Chat(site.router, platform).text("u-77", "/panel")
    found = LINK.search(reply)
    assert found, reply
    async with site.browser() as http:
        status, page = await _get(site, http, found.group(0).removeprefix(site.base))
        csrf = re.search(r'name="csrf" value="([^"]+)"', page)
        assert status == 200 and csrf
        async with http.post(found.group(0), data={"csrf": csrf.group(1)}) as signed:
            assert signed.status == 200
        with site.db.session() as s:
            assert [r.person_id for r in desk.sessions_of(s, site.cast.organiser)] == [
                site.cast.organiser
            ]


async def test_an_expired_link_is_refused(site: Desk) -> None:
    url = await site.link(site.cast.coordinator)
    site.clock.advance(desk.LOGIN_TTL + timedelta(seconds=1))
    async with site.browser() as http:
        status, page = await _get(site, http, url.removeprefix(site.base))
        assert status == 410 and "wygasł" in page
        status, _ = await _get(site, http, "/desk")
        assert status == 401


async def test_a_forged_form_or_a_changed_link_signs_nobody_in(site: Desk) -> None:
    url = await site.link(site.cast.coordinator)
    async with site.browser() as http:
        async with http.post(url, data={"csrf": "x"}) as forged:
            assert forged.status == 403
        status, _ = await _get(site, http, url.removeprefix(site.base) + "x")
        assert status == 403
        await site.sign_in(http, site.cast.coordinator)  # the real one still works after


async def test_panel_is_private_and_for_staff_only(site: Desk) -> None:
    group = await site.chat.text(site.cast.coordinator, "/panel", chat="-100")
    assert "/desk/login/" not in group
    refused = await site.chat.text(site.cast.laureate_rep, "/panel")
    assert "/desk/login/" not in refused and "Nie masz uprawnień" in refused
    with site.db.session() as s:
        assert s.exec(select(desk.DeskLogin)).all() == []


async def test_sessions_end_on_sign_out_everywhere_and_on_expiry(site: Desk) -> None:
    async with site.browser() as laptop, site.browser() as tablet:
        await site.sign_in(laptop, site.cast.organiser)
        await site.sign_in(tablet, site.cast.organiser)
        unused = await site.link(site.cast.organiser)
        reply = await site.chat.text(site.cast.organiser, "/panel wyloguj")
        assert "2" in reply and "Wylogowano" in reply
        for browser in (laptop, tablet):
            status, _ = await _get(site, browser, "/desk")
            assert status == 401
        status, _ = await _get(site, laptop, unused.removeprefix(site.base))
        assert status == 410
    async with site.browser() as http:  # this browser only, with its form
        await site.sign_in(http, site.cast.organiser)
        csrf = await site.csrf(http, "/desk")
        async with http.post(site.base + "/desk/logout", data={"csrf": csrf}) as out:
            assert out.status == 200
        status, _ = await _get(site, http, "/desk")
        assert status == 401
    async with site.browser() as http:
        await site.sign_in(http, site.cast.organiser)
        site.clock.advance(desk.SESSION_TTL)
        status, _ = await _get(site, http, "/desk")
        assert status == 401


async def test_security_headers_and_cookie_secure_over_https(site: Desk) -> None:
    async with site.browser() as http, http.get(site.base + "/desk") as page:
        assert page.status == 401
        assert page.headers["Cache-Control"].startswith("no-store")
        assert "frame-ancestors 'none'" in page.headers["Content-Security-Policy"]
        assert "script-src" not in page.headers["Content-Security-Policy"]
        assert page.headers["Referrer-Policy"] == "no-referrer"
    url = await site.link(site.cast.coordinator)
    async with site.browser() as http:
        status, page = await _get(site, http, url.removeprefix(site.base))
        csrf = re.search(r'name="csrf" value="([^"]+)"', page)
        assert status == 200 and csrf
        site.settings.public_url = site.base.replace("http://", "https://")  # behind a proxy
        async with http.post(url, data={"csrf": csrf.group(1)}, allow_redirects=False) as signed:
            assert signed.status == 303
            set_cookie = signed.headers.getall("Set-Cookie")
        session = next(c for c in set_cookie if c.startswith("empirie_desk="))
        assert "Secure" in session and "HttpOnly" in session and "SameSite=Lax" in session


# --- who sees what --------------------------------------------------------------------------


async def test_a_coordinator_sees_nothing_of_another_network(site: Desk) -> None:
    async with site.browser() as http:
        await site.sign_in(http, site.cast.other_coordinator)  # of zielone
        status, home = await _get(site, http, "/desk")
        assert status == 200 and "MIASTO NEUTRALNE KLIMATYCZNIE / ZIELONE" in home
        assert "MIASTO CYFROWE" not in home and "Spotkanie II" not in home
        assert "/desk/n/liderzy" not in home and "/desk/n/cyfrowe" not in home
        for path in (
            "/desk/n/cyfrowe",
            "/desk/n/liderzy",
            f"/desk/m/{site.meeting}/checkin",
            f"/desk/m/{site.meeting}/attendance.csv",
            f"/desk/m/{site.leaders_meeting}/checkin",
            "/desk/n/nieznana",
        ):
            status, page = await _get(site, http, path)
            assert status == 404, path
            assert "Spotkanie" not in page and "CYFROWE" not in page
        csrf = await site.csrf(http, "/desk")
        async with http.post(
            site.base + f"/desk/m/{site.meeting}/checkin",
            data={"csrf": csrf, "person": str(site.cast.laureate_rep)},
        ) as refused:
            assert refused.status == 404
    assert not _checked_in(site, site.cast.laureate_rep)


async def test_the_leaders_network_stays_closed(site: Desk) -> None:
    async with site.browser() as http:  # the coordinator of an open network
        await site.sign_in(http, site.cast.coordinator)
        status, home = await _get(site, http, "/desk")
        assert "Spotkanie liderów" not in home
        status, _ = await _get(site, http, "/desk/n/liderzy")
        assert status == 404
    async with site.browser() as http:  # the coordinating team sees every network
        await site.sign_in(http, site.cast.team)
        status, home = await _get(site, http, "/desk")
        assert "Spotkanie liderów" in home and "Spotkanie II" in home
        assert (
            "Wszystkie wiadomości z ostatnich 7 dni zostały dostarczone" in home
        )  # the team's view
        status, page = await _get(site, http, f"/desk/m/{site.leaders_meeting}/checkin?q=xyz")
        assert status == 200 and "sieć zamknięta" in page  # no guests in a closed network


async def test_network_page_roster_and_meetings(site: Desk) -> None:
    await site.chat.text(site.cast.laureate_rep, f"/rsvp {site.meeting} online")
    async with site.browser() as http:
        await site.sign_in(http, site.cast.coordinator)
        status, page = await _get(site, http, "/desk/n/cyfrowe")
    assert status == 200
    with site.db.session() as s:
        rep = s.get(directory.Person, site.cast.laureate_rep)
        observer = s.get(directory.Person, site.cast.observer_rep)
        assert rep is not None and observer is not None
    assert rep.display_name in page and "laureat" in page and "obserwator" in page
    assert "koordynator" in page and "Spotkanie II" in page
    assert "Online 1" in page


async def test_every_desk_action_is_refused_without_the_right(site: Desk) -> None:
    # an expert may view attendance but not tick people in
    async with site.browser() as http:
        await site.sign_in(http, site.cast.expert)
        status, _ = await _get(site, http, f"/desk/m/{site.meeting}/checkin")
        assert status == 404
        csrf = await site.csrf(http, "/desk")
        async with http.post(
            site.base + f"/desk/m/{site.meeting}/checkin",
            data={"csrf": csrf, "person": str(site.cast.laureate_rep)},
        ) as refused:
            assert refused.status == 404
        status, _ = await _get(site, http, f"/desk/m/{site.meeting}/attendance.csv")
        assert status == 200  # viewing is theirs
    # a representative holding a session (made directly: /panel refuses them) sees nothing
    with site.db.session() as s:
        token = desk.start(s, site.cast.laureate_rep, site.clock.now())
    async with site.browser() as http:
        http.cookie_jar.update_cookies({"empirie_desk": token})
        status, home = await _get(site, http, "/desk")
        assert status == 200 and "Nie należysz do zespołu" in home
        for path in (
            "/desk/n/cyfrowe",
            f"/desk/m/{site.meeting}/checkin",
            f"/desk/m/{site.meeting}/attendance.csv",
        ):
            status, _ = await _get(site, http, path)
            assert status == 404, path
        csrf = await site.csrf(http, "/desk")
        async with http.post(
            site.base + f"/desk/m/{site.meeting}/checkin",
            data={"csrf": csrf, "person": str(site.cast.laureate_rep)},
        ) as refused:
            assert refused.status == 404
    # the organiser whose role ends after signing in loses the desk at the next request
    async with site.browser() as http:
        await site.sign_in(http, site.cast.organiser)
        status, _ = await _get(site, http, f"/desk/m/{site.meeting}/checkin")
        assert status == 200
        csrf = await site.csrf(http, f"/desk/m/{site.meeting}/checkin")
        with site.db.session() as s:
            network = directory.require_network(s, "cyfrowe")
            directory.end_roles(
                s, site.cast.organiser, network, None, site.clock.now(), frozenset({Role.ORGANISER})
            )
        async with http.post(
            site.base + f"/desk/m/{site.meeting}/checkin",
            data={"csrf": csrf, "person": str(site.cast.laureate_rep)},
        ) as refused:
            assert refused.status == 404
    assert not _checked_in(site, site.cast.laureate_rep)


# --- the check-in desk ----------------------------------------------------------------------


async def test_check_in_desk_feeds_the_attendance_sheet(site: Desk) -> None:
    await site.chat.text(site.cast.laureate_rep, f"/rsvp {site.meeting} stacjonarnie")
    site.on_the_day()
    with site.db.session() as s:
        rep = s.get(directory.Person, site.cast.laureate_rep)
        assert rep is not None and rep.city_id is not None
        city = directory.city_name(s, rep.city_id) or ""
        name = rep.display_name
    path = f"/desk/m/{site.meeting}/checkin"
    async with site.browser() as http:
        await site.sign_in(http, site.cast.organiser)
        status, page = await _get(site, http, f"{path}?q={city[:4].lower()}")
        assert status == 200 and name in page
        csrf = re.search(r'name="csrf" value="([^"]+)"', page)
        assert csrf
        async with http.post(site.base + path, data={"person": str(site.cast.laureate_rep)}) as bad:
            assert bad.status == 403  # no CSRF token: nothing happens
        assert not _checked_in(site, site.cast.laureate_rep)
        async with http.post(
            site.base + path, data={"csrf": csrf.group(1), "person": str(site.cast.laureate_rep)}
        ) as ticked:
            assert ticked.status == 200
            after = await ticked.text()
        assert f"Obecność potwierdzona: {name}, spotkanie nr {site.meeting}." in after
        assert "obecność od" in after and "Obecność potwierdziła 1 osoba z" in after
        assert _checked_in(site, site.cast.laureate_rep)
        async with http.get(site.base + f"/desk/m/{site.meeting}/attendance.csv") as sheet:
            assert sheet.status == 200
            rows = (await sheet.read()).decode("utf-8-sig")
    line = next(row for row in rows.splitlines() if name in row)
    assert re.search(r"\d{1,2}:\d{2}", line.split(";")[5]), line  # the check-in time is there
    overview = await site.chat.text(site.cast.coordinator, f"/obecnosc {site.meeting}")
    assert "Obecność potwierdziła 1 osoba (stacjonarnie 1, online 0)." in overview


async def test_an_unannounced_guest_is_added_as_the_chat_allows(site: Desk) -> None:
    with site.db.session() as s:
        guest = s.get(directory.Person, site.cast.other_coordinator)  # of zielone only
        assert guest is not None and guest.name
        query = guest.name.split()[-1]
    site.on_the_day()
    path = f"/desk/m/{site.meeting}/checkin"
    async with site.browser() as http:
        await site.sign_in(http, site.cast.organiser)
        status, page = await _get(site, http, f"{path}?q={query}")
        assert status == 200 and "Dodaj jako gościa" in page
        csrf = re.search(r'name="csrf" value="([^"]+)"', page)
        assert csrf
        async with http.post(
            site.base + path,
            data={"csrf": csrf.group(1), "guest": str(site.cast.other_coordinator), "q": query},
        ) as added:
            assert added.status == 200
            assert "Obecność potwierdzona (gość)" in await added.text()
    assert _checked_in(site, site.cast.other_coordinator)


# --- the office's roster: download, upload with a dry run, apply ----------------------------


async def _sheet_with_one_more(site: Desk, http: object) -> bytes:
    """The roster as downloaded from the desk, with one new representative added."""
    async with http.get(site.base + "/desk/roster.xlsx") as download:  # type: ignore[attr-defined]
        assert download.status == 200
        raw = await download.read()
    book = load_workbook(io.BytesIO(raw))
    sheet = book.active
    assert sheet is not None
    header = [c.value for c in sheet[1]]
    rows = [dict(zip(header, r, strict=True)) for r in sheet.iter_rows(min_row=2, values_only=True)]
    row = next(
        r for r in rows if r["sieć"] == "cyfrowe" and str(r["rola"]).startswith("przedstawiciel")
    )
    row.update({"imię i nazwisko": "Zofia Źdźbło", "e-mail": "z.zdzblo@example.pl"})
    sheet.append([row[h] for h in header])
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def _person(site: Desk, name: str) -> directory.Person | None:
    with site.db.session() as s:
        return s.exec(select(directory.Person).where(directory.Person.name == name)).first()


async def _upload(site: Desk, http: object, raw: bytes) -> tuple[int, str]:
    csrf = await site.csrf(http, "/desk/roster")
    form = aiohttp.FormData()
    form.add_field("csrf", csrf)
    form.add_field("sheet", raw, filename="skład.xlsx")
    async with http.post(site.base + "/desk/roster", data=form) as response:  # type: ignore[attr-defined]
        return response.status, await response.text()


def _apply_form(page: str) -> dict[str, str]:
    return dict(re.findall(r'name="(csrf|upload|suffix|digest)" value="([^"]*)"', page))


async def test_roster_upload_shows_a_dry_run_then_applies_it(site: Desk) -> None:
    async with site.browser() as http:
        await site.sign_in(http, site.cast.team)
        raw = await _sheet_with_one_more(site, http)
        status, page = await _upload(site, http, raw)
        assert status == 200 and "Próbny import" in page and "Zofia Źdźbło" in page
        assert _person(site, "Zofia Źdźbło") is None  # nothing written by the dry run
        form = _apply_form(page)
        assert form["upload"]
        async with http.post(site.base + "/desk/roster/apply", data=form) as applied:
            assert applied.status == 200
            assert "Zaimportowano" in await applied.text()
        added = _person(site, "Zofia Źdźbło")
        assert added is not None
        with site.db.session() as s:
            network = directory.require_network(s, "cyfrowe")
            assert Role.REPRESENTATIVE in directory.roles_of(s, added.id or 0, network.id)
        async with http.post(site.base + "/desk/roster/apply", data=form) as again:
            assert again.status == 409  # applied once; the upload is gone


async def test_roster_apply_refuses_when_the_roster_changed_since_the_preview(
    site: Desk, tmp_path: Path
) -> None:
    async with site.browser() as http:
        await site.sign_in(http, site.cast.team)
        raw = await _sheet_with_one_more(site, http)
        status, page = await _upload(site, http, raw)
        assert status == 200
        meanwhile = tmp_path / "inny.xlsx"  # someone imports the same sheet in between
        meanwhile.write_bytes(raw)
        done = roster_office.import_file(
            site.db, site.clock, site.settings, meanwhile, site.router.translator("pl")
        )
        assert done.ok and done.changes >= 1
        async with http.post(site.base + "/desk/roster/apply", data=_apply_form(page)) as stale:
            assert stale.status == 409
            assert "już odpowiada plikowi" in await stale.text()


async def test_only_the_coordinating_team_handles_the_office_roster(site: Desk) -> None:
    async with site.browser() as http:
        await site.sign_in(http, site.cast.team)
        raw = await _sheet_with_one_more(site, http)
    async with site.browser() as http:
        await site.sign_in(http, site.cast.coordinator)
        for path in ("/desk/roster", "/desk/roster.xlsx"):
            status, _ = await _get(site, http, path)
            assert status == 404, path
        csrf = await site.csrf(http, "/desk")
        form = aiohttp.FormData()
        form.add_field("csrf", csrf)
        form.add_field("sheet", raw, filename="skład.xlsx")
        async with http.post(site.base + "/desk/roster", data=form) as refused:
            assert refused.status == 404
        async with http.post(
            site.base + "/desk/roster/apply", data={"csrf": csrf, "upload": "x"}
        ) as refused:
            assert refused.status == 404
    assert _person(site, "Zofia Źdźbło") is None

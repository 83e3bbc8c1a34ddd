"""What a walk through the staff desk as its users found, over real HTTP on both databases: the
check-in desk says when ticking opens before anyone presses a button, a meeting with no answers
says so instead of an empty cell, a coordinator of one network finds it already chosen for an
announcement, the delivery report names platforms in Polish, a broken roster sheet is named as
the person chose it, and the glance and the summary form read as Polish officials write."""

from __future__ import annotations

import re
from collections.abc import AsyncIterator
from datetime import timedelta

import aiohttp
import pytest

from core.clock import FrozenClock
from core.config import Settings
from models.db import Database
from models.meetings import Meeting
from tests.desk_site import Desk, serve


@pytest.fixture
async def site(seeded: Database, clock: FrozenClock, settings: Settings) -> AsyncIterator[Desk]:
    async with serve(seeded, clock, settings) as served:
        yield served


async def _get(site: Desk, http: aiohttp.ClientSession, path: str) -> tuple[int, str]:
    async with http.get(site.base + path) as response:
        return response.status, await response.text()


def _meeting(site: Desk) -> Meeting:
    with site.db.session() as s:
        meeting = s.get(Meeting, site.meeting)
        assert meeting is not None
        return meeting


async def test_the_check_in_desk_says_when_ticking_opens_and_when_it_closed(site: Desk) -> None:
    path = f"/desk/m/{site.meeting}/checkin"
    meeting = _meeting(site)
    moments = {
        "early": meeting.starts_at - timedelta(hours=3),
        "open": meeting.starts_at + timedelta(minutes=5),
        "late": meeting.starts_at + timedelta(minutes=meeting.duration_minutes + 1),
    }
    pages: dict[str, str] = {}
    for moment, when in moments.items():
        site.clock.set(when)
        async with site.browser() as http:
            await site.sign_in(http, site.cast.organiser)
            status, pages[moment] = await _get(site, http, path)
            assert status == 200
            if moment == "late":
                status, pages["english"] = await _get(site, http, path + "?lang=en")
    # the meeting is at 10:00 on 12 May 2027: ticking opens two hours before
    assert "Potwierdzanie obecności rusza środa, 12 maja 2027, 08:00" in pages["early"]
    assert "Potwierdzanie obecności" not in pages["open"]
    assert "Potwierdź obecność" in pages["open"]
    assert "Potwierdzanie obecności zamknięto środa, 12 maja 2027, 16:00" in pages["late"]
    assert "Check-in closed Wednesday, 12 May 2027, 16:00" in pages["english"]


async def test_a_meeting_without_answers_says_so_and_answers_read_without_stray_commas(
    site: Desk,
) -> None:
    async with site.browser() as http:
        await site.sign_in(http, site.cast.coordinator)
        status, page = await _get(site, http, "/desk/n/cyfrowe")
        row = re.search(r"Spotkanie II</td>\s*<td>[^<]*</td>\s*<td>([^<]*)</td>", page)
        assert status == 200 and row, page
        assert row.group(1) == "jeszcze brak"
        await site.chat.text(site.cast.laureate_rep, f"/rsvp {site.meeting} online")
        status, page = await _get(site, http, "/desk/n/cyfrowe")
        row = re.search(r"Spotkanie II</td>\s*<td>[^<]*</td>\s*<td>([^<]*)</td>", page)
        assert row and row.group(1) == "Online 1"  # not "Online 1, " before the zero counts


async def test_a_coordinator_of_one_network_finds_it_chosen_for_an_announcement(
    site: Desk,
) -> None:
    async with site.browser() as http:
        await site.sign_in(http, site.cast.coordinator)
        status, page = await _get(site, http, "/desk/announcements")
        assert status == 200 and re.search(r'value="cyfrowe" checked', page)
    async with site.browser() as http:
        await site.sign_in(http, site.cast.team)  # every network: the team chooses
        status, page = await _get(site, http, "/desk/announcements")
        assert (
            status == 200
            and 'value="cyfrowe"' in page
            and " checked>" not in page.split('id="networks"')[1].split("</fieldset>")[0]
        )


async def test_the_delivery_report_names_the_platform_in_polish(site: Desk) -> None:
    async with site.browser() as http:
        await site.sign_in(http, site.cast.coordinator)
        csrf = await site.csrf(http, "/desk/announcements")
        form = [
            ("csrf", csrf),
            ("network", "cyfrowe"),
            ("text", "Przypomnienie o ankiecie."),
            ("audience", "all"),
            ("delivery", "chats"),
            ("send_at", ""),
        ]
        async with http.post(site.base + "/desk/announcements", data=form) as preview:
            assert preview.status == 200
            number = str(preview.url).rsplit("/", 1)[1]
        async with http.post(
            site.base + f"/desk/announcements/{number}/send", data={"csrf": csrf}
        ) as sent:
            assert sent.status == 200
        status, report = await _get(site, http, f"/desk/announcements/{number}")
        assert status == 200 and "Raport doręczenia" in report
        assert "<td>konsola</td>" in report and "<td>console</td>" not in report
        async with http.get(site.base + f"/desk/announcements/{number}/report.csv") as got:
            rows = (await got.read()).decode("utf-8-sig").splitlines()
        assert rows[1].split(";")[:3] == ["czat", "MIASTO CYFROWE", "konsola"], rows
        status, english = await _get(site, http, f"/desk/announcements/{number}?lang=en")
        assert "<td>console</td>" in english


async def test_a_broken_roster_sheet_is_named_as_the_person_chose_it(site: Desk) -> None:
    async with site.browser() as http:
        await site.sign_in(http, site.cast.team)
        csrf = await site.csrf(http, "/desk/roster")
        form = aiohttp.FormData()
        form.add_field("csrf", csrf)
        form.add_field("sheet", b"not a workbook", filename="biuro-grudzien.xlsx")
        async with http.post(site.base + "/desk/roster", data=form) as response:
            page = await response.text()
        assert response.status == 422
        assert "Plik biuro-grudzien.xlsx nie jest poprawnym skoroszytem XLSX." in page
        assert not re.search(r"[0-9a-f]{32}\.xlsx", page)  # not the name it is kept under


async def test_the_glance_and_the_summary_form_read_as_polish(site: Desk) -> None:
    async with site.browser() as http:
        await site.sign_in(http, site.cast.team)
        status, home = await _get(site, http, "/desk")
        assert status == 200 and "<li>Lista rezerwowa: <strong>0</strong></li>" in home
        status, summary = await _get(site, http, "/desk/summary")
        assert status == 200 and "albo dwie daty (od i do)" in summary
        assert "dwa dni" not in summary


async def test_a_forms_address_opened_again_goes_back_to_its_page(site: Desk) -> None:
    """After any desk form the address bar shows the form's address; opening it again (Enter
    in the address bar, the history) leads back to the page, never to a bare English 405."""
    async with site.browser() as http:
        await site.sign_in(http, site.cast.coordinator)
        for form, page in (
            ("/desk/n/cyfrowe/members/replace", "/desk/n/cyfrowe"),
            ("/desk/announcements/7/send", "/desk/announcements/7"),
            ("/desk/n/cyfrowe/funding/3/hide", "/desk/n/cyfrowe/funding/3"),
            ("/desk/roster/apply", "/desk/roster"),
            ("/desk/logout", "/desk"),
        ):
            async with http.get(site.base + form, allow_redirects=False) as answer:
                assert answer.status == 303, form
                assert answer.headers["Location"] == page
        status, network = await _get(site, http, "/desk/n/cyfrowe/members/replace")
        assert status == 200 and "Skład sieci" in network
        # the page it leads to still decides: another network's stays hidden
        status, hidden = await _get(site, http, "/desk/n/zielone/members/end")
        assert status == 404 and "Nie znaleziono" in hidden and "405" not in hidden
        async with http.get(
            site.base + "/desk/n/%22%3E%3Cx/members/add", allow_redirects=False
        ) as odd:
            assert odd.status == 303 and odd.headers["Location"] == "/desk/n/%22%3E%3Cx"


async def test_an_unknown_desk_address_answers_the_desks_own_not_found(site: Desk) -> None:
    async with site.browser() as http:
        async with http.get(site.base + "/desk/nie/ma/takiej") as answer:
            assert answer.status == 401  # no session: the sign-in hint, as on every page
        await site.sign_in(http, site.cast.organiser)
        status, page = await _get(site, http, "/desk/nie/ma/takiej")
        assert status == 404 and "Ta strona nie istnieje albo nie jest dla Ciebie." in page
        assert 'href="/desk"' in page and "404: Not Found" not in page
        status, english = await _get(site, http, "/desk/m/1/checkin/x?lang=en")
        assert status == 404 and "Not found" in english and "404: Not Found" not in english

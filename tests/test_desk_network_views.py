"""A network's three views on the staff desk over real HTTP, on SQLite and PostgreSQL: the
office-hours calendar, the funding calls (added, edited and hidden through the chat's
commands) and the feedback results with their trend as SVG charts — each refused (404) to a
coordinator of another network, in the closed leaders' network and to a representative, and
every form refused without its CSRF token."""

from __future__ import annotations

import re
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta

import aiohttp
import pytest
from sqlmodel import select

from core.clock import FrozenClock
from core.config import Settings
from jobs.dispatch import DueDispatcher
from models import desk, directory
from models.db import Database
from models.feedback import Poll
from models.funding import FundingCall, FundingMute
from models.meetings import Meeting
from tests.desk_site import Desk, serve
from tests.test_feedback import core_reps

SERIES = "/dyzur_seria cyfrowe; 1.12.2026 10:00; 1; 60; 15; https://teams.example/dyzur"
FIRST = datetime(2026, 12, 1, 9, 0, tzinfo=UTC)  # 10:00 in Warsaw
ADD = {
    "title": "Cyfrowa gmina <b>e-usługi</b>",
    "funder": "CPPC",
    "link": "https://example.org/nabor",
    "deadline": "30.04.2027",
    "amount": "500000",
    "tags": "cyfryzacja, e-usługi",
}


@pytest.fixture
async def site(seeded: Database, clock: FrozenClock, settings: Settings) -> AsyncIterator[Desk]:
    async with serve(seeded, clock, settings) as served:
        yield served


async def _get(site: Desk, http: aiohttp.ClientSession, path: str) -> tuple[int, str]:
    async with http.get(site.base + path) as response:
        return response.status, await response.text()


async def _post(
    site: Desk, http: aiohttp.ClientSession, path: str, data: dict[str, str]
) -> tuple[int, str]:
    async with http.post(site.base + path, data=data) as response:
        return response.status, await response.text()


def _name(site: Desk, person: int) -> str:
    with site.db.session() as s:
        found = s.get(directory.Person, person)
        assert found is not None
        return found.display_name


def _city(site: Desk, person: int) -> str:
    with site.db.session() as s:
        found = s.get(directory.Person, person)
        assert found is not None and found.city_id is not None
        return directory.city_name(s, found.city_id) or ""


async def _rep_browser(site: Desk) -> aiohttp.ClientSession:
    """A representative holding a desk session (made directly: /panel refuses them)."""
    with site.db.session() as s:
        token = desk.start(s, site.cast.laureate_rep, site.clock.now())
    http = aiohttp.ClientSession(cookie_jar=aiohttp.CookieJar(unsafe=True))
    http.cookie_jar.update_cookies({"empirie_desk": token})
    return http


async def _refused_everywhere(site: Desk, paths: list[str], posts: list[str]) -> None:
    """Another network's coordinator, the leaders' network and a representative: 404."""
    async with site.browser() as http:
        await site.sign_in(http, site.cast.other_coordinator)
        csrf = await site.csrf(http, "/desk")
        for path in paths:
            status, page = await _get(site, http, path)
            assert status == 404 and "CYFROWE" not in page, path
        for path in posts:
            status, _ = await _post(site, http, path, {"csrf": csrf, **ADD})
            assert status == 404, path
    rep = await _rep_browser(site)
    async with rep:
        csrf = await site.csrf(rep, "/desk")
        for path in paths:
            status, _ = await _get(site, rep, path)
            assert status == 404, path
        for path in posts:
            status, _ = await _post(site, rep, path, {"csrf": csrf, **ADD})
            assert status == 404, path


# --- office hours -----------------------------------------------------------------------------


async def test_office_hours_calendar_by_week_with_bookings_and_free_slots(site: Desk) -> None:
    made = await site.chat.text(site.cast.expert, SERIES)
    sessions = [int(n) for n in re.findall(r"#(\d+) \d\d\.\d\d", made)]
    assert len(sessions) >= 3, made
    site.clock.set(FIRST - timedelta(days=6))
    booked = await site.chat.text(
        site.cast.laureate_rep, f"/dyzur_rezerwuj {sessions[0]} 2 <b>e-usługi</b> & RODO"
    )
    assert "Zarezerwowano" in booked, booked
    await site.chat.text(site.cast.expert, f"/dyzur_pomin {sessions[1]}")
    city, person = _city(site, site.cast.laureate_rep), _name(site, site.cast.laureate_rep)

    for who in (site.cast.expert, site.cast.coordinator, site.cast.team):
        async with site.browser() as http:
            await site.sign_in(http, who)
            status, network = await _get(site, http, "/desk/n/cyfrowe")
            assert status == 200 and "/desk/n/cyfrowe/office-hours" in network
            status, page = await _get(site, http, "/desk/n/cyfrowe/office-hours")
            assert status == 200, who
            assert "Tydzień od poniedziałku, 30 listopada 2026" in page
            assert f"#{sessions[0]}" in page and f"#{sessions[1]}" in page
            first = page.split(f'id="session-{sessions[0]}"')[1].split("</article>")[0]
            assert city in first and person in first
            assert "&lt;b&gt;e-usługi&lt;/b&gt; &amp; RODO" in first and "<b>e-" not in first
            assert first.count(">wolny<") == 3 and "3 wolne terminy" in first  # as /dyzur says
            assert '<th scope="col">Termin</th>' in first and "miejsc" not in first
            second = page.split(f'id="session-{sessions[1]}"')[1].split("</article>")[0]
            assert "pominięty" in second and city not in second
    async with site.browser() as http:  # the English switch
        await site.sign_in(http, site.cast.expert)
        status, page = await _get(site, http, "/desk/n/cyfrowe/office-hours?lang=en")
        assert status == 200 and "Office hours — MIASTO CYFROWE" in page
        assert "Week from Monday, 30 November 2026" in page and "3 free slots" in page

    # weeks later the held session is still shown (three weeks back), marked as held
    site.clock.set(FIRST + timedelta(days=14))
    async with site.browser() as http:
        await site.sign_in(http, site.cast.expert)
        status, page = await _get(site, http, "/desk/n/cyfrowe/office-hours")
        assert status == 200 and f'id="session-{sessions[0]}"' in page and "odbyty" in page
    await _refused_everywhere(
        site, ["/desk/n/cyfrowe/office-hours", "/desk/n/liderzy/office-hours"], []
    )
    async with site.browser() as http:  # the coordinator of cyfrowe: not the leaders'
        await site.sign_in(http, site.cast.coordinator)
        status, _ = await _get(site, http, "/desk/n/liderzy/office-hours")
        assert status == 404


# --- funding calls ----------------------------------------------------------------------------


def _calls(site: Desk) -> list[FundingCall]:
    with site.db.session() as s:
        return list(s.exec(select(FundingCall)).all())


async def test_funding_calls_added_edited_and_hidden_through_the_chats_commands(
    site: Desk,
) -> None:
    async with site.browser() as http:
        await site.sign_in(http, site.cast.coordinator)
        status, network = await _get(site, http, "/desk/n/cyfrowe")
        assert "/desk/n/cyfrowe/funding" in network
        csrf = await site.csrf(http, "/desk/n/cyfrowe/funding")
        # only http(s) links, and no semicolon that would shift the command's fields
        for bad, says in (
            ({"link": "javascript:alert(1)"}, "http"),
            ({"title": "Nabór; drugi"}, "średnika"),
            ({"title": ""}, "tytuł"),
        ):
            status, page = await _post(
                site, http, "/desk/n/cyfrowe/funding", {"csrf": csrf, **ADD, **bad}
            )
            assert status == 422 and says in page, bad
        assert _calls(site) == []
        status, _ = await _post(site, http, "/desk/n/cyfrowe/funding", ADD)  # no CSRF token
        assert status == 403 and _calls(site) == []

        status, page = await _post(site, http, "/desk/n/cyfrowe/funding", {"csrf": csrf, **ADD})
        assert status == 200 and "Dodano konkurs" in page, page
        [call] = _calls(site)
        assert call.source == "manual" and call.created_by == site.cast.coordinator
        listed = page.split('id="calls"')[1].split("</section>")[0]
        assert "Cyfrowa gmina &lt;b&gt;e-usługi&lt;/b&gt;" in listed and "<b>e-" not in listed
        assert 'href="https://example.org/nabor"' in listed and "30.04.2027" in listed
        assert "wpisany ręcznie" in listed and "CPPC" in listed
        # the same list as /konkursy in chat
        assert f"#{call.id}" in await site.chat.text(site.cast.coordinator, "/konkursy cyfrowe")

        path = f"/desk/n/cyfrowe/funding/{call.id}"
        status, form = await _get(site, http, path)
        assert status == 200 and 'value="30.04.2027 23:59"' in form and 'value="500000"' in form
        status, _ = await _post(site, http, path, {"termin": "15.05.2027"})  # no CSRF token
        assert status == 403
        status, page = await _post(
            site, http, path, {"csrf": csrf, "termin": "15.05.2027", "link": "ftp://x.org/a"}
        )
        assert status == 422 and "http" in page  # the link refused: it stops there
        with site.db.session() as s:
            kept = s.get(FundingCall, call.id)
            assert kept is not None and kept.link == "https://example.org/nabor"
            assert kept.deadline_list[0].astimezone(UTC).date().isoformat() == "2027-04-30"
        status, page = await _post(
            site, http, path, {"csrf": csrf, "termin": "20.05.2027", "kwota": "1 mln zł"}
        )
        assert status == 200 and "Zapisano" in page
        with site.db.session() as s:
            edited = s.get(FundingCall, call.id)
            assert edited is not None
            assert edited.budget == 1_000_000 and edited.link == "https://example.org/nabor"
            assert edited.deadline_list[0].astimezone(UTC).date().isoformat() == "2027-05-20"

        # another network's coordinator cannot touch it; a representative neither
        await _refused_everywhere(
            site,
            ["/desk/n/cyfrowe/funding", path, "/desk/n/liderzy/funding"],
            ["/desk/n/cyfrowe/funding", path, path + "/hide"],
        )
        assert len(_calls(site)) == 1

        status, _ = await _post(site, http, path + "/hide", {})  # no CSRF token
        assert status == 403
        status, page = await _post(site, http, path + "/hide", {"csrf": csrf})
        assert status == 200 and "nie będzie się już pojawiał" in page
        assert "Cyfrowa gmina" not in page.split('id="calls"')[1].split("</section>")[0]
        with site.db.session() as s:
            [mute] = s.exec(select(FundingMute)).all()
            assert mute.call_id == call.id and mute.muted_by == site.cast.coordinator
        status, _ = await _get(site, http, path)  # hidden here: no longer this network's
        assert status == 404
    async with site.browser() as http:  # the expert manages funding calls too
        await site.sign_in(http, site.cast.expert)
        status, page = await _get(site, http, "/desk/n/cyfrowe/funding")
        assert status == 200 and "Dodaj konkurs" in page


# --- feedback -----------------------------------------------------------------------------


async def _closed_poll(site: Desk) -> int:
    """The meeting's poll, answered by four cities and closed: question 1 has three answers
    (5, 4, 4), question 2 one (shown as a count only)."""
    a, b, c, d = core_reps(site.db)[:4]
    for who in (a, b, c, d):
        assert "Zapisano" in await site.chat.text(who, f"/rsvp {site.meeting} online")
    with site.db.session() as s:
        meeting = s.get(Meeting, site.meeting)
        assert meeting is not None
        ends = meeting.starts_at + timedelta(minutes=meeting.duration_minutes)
    jobs = DueDispatcher(site.db, site.clock, site.settings)
    site.clock.set(ends + timedelta(minutes=30))
    await jobs.run_once()
    with site.db.session() as s:
        [poll] = s.exec(select(Poll).where(Poll.meeting_id == site.meeting)).all()
    for who, rating in ((a, 5), (b, 4), (c, 4)):
        await site.chat.say(who, f"/ankieta {poll.id} 1 {rating}")
    await site.chat.say(d, f"/ankieta {poll.id} 2 2")
    site.clock.set(poll.closes_at + timedelta(minutes=1))
    await jobs.run_once()
    with site.db.session() as s:
        closed = s.get(Poll, poll.id)
        assert closed is not None and closed.status == "closed"
    return poll.id or 0


async def test_feedback_results_and_trend_with_svg_charts(site: Desk) -> None:
    async with site.browser() as http:
        await site.sign_in(http, site.cast.coordinator)
        status, page = await _get(site, http, "/desk/n/cyfrowe/feedback")
        assert status == 200 and "nie ma jeszcze zamkniętych ankiet" in page
        status, _ = await _get(site, http, "/desk/n/cyfrowe/feedback/trend.svg")
        assert status == 404
    poll = await _closed_poll(site)
    wyniki = await site.chat.text(site.cast.coordinator, f"/wyniki {poll}")
    assert "średnia 4,3 na 5" in wyniki  # the chat's numbers, which the desk shows too

    for who in (site.cast.coordinator, site.cast.expert, site.cast.team):
        async with site.browser() as http:
            await site.sign_in(http, who)
            status, page = await _get(site, http, "/desk/n/cyfrowe/feedback")
            assert status == 200
            trend = page.split('id="trend-table"')[1].split("</table>")[0]
            assert "4,3" in trend and "–" in trend and "100 %" in trend
            assert '<img src="/desk/n/cyfrowe/feedback/trend.svg"' in page
            status, page = await _get(site, http, f"/desk/m/{site.meeting}/feedback")
            assert status == 200 and "Średnia 4,3 na 5" in page
            q2 = page.split('id="q2"')[1].split("<h3")[0]
            assert (
                "1 odpowiedź — mniej niż 3, więc widać tylko liczbę" in q2 and "<table" not in q2
            )  # one answer: the count only
            async with http.get(site.base + "/desk/n/cyfrowe/feedback/trend.svg") as svg:
                assert svg.status == 200 and svg.content_type == "image/svg+xml"
                body = await svg.text()
                policy = svg.headers["Content-Security-Policy"]
            assert "<title" in body and "<desc" in body and "<script" not in body
            assert "script-src" not in policy and "default-src 'none'" in policy
            async with http.get(site.base + f"/desk/m/{site.meeting}/feedback.svg") as svg:
                assert svg.status == 200 and "Spotkanie II" in await svg.text()
    await _refused_everywhere(
        site,
        [
            "/desk/n/cyfrowe/feedback",
            "/desk/n/cyfrowe/feedback/trend.svg",
            f"/desk/m/{site.meeting}/feedback",
            f"/desk/m/{site.meeting}/feedback.svg",
            "/desk/n/liderzy/feedback",
            f"/desk/m/{site.leaders_meeting}/feedback",
        ],
        [],
    )


async def test_a_running_polls_results_stay_hidden(site: Desk) -> None:
    a = core_reps(site.db)[0]
    await site.chat.text(a, f"/rsvp {site.meeting} online")
    with site.db.session() as s:
        meeting = s.get(Meeting, site.meeting)
        assert meeting is not None
        ends = meeting.starts_at + timedelta(minutes=meeting.duration_minutes)
    site.clock.set(ends + timedelta(minutes=30))
    await DueDispatcher(site.db, site.clock, site.settings).run_once()
    with site.db.session() as s:
        [poll] = s.exec(select(Poll).where(Poll.meeting_id == site.meeting)).all()
    await site.chat.say(a, f"/ankieta {poll.id} 1 5")
    async with site.browser() as http:
        await site.sign_in(http, site.cast.coordinator)
        status, page = await _get(site, http, "/desk/n/cyfrowe/feedback")
        assert status == 200 and "wyniki ukryte" in page
        status, page = await _get(site, http, f"/desk/m/{site.meeting}/feedback")
        assert status == 200 and "wyniki są ukryte" in page and "Średnia" not in page


def test_the_svg_chart_escapes_outside_text_and_names_itself() -> None:
    """A question or network named like markup stays text in the SVG (well-formed XML, no
    element of its own), and the picture carries its title and description first."""
    from xml.etree import ElementTree
    from zoneinfo import ZoneInfo

    from core.i18n import Translator
    from handlers.feedback import charts

    t = Translator("pl", ZoneInfo("Europe/Warsaw"))
    evil = '<script>alert("x")</script> & <a href="javascript:1">'
    points = [("#1 12.05.2027", {evil: 4.5, "_rate": 1.0})]
    body = charts.svg(charts.trend_figure(t, "A&B <i>", points), f"Oceny {evil}", evil)
    root = ElementTree.fromstring(body)
    ns = "{http://www.w3.org/2000/svg}"
    assert root.get("role") == "img" and root.get("aria-labelledby") == "t d"
    assert root[0].tag == f"{ns}title" and root[0].text == f"Oceny {evil}"
    assert root[1].tag == f"{ns}desc" and root[1].text == evil
    tags = {element.tag.removeprefix(ns) for element in root.iter()}
    assert "script" not in tags and "a" not in tags and "i" not in tags
    assert b"<script" not in body and "&lt;script&gt;" in body.decode()

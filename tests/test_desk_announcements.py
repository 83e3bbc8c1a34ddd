"""Announcements on the staff desk over HTTP, on both databases: composed, previewed as the
recipients will read it, sent through the chat's own handlers, delivered through the outbox to
the network chat and to each person, and reported; scheduled ones going out at their time;
refused forms keeping their text; and every refusal for whoever may not announce there."""

from __future__ import annotations

import csv
import html
import io
import re
from collections.abc import AsyncIterator
from datetime import timedelta

import aiohttp
import pytest
from sqlmodel import select

from bot.outbox import OutboxDispatcher
from bot.transports.console import ConsoleTransport
from core.clock import FrozenClock
from core.config import Settings
from jobs.dispatch import DueDispatcher
from models import desk, directory
from models.announcements import Announcement
from models.db import Database
from models.outbox import OutboxMessage
from tests.desk_site import Desk, serve
from tests.test_announcements import expected_people

TEXT = "**Spotkanie** sieci 12 maja; prosimy o potwierdzenie.\n- agenda <script>x</script>"


@pytest.fixture
async def site(seeded: Database, clock: FrozenClock, settings: Settings) -> AsyncIterator[Desk]:
    async with serve(seeded, clock, settings) as served:
        yield served


async def _get(site: Desk, http: aiohttp.ClientSession, path: str) -> tuple[int, str]:
    async with http.get(site.base + path) as response:
        return response.status, await response.text()


async def _post(
    site: Desk, http: aiohttp.ClientSession, path: str, data: dict[str, str] | list
) -> tuple[int, str, str]:
    async with http.post(site.base + path, data=data) as response:
        return response.status, await response.text(), str(response.url)


def _form(csrf: str, *networks: str, **fields: str) -> list[tuple[str, str]]:
    values = {"text": TEXT, "audience": "all", "delivery": "private", "send_at": ""} | fields
    return [("csrf", csrf), *(("network", n) for n in networks), *values.items()]


def _announcements(site: Desk) -> list[Announcement]:
    with site.db.session() as s:
        return list(s.exec(select(Announcement)).all())


def _copies(site: Desk) -> list[OutboxMessage]:
    with site.db.session() as s:
        return list(s.exec(select(OutboxMessage).where(OutboxMessage.kind == "announcement")).all())


def _number(url: str) -> int:
    found = re.search(r"/desk/announcements/(\d+)$", url)
    assert found, url
    return int(found.group(1))


def _textarea(page: str) -> str:
    found = re.search(r"<textarea[^>]*>(.*?)</textarea>", page, re.DOTALL)
    assert found, page
    return html.unescape(found.group(1))


async def test_composed_previewed_sent_delivered_and_reported(site: Desk) -> None:
    people = expected_people(site.db, "cyfrowe")
    async with site.browser() as http:
        await site.sign_in(http, site.cast.coordinator)
        status, home = await _get(site, http, "/desk")
        assert status == 200 and 'href="/desk/announcements"' in home  # in the menu
        status, network = await _get(site, http, "/desk/n/cyfrowe")
        assert "/desk/announcements?network=cyfrowe" in network
        status, page = await _get(site, http, "/desk/announcements?network=cyfrowe")
        assert status == 200 and "Nowe ogłoszenie" in page
        assert re.search(r'value="cyfrowe" checked', page)  # chosen from the network's page
        assert 'value="zielone"' not in page and 'value="liderzy"' not in page
        csrf = await site.csrf(http, "/desk/announcements")
        status, preview, url = await _post(
            site, http, "/desk/announcements", _form(csrf, "cyfrowe", pin="1")
        )
        assert status == 200, preview
        number = _number(url)
        # the message as the recipients read it: the header, formatting, the text escaped
        assert "📣 <b>Ogłoszenie</b> — MIASTO CYFROWE" in preview
        assert "<b>Spotkanie</b> sieci 12 maja; prosimy o potwierdzenie." in preview
        assert "• agenda &lt;script&gt;x&lt;/script&gt;" in preview and "<script>" not in preview
        assert f"Ogłoszenie trafi na 1 czat grupowy i prywatnie do {len(people)} osób." in preview
        assert "Wyślij" in preview and "Zmień" in preview
        assert _copies(site) == []  # nothing before the confirmation
        [draft] = _announcements(site)
        assert draft.status == "draft" and draft.text == TEXT and draft.pin

        status, sent, _ = await _post(
            site, http, f"/desk/announcements/{number}/send", {"csrf": csrf}
        )
        assert status == 200 and f"Wysyłam ogłoszenie nr {number}." in sent
        async with http.post(
            site.base + f"/desk/announcements/{number}/send", data={"csrf": csrf}
        ) as again:
            assert again.status == 409  # confirmed once: the chat's refusal, nothing twice
            assert "zostało już potwierdzone" in await again.text()

        out = io.StringIO()
        console = ConsoleTransport(site.router, io.StringIO(), out, "/tmp")
        await OutboxDispatcher(site.db, site.clock, {"console": console}).run_once()
        assert out.getvalue().count("📣 Ogłoszenie — MIASTO CYFROWE") == 1 + len(people)
        copies = _copies(site)
        assert {c.status for c in copies} == {"sent"}
        assert {c.person_id for c in copies if c.person_id} == people
        assert [c.payload["pin"] for c in copies if not c.person_id] == [True]

        status, report = await _get(site, http, f"/desk/announcements/{number}")
        assert status == 200 and "Raport doręczenia" in report
        assert "Czaty: wysłane 1, nieudane 0, w kolejce 0." in report
        assert f"Osoby: wysłane {len(people)}, nieudane 0, w kolejce 0." in report
        status, listing = await _get(site, http, "/desk/announcements")
        assert f"Osoby: wysłane {len(people)}, nieudane 0" in listing and "wysłane" in listing
        async with http.get(site.base + f"/desk/announcements/{number}/report.csv") as got:
            assert got.status == 200
            rows = list(
                csv.reader(io.StringIO((await got.read()).decode("utf-8-sig")), delimiter=";")
            )
        assert rows[0] == ["typ", "odbiorca", "platforma", "stan", "powód", "czas"]
        assert len(rows) == 2 + len(people)
        status, english = await _get(site, http, f"/desk/announcements/{number}?lang=en")
        assert status == 200 and "Delivery report" in english
        assert "Chats: 1 sent, 0 failed, 0 waiting." in english
        status, english = await _get(site, http, "/desk/announcements")
        assert "New announcement" in english and "Preview" in english


async def test_a_scheduled_announcement_goes_out_at_its_time(site: Desk) -> None:
    async with site.browser() as http:
        await site.sign_in(http, site.cast.coordinator)
        csrf = await site.csrf(http, "/desk/announcements")
        status, preview, url = await _post(
            site,
            http,
            "/desk/announcements",
            _form(csrf, "cyfrowe", delivery="chats", send_at="2026-11-24T09:30"),
        )
        assert status == 200, preview
        number = _number(url)
        assert "24 listopada 2026, 09:30" in preview and "Zaplanuj" in preview
        status, scheduled, _ = await _post(
            site, http, f"/desk/announcements/{number}/send", {"csrf": csrf}
        )
        assert status == 200 and "zaplanowano" in scheduled.lower()
        assert "Anuluj ogłoszenie" in scheduled
        jobs = DueDispatcher(site.db, site.clock, site.settings)
        await jobs.run_once()
        assert _copies(site) == []  # not yet: 10:00 Warsaw now, due tomorrow 9:30
        site.clock.set(site.clock.now() + timedelta(days=1))
        await jobs.run_once()
        await jobs.run_once()  # nothing twice
        copies = _copies(site)
        assert [(c.announcement_id, c.person_id) for c in copies] == [(number, None)]
    async with site.browser() as http:  # a day later: a new session
        await site.sign_in(http, site.cast.coordinator)
        status, page = await _get(site, http, f"/desk/announcements/{number}")
        assert status == 200 and "Czaty: wysłane 0, nieudane 0, w kolejce 1." in page
        out = io.StringIO()
        console = ConsoleTransport(site.router, io.StringIO(), out, "/tmp")
        await OutboxDispatcher(site.db, site.clock, {"console": console}).run_once()
        assert "📣 Ogłoszenie — MIASTO CYFROWE" in out.getvalue()
        status, page = await _get(site, http, f"/desk/announcements/{number}")
        assert "Czaty: wysłane 1, nieudane 0, w kolejce 0." in page


async def test_a_refused_form_keeps_what_was_written(site: Desk) -> None:
    async with site.browser() as http:
        await site.sign_in(http, site.cast.coordinator)
        csrf = await site.csrf(http, "/desk/announcements")
        for fields, reason in (
            ({"send_at": "2020-01-01T10:00"}, "przeszłość"),
            ({"send_at": "jutro; rano"}, "datę i godzinę"),
            ({"audience": "wszyscy-i-nikt"}, "Wybierz"),
        ):
            status, page, _ = await _post(
                site, http, "/desk/announcements", _form(csrf, "cyfrowe", **fields)
            )
            assert status == 422 and reason in page, (fields, page)
            assert _textarea(page) == TEXT  # the text as written, `;` and all
            assert re.search(r'value="cyfrowe" checked', page)
        status, page, _ = await _post(site, http, "/desk/announcements", _form(csrf))
        assert status == 422 and "Wybierz co najmniej jedną sieć" in page
        assert _textarea(page) == TEXT
        long = "x" * 4001
        status, page, _ = await _post(
            site, http, "/desk/announcements", _form(csrf, "cyfrowe", text=long)
        )
        assert status == 422 and _textarea(page) == long
        # no CSRF token: nothing happens
        status, page, _ = await _post(site, http, "/desk/announcements", _form("forged", "cyfrowe"))
        assert status == 403
        assert _announcements(site) == []


async def test_a_draft_changed_or_cancelled_and_a_scheduled_one_cancelled(site: Desk) -> None:
    async with site.browser() as http:
        await site.sign_in(http, site.cast.coordinator)
        csrf = await site.csrf(http, "/desk/announcements")
        _, _, url = await _post(site, http, "/desk/announcements", _form(csrf, "cyfrowe"))
        first = _number(url)
        status, page, _ = await _post(
            site, http, f"/desk/announcements/{first}/change", {"csrf": csrf}
        )
        assert status == 200 and _textarea(page) == TEXT
        assert f"Ogłoszenie nr {first} wróciło do formularza" in page
        assert re.search(r'value="cyfrowe" checked', page)
        assert re.search(r'value="private" checked', page)
        _, _, url = await _post(
            site,
            http,
            "/desk/announcements",
            _form(csrf, "cyfrowe", send_at="2026-11-30T12:00"),
        )
        second = _number(url)
        await _post(site, http, f"/desk/announcements/{second}/send", {"csrf": csrf})
        status, page, _ = await _post(
            site, http, f"/desk/announcements/{second}/cancel", {"csrf": csrf}
        )
        assert status == 200 and "anulowano" in page
    with site.db.session() as s:
        assert s.get(Announcement, first).status == "cancelled"
        assert s.get(Announcement, second).status == "cancelled"
    site.clock.set(site.clock.now() + timedelta(days=10))
    await DueDispatcher(site.db, site.clock, site.settings).run_once()
    assert _copies(site) == []


async def test_refused_for_those_who_may_not_announce_there(site: Desk) -> None:
    async with site.browser() as http:  # the coordinator's announcement, to look for later
        await site.sign_in(http, site.cast.coordinator)
        csrf = await site.csrf(http, "/desk/announcements")
        _, _, url = await _post(site, http, "/desk/announcements", _form(csrf, "cyfrowe"))
        number = _number(url)
        status, _, _ = await _post(
            site, http, "/desk/announcements", _form(csrf, "cyfrowe", "liderzy")
        )
        assert status == 404  # the leaders' network stays closed
        status, _, _ = await _post(site, http, "/desk/announcements", _form(csrf, "zielone"))
        assert status == 404
    paths = (
        f"/desk/announcements/{number}",
        f"/desk/announcements/{number}/report.csv",
    )
    forms = [f"/desk/announcements/{number}/{act}" for act in ("send", "change", "cancel")]
    async with site.browser() as http:  # the coordinator of another network
        await site.sign_in(http, site.cast.other_coordinator)
        status, page = await _get(site, http, "/desk/announcements")
        assert status == 200 and 'value="zielone"' in page
        assert 'value="cyfrowe"' not in page and 'value="liderzy"' not in page
        for path in paths:
            status, page = await _get(site, http, path)
            assert status == 404 and "Spotkanie" not in page, path
        csrf = await site.csrf(http, "/desk/announcements")
        for path in forms:
            status, _, _ = await _post(site, http, path, {"csrf": csrf})
            assert status == 404, path
        status, _, _ = await _post(site, http, "/desk/announcements", _form(csrf, "cyfrowe"))
        assert status == 404
    # a representative holding a session (made directly: /panel refuses them), and an expert
    with site.db.session() as s:
        token = desk.start(s, site.cast.laureate_rep, site.clock.now())
    async with site.browser() as rep, site.browser() as expert:
        rep.cookie_jar.update_cookies({"empirie_desk": token})
        await site.sign_in(expert, site.cast.expert)
        for http in (rep, expert):
            status, home = await _get(site, http, "/desk")
            assert 'href="/desk/announcements"' not in home
            for path in ("/desk/announcements", *paths):
                status, _ = await _get(site, http, path)
                assert status == 404, path
            csrf = await site.csrf(http, "/desk")
            for path in ("/desk/announcements", *forms):
                status, _, _ = await _post(site, http, path, _form(csrf, "cyfrowe"))
                assert status == 404, path
    [only] = _announcements(site)
    assert only.id == number and only.status == "draft"
    assert _copies(site) == []


async def test_the_team_announces_to_the_leaders_network(site: Desk) -> None:
    async with site.browser() as http:
        await site.sign_in(http, site.cast.team)
        status, page = await _get(site, http, "/desk/announcements")
        assert 'value="liderzy"' in page and 'value="cyfrowe"' in page
        csrf = await site.csrf(http, "/desk/announcements")
        status, preview, url = await _post(
            site, http, "/desk/announcements", _form(csrf, "liderzy", audience="leaders")
        )
        assert status == 200 and "LEADERSHIP" in preview
        assert "tylko prywatnie" in preview  # a restricted audience: privately only
        status, sent, _ = await _post(
            site, http, f"/desk/announcements/{_number(url)}/send", {"csrf": csrf}
        )
        assert status == 200 and "Wysyłam" in sent
    copies = _copies(site)
    assert copies and all(c.person_id for c in copies)
    assert site.cast.mayor in {c.person_id for c in copies}


async def test_the_report_names_who_did_not_get_it_and_why(site: Desk) -> None:
    from bot.pacing import Limits, Pacer
    from bot.transports import DeliveryError

    blocked = str(site.cast.laureate_rep)

    class Blocking:  # a platform where one person has blocked the bot
        platform = "console"
        max_text = 4096
        pacer = Pacer(Limits(0.0, 1000, 1000), lambda chat_id: False)

        async def send_part(self, target, part):  # type: ignore[no-untyped-def]
            if target.chat_id == blocked:
                raise DeliveryError("forbidden: bot was blocked by the user", permanent=True)
            return "1"

        async def edit(self, target, message_id, message):  # type: ignore[no-untyped-def]
            raise AssertionError("nothing is edited here")

    async with site.browser() as http:
        await site.sign_in(http, site.cast.coordinator)
        csrf = await site.csrf(http, "/desk/announcements")
        _, _, url = await _post(
            site, http, "/desk/announcements", _form(csrf, "cyfrowe", audience="core")
        )
        number = _number(url)
        await _post(site, http, f"/desk/announcements/{number}/send", {"csrf": csrf})
        status, page = await _get(site, http, f"/desk/announcements/{number}")
        assert re.search(r"Osoby: wysłane 0, nieudane 0, w kolejce [1-9]", page)  # not yet out
        await OutboxDispatcher(site.db, site.clock, {"console": Blocking()}).run_once()
        status, page = await _get(site, http, f"/desk/announcements/{number}")
        assert status == 200
    with site.db.session() as s:
        rep = s.get(directory.Person, site.cast.laureate_rep)
        assert rep is not None
    row = next(r for r in page.split("<tr") if rep.display_name in r)
    assert "nieudane" in row and "zablokowany" in row, row
    assert re.search(r"Osoby: wysłane \d+, nieudane 1, w kolejce 0\.", page)

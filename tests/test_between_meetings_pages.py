"""The work plan's and the consultations' pages in a real browser (Chromium through Playwright,
against the bot's HTTP server on 127.0.0.1, at phone width): the coordinator writes the actions
agreed at a meeting on a multi-line form (a wrong line comes back with the reason and nothing
written is lost); a representative gives and rewrites an opinion on the consultation's page,
found from the chat's link and the hub; people outside the audience get no form."""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from playwright.async_api import Browser
from sqlmodel import select

from bot import pages
from bot.http import HttpServer
from bot.router import Router
from core import links
from core.clock import FrozenClock
from core.config import Settings
from models import seed
from models.consultations import Opinion
from models.db import Database
from models.outbox import OutboxMessage
from models.workplan import PlanAction
from tests.cast import Cast, find_cast
from tests.conftest import Chat
from tests.test_pages_browser import PHONE, shot
from tests.test_pages_browser import browser as browser


@dataclass
class Site:
    db: Database
    clock: FrozenClock
    settings: Settings
    chat: Chat
    cast: Cast

    def link(self, person: int, purpose: str, **params: int) -> str:
        url = links.page_url(self.db, self.settings, person, purpose, self.clock.now(), **params)
        assert url is not None
        return url


@pytest.fixture
async def site(tmp_path: Path, clock: FrozenClock, settings: Settings) -> AsyncIterator[Site]:
    db = Database(f"sqlite:///{tmp_path / 'pages.db'}")
    db.create_all()
    with db.session() as s:
        seed.seed_demo(s, clock.now())
    configured = settings.model_copy(update={"public_url": "http://127.0.0.1:1"})
    router = Router(db, clock, configured)
    http = HttpServer("127.0.0.1", 0)
    pages.install(http, router)
    await http.start()
    configured.public_url = f"http://127.0.0.1:{http.port}"
    try:
        yield Site(db, clock, configured, Chat(router), find_cast(db))
    finally:
        await http.stop()
        db.dispose()


async def test_the_actions_agreed_at_a_meeting_on_a_multi_line_form(
    site: Site, browser: Browser
) -> None:
    c = site.cast.coordinator
    await site.chat.text(
        c, "/spotkanie_nowe cyfrowe; Spotkanie II; 25.11.2026 10:00; online; 4", chat="cyfrowe"
    )
    [started] = await site.chat.say(c, "/dzialania_ze_spotkania 1")
    [url] = [a.url for a in started.actions if a.url]  # the chat offers the page
    assert url and f"/p/{links.PLAN_ACTIONS}/" in url

    context = await browser.new_context(viewport=PHONE, locale="pl-PL")
    page = await context.new_page()
    await page.goto(url)
    assert await page.get_by_role("heading", level=1).inner_text() == (
        "Działania uzgodnione na spotkaniu"
    )
    assert "Spotkanie nr 1, „Spotkanie II”" in await page.locator("section.card").inner_text()
    assert await page.locator("#existing").inner_text() == "Jeszcze nic."
    written = (
        "Ankieta o e-usługach; Łomża; 29.01.2027\n"
        "Mapa procesów; Radom; 12.02.2027\n"
        "Wzór umowy <script>alert(1)</script>; Świdnik; 12.02.2027"
    )
    field = page.get_by_label("Uzgodnione działania, po jednym w wierszu")
    await field.fill(written)
    await page.get_by_role("button", name="Dodaj do planu").click()
    alert = await page.get_by_role("alert").inner_text()
    assert "Wiersz 2 („Mapa procesów; Radom; 12.02.2027”): Nie znam „Radom”" in alert, alert
    assert await field.input_value() == written  # nothing written is lost
    with site.db.session() as s:
        assert s.exec(select(PlanAction)).all() == []  # and nothing half-added

    await field.fill(written.replace("Radom", "Gniezno"))
    await page.get_by_role("button", name="Dodaj do planu").click()
    status = await page.get_by_role("status").inner_text()
    assert "Do planu ze spotkania nr 1 dodano 3 działania:" in status, status
    existing = await page.locator("#existing").inner_text()
    assert "Mapa procesów — Gniezno — termin 12.02.2027 — planowane" in existing
    assert "Wzór umowy <script>alert(1)</script> — Świdnik" in existing  # text, not markup
    await shot(page, "plan_actions")
    await context.close()
    with site.db.session() as s:
        assert len(s.exec(select(PlanAction).where(PlanAction.meeting_id == 1)).all()) == 3

    # a representative's link to the same page: the list, no form
    context = await browser.new_context(viewport=PHONE, locale="pl-PL")
    page = await context.new_page()
    await page.goto(site.link(site.cast.laureate_rep, links.PLAN_ACTIONS, meeting=1))
    assert await page.locator("form").count() == 0
    assert "Działania wpisują koordynatorzy" in await page.locator("main").inner_text()
    await context.close()


async def test_an_opinion_given_and_rewritten_on_the_consultation_page(
    site: Site, browser: Browser
) -> None:
    c, rep = site.cast.coordinator, site.cast.laureate_rep
    await site.chat.text(
        c,
        "/konsultacja cyfrowe; Rekomendacje e-usług; 7.12.2026 12:00; rdzeń; "
        "Proponujemy <b>wspólny</b> standard.\nDrugi akapit.",
    )
    with site.db.session() as s:
        [sent] = s.exec(
            select(OutboxMessage).where(
                OutboxMessage.kind == "consultation", OutboxMessage.person_id == rep
            )
        ).all()
    [url] = [a[2] for a in sent.payload["actions"] if len(a) > 2 and a[2]]

    context = await browser.new_context(viewport=PHONE, locale="pl-PL")
    page = await context.new_page()
    await page.goto(site.link(rep, links.HUB))  # the hub lists it as waiting
    assert "Twoja opinia: Rekomendacje e-usług" in await page.locator("main").inner_text()
    await page.goto(url)
    assert await page.get_by_role("heading", level=1).inner_text() == "Twoja opinia"
    body = await page.locator("#body").inner_text()
    assert "Proponujemy <b>wspólny</b> standard." in body and "Drugi akapit." in body
    assert await page.locator("#opinion-state").inner_text() == "Jeszcze jej nie ma."
    await page.get_by_role("button", name="Wyślij opinię").click()  # empty
    assert "Napisz swoją opinię." in await page.get_by_role("alert").inner_text()
    await page.get_by_label("Twoja opinia", exact=True).fill("Popieramy.\nPotrzebny wzór umowy.")
    await page.get_by_role("button", name="Wyślij opinię").click()
    assert "zapisana" in await page.get_by_role("status").inner_text()
    assert "Potrzebny wzór umowy." in await page.locator("#opinion-state").inner_text()
    await page.get_by_label("Zmień swoją opinię").fill("Popieramy w całości.")
    await page.get_by_role("button", name="Wyślij opinię").click()
    said = await page.get_by_role("status").inner_text()
    assert "zmieniona" in said and "na tej stronie" in said, said
    assert "/opinia" not in said, said  # on a page, no command to type
    await shot(page, "consultation_opinion")
    await page.goto(site.link(rep, links.HUB))
    assert "Rekomendacje e-usług" not in await page.locator("main").inner_text()
    await context.close()
    with site.db.session() as s:
        [opinion] = s.exec(select(Opinion)).all()
    assert opinion.person_id == rep and opinion.text == "Popieramy w całości."

    # an observer city is not asked in this one: the page says so, no form
    context = await browser.new_context(viewport=PHONE, locale="pl-PL")
    page = await context.new_page()
    await page.goto(site.link(site.cast.observer_rep, links.CONSULTATION, consultation=1))
    assert "pyta o opinię inne miasta" in await page.locator("#state").inner_text()
    assert await page.locator("form").count() == 0
    await context.close()


async def test_the_meeting_note_written_on_its_page(site: Site, browser: Browser) -> None:
    from models.materials import Material
    from tests.materials_data import meeting_held

    c = site.cast.coordinator
    number = meeting_held(site.db, site.cast, site.clock.now())
    await site.chat.text(c, f"/material {number} otwarta https://miro.com/app/board/uXj=/ Tablica")
    [started] = await site.chat.say(c, f"/notatka {number}")
    [url] = [a.url for a in started.actions if a.url]  # the chat offers the page
    assert url and f"/p/{links.MEETING_NOTE}/" in url

    context = await browser.new_context(viewport=PHONE, locale="pl-PL")
    page = await context.new_page()
    await page.goto(url)
    assert await page.get_by_role("heading", level=1).inner_text() == "Notatka ze spotkania"
    sent = await page.locator("#sent").inner_text()
    assert "Tablica" in sent and "(część otwarta)" in sent
    assert await page.get_by_role("link", name="Tablica").get_attribute("href") == (
        "https://miro.com/app/board/uXj=/"
    )
    field = page.get_by_label("Notatka: przebieg spotkania, wnioski, kolejne kroki")
    await page.get_by_role("button", name="Wyślij notatkę").click()
    assert "Napisz notatkę." in await page.get_by_role("alert").inner_text()
    written = "Przebieg: wykłady i warsztaty.\n\nWnioski: <b>wspólny</b> standard e-usług."
    await field.fill(written)
    await page.get_by_role("button", name="Wyślij notatkę").click()
    status = await page.get_by_role("status").inner_text()
    assert "wysłane prywatnie do 3 osób" in status, status
    assert "<b>wspólny</b>" in await page.locator("#sent").inner_text()  # text, not markup
    await shot(page, "meeting-note")
    await context.close()
    with site.db.session() as s:
        notes = [m for m in s.exec(select(Material)).all() if m.kind == "note"]
    assert [n.body for n in notes] == [written] and not notes[0].open_part

    # the observer's link to the same page: the open part's material only, no form
    context = await browser.new_context(viewport=PHONE, locale="pl-PL")
    page = await context.new_page()
    await page.goto(site.link(site.cast.observer_rep, links.MEETING_NOTE, meeting=number))
    assert await page.locator("form").count() == 0
    sent = await page.locator("#sent").inner_text()
    assert "Tablica" in sent and "Przebieg" not in sent
    await context.close()

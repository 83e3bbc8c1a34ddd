"""The answer pages in a real browser: Debian's chromium driven by Playwright, against the
bot's HTTP server on 127.0.0.1. Screenshots at phone width go to tests/artifacts/."""

from __future__ import annotations

import re
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path
from urllib.parse import urljoin

import pytest
from playwright.async_api import Browser, Page, async_playwright
from sqlmodel import select

from bot import pages
from bot.http import HttpServer
from bot.router import Router
from core import links
from core.clock import FrozenClock
from core.config import Settings
from models import privacy, seed
from models.db import Database
from models.meetings import Meeting, rsvps
from tests.cast import Cast, find_cast
from tests.conftest import Chat

CHROMIUM = "/usr/bin/chromium"
ARTIFACTS = Path(__file__).parent / "artifacts"
PHONE = {"width": 390, "height": 844}
ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
NEW = (
    "/spotkanie_nowe cyfrowe; Spotkanie II; 12.05.2027 10:00; hybrydowe; 6; "
    "Łomża, ul. Długa 1; https://meet.example.org/x; 1; tak; 5.05.2027 12:00"
)


@pytest.fixture
async def browser() -> AsyncIterator[Browser]:
    async with async_playwright() as playwright:
        launched = await playwright.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        yield launched
        await launched.close()


@dataclass
class Site:
    db: Database
    clock: FrozenClock
    settings: Settings
    router: Router
    chat: Chat
    cast: Cast
    meeting: int

    def link(
        self, person: int, purpose: str = links.RSVP, ttl: timedelta | None = None, **params: int
    ) -> str:
        if purpose == links.RSVP and not params:
            params = {"meeting": self.meeting}
        url = links.page_url(
            self.db, self.settings, person, purpose, self.clock.now(), ttl=ttl, **params
        )
        assert url is not None
        return url

    async def attendance(self) -> str:
        return await self.chat.text(self.cast.coordinator, f"/obecnosc {self.meeting}")


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
    chat = Chat(router)
    cast = find_cast(db)
    await chat.text(cast.coordinator, NEW)
    with db.session() as s:
        meeting = s.exec(select(Meeting)).one()
    try:
        yield Site(db, clock, configured, router, chat, cast, meeting.id or 0)
    finally:
        await http.stop()
        db.dispose()


@pytest.fixture
async def page(browser: Browser) -> AsyncIterator[Page]:
    context = await browser.new_context(viewport=PHONE, device_scale_factor=1, locale="pl-PL")
    opened = await context.new_page()
    yield opened
    await context.close()


async def shot(page: Page, name: str) -> None:
    ARTIFACTS.mkdir(exist_ok=True)
    await page.screenshot(path=str(ARTIFACTS / f"{name}.png"), full_page=True)


async def test_open_the_invitation_answer_and_the_coordinator_sees_it(
    site: Site, page: Page
) -> None:
    response = await page.goto(site.link(site.cast.laureate_rep))
    assert response is not None and response.status == 200
    assert await page.get_attribute("html", "lang") == "pl"
    await shot(page, "rsvp_pl")
    assert await page.get_by_role("heading", level=1).inner_text() == "Odpowiedz na zaproszenie"
    assert "MIASTO CYFROWE" in await page.locator("header").inner_text()
    assert "spotkanie hybrydowe" in await page.locator("dl").inner_text()
    assert "Nie ma jeszcze Twojej odpowiedzi." in await page.locator("#answer-state").inner_text()
    assert (
        "Możesz odpowiedzieć lub zmienić odpowiedź do środy, 5 maja 2027, 12:00"
        in await page.locator("#deadline").inner_text()
    )
    await page.get_by_label("Stacjonarnie").check()
    await page.get_by_label("Uwagi dla organizatorów").fill("bez glutenu")
    await page.get_by_role("button", name="Wyślij odpowiedź").click()
    status = page.get_by_role("status")
    assert re.search(
        r"Zapisano Cię na spotkanie nr \d+ \(stacjonarnie\)", await status.inner_text()
    )
    await shot(page, "rsvp_answered")
    assert "Stacjonarnie" in await page.locator("#answer-state").inner_text()
    overview = await site.attendance()
    assert "Dotychczasowe odpowiedzi: stacjonarnie 1" in overview
    assert "bez glutenu" in overview

    # a second person gets the waitlist, and the page says where they stand
    await page.goto(site.link(site.cast.laureate_rep2))
    assert (
        "Zajęto 1 z 1 miejsca stacjonarnego; na liście rezerwowej jest 0 osób."
        in await page.locator("main").inner_text()
    )
    await page.get_by_label("Stacjonarnie").check()
    await page.get_by_role("button", name="Wyślij odpowiedź").click()
    assert "jesteś na liście rezerwowej" in await page.get_by_role("status").inner_text()
    assert (
        "jesteś na liście rezerwowej na miejscu 1"
        in await page.locator("#answer-state").inner_text()
    )
    await shot(page, "rsvp_waitlist")
    assert "Lista rezerwowa:" in await site.attendance()


async def test_keyboard_only_answer(site: Site, page: Page) -> None:
    await page.goto(site.link(site.cast.laureate_rep))
    await page.get_by_label("Online").focus()
    await page.keyboard.press("Space")
    await page.get_by_role("button", name="Wyślij odpowiedź").focus()
    await page.keyboard.press("Enter")
    await page.get_by_role("status").wait_for()
    assert "· online 1 ·" in await site.attendance()


async def test_the_rules_are_the_chats_observer_cannot_take_a_seat(site: Site, page: Page) -> None:
    """The observer's page offers only what an observer may answer; a seat asked for anyway
    (a forged form) is refused by the chat's rule, and nothing is stored."""
    await page.goto(site.link(site.cast.observer_rep))
    offered = await page.locator("input[name=answer]").evaluate_all("els => els.map(e => e.value)")
    assert offered == ["online", "nie"]
    assert await page.get_by_label("Stacjonarnie").count() == 0
    form = page.locator("form")
    action = await form.get_attribute("action")
    csrf = await form.locator("input[type=hidden]").first.get_attribute("value")
    name = await form.locator("input[type=hidden]").first.get_attribute("name")
    assert action and csrf and name
    forged = await page.request.post(
        urljoin(page.url, action), form={name: csrf, "answer": "stacjonarnie", "note": ""}
    )
    assert forged.status == 409
    assert "online" in (await forged.text()).lower()
    with site.db.session() as s:
        assert rsvps(s, site.meeting) == []


async def test_after_the_deadline_the_page_says_so_and_nothing_changes(
    site: Site, page: Page
) -> None:
    url = site.link(site.cast.laureate_rep, ttl=timedelta(days=365))
    with site.db.session() as s:
        deadline = s.get(Meeting, site.meeting).rsvp_deadline  # type: ignore[union-attr]
    site.clock.set(deadline + timedelta(minutes=1))
    await page.goto(url)
    assert "Termin odpowiedzi minął" in await page.locator("#deadline").inner_text()
    assert await page.locator("form").count() == 0
    await shot(page, "rsvp_deadline_passed")
    # a form kept open from before is still judged by the handler's deadline rule
    form_page = await page.context.new_page()
    site.clock.set(deadline - timedelta(minutes=1))
    await form_page.goto(url)
    site.clock.set(deadline + timedelta(minutes=1))
    await form_page.get_by_label("Online").check()
    await form_page.get_by_role("button", name="Wyślij odpowiedź").click()
    assert "Termin odpowiedzi minął" in await form_page.get_by_role("status").inner_text()
    with site.db.session() as s:
        assert rsvps(s, site.meeting) == []


async def test_tampered_expired_other_purpose_and_erased_links_are_refused(
    site: Site, page: Page
) -> None:
    url = site.link(site.cast.laureate_rep)
    body, signature = url.rsplit(".", 1)
    tampered = body + "." + ("A" if signature[0] != "A" else "B") + signature[1:]
    response = await page.goto(tampered)
    assert response is not None and response.status == 403
    assert "Ten link jest nieprawidłowy" in await page.get_by_role("alert").inner_text()
    assert await page.locator("form").count() == 0
    await shot(page, "refused_tampered")

    other = url.replace("/p/rsvp/", "/p/hub/")
    response = await page.goto(other)
    assert response is not None and response.status == 403
    assert "innej strony" in await page.get_by_role("alert").inner_text()

    site.clock.advance(timedelta(days=site.settings.page_link_days, seconds=1))
    response = await page.goto(url)
    assert response is not None and response.status == 410
    assert "Ten link wygasł" in await page.get_by_role("alert").inner_text()
    await shot(page, "refused_expired")

    fresh = site.link(site.cast.laureate_rep)
    with site.db.session() as s:
        privacy.erase(s, site.cast.laureate_rep, site.clock.now())
    response = await page.goto(fresh)
    assert response is not None and response.status == 403
    assert "już nie działa" in await page.get_by_role("alert").inner_text()
    with site.db.session() as s:
        assert rsvps(s, site.meeting) == []


async def test_a_form_without_its_csrf_token_is_refused(site: Site, page: Page) -> None:
    url = site.link(site.cast.laureate_rep)
    await page.goto(url)  # the page sets the CSRF cookie; the forged post carries it
    forged = await page.request.post(url, form={"answer": "online"})
    assert forged.status == 403
    assert "Formularz wygasł" in await forged.text()
    wrong = await page.request.post(url, form={"answer": "online", "csrf": "0" * 64})
    assert wrong.status == 403
    with site.db.session() as s:
        assert rsvps(s, site.meeting) == []
    assert "· online 0 ·" in await site.attendance()


async def test_security_headers(site: Site, page: Page) -> None:
    response = await page.goto(site.link(site.cast.laureate_rep))
    assert response is not None
    headers = response.headers
    assert "no-store" in headers["cache-control"]
    assert "frame-ancestors 'none'" in headers["content-security-policy"]
    assert headers["referrer-policy"] == "no-referrer"
    assert headers["x-content-type-options"] == "nosniff"
    cookie = next(c for c in await page.context.cookies() if c["name"] == "empirie_csrf")
    assert cookie["httpOnly"] and cookie["sameSite"] == "Lax"


async def test_english_switch(site: Site, page: Page) -> None:
    await page.goto(site.link(site.cast.laureate_rep))
    await page.get_by_role("link", name="English").click()
    assert await page.get_attribute("html", "lang") == "en"
    assert await page.get_by_role("heading", level=1).inner_text() == "Answer the invitation"
    assert "hybrid meeting" in await page.locator("dl").inner_text()
    await shot(page, "rsvp_en")
    await page.get_by_label("Online").check()
    await page.get_by_role("button", name="Send my answer").click()
    assert "You are down for meeting #1, online." in await page.get_by_role("status").inner_text()
    assert await page.get_attribute("html", "lang") == "en"
    await page.get_by_role("link", name="Polski").click()
    assert await page.get_attribute("html", "lang") == "pl"


async def test_hub_and_my_meetings(site: Site, page: Page) -> None:
    await page.goto(site.link(site.cast.laureate_rep, links.HUB))
    assert await page.get_by_role("heading", level=1).inner_text() == "Czeka na Ciebie"
    assert "MIASTO CYFROWE" in await page.locator("header").inner_text()
    item = page.get_by_role("listitem").filter(has_text="Odpowiedz na zaproszenie: Spotkanie II")
    assert "Odpowiedz do środy, 5 maja 2027, 12:00" in await item.inner_text()
    await shot(page, "hub")
    await page.get_by_role("link", name="Moje najbliższe spotkania").click()
    assert await page.get_by_role("heading", level=1).inner_text() == "Moje najbliższe spotkania"
    assert "bez odpowiedzi" in (await page.locator("main").inner_text()).lower()
    await shot(page, "meetings")
    await page.get_by_role("link", name=re.compile("Odpowiedz lub zmień")).click()
    await page.get_by_label("Może").check()
    await page.get_by_role("button", name="Wyślij odpowiedź").click()
    await page.get_by_role("status").wait_for()
    await page.goto(site.link(site.cast.laureate_rep, links.HUB))
    assert "Nic teraz na Ciebie nie czeka." in await page.locator("main").inner_text()
    await shot(page, "hub_empty")

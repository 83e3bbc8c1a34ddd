"""An announcement composed, previewed and sent from the staff desk in a real browser (Debian's
chromium driven by Playwright, no JavaScript), on both databases: on a laptop and on a tablet,
delivered through the outbox, its delivery report on the page; axe-core finds no serious or
critical violation on the compose page, the preview and the report. Screenshots and axe reports
go to tests/artifacts/."""

from __future__ import annotations

import io
from collections.abc import AsyncIterator

import pytest
from playwright.async_api import Browser, async_playwright

from bot.outbox import OutboxDispatcher
from bot.transports.console import ConsoleTransport
from core.clock import FrozenClock
from core.config import Settings
from models.db import Database
from tests.desk_site import Desk, serve
from tests.test_announcements import expected_people
from tests.test_desk_browser import DESKTOP, TABLET, audit, signed_in
from tests.test_pages_browser import ARGS, CHROMIUM, shot

TEXT = (
    "**Zebranie sieci** 12 maja o 10:00.\n- program w załączniku\n- [rejestracja](https://zmp.pl)"
)


@pytest.fixture
async def browser() -> AsyncIterator[Browser]:
    async with async_playwright() as playwright:
        launched = await playwright.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        yield launched
        await launched.close()


@pytest.fixture
async def site(seeded: Database, clock: FrozenClock, settings: Settings) -> AsyncIterator[Desk]:
    async with serve(seeded, clock, settings) as served:
        yield served


@pytest.mark.parametrize("width", ["desktop", "tablet"])
async def test_a_coordinator_composes_previews_and_sends_an_announcement(
    browser: Browser, site: Desk, width: str
) -> None:
    people = expected_people(site.db, "cyfrowe")
    viewport = DESKTOP if width == "desktop" else TABLET
    context, page = await signed_in(browser, site, site.cast.coordinator, viewport)
    await page.get_by_role("link", name="MIASTO CYFROWE").first.click()
    await page.get_by_role("link", name="Wyślij ogłoszenie do tej sieci").click()
    assert await page.get_by_role("heading", level=1).inner_text() == "Ogłoszenia"
    assert await page.get_by_role("checkbox", name="MIASTO CYFROWE").is_checked()
    assert await page.get_by_role("checkbox").count() == 2  # cyfrowe and pinning: nothing else
    await page.get_by_label("Treść ogłoszenia").fill(TEXT)
    await page.get_by_role("radio", name="czaty sieci i prywatnie do każdej osoby").check()
    await shot(page, f"desk_announce_compose_{width}")
    await page.get_by_role("button", name="Podgląd").click()

    heading = await page.get_by_role("heading", level=1).inner_text()
    assert heading.startswith("Ogłoszenie nr")
    number = heading.removeprefix("Ogłoszenie nr ")
    message = page.locator("#message")
    shown = await message.inner_text()
    assert shown.startswith("📣 Ogłoszenie — MIASTO CYFROWE")
    assert "• program w załączniku" in shown and "**" not in shown
    assert await message.locator("b", has_text="Zebranie sieci").count() == 1
    assert await message.get_by_role("link", name="rejestracja").get_attribute("href") == (
        "https://zmp.pl"
    )
    reach = await page.locator("#reach").inner_text()
    assert f"Ogłoszenie trafi na 1 czat grupowy i prywatnie do {len(people)} osób." in reach
    await shot(page, f"desk_announce_preview_{width}")
    await page.get_by_role("button", name="Wyślij").click()
    assert "Wysyłam ogłoszenie nr" in await page.get_by_role("status").first.inner_text()

    out = io.StringIO()
    console = ConsoleTransport(site.router, io.StringIO(), out, "/tmp")
    await OutboxDispatcher(site.db, site.clock, {"console": console}).run_once()
    assert out.getvalue().count("📣 Ogłoszenie — MIASTO CYFROWE") == 1 + len(people)
    await page.goto(f"{site.base}/desk/announcements/{number}")  # later, the same page
    counts = await page.locator("#counts").inner_text()
    assert "Czaty: wysłane 1, nieudane 0, w kolejce 0." in counts
    assert f"Osoby: wysłane {len(people)}, nieudane 0, w kolejce 0." in counts
    rows = page.get_by_role("region", name="Raport doręczenia").get_by_role("row")
    assert await rows.count() == 1 + 1 + len(people)  # the header, the chat, the people
    await shot(page, f"desk_announce_report_{width}")
    await page.get_by_role("link", name="Wszystkie Twoje ogłoszenia").click()
    row = page.get_by_role("row", name=f"#{number}")
    assert "wysłane" in await row.inner_text()
    await context.close()
    if width == "desktop":  # axe at both widths (audit runs both) on every page of the flow
        await audit(browser, site, site.cast.coordinator, "/desk/announcements", "announce")
        await audit(browser, site, site.cast.coordinator, f"/desk/announcements/{number}", "report")


async def test_a_draft_preview_passes_the_accessibility_check(browser: Browser, site: Desk) -> None:
    reply = await site.chat.say(
        site.cast.coordinator, "/ogloszenie cyfrowe; rdzeń; czaty; nie; jutro 9:00; " + TEXT
    )
    number = reply[0].actions[0].command.rsplit(" ", 1)[1]
    await audit(
        browser, site, site.cast.coordinator, f"/desk/announcements/{number}", "announce_draft"
    )

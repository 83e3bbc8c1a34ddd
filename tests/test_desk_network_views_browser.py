"""A network's three desk views in a real browser (Debian's chromium driven by Playwright), on
both databases: the office-hours calendar, the funding calls (a call added and hidden through
the forms, without JavaScript) and the feedback results with their SVG charts — screenshots at
desktop and tablet widths in tests/artifacts/, and axe-core with no serious or critical
violation."""

from __future__ import annotations

import re
from collections.abc import AsyncIterator
from datetime import timedelta

import pytest
from playwright.async_api import Browser, Page

from core.clock import FrozenClock
from core.config import Settings
from models.db import Database
from tests.desk_site import Desk, serve
from tests.test_desk_browser import DESKTOP, TABLET, audit, browser, signed_in
from tests.test_desk_network_views import ADD, FIRST, SERIES, _closed_poll
from tests.test_pages_browser import shot

__all__ = ["browser"]  # the fixture, shared with the desk's other browser tests


@pytest.fixture
async def site(seeded: Database, clock: FrozenClock, settings: Settings) -> AsyncIterator[Desk]:
    async with serve(seeded, clock, settings) as served:
        yield served


async def _images_drawn(page: Page) -> bool:
    """Every image on the page loaded and has a size (the SVG charts, under the page's CSP)."""
    return bool(
        await page.evaluate(
            "Array.from(document.images).every(i => i.complete && i.naturalWidth > 0)"
        )
    )


async def test_office_hours_calendar_in_the_browser(browser: Browser, site: Desk) -> None:
    made = await site.chat.text(site.cast.expert, SERIES)
    sessions = [int(n) for n in re.findall(r"#(\d+) \d\d\.\d\d", made)]
    site.clock.set(FIRST - timedelta(days=6))
    booked = await site.chat.text(
        site.cast.laureate_rep, f"/dyzur_rezerwuj {sessions[0]} 2 cyfrowe usługi dla seniorów"
    )
    assert "Zarezerwowano" in booked, booked
    context, page = await signed_in(browser, site, site.cast.expert, TABLET)
    await page.get_by_role("link", name="MIASTO CYFROWE").first.click()
    await page.get_by_role("link", name="Kalendarz dyżurów").click()
    assert await page.get_by_role("heading", level=1).inner_text() == (
        "Dyżury eksperta — MIASTO CYFROWE"
    )
    first = page.get_by_role("region", name=re.compile(f"^#{sessions[0]} "))
    row = first.get_by_role("row").nth(2)  # the heading row, then slot 1, slot 2
    assert "cyfrowe usługi dla seniorów" in await row.inner_text()
    assert await first.get_by_role("cell", name="wolny").count() == 3
    await shot(page, "desk_office_hours_tablet_flow")
    await context.close()
    await audit(browser, site, site.cast.expert, "/desk/n/cyfrowe/office-hours", "office_hours")


async def test_funding_calls_added_and_hidden_in_the_browser(browser: Browser, site: Desk) -> None:
    context, page = await signed_in(browser, site, site.cast.coordinator, DESKTOP)
    await page.get_by_role("link", name="MIASTO CYFROWE").first.click()
    await page.get_by_role("link", name="Konkursy").click()
    for label, value in (
        ("Tytuł", "Cyfrowa gmina 2027"),
        ("Grantodawca lub program", ADD["funder"]),
        ("Link", ADD["link"]),
        ("Termin (np. 30.04.2027 albo 30.04.2027 12:00)", ADD["deadline"]),
        ("Kwota (zł)", ADD["amount"]),
        ("Tagi, rozdzielone przecinkami", ADD["tags"]),
    ):
        await page.get_by_label(label, exact=True).first.fill(value)
    await page.get_by_role("button", name="Dodaj konkurs").click()
    assert "Dodano konkurs" in await page.get_by_role("status").first.inner_text()
    calls = page.get_by_role("region", name=re.compile("Otwarte konkursy"))
    row = calls.get_by_role("row", name=re.compile("Cyfrowa gmina 2027"))
    assert "30.04.2027" in await row.inner_text()
    await shot(page, "desk_funding_added_desktop")
    await audit(browser, site, site.cast.coordinator, "/desk/n/cyfrowe/funding", "funding")
    await row.get_by_role("button", name=re.compile("^Ukryj")).click()
    assert "nie będzie się już pojawiał" in await page.get_by_role("status").first.inner_text()
    assert await calls.get_by_role("row", name=re.compile("Cyfrowa gmina 2027")).count() == 0
    await context.close()


async def test_feedback_results_and_trend_charts_in_the_browser(
    browser: Browser, site: Desk
) -> None:
    await _closed_poll(site)
    context, page = await signed_in(browser, site, site.cast.coordinator, DESKTOP)
    await page.get_by_role("link", name="MIASTO CYFROWE").first.click()
    await page.get_by_role("link", name="Wyniki ankiet i ich zmiany").click()
    await page.wait_for_load_state("load")  # the chart is drawn on the server, then loaded
    chart = page.get_by_role("img", name="Oceny kolejnych spotkań — MIASTO CYFROWE")
    assert await chart.count() == 1 and await _images_drawn(page)
    box = await chart.bounding_box()
    assert box is not None and box["width"] > 300 and box["height"] > 200
    table = page.get_by_role("table").first
    assert "4,3" in await table.inner_text()
    await shot(page, "desk_feedback_trend_desktop")
    await page.get_by_role("link", name=f"Wyniki spotkania nr {site.meeting}").click()
    await page.wait_for_load_state("load")
    assert "Średnia 4,3 na 5" in await page.locator("main").inner_text()
    await shot(page, "desk_feedback_meeting_desktop")
    await context.close()
    for path, name in (
        ("/desk/n/cyfrowe/feedback", "feedback"),
        (f"/desk/m/{site.meeting}/feedback", "feedback_meeting"),
    ):
        await audit(browser, site, site.cast.coordinator, path, name)
    context, page = await signed_in(browser, site, site.cast.coordinator, TABLET, script=True)
    await page.goto(site.base + "/desk/n/cyfrowe/feedback")
    assert await _images_drawn(page)
    await context.close()

"""The coordinator's report on its page in a real browser (Chromium through Playwright, against
the bot's HTTP server on 127.0.0.1, at phone width): the form shows what the bot knows, the
draft is saved and found again, a refused submit keeps everything written, the submitted report
is read-only; the coordinating team's list shows every submitted report; the hub offers the
report still to write; people who may not see reports get no page."""

from __future__ import annotations

from datetime import UTC, datetime
from zoneinfo import ZoneInfo

from playwright.async_api import Browser
from sqlmodel import select

from core import links
from models.reports import MeetingReport
from tests.test_between_meetings_pages import Site, site  # noqa: F401  (the fixture)
from tests.test_pages_browser import PHONE, shot
from tests.test_pages_browser import browser as browser

WARSAW = ZoneInfo("Europe/Warsaw")
COURSE = "Spotkanie w Łomży <script>alert(1)</script>\nDrugi akapit: źdźbło."


async def test_the_report_written_saved_submitted_and_listed_on_pages(
    site: Site,  # noqa: F811
    browser: Browser,
) -> None:
    c = site.cast.coordinator
    await site.chat.text(
        c, "/spotkanie_nowe cyfrowe; Spotkanie II; 25.11.2026 10:00; online; 4", chat="cyfrowe"
    )
    site.clock.set(datetime(2026, 11, 25, 15, 0, tzinfo=WARSAW).astimezone(UTC))
    [_facts, overview] = await site.chat.say(c, "/raport_koordynatora 1")
    [url] = [a.url for a in overview.actions if a.url]  # the chat offers the page
    assert url and f"/p/{links.MEETING_REPORT}/" in url

    context = await browser.new_context(viewport=PHONE, locale="pl-PL")
    page = await context.new_page()
    await page.goto(site.link(c, links.HUB))  # the hub lists the report still to submit
    assert "Twój raport ze spotkania nr 1 „Spotkanie II”" in await page.locator("main").inner_text()
    await page.goto(url)
    assert await page.get_by_role("heading", level=1).inner_text() == (
        "Sprawozdanie koordynatora ze spotkania"
    )
    facts = await page.locator("#facts").inner_text()
    assert "Obecność" in facts and "Według miast (obecni/zaproszeni)" in facts, facts
    await page.get_by_label("Przebieg spotkania").fill(COURSE)
    await page.get_by_role("button", name="Zapisz wersję roboczą").click()
    status = await page.get_by_role("status").inner_text()
    assert "Zapisano w wersji roboczej raportu ze spotkania nr 1: 4 części." in status, status
    assert "wersja robocza" in await page.locator("#report-state").inner_text()

    # a new visit finds the draft; a submit with empty sections is refused, nothing is lost
    await page.goto(url)
    assert await page.get_by_label("Przebieg spotkania").input_value() == COURSE
    await page.get_by_label("Wnioski").fill("Wspólny standard e-usług.")
    await page.get_by_role("button", name="Wyślij raport").click()
    refused = await page.get_by_role("status").inner_text()
    assert "Nie wysłano" in refused and "3. Rekomendacje; 4. Kolejne kroki" in refused, refused
    assert await page.get_by_label("Przebieg spotkania").input_value() == COURSE
    assert await page.get_by_label("Wnioski").input_value() == "Wspólny standard e-usług."

    await page.get_by_label("Rekomendacje").fill("[1]\nWzór umowy dla małych miast.")
    await page.get_by_label("Kolejne kroki").fill("Ankieta do 29 stycznia.")
    await page.get_by_role("button", name="Wyślij raport").click()
    assert "jest wysłany" in await page.get_by_role("status").inner_text()
    assert await page.locator("form").count() == 0  # submitted: read-only
    written = await page.locator("#written").inner_text()
    assert "<script>alert(1)</script>" in written and "Drugi akapit: źdźbło." in written
    assert "[1]\nWzór umowy dla małych miast." in written  # a mark in the text stays text
    await shot(page, "coordinator_report")
    await page.goto(site.link(c, links.HUB))
    assert "Twój raport ze spotkania" not in await page.locator("main").inner_text()
    await context.close()
    with site.db.session() as s:
        [report] = s.exec(select(MeetingReport)).all()
    assert report.submitted and report.texts()[0] == COURSE

    # the coordinating team's list of every submitted report
    context = await browser.new_context(viewport=PHONE, locale="pl-PL")
    page = await context.new_page()
    await page.goto(site.link(site.cast.team, links.REPORTS))
    assert await page.get_by_role("heading", level=1).inner_text() == "Raporty koordynatorów"
    listing = await page.locator("main").inner_text()
    assert "MIASTO CYFROWE: Spotkanie nr 1, „Spotkanie II”" in listing, listing
    await page.get_by_text("Części pisane przez koordynatora").click()
    assert "Wzór umowy dla małych miast." in await page.locator("details").inner_text()
    await shot(page, "coordinator_reports")
    await context.close()

    # a representative: no report page, and an empty list
    context = await browser.new_context(viewport=PHONE, locale="pl-PL")
    page = await context.new_page()
    rep = site.cast.laureate_rep
    answer = await page.goto(site.link(rep, links.MEETING_REPORT, meeting=1))
    assert answer is not None and answer.status == 404
    assert await page.locator("form").count() == 0
    await page.goto(site.link(rep, links.REPORTS))
    assert "Spotkanie II" not in await page.locator("main").inner_text()
    await context.close()

"""The staff desk in a real browser (Debian's chromium driven by Playwright), on both databases:
signing in with the `/panel` link, the coordinating team's glance and a network's page on a
laptop, the organiser's check-in desk on a tablet without JavaScript, the English switch, and
axe-core's accessibility check (no serious or critical violation) at both widths. Screenshots
and axe reports go to tests/artifacts/."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from openpyxl import load_workbook
from playwright.async_api import Browser, BrowserContext, Page, async_playwright

from core.clock import FrozenClock
from core.config import Settings
from models import directory
from models.db import Database
from tests import axe
from tests.desk_site import Desk, serve
from tests.test_pages_browser import ARGS, CHROMIUM, shot

DESKTOP = {"width": 1280, "height": 800}
TABLET = {"width": 820, "height": 1180}
PHONE = {"width": 390, "height": 844}
WIDTHS = {"desktop": DESKTOP, "tablet": TABLET}


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


async def signed_in(
    browser: Browser, site: Desk, person: int, viewport: dict[str, int], script: bool = False
) -> tuple[BrowserContext, Page]:
    """A browser at `viewport` signed in as `person` through the link `/panel` sends."""
    context = await browser.new_context(
        viewport=viewport,
        device_scale_factor=1,
        locale="pl-PL",
        java_script_enabled=script,
        bypass_csp=script,  # only for axe: the pages themselves allow no script at all
    )
    page = await context.new_page()
    response = await page.goto(await site.link(person))
    assert response is not None and response.status == 200
    await page.get_by_role("button", name="Zaloguj się").click()
    assert await page.get_by_role("heading", level=1).inner_text() == "Panel zespołu"
    return context, page


async def audit(browser: Browser, site: Desk, person: int, path: str, name: str) -> None:
    """axe at both widths on `path`, as `person`; no serious or critical violation."""
    for width, viewport in WIDTHS.items():
        context, page = await signed_in(browser, site, person, viewport, script=True)
        response = await page.goto(site.base + path)
        assert response is not None and response.status == 200
        assert await axe.violations(page, f"desk_{name}_{width}") == [], (name, width)
        await shot(page, f"desk_{name}_{width}")
        await context.close()


async def test_the_team_sees_every_network_and_a_networks_page(
    browser: Browser, site: Desk
) -> None:
    await site.chat.text(site.cast.laureate_rep, f"/rsvp {site.meeting} online")
    context, page = await signed_in(browser, site, site.cast.team, DESKTOP)
    assert await page.get_attribute("html", "lang") == "pl"
    cards = page.locator("section.card")
    assert await cards.count() == 8  # the seven open networks and the leaders'
    cyfrowe = page.locator("section.card", has_text="MIASTO CYFROWE")
    text = await cyfrowe.inner_text()
    assert "Najbliższe spotkanie: Spotkanie II" in text and "Online: 1" in text
    assert "nie odpowiedział" in text
    assert (
        "Spotkanie liderów"
        in await page.locator("section.card", has_text="LEADERSHIP").inner_text()
    )
    await shot(page, "desk_glance_desktop")
    await page.get_by_role("link", name="MIASTO CYFROWE").click()
    assert await page.get_by_role("heading", level=1).inner_text() == "MIASTO CYFROWE"
    roster = page.get_by_role("region", name="Skład sieci")
    with site.db.session() as s:
        rep = s.get(directory.Person, site.cast.laureate_rep)
        assert rep is not None
    row = roster.get_by_role("row", name=rep.display_name)
    assert "laureat" in await row.inner_text()
    await shot(page, "desk_network_desktop")
    await page.get_by_role("link", name="English").click()
    assert await page.get_by_role("heading", level=1).inner_text() == "MIASTO CYFROWE"
    assert await page.get_by_role("heading", name="Roster").count() == 1
    await page.get_by_role("link", name="All networks").click()  # the choice is remembered
    assert await page.get_by_role("heading", level=1).inner_text() == "Staff desk"
    await shot(page, "desk_glance_english")
    await context.close()
    await audit(browser, site, site.cast.team, "/desk", "glance")
    await audit(browser, site, site.cast.team, "/desk/n/cyfrowe", "network")


async def test_the_organiser_checks_people_in_on_a_tablet_without_javascript(
    browser: Browser, site: Desk
) -> None:
    await site.chat.text(site.cast.laureate_rep, f"/rsvp {site.meeting} stacjonarnie")
    site.on_the_day()
    with site.db.session() as s:
        rep = s.get(directory.Person, site.cast.laureate_rep)
        guest = s.get(directory.Person, site.cast.other_coordinator)  # of another network
        organiser = s.get(directory.Person, site.cast.organiser)
        assert rep is not None and guest is not None and guest.name and organiser is not None
        city = directory.city_name(s, rep.city_id) or ""
    context, page = await signed_in(browser, site, site.cast.organiser, TABLET)
    await page.get_by_role("link", name="Stanowisko rejestracji").first.click()
    assert await page.get_by_role("heading", level=1).inner_text() == "Stanowisko rejestracji"
    await page.get_by_label("Szukaj po nazwisku lub mieście").fill(city)
    await page.get_by_role("button", name="Szukaj", exact=True).click()
    shown = await page.locator("table.checkin tbody tr").all_inner_texts()
    assert shown and all(city in text for text in shown), shown  # only that city's people
    row = page.get_by_role("row", name=rep.display_name)
    await row.get_by_role("button", name=f"Potwierdź obecność {rep.display_name}").click()
    status = page.get_by_role("status").first
    assert f"Obecność potwierdzona: {rep.display_name}" in await status.inner_text()
    assert "obecność od" in await page.get_by_role("row", name=rep.display_name).inner_text()
    await shot(page, "desk_checkin_tablet")
    # an unannounced guest, as /jestem <nr> <osoba> gość allows in an open network
    surname = guest.name.split()[-1]
    await page.get_by_label("Szukaj po nazwisku lub mieście").fill(surname)
    await page.get_by_role("button", name="Szukaj", exact=True).click()
    await page.get_by_role("button", name=f"Dodaj jako gościa {guest.display_name}").click()
    assert "Obecność potwierdzona (gość)" in await page.get_by_role("status").first.inner_text()
    await shot(page, "desk_checkin_guest_tablet")
    await context.close()
    # the same attendance the signing sheet reads
    sheet = await site.router.handle_for(organiser, f"/lista_obecnosci {site.meeting}", "pl")
    csv = next(f for m in sheet[1] for f in m.files if f.name.endswith(".csv"))
    lines = csv.content.decode("utf-8-sig").splitlines()
    for name in (rep.display_name, guest.display_name):
        line = next(x for x in lines if name in x)
        assert line.split(";")[5], line  # checked in, with the time
    await audit(browser, site, site.cast.organiser, f"/desk/m/{site.meeting}/checkin", "checkin")
    await audit(
        browser, site, site.cast.organiser, f"/desk/m/{site.meeting}/checkin?q={surname}", "guests"
    )


async def test_the_check_in_desk_fits_a_phone_at_the_venue(browser: Browser, site: Desk) -> None:
    """On a 390 px phone the organiser sees each name, city and answer and the tick button
    without scrolling sideways (the answer moves under the name), and nothing sticks out."""
    await site.chat.text(site.cast.laureate_rep, f"/rsvp {site.meeting} stacjonarnie")
    site.on_the_day()
    with site.db.session() as s:
        rep = s.get(directory.Person, site.cast.laureate_rep)
        assert rep is not None
    context, page = await signed_in(browser, site, site.cast.organiser, PHONE, script=True)
    await page.goto(site.base + f"/desk/m/{site.meeting}/checkin")
    assert await page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
    row = page.get_by_role("row", name=rep.display_name)
    assert "Stacjonarnie" in await row.inner_text()
    button = row.get_by_role("button", name=f"Potwierdź obecność {rep.display_name}")
    box = await button.bounding_box()
    assert box is not None and box["x"] + box["width"] <= PHONE["width"], box
    await shot(page, "desk_checkin_phone")
    assert await axe.violations(page, "desk_checkin_phone") == []
    await button.click()
    assert "obecność od" in await page.get_by_role("row", name=rep.display_name).inner_text()
    assert await page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
    await context.close()


async def test_a_networks_meetings_fit_an_upright_tablet(browser: Browser, site: Desk) -> None:
    """At 820 px every column of the meetings table, its actions too, is in view."""
    context, page = await signed_in(browser, site, site.cast.coordinator, TABLET, script=True)
    await page.goto(site.base + "/desk/n/cyfrowe")
    region = page.get_by_role("region", name="Spotkania")
    widths = await region.evaluate("e => [e.scrollWidth, e.clientWidth]")
    assert widths[0] <= widths[1], widths
    link = region.get_by_role("link", name="Stanowisko rejestracji")
    box = await link.bounding_box()
    assert box is not None and box["x"] + box["width"] <= TABLET["width"], box
    await shot(page, "desk_network_tablet")
    await context.close()


async def test_the_accessibility_check_finds_what_it_should(browser: Browser) -> None:
    """axe really runs: a button without a name and an image without text are reported."""
    context = await browser.new_context(bypass_csp=True)
    page = await context.new_page()
    await page.set_content('<html lang="pl"><body><main><button></button><img src="x.png"></main>')
    found = {v["id"] for v in await axe.violations(page, "desk_axe_sanity")}
    assert {"button-name", "image-alt"} <= found
    await context.close()


async def test_the_office_roster_upload_shows_its_dry_run_first(
    browser: Browser, site: Desk, tmp_path: Path
) -> None:
    context, page = await signed_in(browser, site, site.cast.team, DESKTOP)
    await page.get_by_role("link", name="Skład sieci (arkusz biura)").click()
    async with page.expect_download() as download_info:
        await page.get_by_role("link", name="Pobierz skład sieci (XLSX)").click()
    download = await download_info.value
    sheet = tmp_path / "skład.xlsx"
    await download.save_as(sheet)
    book = load_workbook(sheet)
    rows = book.active
    assert rows is not None
    header = [c.value for c in rows[1]]
    first = dict(zip(header, next(rows.iter_rows(min_row=2, values_only=True)), strict=True))
    first.update({"imię i nazwisko": "Zofia Źdźbło", "e-mail": "z.zdzblo@example.pl"})
    rows.append([first[h] for h in header])
    book.save(sheet)
    await page.get_by_label("Plik arkusza").set_input_files(str(sheet))
    await page.get_by_role("button", name="Sprawdź plik").click()
    preview = await page.locator("#preview-lines").inner_text()
    assert "Próbny import" in preview and "Zofia Źdźbło" in preview
    await shot(page, "desk_roster_dry_run_desktop")
    await page.get_by_role("button", name="Wprowadź te zmiany").click()
    assert "Zaimportowano" in await page.get_by_role("status").first.inner_text()
    await context.close()
    await audit(browser, site, site.cast.team, "/desk/roster", "roster")


async def test_the_coordinator_changes_the_roster_and_reads_the_audit_log(
    browser: Browser, site: Desk
) -> None:
    with site.db.session() as s:
        rep = s.get(directory.Person, site.cast.laureate_rep)
        coordinator = s.get(directory.Person, site.cast.coordinator)
        assert rep is not None and coordinator is not None
        city = directory.city_name(s, rep.city_id) or ""
    context, page = await signed_in(browser, site, site.cast.coordinator, DESKTOP)
    await page.get_by_role("link", name="MIASTO CYFROWE").click()
    add = page.locator("form", has=page.get_by_role("heading", name="Dodaj przedstawiciela miasta"))
    await add.get_by_label("Miasto").select_option(city)
    await add.get_by_label("Imię i nazwisko").fill("Zofia Źdźbło")
    await add.get_by_label("Stanowisko").fill("Naczelniczka Wydziału IT")
    await add.get_by_label("E-mail (nieobowiązkowo)").fill("z.zdzblo@example.pl")
    await add.get_by_role("button", name="Dodaj przedstawiciela").click()
    status = page.get_by_role("status").first
    assert "Zofia Źdźbło" in await status.inner_text()
    roster = page.get_by_role("region", name="Skład sieci")
    assert await roster.get_by_role("row", name="Zofia Źdźbło").count() == 1
    await shot(page, "desk_roster_forms_desktop")
    # the handler's refusal (the browser's own checks stop an empty field or a bad address),
    # and the form keeps what was typed
    replace = page.locator("form", has=page.get_by_role("heading", name="Zastąp przedstawiciela"))
    await replace.get_by_label("Kogo zastąpić").select_option(str(rep.id))
    await replace.get_by_label("Kto przejmuje miejsce").fill(f"#{rep.id}")
    await replace.get_by_role("button", name="Zastąp").click()
    assert "To ta sama osoba." in await page.get_by_role("status").first.inner_text()
    replace = page.locator("form", has=page.get_by_role("heading", name="Zastąp przedstawiciela"))
    assert await replace.get_by_label("Kto przejmuje miejsce").input_value() == f"#{rep.id}"
    await page.set_viewport_size(TABLET)
    await shot(page, "desk_roster_forms_refused_tablet")
    await page.get_by_role("link", name="Dziennik zmian tej sieci").click()
    assert await page.get_by_role("heading", level=1).inner_text() == (
        "Dziennik zmian: MIASTO CYFROWE"
    )
    first = page.locator("table.log tbody tr").first
    text = await first.inner_text()
    assert coordinator.display_name in text and "Zofia Źdźbło" in text
    await page.get_by_label("Rodzaj zmiany").select_option(label="dodano osobę")
    await page.get_by_role("button", name="Pokaż").click()
    kinds = await page.locator("table.log tbody tr td:nth-child(3)").all_inner_texts()
    assert kinds and set(kinds) == {"dodano osobę"}
    await shot(page, "desk_audit_filtered_tablet")
    await context.close()
    await audit(browser, site, site.cast.coordinator, "/desk/n/cyfrowe", "network_forms")
    await audit(browser, site, site.cast.coordinator, "/desk/n/cyfrowe/audit", "audit")

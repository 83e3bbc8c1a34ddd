"""The summary on the staff desk over real HTTP, on both databases: the coordinating team
downloads the PDF and the XLSX of a period it types (or of the last full quarter), a wrong
period is explained on the form (escaped), and everyone else gets 404 for the page and both
files; in a real browser (Chromium) the form works without JavaScript, at laptop and tablet
widths, with no serious accessibility violation."""

from __future__ import annotations

import io
from collections.abc import AsyncIterator
from pathlib import Path
from urllib.parse import urlencode

import pytest
from openpyxl import load_workbook
from playwright.async_api import Browser
from pypdf import PdfReader

from core.clock import FrozenClock
from core.config import Settings
from models.db import Database
from tests.desk_site import Desk, serve
from tests.summary_data import HOSTILE_TITLE, seed_quarter, warsaw
from tests.test_desk_browser import DESKTOP, TABLET, audit, browser, signed_in  # noqa: F401
from tests.test_pages_browser import shot

PATHS = ("/desk/summary", "/desk/summary.pdf", "/desk/summary.xlsx")
QUARTER = "podsumowanie_empirie_2026-07-01_2026-09-30"


@pytest.fixture
async def site(seeded: Database, clock: FrozenClock, settings: Settings) -> AsyncIterator[Desk]:
    async with serve(seeded, clock, settings) as served:
        seed_quarter(seeded)
        clock.set(warsaw(5, 10, 10))
        yield served


async def test_the_team_downloads_both_files(site: Desk) -> None:
    async with site.browser() as http:
        await site.sign_in(http, site.cast.team)
        async with http.get(site.base + "/desk") as home:
            assert 'href="/desk/summary"' in await home.text()
        async with http.get(site.base + "/desk/summary") as page:
            text = await page.text()
            assert page.status == 200
            assert "Podsumowanie dla Kierownictwa ZMP" in text
            assert "01.07.2026 – 30.09.2026" in text  # the default: the last full quarter
        query = urlencode({"od": "III kw. 2026", "do": ""})
        async with http.get(f"{site.base}/desk/summary.xlsx?{query}") as xlsx:
            assert xlsx.status == 200
            assert xlsx.headers["Content-Type"].startswith("application/vnd.openxmlformats")
            assert f"{QUARTER}.xlsx" in xlsx.headers["Content-Disposition"]
            book = load_workbook(io.BytesIO(await xlsx.read()))
        reports = [r for r in book["Raporty"].iter_rows(min_row=2, values_only=True)]
        assert [r[6] for r in reports] == [
            "raport wysłany",
            "brak raportu",
            "raport w wersji roboczej",
        ]
        assert reports[1][2] == "'" + HOSTILE_TITLE
        async with http.get(site.base + "/desk/summary.pdf?od=&do=") as pdf:
            assert pdf.status == 200 and pdf.headers["Content-Type"] == "application/pdf"
            assert f"{QUARTER}.pdf" in pdf.headers["Content-Disposition"]
            reader = PdfReader(io.BytesIO(await pdf.read()))
        text = "\n".join(p.extract_text() for p in reader.pages)
        assert "Okres: 01.07.2026 – 30.09.2026." in text
        query = urlencode({"od": "1.08.2026", "do": "31.08.2026"})
        async with http.get(f"{site.base}/desk/summary.xlsx?{query}") as august:
            assert "2026-08-01_2026-08-31.xlsx" in august.headers["Content-Disposition"]
        query = urlencode({"od": "<script>alert(1)</script>", "do": ""})
        async with http.get(f"{site.base}/desk/summary.pdf?{query}") as wrong:
            page_text = await wrong.text()
            assert wrong.status == 409 and wrong.headers["Content-Type"].startswith("text/html")
            assert "Nie rozumiem okresu" in page_text
            assert "<script>" not in page_text and "&lt;script&gt;" in page_text


@pytest.mark.parametrize("who", ["coordinator", "expert", "organiser"])  # reps: no desk at all
async def test_everyone_else_gets_404(site: Desk, who: str) -> None:
    async with site.browser() as http:
        await site.sign_in(http, getattr(site.cast, who))
        async with http.get(site.base + "/desk") as home:
            assert 'href="/desk/summary"' not in await home.text()
        for path in PATHS:
            async with http.get(site.base + path + "?od=III+kw.+2026") as refused:
                assert refused.status == 404, path
                assert "Podsumowanie dla Kierownictwa" not in await refused.text()


async def test_not_signed_in_asks_to_sign_in(site: Desk) -> None:
    async with site.browser() as http:
        for path in PATHS:
            async with http.get(site.base + path) as page:
                assert page.status == 401, path


async def test_the_form_in_a_browser_without_javascript(
    browser: Browser,  # noqa: F811
    site: Desk,
    tmp_path: Path,
) -> None:
    for viewport, name in ((DESKTOP, "desktop"), (TABLET, "tablet")):
        context, page = await signed_in(browser, site, site.cast.team, viewport)
        await page.get_by_role("link", name="Podsumowanie dla Kierownictwa ZMP").click()
        assert (
            await page.get_by_role("heading", level=1).inner_text()
            == "Podsumowanie dla Kierownictwa ZMP"
        )
        await page.get_by_label("Od").fill("III kw. 2026")
        await shot(page, f"desk_summary_filled_{name}")
        async with page.expect_download() as download_info:
            await page.get_by_role("button", name="Pobierz XLSX").click()
        download = await download_info.value
        assert download.suggested_filename == f"{QUARTER}.xlsx"
        saved = tmp_path / f"{name}.xlsx"
        await download.save_as(saved)
        assert load_workbook(saved).sheetnames[0] == "Podsumowanie"
        async with page.expect_download() as download_info:
            await page.get_by_role("button", name="Pobierz PDF").click()
        assert (await download_info.value).suggested_filename == f"{QUARTER}.pdf"
        await context.close()
    await audit(browser, site, site.cast.team, "/desk/summary", "summary")

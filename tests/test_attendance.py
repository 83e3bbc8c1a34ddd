"""Attendance lists as settlement documents (issue #22): one source of truth (models.attendance)
for the signing sheet, its CSV, /obecnosc and the coordinator's report; the report's PDF; the
office-hours lines of the report; /osoby with each city's standing — on SQLite and PostgreSQL."""

from __future__ import annotations

import csv
import io
import re
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

from pypdf import PdfReader

from core.clock import FrozenClock
from core.config import Settings
from core.i18n import Translator
from handlers.feedback import charts
from handlers.feedback.report import PollResult, QuestionResult, build
from handlers.office_hours.report import office_hours_held
from models import directory
from models.core import Person
from models.db import Database
from models.feedback import Poll
from models.meetings import Meeting
from tests.cast import find_cast
from tests.conftest import Chat
from tests.test_feedback import core_reps
from tests.test_meetings import create
from tests.test_office_hours import FIRST, define


def pdf_text(content: bytes) -> str:
    return "\n".join(page.extract_text() for page in PdfReader(io.BytesIO(content)).pages)


def names(db: Database, *ids: int) -> list[str]:
    with db.session() as s:
        return [s.get(Person, i).display_name for i in ids]  # type: ignore[union-attr]


async def test_sheet_csv_overview_and_report_agree(
    chat: Chat, seeded: Database, clock: FrozenClock
) -> None:
    cast = find_cast(seeded)
    came, declined, online, silent = core_reps(seeded)[:4]
    meeting_id = await create(chat, cast.coordinator, open_part="tak")
    await chat.say(came, f"/rsvp {meeting_id} stacjonarnie")
    await chat.say(declined, f"/rsvp {meeting_id} nie")
    await chat.say(online, f"/rsvp {meeting_id} online")
    await chat.say(cast.observer_rep, f"/rsvp {meeting_id} online")
    clock.set(datetime(2027, 5, 12, 8, 15, tzinfo=UTC))
    assert "Obecność potwierdzona" in await chat.text(came, f"/jestem {meeting_id}")
    assert "Obecność potwierdzona" in await chat.text(online, f"/jestem {meeting_id}")
    # the organiser marks a person who had declined (the number from /osoby)
    assert "Obecność potwierdzona" in await chat.text(
        cast.organiser, f"/jestem {meeting_id} {declined}"
    )
    came_name, declined_name, online_name, silent_name, observer_name = names(
        seeded, came, declined, online, silent, cast.observer_rep
    )
    coordinator_name, expert_name, organiser_name = names(
        seeded, cast.coordinator, cast.expert, cast.organiser
    )

    [reply] = await chat.say(cast.organiser, f"/lista_obecnosci {meeting_id}")
    csv_file, pdf_file = reply.files
    rows = list(csv.reader(io.StringIO(csv_file.content.decode("utf-8-sig")), delimiter=";"))
    assert rows[0] == [
        "Lp.",
        "Imię i nazwisko",
        "Miasto",
        "Stanowisko",
        "Odpowiedź",
        "Obecność potwierdzona",
        "Część listy",
    ]
    by_name = {r[1]: r for r in rows[1:]}
    # everyone checked in, whatever they answered
    assert by_name[declined_name][4:] == ["Nie będę", "12.05.2027 10:15", "stacjonarnie"]
    assert by_name[came_name][4:] == ["Stacjonarnie", "12.05.2027 10:15", "stacjonarnie"]
    assert by_name[online_name][4:] == ["Online", "12.05.2027 10:15", "online"]
    assert by_name[observer_name][4:] == ["Online", "", "online"]
    assert by_name[silent_name][4:] == ["bez odpowiedzi", "", "stacjonarnie"]  # may still sign
    assert by_name[coordinator_name][3:] == [
        "koordynator-facylitator",
        "bez odpowiedzi",
        "",
        "zespół sieci",
    ]
    assert {expert_name, organiser_name} <= set(by_name)

    text = pdf_text(pdf_file.content)
    settings = Settings()
    assert settings.programme_name in text
    assert "Program „Rozwój Lokalny”, realizowany ze środków MF EOG" in text
    assert "MIASTO CYFROWE" in text and "Lista obecności" in text
    in_person = text.index("Uczestnictwo stacjonarne")
    staff = text.index("Zespół sieci")
    online_part = text.index("Uczestnictwo online (potwierdzenie udziału)")
    assert in_person < staff < online_part
    for name in (came_name, declined_name, silent_name):
        assert in_person < text.index(name) < staff
    assert staff < text.index(coordinator_name) < online_part
    # online participants are not on the paper to sign, only confirmed
    assert text.index(online_name) > online_part and text.index(observer_name) > online_part
    listed_in_person = sum(1 for r in rows[1:] if r[6] == "stacjonarnie")
    blank = [str(n) for n in range(listed_in_person + 1, listed_in_person + 6)]
    section = text[in_person:staff]
    assert all(re.search(rf"(^|\n){n}\s*(\n|$)", section) for n in blank), section

    # one figure everywhere: present = checked in (not staff)
    present = sum(1 for r in rows[1:] if r[5] and r[6] != "zespół sieci")
    assert present == 3
    overview = await chat.text(cast.organiser, f"/obecnosc {meeting_id}")
    assert (
        "Obecność potwierdziły 3 osoby (stacjonarnie 2, online 1). "
        "Z zespołu sieci obecnych jest 0 osób."
    ) in overview
    [report] = await chat.say(cast.coordinator, f"/raport {meeting_id}")
    assert "obecni 3." in report.text


async def test_report_pdf_has_no_blank_page_and_whole_headings(
    chat: Chat, seeded: Database
) -> None:
    cast = find_cast(seeded)
    meeting_id = await create(chat, cast.coordinator)
    t = Translator("pl", ZoneInfo("Europe/Warsaw"))
    with seeded.session() as s:
        meeting = s.get(Meeting, meeting_id)
        assert meeting is not None
        report = build(s, t, meeting)
    ratings = [
        QuestionResult(n, f"Pytanie {n}", "rating", 4, 4.0, [(str(v), 1) for v in range(1, 6)])
        for n in range(1, 5)
    ]
    report.result = PollResult(Poll(network_id=1, title="x", questions=[]), 5, 4, 4, ratings)
    chart = charts.meeting_chart(t, report)
    reader = PdfReader(io.BytesIO(charts.draft_pdf(t, report, chart)))
    texts = [page.extract_text() for page in reader.pages]
    assert all(text.strip() for text in texts)  # no blank page
    [annex] = [n for n, text in enumerate(texts) if "Załącznik: wykres" in text]
    assert annex == len(texts) - 1 and reader.pages[annex].images  # the chart under its heading
    assert "odpowiedziano" in "".join(texts)  # the column heading is not split


async def test_office_hours_lines_show_each_slot_time(
    chat: Chat, seeded: Database, clock: FrozenClock
) -> None:
    cast = find_cast(seeded)
    [first, *_] = await define(chat, cast.expert)
    clock.set(FIRST - timedelta(days=1))
    assert "Zarezerwowano" in await chat.text(
        cast.laureate_rep, f"/dyzur_rezerwuj {first} 3 Budżet obywatelski"
    )
    t = Translator("pl", ZoneInfo("Europe/Warsaw"))
    with seeded.session() as s:
        network = directory.require_network(s, "cyfrowe")
        section = office_hours_held(
            s, t, network.id or 0, FIRST - timedelta(days=1), FIRST + timedelta(days=1)
        )
    [line] = section.lines
    assert line.startswith("• 01.12.2026 10:30 ") and "Budżet obywatelski" in line


async def test_people_shows_each_citys_standing(chat: Chat, seeded: Database) -> None:
    cast = find_cast(seeded)
    text = await chat.text(cast.coordinator, "/osoby cyfrowe")
    observer, laureate = names(seeded, cast.observer_rep, cast.laureate_rep)
    observer_line = next(line for line in text.splitlines() if observer in line)
    laureate_line = next(line for line in text.splitlines() if laureate in line)
    assert "(obserwator) — przedstawiciel(ka) miasta" in observer_line
    assert "(laureat) — przedstawiciel(ka) miasta" in laureate_line


async def test_an_observer_is_told_who_confirms_their_participation(
    chat: Chat, seeded: Database, clock: FrozenClock
) -> None:
    """An observer city's representative is a "przedstawiciel(ka) miasta" too: refusing /jestem
    with "it is for przedstawiciel(ka) miasta, …" made no sense to them. They hear who confirms
    their participation, and the organiser's mark puts them in the online section."""
    cast = find_cast(seeded)
    meeting_id = await create(chat, cast.coordinator, open_part="tak")
    await chat.say(cast.observer_rep, f"/rsvp {meeting_id} online")
    clock.set(datetime(2027, 5, 12, 8, 15, tzinfo=UTC))
    refused = await chat.text(cast.observer_rep, f"/jestem {meeting_id}")
    assert refused == (
        "Miasta obserwatorzy śledzą część otwartą online; ich udział potwierdza opiekun "
        "organizacyjny: poproś go o odnotowanie obecności."
    )
    assert "Obecność potwierdzona" in await chat.text(
        cast.organiser, f"/jestem {meeting_id} {cast.observer_rep}"
    )
    overview = await chat.text(cast.organiser, f"/obecnosc {meeting_id}")
    assert "Obecność potwierdziła 1 osoba (stacjonarnie 0, online 1)." in overview
    # anyone else without the right still hears the usual refusal (the expert)
    assert "Nie masz uprawnień do polecenia /jestem" in await chat.text(
        cast.expert, f"/jestem {meeting_id}"
    )

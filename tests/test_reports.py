"""The coordinator's report after each meeting, as people use it in chat (console), on SQLite
and PostgreSQL with a clock the test moves: the form opens with what the bot knows filled in,
sections are written one by one (typed, or the next message) or several at once, every save is
a draft that is never lost, submitting needs every section, the coordinating team is told and
sees every submitted report, the form's sections are the coordinating team's to set, a
reminder comes when a report is not in after N days, and the printout opens as PDF and DOCX
with the Polish text and the sections."""

from __future__ import annotations

import io
import re
from datetime import UTC, datetime
from zoneinfo import ZoneInfo

from docx import Document
from pypdf import PdfReader
from sqlmodel import col, select

from core.clock import FrozenClock
from core.config import Settings
from core.messages import File
from jobs.dispatch import DueDispatcher
from models.db import Database
from models.outbox import OutboxMessage
from models.reports import MeetingReport
from tests.cast import find_cast
from tests.conftest import Chat

WARSAW = ZoneInfo("Europe/Warsaw")
COURSE = "Spotkanie w Łomży: 14 miast, świetna dyskusja o e-usługach."
CONCLUSIONS = "Miasta chcą wspólnego standardu.\nPotrzebny wzór umowy — źdźbło ŻÓŁĆ."


def warsaw(day: int, month: int, hour: int, minute: int = 0) -> datetime:
    return datetime(2026, month, day, hour, minute, tzinfo=WARSAW).astimezone(UTC)


def queued(db: Database, kind: str, person: int | None = None) -> list[OutboxMessage]:
    with db.session() as s:
        query = select(OutboxMessage).where(OutboxMessage.kind == kind)
        if person is not None:
            query = query.where(OutboxMessage.person_id == person)
        return list(s.exec(query.order_by(col(OutboxMessage.id))).all())


def report_of(db: Database, meeting: int) -> MeetingReport:
    with db.session() as s:
        found = s.exec(select(MeetingReport).where(MeetingReport.meeting_id == meeting)).one()
        return found


async def new_meeting(chat: Chat, coordinator: int, title: str, when: str) -> int:
    published = await chat.text(
        coordinator, f"/spotkanie_nowe cyfrowe; {title}; {when}; online; 4", chat="cyfrowe"
    )
    return int(re.search(r"Spotkanie nr (\d+) opublikowane", published).group(1))  # type: ignore[union-attr]


def pdf_text(content: bytes) -> str:
    return "\n".join(page.extract_text() for page in PdfReader(io.BytesIO(content)).pages)


def docx_text(content: bytes) -> tuple[list[str], str]:
    doc = Document(io.BytesIO(content))
    headings = [p.text for p in doc.paragraphs if p.style is not None and "Heading" in p.style.name]
    cells = [c.text for t in doc.tables for row in t.rows for c in row.cells]
    return headings, "\n".join([*(p.text for p in doc.paragraphs), *cells])


def by_name(files: tuple[File, ...], suffix: str) -> File:
    [found] = [f for f in files if f.name.endswith(suffix)]
    return found


async def test_the_report_from_the_form_to_the_coordinating_team_and_the_files(
    chat: Chat, seeded: Database, clock: FrozenClock, settings: Settings
) -> None:
    cast = find_cast(seeded)
    c = cast.coordinator
    meeting = await new_meeting(chat, c, "Spotkanie II", "25.11.2026 10:00")
    await chat.text(c, "/dzialanie_dodaj cyfrowe; Ankieta o e-usługach; Łomża; 29.01.2027")
    early = await chat.text(c, f"/raport_koordynatora {meeting}")
    assert f"Spotkanie nr {meeting} jeszcze się nie odbyło" in early

    clock.set(warsaw(25, 11, 15))
    opened = await chat.say(c, f"/raport_koordynatora {meeting}", chat="cyfrowe")
    assert all(m.to is not None for m in opened)  # privately, never in the group
    facts, overview = (m.text for m in opened)
    assert "Obecność:" in facts and "Według miast (obecni/zaproszeni)" in facts, facts
    assert "Plan pracy — działania zrobione i do zrobienia:" in facts, facts
    assert "Ankieta o e-usługach" in facts
    assert "wersja robocza" in overview and "1. Przebieg spotkania" in overview, overview
    assert "4. Kolejne kroki\n(jeszcze nie napisano)" in overview
    commands = [a.command for a in opened[1].actions]
    assert f"/raport_sekcja {meeting} 1" in commands and f"/raport_wyslij {meeting}" in commands

    # a section typed in one line; another as the next message after the button's command
    saved = await chat.text(c, f"/raport_sekcja {meeting} 1 {COURSE}")
    assert f"Zapisano w wersji roboczej raportu ze spotkania nr {meeting}: 1 część." in saved
    asked = await chat.text(c, f"/raport_sekcja {meeting} 2")
    assert "Część 2 „Wnioski”" in asked and "/anuluj przerywa" in asked
    await chat.text(c, CONCLUSIONS)
    assert report_of(seeded, meeting).texts()[:2] == [COURSE, CONCLUSIONS]
    assert "nie ma części 9" in await chat.text(c, f"/raport_sekcja {meeting} 9 Coś")

    # too long as the next message: refused, and what was written comes back whole
    await chat.text(c, f"/raport_sekcja {meeting} 3")
    long = "Rekomendacja. " * 400
    refused, kept = await chat.say(c, long)
    assert "za długie" in refused.text, refused.text
    assert kept.text == f"/raport_sekcja {meeting} 3 {long.strip()}"

    # submitting with empty sections: refused, the draft stays as it was
    not_yet = await chat.text(c, f"/raport_wyslij {meeting}")
    assert "Nie wysłano" in not_yet and "3. Rekomendacje; 4. Kolejne kroki" in not_yet, not_yet
    assert report_of(seeded, meeting).texts()[:2] == [COURSE, CONCLUSIONS]
    assert not report_of(seeded, meeting).submitted

    # a representative may not write it
    refusal = await chat.text(cast.laureate_rep, f"/raport_koordynatora {meeting}")
    assert "Raport po spotkaniu pisze koordynator sieci." in refusal

    saved = await chat.text(
        c,
        f"/raport_zapisz {meeting} [3]\nWspólny standard e-usług.\n\n[4]\nAnkieta do 29 stycznia.",
    )
    assert "2 części" in saved, saved
    done = await chat.text(c, f"/raport_wyslij {meeting}")
    assert f"raport ze spotkania nr {meeting} jest wysłany" in done, done
    [notice] = queued(seeded, "report_submitted")
    assert notice.person_id == cast.team  # the coordinating team is told, privately
    assert f"raport koordynatora ze spotkania nr {meeting}" in notice.payload["text"]
    assert "/raport_pliki" in notice.payload["text"]
    final = await chat.text(c, f"/raport_sekcja {meeting} 1 Zmiana")
    assert "nie można go już zmienić" in final
    assert report_of(seeded, meeting).texts()[0] == COURSE

    # the coordinating team sees every submitted report; another network's coordinator not
    listing = await chat.text(cast.team, "/raporty")
    assert f"MIASTO CYFROWE: spotkanie nr {meeting} „Spotkanie II”" in listing, listing
    assert "Spotkanie II" in await chat.text(cast.expert, "/raporty cyfrowe")
    assert "Spotkanie II" not in await chat.text(cast.other_coordinator, "/raporty")

    # the printout: PDF and DOCX, the Polish text and every section
    [answer] = await chat.say(cast.team, f"/raport_pliki {meeting}")
    pdf = pdf_text(by_name(answer.files, ".pdf").content)
    assert "Sprawozdanie koordynatora ze spotkania\n" in pdf and "PROJEKT" not in pdf
    for text in ("Przebieg spotkania", "Wnioski", "Rekomendacje", "Kolejne kroki", "Obecność"):
        assert text in pdf, text
    assert "źdźbło ŻÓŁĆ" in pdf and "Spotkanie w Łomży" in pdf, pdf
    headings, text = docx_text(by_name(answer.files, ".docx").content)
    assert text.startswith("Sprawozdanie koordynatora ze spotkania\n")  # the document's title
    assert headings[0] == "1. Spotkanie"
    assert [h.split(". ", 1)[1] for h in headings[-4:]] == [
        "Przebieg spotkania",
        "Wnioski",
        "Rekomendacje",
        "Kolejne kroki",
    ]
    assert "Potrzebny wzór umowy — źdźbło ŻÓŁĆ." in text and "Łomża" in text
    assert "Ankieta o e-usługach" in text  # the plan's action, filled in

    # /raport's PDF draft is this form's printout: the coordinator's sections in it
    [stats] = await chat.say(c, f"/raport {meeting}")
    draft = pdf_text(by_name(stats.files, ".pdf").content)
    assert "Spotkanie w Łomży" in draft and "Kolejne kroki" in draft, draft


async def test_the_coordinating_team_sets_the_form_and_a_draft_prints_dotted_lines(
    chat: Chat, seeded: Database, clock: FrozenClock
) -> None:
    cast = find_cast(seeded)
    c = cast.coordinator
    first = await new_meeting(chat, c, "Spotkanie I", "24.11.2026 10:00")
    second = await new_meeting(chat, c, "Spotkanie II", "25.11.2026 10:00")
    clock.set(warsaw(25, 11, 15))
    await chat.text(c, f"/raport_koordynatora {first}")  # started on the default form

    shown = await chat.text(c, "/raport_formularz")
    assert "domyślne części" in shown and "4. Kolejne kroki" in shown
    refused = await chat.text(c, "/raport_formularz Przebieg; Ryzyka")
    assert "Formularz raportu ustala zespół koordynujący." in refused
    assert "ten sam tytuł" in await chat.text(cast.team, "/raport_formularz Ryzyka; ryzyka")
    set_ = await chat.text(cast.team, "/raport_formularz Przebieg i frekwencja; Ryzyka; Wnioski")
    assert "Zapisano." in set_ and "2. Ryzyka" in set_, set_

    overview = (await chat.say(c, f"/raport_koordynatora {second}"))[1].text
    assert "2. Ryzyka" in overview and "Kolejne kroki" not in overview
    kept = (await chat.say(c, f"/raport_koordynatora {first}"))[1].text
    assert "4. Kolejne kroki" in kept  # a draft keeps the form it was started with

    await chat.text(c, f"/raport_sekcja {second} 2 Ryzyko: brak budżetu w Świdniku.")
    [answer] = await chat.say(c, f"/raport_pliki {second}")
    pdf = pdf_text(by_name(answer.files, ".pdf").content)
    assert "ze spotkania — PROJEKT" in pdf and "Ryzyko: brak budżetu w Świdniku." in pdf
    assert "3. Wnioski" not in pdf  # numbered after the bot's own parts
    assert "Wnioski" in pdf and "....." in pdf  # an empty section: dotted lines to fill in
    headings, text = docx_text(by_name(answer.files, ".docx").content)
    assert headings[-3:][1].endswith("Ryzyka") and "Ryzyko: brak budżetu w Świdniku." in text

    assert "domyślne" in await chat.text(cast.team, "/raport_formularz domyślny")


async def test_the_reminder_pass_reads_the_same_whatever_the_number_of_meetings(
    chat: Chat, seeded: Database, clock: FrozenClock, settings: Settings
) -> None:
    """The pass runs every sweep: once the reminders are out, it costs the same few statements
    for 2 meetings as for 22 (it read each meeting's coordinators and outbox keys per meeting:
    35-50 s a pass on 1,000 networks)."""
    from sqlalchemy import event

    from jobs.dispatch import Job
    from jobs.reports import remind_missing_reports
    from models.meetings import Meeting

    c = find_cast(seeded).coordinator
    first = await new_meeting(chat, c, "Spotkanie II", "25.11.2026 10:00")
    await new_meeting(chat, c, "Spotkanie III", "25.11.2026 12:00")
    clock.set(warsaw(2, 12, 16))

    def one_pass() -> tuple[int, int]:
        statements: list[str] = []

        def note(*args: object) -> None:
            statements.append(str(args[2]))

        event.listen(seeded.engine, "before_cursor_execute", note)
        try:
            with seeded.session() as s:
                sent = remind_missing_reports(Job(s, clock.now(), settings))
        finally:
            event.remove(seeded.engine, "before_cursor_execute", note)
        return sent, len(statements)

    assert one_pass()[0] == 2  # both reminded, to the coordinator
    few = one_pass()
    assert few[0] == 0
    with seeded.session() as s:  # 20 more meetings of the day, none with a report
        model = s.get(Meeting, first)
        assert model is not None
        for i in range(20):
            copy = Meeting(**model.model_dump(exclude={"id"}))
            copy.title = f"Spotkanie {i}"
            s.add(copy)
    assert one_pass()[0] == 20
    many = one_pass()
    assert many == (0, few[1]), (few, many)
    assert len(queued(seeded, "report_reminder")) == 22  # each once


async def test_a_reminder_when_the_report_is_not_in_after_the_set_days(
    chat: Chat, seeded: Database, clock: FrozenClock, settings: Settings
) -> None:
    cast = find_cast(seeded)
    c = cast.coordinator
    late = await new_meeting(chat, c, "Spotkanie II", "25.11.2026 10:00")
    on_time = await new_meeting(chat, c, "Spotkanie III", "26.11.2026 10:00")
    clock.set(warsaw(26, 11, 17))
    await chat.text(
        c,
        f"/raport_zapisz {on_time} [1]\nA\n[2]\nB\n[3]\nC\n[4]\nD",
    )
    await chat.text(c, f"/raport_wyslij {on_time}")

    jobs = DueDispatcher(seeded, clock, settings, owner="test")
    clock.set(warsaw(2, 12, 13, 50))  # 7 days after the meeting ended at 14:00: not yet
    await jobs.run_once()
    assert queued(seeded, "report_reminder") == []
    clock.set(warsaw(2, 12, 14, 5))
    await jobs.run_once()
    [reminder] = queued(seeded, "report_reminder")
    assert reminder.person_id == c
    text = reminder.payload["text"]
    assert f"Spotkanie nr {late} „Spotkanie II” (MIASTO CYFROWE) skończyło się 7 dni temu" in text
    assert f"/raport_koordynatora {late}" in text
    await jobs.run_once()
    clock.set(warsaw(3, 12, 14, 5))
    await jobs.run_once()
    assert len(queued(seeded, "report_reminder")) == 1  # once; the submitted one never

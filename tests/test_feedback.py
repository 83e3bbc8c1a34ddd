"""Feedback polls end to end in the console chat, on SQLite and PostgreSQL, with a clock the
test moves: the meeting ends → polls go out → answers (a skip, a double vote, a late answer)
→ one reminder → closing → the report with its chart, CSV and PDF draft. And the proof that
no stored row links an answer to a person."""

from __future__ import annotations

import csv
import io
import re
import struct
from datetime import UTC, datetime, timedelta

import pytest
from pypdf import PdfReader
from sqlalchemy import DateTime, inspect, text
from sqlmodel import SQLModel, select

from core.clock import FrozenClock
from core.config import Settings
from core.messages import Outgoing
from jobs.dispatch import DueDispatcher
from models import directory
from models.core import Conversation
from models.db import Database
from models.enums import Role, Standing
from models.feedback import Poll, PollParticipant, PollTally, PollText
from models.outbox import OutboxMessage
from tests.cast import find_cast
from tests.conftest import Chat

# 25.11.2026 10:00 Warsaw = 09:00 UTC, four hours: ends 13:00 UTC; the poll goes at 13:30.
NEW = "/spotkanie_nowe cyfrowe; Spotkanie II; 25.11.2026 10:00; online; 4"
ENDS = datetime(2026, 11, 25, 13, 0, tzinfo=UTC)


def core_reps(db: Database) -> list[int]:
    with db.session() as s:
        network = directory.require_network(s, "cyfrowe")
        return sorted(
            p.id or 0
            for p, role, _c in directory.members(s, network.id or 0)
            if role == Role.REPRESENTATIVE
            and directory.standing_of(s, p.city_id, network.id) is not Standing.OBSERVER
        )


async def make_meeting(chat: Chat, coordinator: int) -> int:
    reply = await chat.text(coordinator, NEW, chat="cyfrowe")
    match = re.search(r"Spotkanie nr (\d+) opublikowane", reply)
    assert match, reply
    return int(match.group(1))


def outbox(db: Database, kind: str) -> list[OutboxMessage]:
    with db.session() as s:
        return list(
            s.exec(
                select(OutboxMessage).where(OutboxMessage.kind == kind).order_by(OutboxMessage.id)
            ).all()
        )


def press(message: Outgoing, label: str) -> str:
    """The command behind a button, as the transports resolve it."""
    return next(a.command for a in message.actions if a.label == label)


def png_size(data: bytes) -> tuple[int, int]:
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    return struct.unpack(">II", data[16:24])


async def test_full_cycle_from_meeting_end_to_report(
    chat: Chat, seeded: Database, clock: FrozenClock, settings: Settings
) -> None:
    cast = find_cast(seeded)
    a, b, c, d, e = core_reps(seeded)[:5]
    meeting = await make_meeting(chat, cast.coordinator)
    for who in (a, b, c, d):
        assert "Zapisano" in await chat.text(who, f"/rsvp {meeting} online")
    await chat.say(e, f"/rsvp {meeting} nie")
    jobs = DueDispatcher(seeded, clock, settings)

    clock.set(ENDS + timedelta(minutes=29))
    await jobs.run_once()
    with seeded.session() as s:
        assert s.exec(select(Poll)).all() == []  # not before end + 30 min
    clock.set(ENDS + timedelta(minutes=30))
    await jobs.run_once()
    await jobs.run_once()  # a second tick opens nothing twice
    with seeded.session() as s:
        [poll] = s.exec(select(Poll)).all()
    assert poll.meeting_id == meeting and poll.closes_at == clock.now() + timedelta(days=7)
    asked = outbox(seeded, "feedback_poll")
    assert sorted(m.person_id for m in asked) == [a, b, c, d]  # not the one who said "nie"
    first = asked[0].payload
    assert "Anonimowo" in first["text"] and "Pytanie 1 z 6" in first["text"]
    assert [x[0] for x in first["actions"]] == ["1", "2", "3", "4", "5", "Pomiń"]
    assert first["actions"][3][1] == f"/ankieta {poll.id} 1 4"
    [note] = outbox(seeded, "feedback_note")
    assert note.chat_id == "cyfrowe" and note.person_id is None
    assert "anonimową ankietę" in note.payload["text"]

    # A: buttons for the ratings, typed open answers, one skipped
    p = poll.id
    reply = await chat.say(a, f"/ankieta {p} 1 5")
    assert "Pytanie 2 z 6" in reply[0].text
    reply = await chat.say(a, press(reply[0], "4"))
    reply = await chat.say(a, press(reply[0], "4"))
    assert "Pytanie 4 z 6" in reply[0].text and "Napisz odpowiedź" in reply[0].text
    assert "Pytanie 5 z 6" in await chat.text(a, "Wymiana doświadczeń z Łomżą")
    assert "Pytanie 6 z 6" in await chat.text(a, "-")  # skipped
    assert "Dziękuję" in await chat.text(a, "Więcej o e-usługach")
    # a double vote is refused and changes nothing
    assert "już" in await chat.text(a, f"/ankieta {p} 1 1")
    # B: a typed number, then jumps ahead (4 and 5 count as skipped)
    await chat.say(b, f"/ankieta {p} 1 4")
    assert "Pytanie 3 z 6" in await chat.text(b, "3")
    assert "od 1 do 5" in await chat.text(b, "świetnie")  # a rating needs a number
    await chat.say(b, f"/ankieta {p} 3 5")
    assert "Dziękuję" in await chat.text(b, f"/ankieta {p} 6 Dostępność cyfrowa")
    # C answers one question and stops; D does nothing yet
    await chat.say(c, f"/ankieta {p} 1 3")
    # answering in the group is refused (it would not be anonymous)
    assert "prywatnej" in await chat.text(d, f"/ankieta {p} 1 2", chat="cyfrowe")
    # results stay hidden while the poll runs, even for the coordinator
    running = await chat.text(cast.coordinator, f"/raport {meeting}")
    assert "wyniki są ukryte" in running and "średnia" not in running
    assert "Nie masz uprawnień" in await chat.text(a, f"/raport {meeting}")

    # one reminder after 48 h, only to those who have not finished
    clock.set(poll.opens_at + timedelta(hours=48))
    await jobs.run_once()
    clock.advance(timedelta(hours=30))
    await jobs.run_once()
    reminders = outbox(seeded, "feedback_reminder")
    assert sorted(m.person_id for m in reminders) == [c, d]
    to_c = next(m for m in reminders if m.person_id == c).payload["text"]
    assert "Przypomnienie" in to_c and "Pytanie 2 z 6" in to_c  # where C stopped
    assert "Pytanie 3 z 6" in await chat.text(c, "4")
    await chat.say(d, f"/ankieta {p} 1 2")
    await chat.say(d, f"/ankieta {p} 6 dostępność cyfrowa.")
    await chat.say(c, f"/ankieta {p} 6 Dostępność cyfrowa")

    # closing after 7 days; a late answer gets a polite "closed"
    clock.set(poll.closes_at)
    await jobs.run_once()
    [closed] = [m for m in outbox(seeded, "feedback_closed") if m.person_id == cast.coordinator]
    assert "odpowiedziały 4 z 4 zapytanych osób" in closed.payload["text"]
    # the expert is told too, with the same button to the report
    [to_expert] = [m for m in outbox(seeded, "feedback_closed") if m.person_id == cast.expert]
    assert to_expert.payload["text"] == closed.payload["text"]
    assert to_expert.payload["actions"] == [["Raport", f"/raport {meeting}"]]
    late = await chat.text(d, f"/ankieta {p} 2 3")
    assert "jest już zamknięta" in late
    with seeded.session() as s:
        assert (
            s.exec(
                select(Conversation).where(
                    Conversation.flow == "feedback", Conversation.person_id == d
                )
            ).first()
            is None
        )

    # the report
    [report] = await chat.say(cast.coordinator, f"/raport {meeting}")
    body = report.text
    # the observer city is not invited to a meeting without an open part (models.attendance)
    assert "zaproszeni 8, odpowiedzieli na zaproszenie 5, obecni 4" in body
    assert "Ankieta: odpowiedziały 4 z 4 zapytanych osób (100 %)" in body
    assert "Jak ogólnie oceniasz spotkanie? — średnia 3,5 na 5" in body  # 5, 4, 3, 2
    assert "1×0, 2×1, 3×1, 4×1, 5×1" in body  # the double vote (1) was not counted
    assert "(obecni/zaproszeni): finalista 0/2; laureat 4/4; lider zmian 0/2\n" in body
    assert "średnia 3,7 na 5 (3 odpowiedzi: " in body  # 4, 3, 4
    assert "Jak oceniasz organizację spotkania? — 2 odpowiedzi (mniej niż 3" in body
    assert "Wymiana doświadczeń" not in body  # one answer: counts only
    assert "• Dostępność cyfrowa (×3)" in body and "• Więcej o e-usługach" in body
    assert "Dyżury eksperckie" in body and "Brak rezerwacji dyżurów w tym okresie" in body
    files = {f.name: f for f in report.files}
    png = files[f"raport_spotkania_{meeting}.png"].content
    width, height = png_size(png)
    assert width >= 900 and height > width  # tall, phone-width
    import matplotlib.image

    pixels = matplotlib.image.imread(io.BytesIO(png))
    assert pixels[..., :3].std() > 0.05  # not a blank canvas
    rows = list(
        csv.reader(
            io.StringIO(files[f"raport_spotkania_{meeting}.csv"].content.decode("utf-8-sig")),
            delimiter=";",
        )
    )
    assert rows[0] == ["sekcja", "pozycja", "odpowiedź", "liczba"]
    assert ["ankieta", "1. Jak ogólnie oceniasz spotkanie?", "średnia", "3,5"] in rows
    assert [
        "ankieta",
        "6. Jakie tematy chcesz poruszyć następnym razem?",
        "Dostępność cyfrowa",
        "3",
    ] in rows
    pdf = PdfReader(io.BytesIO(files[f"raport_spotkania_{meeting}.pdf"].content))
    pdf_text = " ".join(page.extract_text() for page in pdf.pages)
    for expected in (
        "Sprawozdanie koordynatora",
        "Frekwencja",
        "Spotkanie II",
        "średnia 3,5 na 5",
        "Dostępność cyfrowa",
        "Rekomendacje",
    ):
        assert expected in pdf_text, expected

    # the trend across meetings
    [trend] = await chat.say(cast.coordinator, "/trend cyfrowe")
    assert f"#{meeting} 25.11.2026: średnie 3,5 / 3,7 / –" in trend.text
    assert png_size(trend.files[0].content)[0] >= 900


async def test_everyone_who_took_part_is_asked_and_a_restart_sends_nothing_twice(
    chat: Chat, seeded: Database, clock: FrozenClock, settings: Settings
) -> None:
    cast = find_cast(seeded)
    a, b = core_reps(seeded)[:2]
    meeting = await make_meeting(chat, cast.coordinator)
    await chat.say(a, f"/rsvp {meeting} online")
    await chat.say(b, f"/rsvp {meeting} online")
    clock.set(datetime(2026, 11, 25, 9, 30, tzinfo=UTC))
    assert "Obecność potwierdzona" in await chat.text(a, f"/jestem {meeting}")
    clock.set(ENDS + timedelta(hours=1))
    await DueDispatcher(seeded, clock, settings).run_once()
    await DueDispatcher(seeded, clock, settings).run_once()  # another worker, same moment
    # A was checked in; B said "online" and came, though nobody checked B in: both took part
    assert sorted(m.person_id for m in outbox(seeded, "feedback_poll")) == sorted([a, b])


async def test_cancelled_meeting_gets_no_poll(
    chat: Chat, seeded: Database, clock: FrozenClock, settings: Settings
) -> None:
    cast = find_cast(seeded)
    meeting = await make_meeting(chat, cast.coordinator)
    await chat.say(core_reps(seeded)[0], f"/rsvp {meeting} online")
    await chat.say(cast.coordinator, f"/spotkanie_odwolaj {meeting}")
    clock.set(ENDS + timedelta(hours=1))
    await DueDispatcher(seeded, clock, settings).run_once()
    with seeded.session() as s:
        assert s.exec(select(Poll)).all() == []


def _person_columns(table: object) -> set[str]:
    return {
        c.name
        for c in table.columns  # type: ignore[attr-defined]
        if any(fk.column.table.name == "person" for fk in c.foreign_keys)
    }


async def test_no_stored_row_links_an_answer_to_a_person(
    chat: Chat, seeded: Database, clock: FrozenClock, settings: Settings
) -> None:
    cast = find_cast(seeded)
    reps = core_reps(seeded)[:4]
    meeting = await make_meeting(chat, cast.coordinator)
    for who in reps:
        await chat.say(who, f"/rsvp {meeting} online")
    clock.set(ENDS + timedelta(hours=1))
    jobs = DueDispatcher(seeded, clock, settings)
    await jobs.run_once()
    with seeded.session() as s:
        [poll] = s.exec(select(Poll)).all()
    secrets_typed = {who: f"Sekretna odpowiedź {who}" for who in reps}
    for n, who in enumerate(reps):
        await chat.say(who, f"/ankieta {poll.id} 1 {n + 2}")
        await chat.say(who, f"/ankieta {poll.id} 4 {secrets_typed[who]}")
    with seeded.session() as s:
        keys_running = set(s.exec(select(PollText.key)).all())
    clock.set(poll.closes_at)
    await jobs.run_once()

    # 1. the tables holding answers have no column that names a person, and no time
    for model in (PollTally, PollText):
        table = model.__table__  # type: ignore[attr-defined]
        assert _person_columns(table) == set()
        assert not any(
            isinstance(getattr(c.type, "impl", c.type), DateTime) or c.name.endswith("_at")
            for c in table.columns
        ), table.name
    # 2. the marker holds no answer and no time
    assert {c.name for c in PollParticipant.__table__.columns} == {  # type: ignore[attr-defined]
        "id",
        "poll_id",
        "person_id",
        "progress",
        "done",
        "reminded",
    }
    # 3. no row anywhere that names a person (or an account) contains an answer
    answers = set(secrets_typed.values())
    with seeded.engine.connect() as conn:
        for table in SQLModel.metadata.sorted_tables:
            personal = _person_columns(table) or table.name in ("account", "person", "conversation")
            for row in conn.execute(table.select()).mappings():
                blob = " ".join(str(v) for v in row.values())
                if personal:
                    assert not any(x in blob for x in answers), (table.name, dict(row))
        # ratings live only as counters: one row per value, never one per answer
        counts = conn.execute(
            text("select value, count from poll_tally where question = 1 order by value")
        ).all()
    assert [tuple(r) for r in counts] == [("1", 0), ("2", 1), ("3", 1), ("4", 1), ("5", 1)]
    # 4. closing rewrote the open answers under fresh keys (no insertion order survives)
    with seeded.session() as s:
        stored = s.exec(select(PollText)).all()
    assert {t.text for t in stored} == answers
    assert keys_running.isdisjoint({t.key for t in stored})
    # 5. markers were created together at opening (their ids follow no answer order), and
    # after closing they say "asked" and nothing else; the counts moved to the poll
    with seeded.session() as s:
        marks = s.exec(select(PollParticipant)).all()
        closed = s.get(Poll, poll.id)
    assert {m.person_id for m in marks} == set(reps)
    assert {(m.progress, m.done, m.reminded) for m in marks} == {(0, False, False)}
    assert closed is not None and (closed.answered, closed.finished) == (4, 0)


@pytest.mark.parametrize(
    "value,expected", [("0", "od 1 do 5"), ("6", "od 1 do 5"), ("x" * 5, "od 1 do 5")]
)
async def test_bad_ratings_are_explained(
    chat: Chat, seeded: Database, clock: FrozenClock, settings: Settings, value: str, expected: str
) -> None:
    cast = find_cast(seeded)
    a = core_reps(seeded)[0]
    meeting = await make_meeting(chat, cast.coordinator)
    await chat.say(a, f"/rsvp {meeting} online")
    clock.set(ENDS + timedelta(hours=1))
    await DueDispatcher(seeded, clock, settings).run_once()
    assert expected in await chat.text(a, f"/ankieta 1 1 {value}")
    assert "Pytanie 1 z 6" in await chat.text(a, "/ankieta 1")  # nothing was recorded
    with seeded.session() as s:
        assert sum(t.count for t in s.exec(select(PollTally)).all()) == 0
    assert inspect(seeded.engine).has_table("poll_text")

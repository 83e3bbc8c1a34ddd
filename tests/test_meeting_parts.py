"""A meeting's programme of parts: observers see only the open parts (times, titles, the
stream link), never the closed part's link; staff answer nothing but are reminded; the
leaders' network is closed; a moved meeting's deadline stays on a working day."""

from __future__ import annotations

import re
from datetime import UTC, date, datetime
from zoneinfo import ZoneInfo

from icalendar import Calendar
from sqlmodel import select

from core.workdays import is_working_day, next_working_morning
from models.db import Database
from models.meetings import Meeting, MeetingPart
from models.outbox import OutboxMessage
from tests.cast import find_cast
from tests.conftest import Chat
from tests.outbox_files import file_bytes

HYBRID = (
    "/spotkanie_nowe cyfrowe; Spotkanie II; 12.05.2027 10:00; hybrydowe; 6; "
    "Łomża, ul. Długa 1; https://teams.example/zamkniete; 40; nie; 5.05.2027 12:00; "
    "10:00-12:00 Wykłady otwarta https://stream.example/otwarta | 12:30-16:00 Warsztaty zamknięta"
)


async def _create(chat: Chat, who: int, text: str = HYBRID) -> int:
    answer = await chat.text(who, text, chat="cyfrowe")
    match = re.search(r"Spotkanie nr (\d+) opublikowane", answer)
    assert match, answer
    return int(match.group(1))


def _private(db: Database, kind: str, person_id: int) -> OutboxMessage:
    with db.session() as s:
        [row] = s.exec(
            select(OutboxMessage).where(
                OutboxMessage.kind == kind, OutboxMessage.person_id == person_id
            )
        ).all()
    return row


async def test_observers_see_only_the_open_part(chat: Chat, seeded: Database) -> None:
    cast = find_cast(seeded)
    meeting_id = await _create(chat, cast.coordinator)
    with seeded.session() as s:
        parts = s.exec(select(MeetingPart).order_by(MeetingPart.position)).all()
        meeting = s.get(Meeting, meeting_id)
    assert meeting is not None and meeting.open_part
    assert [(p.title, p.open) for p in parts] == [("Wykłady", True), ("Warsztaty", False)]
    seen = _private(seeded, "meeting", cast.observer_rep).payload
    assert "Transmisja części otwartej: https://stream.example/otwarta" in seen["text"]
    assert "10:00–12:00 Wykłady (część otwarta, online dla obserwatorów)" in seen["text"]
    assert "teams.example/zamkniete" not in str(seen) and "Warsztaty" not in str(seen)
    assert [a[1] for a in seen["actions"] if a[1]][:2] == [
        f"/rsvp {meeting_id} online",
        f"/rsvp {meeting_id} nie",
    ]
    event = next(iter(Calendar.from_ical(file_bytes(seen["files"][0], seeded)).walk("VEVENT")))
    assert event.decoded("dtstart") == datetime(
        2027, 5, 12, 10, 0, tzinfo=ZoneInfo("Europe/Warsaw")
    )
    assert event.decoded("dtend") == datetime(2027, 5, 12, 12, 0, tzinfo=ZoneInfo("Europe/Warsaw"))
    core = _private(seeded, "meeting", cast.laureate_rep).payload["text"]
    assert "Online: https://teams.example/zamkniete" in core
    assert "12:30–16:00 Warsztaty (część zamknięta)" in core
    group = next(r for r in _rows(seeded, "meeting") if r.person_id is None).payload["text"]
    assert "teams.example/zamkniete" not in group and "Warsztaty" not in group
    mine = await chat.text(cast.observer_rep, "/moje_spotkania")
    assert "12 maja 2027, 10:00 — Spotkanie II" in mine and "Warsztaty" not in mine
    assert "Transmisja części otwartej: https://stream.example/otwarta" in mine


def _rows(db: Database, kind: str) -> list[OutboxMessage]:
    with db.session() as s:
        return list(s.exec(select(OutboxMessage).where(OutboxMessage.kind == kind)).all())


async def test_staff_get_no_answer_buttons_or_page(chat: Chat, seeded: Database) -> None:
    cast = find_cast(seeded)
    await _create(chat, cast.coordinator)
    staff = _private(seeded, "meeting", cast.expert).payload
    assert staff["actions"] == []
    assert "/rsvp" not in staff["text"]
    mine = await chat.text(cast.expert, "/moje_spotkania")
    assert "Spotkanie II" in mine and "brak odpowiedzi" not in mine


async def test_the_leaders_network_is_closed(chat: Chat, seeded: Database) -> None:
    cast = find_cast(seeded)
    refused = await chat.text(cast.team, "/miasto_dodaj liderzy; Brzeg; obserwator")
    assert "nie ma w niej miast obserwatorów" in refused
    opened = await chat.text(
        cast.team,
        "/spotkanie_nowe liderzy; Rada; 12.05.2027 10:00; online; 2; ; https://x.example; ; tak",
    )
    assert "Sieć liderów jest zamknięta" in opened
    with seeded.session() as s:
        assert s.exec(select(Meeting)).all() == []


def test_working_mornings() -> None:
    tz = ZoneInfo("Europe/Warsaw")
    assert is_working_day(date(2027, 5, 14)) and not is_working_day(date(2027, 5, 15))
    saturday = datetime(2027, 5, 15, 12, 0, tzinfo=UTC)
    assert next_working_morning(saturday, tz) == datetime(2027, 5, 17, 7, 0, tzinfo=UTC)
    friday = datetime(2027, 5, 14, 12, 0, tzinfo=UTC)
    assert next_working_morning(friday, tz) == friday


async def test_moving_keeps_the_deadline_on_a_working_day_and_asks_to_confirm(
    chat: Chat, seeded: Database
) -> None:
    cast = find_cast(seeded)
    meeting_id = await _create(chat, cast.coordinator)  # answers by Wed 5.05.2027 12:00
    await chat.say(cast.laureate_rep, f"/rsvp {meeting_id} stacjonarnie")
    await chat.text(cast.coordinator, f"/spotkanie_przesun {meeting_id} 15.05.2027 10:00")
    with seeded.session() as s:
        meeting = s.get(Meeting, meeting_id)
    # +3 days is Saturday 8.05: the next working morning, Monday 10.05 9:00
    assert meeting is not None
    assert meeting.rsvp_deadline == datetime(2027, 5, 10, 7, 0, tzinfo=UTC)
    told = _private(seeded, "meeting_change", cast.laureate_rep).payload
    assert "Odpowiedzi zbieramy do poniedziałku, 10 maja 2027, 09:00" in told["text"]
    assert "Potwierdź nowy termin" in told["text"]
    assert [f"/rsvp {meeting_id} stacjonarnie"] == [
        a[1] for a in told["actions"] if a[1].endswith("stacjonarnie")
    ]
    other = _private(seeded, "meeting_change", cast.laureate_rep2).payload
    assert "Potwierdź" not in other["text"]


async def test_a_meeting_soon_gets_a_deadline_instead_of_a_refusal(
    chat: Chat, seeded: Database
) -> None:
    cast = find_cast(seeded)
    meeting_id = await _create(
        chat,
        cast.coordinator,
        "/spotkanie_nowe cyfrowe; Krótkie; jutro 14:00; online; 2; ; https://x.example",
    )
    assert "Zapisano" in await chat.text(cast.laureate_rep, f"/rsvp {meeting_id} online")

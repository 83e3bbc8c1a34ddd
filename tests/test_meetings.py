"""Meetings (first part of the feature): create and publish, answers with the waitlist,
observer rules, deadline, overview, calendar file — on both stores."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

from icalendar import Calendar
from sqlmodel import select

from bot.clock import FrozenClock
from models.db import Database
from models.meetings import Meeting, Rsvp
from models.outbox import OutboxMessage
from tests.cast import find_cast
from tests.conftest import Chat

NEW = ("/spotkanie_nowe cyfrowe; Spotkanie II; 12.05.2027 10:00; hybrydowe; 6; "
       "Łomża, ul. Długa 1; https://teams.example/m; {seats}; {open}; 5.05.2027 12:00")


async def create(chat: Chat, who: int, seats: str = "", open_part: str = "nie") -> int:
    text = await chat.text(who, NEW.format(seats=seats, open=open_part), chat="cyfrowe")
    match = re.search(r"Spotkanie nr (\d+) opublikowane", text)
    assert match, text
    return int(match.group(1))


async def test_publishing_invites_chats_and_people_with_buttons_and_calendar(
        chat: Chat, seeded: Database) -> None:
    cast = find_cast(seeded)
    meeting_id = await create(chat, cast.coordinator, seats="40", open_part="tak")
    with seeded.session() as s:
        rows = s.exec(select(OutboxMessage).where(OutboxMessage.kind == "meeting")).all()
        meeting = s.get(Meeting, meeting_id)
    assert meeting is not None and meeting.capacity == 40 and meeting.open_part
    assert meeting.starts_at == datetime(2027, 5, 12, 8, 0, tzinfo=UTC)
    group = [r for r in rows if r.person_id is None]
    assert [r.chat_id for r in group] == ["cyfrowe"]
    assert "środa, 12 maja 2027, 10:00" in group[0].payload["text"]
    assert [a[1] for a in group[0].payload["actions"]] == [
        f"/rsvp {meeting_id} {a}" for a in ("stacjonarnie", "online", "nie", "moze")]
    assert group[0].payload["files"][0]["name"] == f"spotkanie_{meeting_id}.ics"
    assert cast.laureate_rep in {r.person_id for r in rows}


def test_calendar_file_round_trips(seeded: Database, clock: FrozenClock) -> None:
    from zoneinfo import ZoneInfo

    from handlers.calendar import meeting_ics

    meeting = Meeting(id=7, network_id=1, title="Spotkanie II", sequence=2, format="hybrydowe",
                      starts_at=datetime(2027, 5, 12, 8, tzinfo=UTC), duration_minutes=360,
                      place="Łomża, ul. Długa 1", online_link="https://teams.example/m",
                      agenda="Dyżur eksperta", rsvp_deadline=datetime(2027, 5, 5, tzinfo=UTC),
                      created_at=clock.now())
    calendar = Calendar.from_ical(meeting_ics(meeting, "MIASTO CYFROWE",
                                              ZoneInfo("Europe/Warsaw"), clock.now()))
    [event] = calendar.walk("VEVENT")
    assert str(event["uid"]) == "meeting-7@empirie-bot" and int(event["sequence"]) == 2
    assert event.decoded("dtstart") == datetime(2027, 5, 12, 8, tzinfo=UTC)
    assert str(event.decoded("dtstart").tzinfo) == "Europe/Warsaw"
    assert event.decoded("dtend") - event.decoded("dtstart") == timedelta(hours=6)
    assert str(event["location"]) == "Łomża, ul. Długa 1"
    assert str(event["url"]) == "https://teams.example/m"
    assert str(event["summary"]) == "MIASTO CYFROWE: Spotkanie II"
    assert event.walk("VALARM") and calendar.walk("VTIMEZONE")


async def test_bad_input_is_explained_and_nothing_is_saved(chat: Chat, seeded: Database) -> None:
    cast = find_cast(seeded)
    cases = {
        "/spotkanie_nowe cyfrowe; X": "Podaj co najmniej",
        "/spotkanie_nowe cyfrowe; X; 1.01.2020 10:00; online": "przeszłość",
        "/spotkanie_nowe cyfrowe; X; 30.02.2027 10:00; online": "nie istnieje",
        "/spotkanie_nowe cyfrowe; X; 12.05.2027 10:00; na żywo": "Forma musi być",
        "/spotkanie_nowe cyfrowe; X; 12.05.2027 10:00; stacjonarne": "musi mieć miejsce",
        "/spotkanie_nowe cyfrowe; X; 12.05.2027 10:00; online; 6; ; ; 0": "co najmniej 1",
        "/spotkanie_nowe cyfrowe; X; 12.05.2027 10:00; online; 30": "do 12 godzin",
        "/spotkanie_nowe cyfrowe; X; 12.05.2027 10:00; online; 6;;;;; 13.05.2027 10:00":
            "Termin odpowiedzi",
        "/spotkanie_nowe nic; X; 12.05.2027 10:00; online": "Nieznana sieć",
    }
    for command, expected in cases.items():
        assert expected in await chat.text(cast.coordinator, command), command
    assert "Nie masz uprawnień" in await chat.text(
        cast.laureate_rep, "/spotkanie_nowe cyfrowe; X; 12.05.2027 10:00; online")
    assert "Nie masz uprawnień" in await chat.text(
        cast.other_coordinator, "/spotkanie_nowe cyfrowe; X; 12.05.2027 10:00; online")
    with seeded.session() as s:
        assert s.exec(select(Meeting)).all() == []
        assert s.exec(select(OutboxMessage)).all() == []


async def test_waitlist_and_automatic_promotion(chat: Chat, seeded: Database) -> None:
    cast = find_cast(seeded)
    meeting_id = await create(chat, cast.coordinator, seats="1")
    first = await chat.text(cast.laureate_rep, f"/rsvp {meeting_id} stacjonarnie")
    assert first.startswith("Zapisano: Stacjonarnie")
    second = await chat.text(cast.laureate_rep2, f"/rsvp {meeting_id} stacjonarnie wegetariańskie")
    assert "liście rezerwowej" in second
    overview = await chat.text(cast.coordinator, f"/obecnosc {meeting_id}")
    assert "Miejsca stacjonarne: 1 z 1; lista rezerwowa: 1" in overview
    assert "wegetariańskie" in overview

    await chat.say(cast.laureate_rep, f"/rsvp {meeting_id} nie")
    with seeded.session() as s:
        promoted = s.exec(select(Rsvp).where(Rsvp.person_id == cast.laureate_rep2)).one()
        told = s.exec(select(OutboxMessage).where(OutboxMessage.kind == "waitlist")).all()
    assert promoted.waitlisted is False
    assert [m.person_id for m in told] == [cast.laureate_rep2]
    assert "Zwolniło się miejsce" in told[0].payload["text"]
    mine = await chat.text(cast.laureate_rep2, "/moje_spotkania")
    assert "Spotkanie II — Stacjonarnie" in mine and "rezerwowa" not in mine


async def test_observers_only_online_and_only_with_an_open_part(chat: Chat,
                                                                seeded: Database) -> None:
    cast = find_cast(seeded)
    closed = await create(chat, cast.coordinator, open_part="nie")
    opened = await create(chat, cast.coordinator, open_part="tak")
    assert "śledzą część otwartą online" in await chat.text(
        cast.observer_rep, f"/rsvp {opened} stacjonarnie")
    assert "nie ma części otwartej" in await chat.text(cast.observer_rep,
                                                       f"/rsvp {closed} online")
    assert "Zapisano: Online" in await chat.text(cast.observer_rep, f"/rsvp {opened} online")
    assert "Nie masz uprawnień" in await chat.text(cast.observer_rep, f"/obecnosc {opened}")


async def test_answers_change_until_the_deadline(chat: Chat, seeded: Database,
                                                 clock: FrozenClock) -> None:
    cast = find_cast(seeded)
    meeting_id = await create(chat, cast.coordinator)
    await chat.say(cast.laureate_rep, f"/rsvp {meeting_id} moze")
    assert "Zapisano: Online" in await chat.text(cast.laureate_rep, f"/rsvp {meeting_id} online")
    assert "Odpowiedz: stacjonarnie" in await chat.text(cast.laureate_rep,
                                                        f"/rsvp {meeting_id} jutro")
    assert "Nie ma spotkania" in await chat.text(cast.laureate_rep, "/rsvp 999 online")
    clock.set(datetime(2027, 5, 6, tzinfo=UTC))
    assert "Termin odpowiedzi minął" in await chat.text(cast.laureate_rep,
                                                        f"/rsvp {meeting_id} nie")
    with seeded.session() as s:
        assert s.exec(select(Rsvp.answer)).all() == ["online"]

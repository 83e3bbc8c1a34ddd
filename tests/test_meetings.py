"""Meetings (first part of the feature): create and publish, answers with the waitlist,
observer rules, deadline, overview, calendar file — on both stores."""

from __future__ import annotations

import csv
import io
import re
from datetime import UTC, datetime, timedelta

from icalendar import Calendar
from pypdf import PdfReader
from sqlmodel import select

from core.clock import FrozenClock
from core.config import Settings
from jobs.dispatch import DueDispatcher
from models.core import Person
from models.db import Database
from models.meetings import Meeting, Rsvp, rsvps
from models.outbox import OutboxMessage
from tests.cast import find_cast
from tests.conftest import START, Chat

NEW = (
    "/spotkanie_nowe cyfrowe; Spotkanie II; 12.05.2027 10:00; hybrydowe; 6; "
    "Łomża, ul. Długa 1; https://teams.example/m; {seats}; {open}; 5.05.2027 12:00"
)


async def create(chat: Chat, who: int, seats: str = "", open_part: str = "nie") -> int:
    text = await chat.text(who, NEW.format(seats=seats, open=open_part), chat="cyfrowe")
    match = re.search(r"Spotkanie nr (\d+) opublikowane", text)
    assert match, text
    return int(match.group(1))


async def test_publishing_invites_chats_and_people_with_buttons_and_calendar(
    chat: Chat, seeded: Database
) -> None:
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
        f"/rsvp {meeting_id} {a}" for a in ("stacjonarnie", "online", "nie", "moze")
    ]
    assert group[0].payload["files"][0]["name"] == f"spotkanie_{meeting_id}.ics"
    assert cast.laureate_rep in {r.person_id for r in rows}


def test_calendar_file_round_trips(seeded: Database, clock: FrozenClock) -> None:
    from zoneinfo import ZoneInfo

    from handlers.meetings.calendar import meeting_ics

    meeting = Meeting(
        id=7,
        network_id=1,
        title="Spotkanie II",
        sequence=2,
        format="hybrydowe",
        starts_at=datetime(2027, 5, 12, 8, tzinfo=UTC),
        duration_minutes=360,
        place="Łomża, ul. Długa 1",
        online_link="https://teams.example/m",
        agenda="Dyżur eksperta",
        rsvp_deadline=datetime(2027, 5, 5, tzinfo=UTC),
        created_at=clock.now(),
    )
    calendar = Calendar.from_ical(
        meeting_ics(meeting, "MIASTO CYFROWE", ZoneInfo("Europe/Warsaw"), clock.now())
    )
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
        "/spotkanie_nowe cyfrowe; X; 12.05.2027 10:00; online; 6;;;;; 13.05.2027 10:00": "Termin odpowiedzi",
        "/spotkanie_nowe nic; X; 12.05.2027 10:00; online": "Nieznana sieć",
    }
    for command, expected in cases.items():
        assert expected in await chat.text(cast.coordinator, command), command
    assert "Nie masz uprawnień" in await chat.text(
        cast.laureate_rep, "/spotkanie_nowe cyfrowe; X; 12.05.2027 10:00; online"
    )
    assert "Nie masz uprawnień" in await chat.text(
        cast.other_coordinator, "/spotkanie_nowe cyfrowe; X; 12.05.2027 10:00; online"
    )
    with seeded.session() as s:
        assert s.exec(select(Meeting)).all() == []
        assert s.exec(select(OutboxMessage)).all() == []


async def test_waitlist_and_automatic_promotion(chat: Chat, seeded: Database) -> None:
    cast = find_cast(seeded)
    meeting_id = await create(chat, cast.coordinator, seats="1")
    first = await chat.text(cast.laureate_rep, f"/rsvp {meeting_id} stacjonarnie")
    assert first.startswith(f"Zapisano Cię na spotkanie nr {meeting_id} (stacjonarnie).")
    second = await chat.text(cast.laureate_rep2, f"/rsvp {meeting_id} stacjonarnie wegetariańskie")
    assert "liście rezerwowej" in second
    overview = await chat.text(cast.coordinator, f"/obecnosc {meeting_id}")
    assert "Zajęto 1 z 1 miejsca stacjonarnego; na liście rezerwowej jest 1 osoba." in overview
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


async def test_observers_only_online_and_only_with_an_open_part(
    chat: Chat, seeded: Database
) -> None:
    cast = find_cast(seeded)
    closed = await create(chat, cast.coordinator, open_part="nie")
    opened = await create(chat, cast.coordinator, open_part="tak")
    assert "śledzą część otwartą online" in await chat.text(
        cast.observer_rep, f"/rsvp {opened} stacjonarnie"
    )
    assert "nie ma części otwartej" in await chat.text(cast.observer_rep, f"/rsvp {closed} online")
    assert f"Zapisano Cię na spotkanie nr {opened} (online)" in await chat.text(
        cast.observer_rep, f"/rsvp {opened} online"
    )
    assert "Nie masz uprawnień" in await chat.text(cast.observer_rep, f"/obecnosc {opened}")


async def test_answers_change_until_the_deadline(
    chat: Chat, seeded: Database, clock: FrozenClock
) -> None:
    cast = find_cast(seeded)
    meeting_id = await create(chat, cast.coordinator)
    await chat.say(cast.laureate_rep, f"/rsvp {meeting_id} moze")
    assert f"Zapisano Cię na spotkanie nr {meeting_id} (online)" in await chat.text(
        cast.laureate_rep, f"/rsvp {meeting_id} online"
    )
    assert "Odpowiedz: stacjonarnie" in await chat.text(
        cast.laureate_rep, f"/rsvp {meeting_id} jutro"
    )
    assert "Nie ma spotkania" in await chat.text(cast.laureate_rep, "/rsvp 999 online")
    clock.set(datetime(2027, 5, 6, tzinfo=UTC))
    assert "Termin odpowiedzi minął" in await chat.text(
        cast.laureate_rep, f"/rsvp {meeting_id} nie"
    )
    with seeded.session() as s:
        assert s.exec(select(Rsvp.answer)).all() == ["online"]


async def test_reminders_fire_at_their_moments_once(
    chat: Chat, seeded: Database, clock: FrozenClock, settings: Settings
) -> None:
    cast = find_cast(seeded)
    meeting_id = await create(chat, cast.coordinator)  # 12.05.2027 10:00, answers by 5.05 12:00
    await chat.say(cast.laureate_rep, f"/rsvp {meeting_id} online")
    jobs = DueDispatcher(seeded, clock, settings)

    def sent(kind: str) -> list[int | None]:
        with seeded.session() as s:
            return [
                m.person_id
                for m in s.exec(select(OutboxMessage).where(OutboxMessage.kind == kind)).all()
            ]

    moments = [  # (Warsaw-local moment just after it is due, kind, who gets it)
        # 3 May is a public holiday (Constitution Day): the nudge waits for the 4th, 9:00
        (datetime(2027, 5, 4, 7, 1, tzinfo=UTC), "rsvp_nudge", "silent"),
        (datetime(2027, 5, 5, 10, 1, tzinfo=UTC), "headcount", "staff"),
        (datetime(2027, 5, 5, 8, 1, tzinfo=UTC), "reminder_7d", [cast.laureate_rep]),
        (datetime(2027, 5, 11, 8, 1, tzinfo=UTC), "reminder_1d", [cast.laureate_rep]),
        (datetime(2027, 5, 12, 7, 1, tzinfo=UTC), "reminder_1h", [cast.laureate_rep]),
    ]
    clock.set(datetime(2027, 5, 3, 10, 1, tzinfo=UTC))
    await jobs.run_once()
    assert sent("rsvp_nudge") == []  # not yet: not on a holiday
    for when, kind, who in sorted(moments):
        clock.set(when)
        await jobs.run_once()
        await jobs.run_once()  # a second tick sends nothing twice
        got = sent(kind)
        if who == "silent":
            assert cast.laureate_rep not in got and cast.laureate_rep2 in got
            assert len(got) == len(set(got))
        elif who == "staff":
            assert set(got) == {cast.coordinator, cast.organiser}
        else:  # those coming, and the network's staff (they answer nothing)
            assert set(got) == {*who, cast.coordinator, cast.expert, cast.organiser}, kind
    with seeded.session() as s:
        [count] = s.exec(
            select(OutboxMessage).where(
                OutboxMessage.kind == "headcount", OutboxMessage.person_id == cast.organiser
            )
        ).all()
    assert "online 1" in count.payload["text"]
    with seeded.session() as s:
        [last] = s.exec(
            select(OutboxMessage).where(
                OutboxMessage.kind == "reminder_1h", OutboxMessage.person_id == cast.laureate_rep
            )
        ).all()
        [staff] = s.exec(
            select(OutboxMessage).where(
                OutboxMessage.kind == "reminder_1h", OutboxMessage.person_id == cast.organiser
            )
        ).all()
    assert last.payload["actions"] == [["Jestem", f"/jestem {meeting_id}"]]
    assert staff.payload["actions"] == []  # staff are reminded, with no check-in button


async def test_moving_reschedules_and_cancelling_drops_reminders(
    chat: Chat, seeded: Database, clock: FrozenClock, settings: Settings
) -> None:
    cast = find_cast(seeded)
    meeting_id = await create(chat, cast.coordinator)
    await chat.say(cast.laureate_rep, f"/rsvp {meeting_id} stacjonarnie")
    moved = await chat.text(cast.coordinator, f"/spotkanie_przesun {meeting_id} 19.05.2027 10:00")
    assert "przeniesiono na środę, 19 maja 2027, 10:00; powiadomiłem 1 czat grupowy" in moved
    with seeded.session() as s:
        meeting = s.get(Meeting, meeting_id)
        changes = s.exec(select(OutboxMessage).where(OutboxMessage.kind == "meeting_change")).all()
        invited = {
            r.person_id
            for r in s.exec(select(OutboxMessage).where(OutboxMessage.kind == "meeting")).all()
        }
    assert meeting.sequence == 1 and meeting.rsvp_deadline == datetime(
        2027, 5, 12, 10, 0, tzinfo=UTC
    )
    # everyone invited (answered or not) and the group: old → new, with the updated .ics
    assert {c.person_id for c in changes} == invited and None in invited
    assert cast.laureate_rep2 in invited  # has not answered, is told anyway
    assert all(
        "12 maja 2027, 10:00 → środa, 19 maja 2027, 10:00" in c.payload["text"]
        and c.payload["files"]
        for c in changes
    )
    jobs = DueDispatcher(seeded, clock, settings)
    clock.set(datetime(2027, 5, 11, 8, 1, tzinfo=UTC))  # the old "1 day before"
    await jobs.run_once()
    with seeded.session() as s:
        assert s.exec(select(OutboxMessage).where(OutboxMessage.kind == "reminder_1d")).all() == []
    clock.set(datetime(2027, 5, 13, 9, 0, tzinfo=UTC))
    assert "odwołane" in await chat.text(cast.coordinator, f"/spotkanie_odwolaj {meeting_id}")
    clock.set(datetime(2027, 5, 19, 7, 30, tzinfo=UTC))
    await jobs.run_once()
    with seeded.session() as s:
        kinds = {m.kind for m in s.exec(select(OutboxMessage)).all()}
    assert not kinds & {"reminder_1d", "reminder_1h"}
    assert "odwołane" in await chat.text(cast.laureate_rep, f"/rsvp {meeting_id} online")
    assert "Nie masz uprawnień" in await chat.text(
        cast.laureate_rep, f"/spotkanie_odwolaj {meeting_id}"
    )


async def test_check_in_and_attendance_exports(
    chat: Chat, seeded: Database, clock: FrozenClock
) -> None:
    cast = find_cast(seeded)
    meeting_id = await create(chat, cast.coordinator)
    await chat.say(cast.laureate_rep, f"/rsvp {meeting_id} stacjonarnie")
    assert "od dwóch godzin" in await chat.text(cast.laureate_rep, f"/jestem {meeting_id}")
    clock.set(datetime(2027, 5, 12, 8, 15, tzinfo=UTC))
    assert "Obecność potwierdzona" in await chat.text(cast.laureate_rep, f"/jestem {meeting_id}")
    assert "Nie masz uprawnień" in await chat.text(
        cast.laureate_rep, f"/jestem {meeting_id} {cast.laureate_rep2}"
    )
    assert "Obecność potwierdzona" in await chat.text(
        cast.organiser, f"/jestem {meeting_id} {cast.laureate_rep2}"
    )
    assert "poproś go o odnotowanie obecności" in await chat.text(
        cast.observer_rep, f"/jestem {meeting_id}"
    )

    [reply] = await chat.say(cast.organiser, f"/lista_obecnosci {meeting_id}")
    csv_file, pdf_file = reply.files
    assert csv_file.content.startswith("\ufeff".encode())
    rows = list(csv.reader(io.StringIO(csv_file.content.decode("utf-8-sig")), delimiter=";"))
    with seeded.session() as s:
        rep = s.get(Person, cast.laureate_rep)
        observer = s.get(Person, cast.observer_rep)
    mine = next(r for r in rows if r[1] == rep.name)
    assert mine[4] == "Stacjonarnie" and mine[5] == "12.05.2027 10:15"
    assert observer.name not in {r[1] for r in rows}  # observers don't sign for closed work
    text = "".join(page.extract_text() for page in PdfReader(io.BytesIO(pdf_file.content)).pages)
    assert "Lista obecności" in text and "MIASTO CYFROWE" in text and "Podpis" in text
    assert rep.name in text and "Łomża" in text and "środa, 12 maja 2027" in text
    assert "Nie masz uprawnień" in await chat.text(
        cast.laureate_rep, f"/lista_obecnosci {meeting_id}"
    )


async def test_guided_creation_asks_step_by_step(chat: Chat, seeded: Database) -> None:
    cast = find_cast(seeded)
    first = await chat.text(cast.coordinator, "/spotkanie_nowe", chat="cyfrowe")
    assert first.startswith("Tytuł spotkania?")  # the chat's network is taken as given
    answers = [
        "Spotkanie III",
        "jutro 10:00",
        "online",
        "-",
        "-",
        "https://teams.example/x",
        "-",
        "tak",
        "-",
    ]
    for answer in answers:
        assert "?" in await chat.text(cast.coordinator, answer, chat="cyfrowe")
    done = await chat.text(cast.coordinator, "Dyskusja; dyżur eksperta", chat="cyfrowe")
    assert "opublikowane" in done
    with seeded.session() as s:
        [meeting] = s.exec(select(Meeting)).all()
    assert (meeting.title, meeting.format, meeting.open_part, meeting.capacity) == (
        "Spotkanie III",
        "online",
        True,
        None,
    )
    assert meeting.agenda == "Dyskusja; dyżur eksperta"
    # a week and a day before are past: answers until two hours before, not "from now"
    assert meeting.rsvp_deadline == datetime(2026, 11, 24, 7, 0, tzinfo=UTC) > START


async def test_guided_creation_with_a_bad_value_saves_nothing(chat: Chat, seeded: Database) -> None:
    cast = find_cast(seeded)
    await chat.say(cast.coordinator, "/spotkanie_nowe")
    for answer in ("cyfrowe", "X", "1.01.2020 10:00", "online", "-", "-", "-", "-", "nie", "-"):
        await chat.say(cast.coordinator, answer)
    reply = await chat.text(cast.coordinator, "-")
    assert "przeszłość" in reply and "/spotkanie_nowe" in reply
    with seeded.session() as s:
        assert s.exec(select(Meeting)).all() == []


async def test_editing_details_tells_the_group_and_everyone_invited(
    chat: Chat, seeded: Database
) -> None:
    cast = find_cast(seeded)
    meeting_id = await create(chat, cast.coordinator, seats="2")
    await chat.say(cast.laureate_rep, f"/rsvp {meeting_id} stacjonarnie")
    await chat.say(cast.laureate_rep2, f"/rsvp {meeting_id} stacjonarnie")
    assert "nie może być mniejszy" in await chat.text(
        cast.coordinator, f"/spotkanie_zmien {meeting_id} limit 1"
    )
    edit = f"/spotkanie_zmien {meeting_id}"
    assert "pola: tytul" in await chat.text(cast.coordinator, f"{edit} kolor x")
    reply = await chat.text(cast.coordinator, f"{edit} miejsce Gniezno, Rynek 1")
    assert "powiadomiłem 1 czat grupowy i " in reply
    with seeded.session() as s:
        meeting = s.get(Meeting, meeting_id)
        told = s.exec(select(OutboxMessage).where(OutboxMessage.kind == "meeting_change")).all()
        invited = {
            r.person_id
            for r in s.exec(select(OutboxMessage).where(OutboxMessage.kind == "meeting")).all()
        }
    assert meeting.place == "Gniezno, Rynek 1" and meeting.sequence == 1
    assert {m.person_id for m in told} == invited  # the group (None) and every invitee
    assert all("→ Gniezno, Rynek 1" in m.payload["text"] for m in told)


async def test_raising_the_seat_limit_seats_the_waitlist_at_once(
    chat: Chat, seeded: Database
) -> None:
    cast = find_cast(seeded)
    meeting_id = await create(chat, cast.coordinator, seats="1")
    await chat.say(cast.laureate_rep, f"/rsvp {meeting_id} stacjonarnie")
    waiting = await chat.text(cast.laureate_rep2, f"/rsvp {meeting_id} stacjonarnie")
    assert "liście rezerwowej" in waiting or "rezerwow" in waiting
    reply = await chat.text(cast.coordinator, f"/spotkanie_zmien {meeting_id} limit 2")
    assert "1 osoba z listy rezerwowej dostała miejsce stacjonarne; powiadomiłem ją." in reply
    with seeded.session() as s:
        seated = {r.person_id for r in rsvps(s, meeting_id) if not r.waitlisted}
        [told] = s.exec(select(OutboxMessage).where(OutboxMessage.kind == "waitlist")).all()
    assert seated == {cast.laureate_rep, cast.laureate_rep2}
    assert told.person_id == cast.laureate_rep2 and "Zwolniło się miejsce" in told.payload["text"]


async def test_answers_that_are_personal_go_privately_from_a_group(
    chat: Chat, seeded: Database
) -> None:
    cast = find_cast(seeded)
    meeting_id = await create(chat, cast.coordinator, seats="5")
    [answer] = await chat.say(cast.laureate_rep, f"/rsvp {meeting_id} może", chat="cyfrowe")
    assert answer.to is not None and answer.text.startswith(
        "Zapisano, że być może weźmiesz udział w spotkaniu nr"
    )
    [overview] = await chat.say(cast.coordinator, f"/obecnosc {meeting_id}", chat="cyfrowe")
    assert overview.to is not None and "Spotkanie II" in overview.text
    [moved] = await chat.say(
        cast.coordinator, f"/spotkanie_przesun {meeting_id} 19.05.2027 10:00", chat="cyfrowe"
    )
    assert moved.to is not None and "przeniesiono" in moved.text


async def test_typed_forms_are_explained(chat: Chat, seeded: Database) -> None:
    cast = find_cast(seeded)
    assert "/moje_spotkania" in await chat.text(cast.laureate_rep, "/rsvp")
    meeting_id = await create(chat, cast.coordinator)
    usage = await chat.text(cast.coordinator, f"/spotkanie_przesun {meeting_id}")
    assert "/spotkanie_przesun 3 19.05.2027 10:00" in usage
    assert "pola: tytul" in await chat.text(cast.coordinator, f"/spotkanie_zmien {meeting_id} x")
    edited = await chat.text(cast.coordinator, f"/spotkanie_zmien {meeting_id} tytuł Spotkanie III")
    assert f"Spotkanie nr {meeting_id} zaktualizowane" in edited  # `tytuł` is `tytul`
    with seeded.session() as s:
        meeting = s.get(Meeting, meeting_id)
    assert meeting is not None and meeting.title == "Spotkanie III"

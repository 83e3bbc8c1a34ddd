"""Expert office hours end to end through the console chat, on SQLite and PostgreSQL, with a
clock the tests move: series and exceptions, opening, booking rules (one per city, cap,
observers, closed network), waitlist promotion, timed offers, reminders, /nastepny, marks and
the summary. The rules the database enforces are also tested against the tables directly."""

from __future__ import annotations

import asyncio
import json
import os
import re
import sqlite3
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from icalendar import Calendar
from sqlalchemy import text
from sqlalchemy.exc import IntegrityError, OperationalError
from sqlmodel import col, select

from bot.migrate import upgrade
from core.clock import FrozenClock
from core.config import Settings
from handlers.office_hours import render
from jobs.dispatch import DueDispatcher
from models import directory, seed
from models.core import Account, City, CityStanding, NetworkRole, Person
from models.db import Database
from models.office_hours import (
    OfficeBooking,
    OfficeSeries,
    OfficeSession,
    OfficeWaitlist,
    materialise,
)
from models.outbox import OutboxMessage
from tests.cast import find_cast
from tests.conftest import POSTGRES_OK, Chat, drop_database, fresh_database_url

SERIES = "/dyzur_seria cyfrowe; 1.12.2026 10:00; 2; 60; 15; https://teams.example/dyzur{cap}"
FIRST = datetime(2026, 12, 1, 9, 0, tzinfo=UTC)  # 10:00 in Warsaw


def add_city(db: Database, name: str, standing: str = "finalista", code: str = "cyfrowe") -> int:
    """One more city in the network with one representative who uses the console."""
    with db.session() as s:
        network = directory.require_network(s, code)
        city = City(name=name)
        s.add(city)
        s.flush()
        s.add(CityStanding(network_id=network.id or 0, city_id=city.id or 0, standing=standing))
        person = Person(name=f"Przedstawiciel {name}", city_id=city.id, created_at=FIRST)
        s.add(person)
        s.flush()
        s.add(
            Account(
                person_id=person.id or 0,
                platform="console",
                external_id=str(person.id),
                linked_at=FIRST,
            )
        )
        s.add(NetworkRole(person_id=person.id or 0, network_id=network.id, role="representative"))
        return person.id or 0


def core_reps(db: Database) -> list[int]:
    """One representative per core city of cyfrowe, in city order."""
    with db.session() as s:
        network = directory.require_network(s, "cyfrowe")
        seen: dict[int, int] = {}
        for person, role, city in directory.members(s, network.id or 0):
            standing = directory.standing_of(s, person.city_id, network.id)
            if role == "representative" and city and standing and standing.is_core:
                seen.setdefault(city.id or 0, person.id or 0)
        return [seen[c] for c in sorted(seen)]


async def define(chat: Chat, who: int, cap: str = "") -> list[int]:
    text = await chat.text(who, SERIES.format(cap=f"; {cap}" if cap else ""))
    assert "Cykl dyżurów nr" in text, text
    return [int(n) for n in re.findall(r"#(\d+) \d\d\.\d\d", text)]


def sent(db: Database, kind: str, person_id: int | None = None) -> list[OutboxMessage]:
    with db.session() as s:
        query = select(OutboxMessage).where(OutboxMessage.kind == kind)
        if person_id is not None:
            query = query.where(OutboxMessage.person_id == person_id)
        return list(s.exec(query.order_by(OutboxMessage.id)).all())


async def run_jobs(db: Database, clock: FrozenClock, settings: Settings) -> None:
    await DueDispatcher(db, clock, settings).run_once()


def holders(db: Database, session_id: int) -> dict[int, int]:
    with db.session() as s:
        return {
            b.slot: b.city_id
            for b in s.exec(
                select(OfficeBooking).where(
                    OfficeBooking.session_id == session_id,
                    col(OfficeBooking.active_slot).is_not(None),
                )
            )
        }


async def test_series_opening_and_the_booking_rules(
    chat: Chat, seeded: Database, clock: FrozenClock, settings: Settings
) -> None:
    cast = find_cast(seeded)
    sessions = await define(chat, cast.expert)
    assert len(sessions) == 3  # 1, 15 and 29 December within the six-week horizon
    first = sessions[0]
    with seeded.session() as s:
        row = s.get(OfficeSession, first)
    assert row is not None and row.starts_at == FIRST and row.slots == 4
    assert row.opens_at == FIRST - timedelta(days=7)

    early = await chat.text(cast.laureate_rep, f"/dyzur_rezerwuj {first} 2 e-usługi")
    assert "Zapisy na ten dyżur ruszają 24.11.2026 10:00" in early

    clock.set(FIRST - timedelta(days=7))
    await run_jobs(seeded, clock, settings)
    [notice] = sent(seeded, "office_open")
    assert notice.chat_id == "cyfrowe" and notice.person_id is None
    assert f"dyżur eksperta nr {first}" in notice.payload["text"]

    # typed in the group: the answer goes to the person privately, with the calendar file
    [reply] = await chat.say(
        cast.laureate_rep, f"/dyzur_rezerwuj {first} 2  e-usługi  w urzędzie", chat="cyfrowe"
    )
    assert reply.to is not None and reply.to.chat_id == str(cast.laureate_rep)
    assert "Zarezerwowano: dyżur nr" in reply.text and "10:15" in reply.text
    assert "Temat: e-usługi w urzędzie" in reply.text
    assert "https://teams.example/dyzur" in reply.text
    [event] = Calendar.from_ical(reply.files[0].content).walk("VEVENT")
    assert event.decoded("dtstart") == FIRST + timedelta(minutes=15)
    assert str(event["url"]) == "https://teams.example/dyzur"

    second_rep = await chat.text(cast.laureate_rep2, f"/dyzur_rezerwuj {first} 3 inny temat")
    assert "Twoje miasto ma już termin 2 (01.12.2026 10:15)" in second_rep
    assert "„e-usługi w urzędzie”" in second_rep
    observer = await chat.text(cast.observer_rep, f"/dyzur_rezerwuj {first} 3 pytanie")
    assert "obserwatorzy" in observer and "rdzenia sieci" in observer
    outsider = await chat.text(cast.mayor, f"/dyzur_rezerwuj {first} 3 pytanie")
    assert "Nie masz uprawnień" in outsider
    no_topic = await chat.text(cast.laureate_rep2, f"/dyzur_rezerwuj {first} 3")
    assert "Dodaj krótki temat" in no_topic
    too_long = await chat.text(cast.laureate_rep2, f"/dyzur_rezerwuj {first} 3 {'x' * 201}")
    assert "za długi (201 znaków)" in too_long

    reps = core_reps(seeded)
    assert len(reps) == 4
    taken = await chat.text(reps[1], f"/dyzur_rezerwuj {first} 2 budżet obywatelski")
    assert "Termin 2 jest już zajęty. Wolne: 1 (10:00), 3 (10:30), 4 (10:45)" in taken
    for rep in reps[1:]:
        assert "Zarezerwowano" in await chat.text(rep, f"/dyzur_rezerwuj {first} - temat {rep}")
    assert sorted(holders(seeded, first)) == [1, 2, 3, 4]

    extra = add_city(seeded, "Kutno II")
    waiting = await chat.text(extra, f"/dyzur_rezerwuj {first} - cyberbezpieczeństwo")
    assert "liście rezerwowej na miejscu 1" in waiting
    listing = await chat.text(extra, "/moje_dyzury")
    assert "lista rezerwowa: cyberbezpieczeństwo" in listing

    # a cancellation before the cutoff promotes the first waiting city and tells it
    cancelled = await chat.text(cast.laureate_rep2, f"/dyzur_odwolaj {first}")
    assert "Odwołano termin Twojego miasta" in cancelled
    with seeded.session() as s:
        extra_city = s.get(Person, extra).city_id  # type: ignore[union-attr]
    assert holders(seeded, first)[2] == extra_city
    [promoted] = sent(seeded, "office_promoted", extra)
    assert "przeszło z listy rezerwowej" in promoted.payload["text"]
    assert promoted.payload["files"][0]["name"].endswith(".ics")
    assert "termin 2" in await chat.text(extra, "/moje_dyzury")


async def test_the_database_refuses_a_second_holder(
    seeded: Database, chat: Chat, clock: FrozenClock
) -> None:
    cast = find_cast(seeded)
    [first, *_] = await define(chat, cast.expert)
    clock.set(FIRST - timedelta(days=1))
    assert "Zarezerwowano" in await chat.text(cast.laureate_rep, f"/dyzur_rezerwuj {first} 1 a")
    with seeded.session() as s:
        [held] = s.exec(select(OfficeBooking)).all()
    other = core_reps(seeded)[1]
    with seeded.session() as s:
        other_city = s.get(Person, other).city_id  # type: ignore[union-attr]
    cases = [
        dict(slot=1, city_id=other_city, active_slot=1, active_city=other_city),
        dict(slot=2, city_id=held.city_id, active_slot=2, active_city=held.city_id),
    ]
    for case in cases:
        with pytest.raises(IntegrityError), seeded.session() as s:
            s.add(
                OfficeBooking(
                    session_id=first,
                    person_id=other,
                    topic="x",
                    status="booked",
                    created_at=clock.now(),
                    **case,
                )
            )
    # released rows keep their history without blocking the slot
    with seeded.session() as s:
        s.add(
            OfficeBooking(
                session_id=first,
                slot=1,
                city_id=other_city,
                person_id=other,
                topic="old",
                status="cancelled",
                created_at=clock.now(),
            )
        )
    assert holders(seeded, first) == {1: held.city_id}


async def test_the_calendar_file_is_built_after_the_booking_committed(
    seeded: Database, chat: Chat, clock: FrozenClock, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The session's row lock serialises its bookings, so nothing slow runs under it: the
    reply's .ics is built when the reply is read (sent or queued), by which time the booking
    is committed and the session free for the next city — and the file is still right."""
    cast = find_cast(seeded)
    [first, *_] = await define(chat, cast.expert)
    clock.set(FIRST - timedelta(days=1))
    probes: list[tuple[bool, int]] = []
    build = render.office_ics

    def probing(*args: object, **kwargs: object) -> bytes:
        probes.append((_session_free(seeded, first), _held_elsewhere(seeded, first)))
        return build(*args, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(render, "office_ics", probing)
    [reply] = await chat.say(cast.laureate_rep, f"/dyzur_rezerwuj {first} 2 e-usługi")
    assert "Zarezerwowano" in reply.text and probes == []  # not built yet
    [file] = reply.files
    assert file.name == f"dyzur_{first}_2.ics" and file.mime == "text/calendar"
    [event] = Calendar.from_ical(file.content).walk("VEVENT")
    assert probes == [(True, 1)]  # built now: the lock free, the booking visible to others
    assert file.content == file.content and len(probes) == 1  # built once
    assert event.decoded("dtstart") == FIRST + timedelta(minutes=15)
    assert str(event["description"]) == "e-usługi"
    assert str(event["uid"]) == f"office-{_booking_id(seeded, first)}@empirie-bot"


def _session_free(db: Database, session_id: int) -> bool:
    """Whether another connection could take the session's lock right now (no waiting)."""
    if db.is_postgres:
        with db.engine.connect() as conn:
            try:
                conn.execute(
                    text("SELECT id FROM office_session WHERE id = :id FOR UPDATE NOWAIT"),
                    {"id": session_id},
                )
                return True
            except OperationalError:
                return False
            finally:
                conn.rollback()
    other = sqlite3.connect(db.engine.url.database or "", timeout=0)
    try:
        other.execute("BEGIN IMMEDIATE")  # SQLite's lock: the one writer
        other.rollback()
        return True
    except sqlite3.OperationalError:
        return False
    finally:
        other.close()


def _held_elsewhere(db: Database, session_id: int) -> int:
    """Slots of the session held, as another connection sees them (committed rows only)."""
    with db.engine.connect() as conn:
        return int(
            conn.execute(
                text(
                    "SELECT count(*) FROM office_booking "
                    "WHERE session_id = :id AND active_slot IS NOT NULL"
                ),
                {"id": session_id},
            ).scalar_one()
        )


def _booking_id(db: Database, session_id: int) -> int:
    with db.session() as s:
        [booking] = s.exec(
            select(OfficeBooking).where(OfficeBooking.session_id == session_id)
        ).all()
        return booking.id or 0


async def test_late_cancellation_offers_the_slot_one_by_one(
    chat: Chat, seeded: Database, clock: FrozenClock, settings: Settings
) -> None:
    cast = find_cast(seeded)
    [first, *_] = await define(chat, cast.expert)
    clock.set(FIRST - timedelta(days=2))
    reps = core_reps(seeded)
    for rep in reps:
        await chat.say(rep, f"/dyzur_rezerwuj {first} - temat {rep}")
    late_a, late_b = add_city(seeded, "Miasto A"), add_city(seeded, "Miasto B")
    for rep in (late_a, late_b):
        assert "rezerwowej" in await chat.text(rep, f"/dyzur_rezerwuj {first} - pytania {rep}")

    clock.set(FIRST - timedelta(minutes=30))  # after the two-hour cutoff of every slot
    text = await chat.text(reps[3], f"/dyzur_odwolaj {first}")
    assert "Termin odwołania już minął" in text
    [offer] = sent(seeded, "office_offer", late_a)
    assert "Czeka na Twoje miasto do 10:00" in offer.payload["text"]
    assert [a[1] for a in offer.payload["actions"]] == [
        f"/dyzur_przyjmij {first}",
        f"/dyzur_odrzuc {first}",
    ]
    assert "nie czeka żadna propozycja" in await chat.text(late_b, f"/dyzur_przyjmij {first}")

    clock.advance(timedelta(minutes=31))  # A lets the 30 minutes run out
    await run_jobs(seeded, clock, settings)
    assert len(sent(seeded, "office_offer", late_a)) == 2  # the offer and "it has passed"
    [offer_b] = sent(seeded, "office_offer", late_b)
    assert "do 10:31" in offer_b.payload["text"]
    assert "nie czeka żadna propozycja" in await chat.text(late_a, f"/dyzur_przyjmij {first}")
    accepted = await chat.text(late_b, f"/dyzur_przyjmij {first}")
    assert "Zarezerwowano" in accepted and "10:45" in accepted
    with seeded.session() as s:
        b_city = s.get(Person, late_b).city_id  # type: ignore[union-attr]
    assert holders(seeded, first)[4] == b_city

    # nobody left waiting: a slot freed late is announced in the group as "wolny termin"
    assert "Termin odwołania już minął" in await chat.text(reps[2], f"/dyzur_odwolaj {first}")
    [free] = sent(seeded, "office_free")
    assert free.chat_id == "cyfrowe" and free.payload["text"].startswith("🟢 Wolny termin")
    assert f"/dyzur_rezerwuj {first} 3" in free.payload["text"]


async def test_reminders_agenda_next_marks_and_summary(
    chat: Chat, seeded: Database, clock: FrozenClock, settings: Settings
) -> None:
    cast = find_cast(seeded)
    [first, *_] = await define(chat, cast.expert)
    clock.set(FIRST - timedelta(days=3))
    reps = core_reps(seeded)
    await chat.say(reps[0], f"/dyzur_rezerwuj {first} 1 strategia cyfryzacji")
    await chat.say(reps[1], f"/dyzur_rezerwuj {first} 2 dotacje na e-usługi")

    clock.set(FIRST - timedelta(hours=24))
    await run_jobs(seeded, clock, settings)
    [agenda] = sent(seeded, "office_agenda_1d", cast.expert)
    assert "strategia cyfryzacji" in agenda.payload["text"]
    assert "3. 10:30 — wolny" in agenda.payload["text"]
    [remind] = sent(seeded, "office_remind_24h", reps[0])
    assert "Jutro dyżur" in remind.payload["text"]
    assert "https://teams.example/dyzur" in remind.payload["text"]
    assert sent(seeded, "office_remind_15m") == []

    clock.set(FIRST - timedelta(minutes=15))
    await run_jobs(seeded, clock, settings)
    assert len(sent(seeded, "office_agenda_1h", cast.expert)) == 1
    assert [m.person_id for m in sent(seeded, "office_remind_15m")] == [reps[0]]
    clock.set(FIRST)
    await run_jobs(seeded, clock, settings)
    assert [m.person_id for m in sent(seeded, "office_remind_15m")] == [reps[0], reps[1]]

    called = await chat.say(cast.expert, "/nastepny")
    assert "Wezwano:" in called[0].text and "strategia cyfryzacji" in called[0].text
    [turn] = sent(seeded, "office_turn", reps[0])
    assert "Twoja kolej" in turn.payload["text"]
    assert "https://teams.example/dyzur" in turn.payload["text"]
    assert [a.command for a in called[0].actions] == [
        f"/dyzur_zrobione {first} 1",
        f"/dyzur_nieobecny {first} 1",
        f"/nastepny {first}",
    ]
    assert "odbyty" in await chat.text(cast.expert, f"/dyzur_zrobione {first} 1")
    assert "dotacje" in await chat.text(cast.expert, "/nastepny")
    assert "nieobecność" in await chat.text(cast.expert, f"/dyzur_nieobecny {first} 2")
    assert "nikt więcej" in await chat.text(cast.expert, "/nastepny")
    assert "Nie masz uprawnień" in await chat.text(reps[0], f"/dyzur_nieobecny {first} 1")

    clock.set(FIRST + timedelta(hours=1))
    await run_jobs(seeded, clock, settings)
    [end] = sent(seeded, "office_end", cast.expert)
    assert "strategia cyfryzacji ✔ odbyty" in end.payload["text"]
    report = await chat.text(cast.coordinator, f"/dyzur_podsumowanie {first}")
    assert "dotacje na e-usługi ✘ nieobecność" in report
    assert "Dotychczasowe nieobecności:" in report and " 1" in report


async def test_exceptions_and_series_changes_tell_booked_cities(
    chat: Chat, seeded: Database, clock: FrozenClock, settings: Settings
) -> None:
    cast = find_cast(seeded)
    first, second, third = await define(chat, cast.expert)
    clock.set(FIRST - timedelta(days=6))
    rep = core_reps(seeded)[0]
    assert "Zarezerwowano" in await chat.text(rep, f"/dyzur_rezerwuj {first} 1 temat")

    moved = await chat.text(cast.expert, f"/dyzur_przesun {first} 2.12.2026 12:00")
    assert "Powiadomiłem 1 miasto." in moved
    [change] = sent(seeded, "office_change", rep)
    assert "2 grudnia 2026, 12:00" in change.payload["text"]
    assert change.payload["files"][0]["name"] == f"dyzur_{first}_1.ics"

    assert "reszta cyklu bez zmian" in await chat.text(cast.expert, f"/dyzur_pomin {second}")
    await run_jobs(seeded, clock, settings)  # the sweep does not bring a skipped date back
    with seeded.session() as s:
        rows = {x.id: x for x in s.exec(select(OfficeSession)).all()}
    assert rows[second].status == "skipped" and len(rows) == 3

    # from 29 December on: 12:00 instead of 10:00; the third date keeps its number
    text = await chat.text(cast.coordinator, "/dyzur_seria_zmien 1 20.12.2026 godzina 12:00")
    assert "trwa dalej jako cykl nr 2" in text
    with seeded.session() as s:
        later = s.get(OfficeSession, third)
    assert later is not None and later.starts_at == datetime(2026, 12, 29, 11, 0, tzinfo=UTC)
    assert later.series_id == 2
    assert "Nie masz uprawnień" in await chat.text(rep, f"/dyzur_pomin {third}")

    ended = await chat.text(cast.expert, "/dyzur_seria_koniec 2 1.12.2026")
    assert "nie ma już terminów" in ended
    with seeded.session() as s:
        assert s.get(OfficeSession, third) is None  # nobody had booked it: gone


async def test_cap_per_city_per_quarter(chat: Chat, seeded: Database, clock: FrozenClock) -> None:
    cast = find_cast(seeded)
    first, second, _third = await define(chat, cast.expert, cap="1")
    clock.set(FIRST - timedelta(days=1))
    with seeded.session() as s:  # let booking for the 15 December session open early too
        s.get(OfficeSession, second).opens_at = clock.now()  # type: ignore[union-attr]
    rep = core_reps(seeded)[0]
    assert "Zarezerwowano" in await chat.text(rep, f"/dyzur_rezerwuj {first} - a")
    refused = await chat.text(rep, f"/dyzur_rezerwuj {second} - b")
    assert "wykorzystało już dyżury w tym okresie (1 z 1)" in refused
    assert "01.01.2027" in refused
    with seeded.session() as s:
        assert s.exec(select(OfficeWaitlist)).all() == []
    # a cancelled booking does not count
    await chat.say(rep, f"/dyzur_odwolaj {first}")
    assert "Zarezerwowano" in await chat.text(rep, f"/dyzur_rezerwuj {second} - b")


async def test_buttons_ask_for_the_topic_privately(
    chat: Chat, seeded: Database, clock: FrozenClock
) -> None:
    cast = find_cast(seeded)
    [first, *_] = await define(chat, cast.expert)
    clock.set(FIRST - timedelta(days=1))
    [listing, *_] = await chat.say(cast.laureate_rep, "/dyzur", chat="cyfrowe")
    assert listing.to is not None and listing.to.chat_id == str(cast.laureate_rep)
    assert [a.command for a in listing.actions] == [
        f"/dyzur_wybierz {first} {n}" for n in (1, 2, 3, 4)
    ]
    [ask] = await chat.say(cast.laureate_rep, f"/dyzur_wybierz {first} 3", chat="cyfrowe")
    assert "o co chcesz zapytać" in ask.text and ask.to is not None
    # nothing is held until the topic comes, and the topic is typed in the private chat
    assert holders(seeded, first) == {}
    [done] = await chat.say(cast.laureate_rep, "  wdrożenie KSeF  ")
    assert "Zarezerwowano" in done.text and "Temat: wdrożenie KSeF" in done.text
    [listing, *_] = await chat.say(cast.laureate_rep2, "/dyzur")
    assert "Twoje miasto ma termin 3 (10:30): wdrożenie KSeF" in listing.text
    assert listing.actions == ()


# --- two bot processes, one PostgreSQL, the moment booking opens ----------------------------


@pytest.mark.skipif(not POSTGRES_OK, reason="PostgreSQL not reachable (outside CI)")
async def test_two_processes_200_attempts_for_4_slots(tmp_path: Path) -> None:
    url = fresh_database_url("postgres", tmp_path, "empirie_office")
    upgrade(url)
    db = Database(url)
    opening = FIRST - timedelta(days=7)
    with db.session() as s:
        network = seed.ensure_networks(s)[0]
        people = []
        for n in range(50):  # 50 core cities, two representatives each
            city = City(name=f"Miasto {n}")
            s.add(city)
            s.flush()
            s.add(
                CityStanding(network_id=network.id or 0, city_id=city.id or 0, standing="laureat")
            )
            for k in range(2):
                person = Person(name=f"Osoba {n}-{k}", city_id=city.id, created_at=opening)
                s.add(person)
                s.flush()
                s.add(
                    Account(
                        person_id=person.id or 0,
                        platform="console",
                        external_id=str(person.id),
                        linked_at=opening,
                    )
                )
                s.add(
                    NetworkRole(
                        person_id=person.id or 0, network_id=network.id, role="representative"
                    )
                )
                people.append(str(person.id))
        series = OfficeSeries(
            network_id=network.id or 0,
            rrule="FREQ=WEEKLY;INTERVAL=2",
            dtstart=FIRST,
            created_at=opening,
        )
        s.add(series)
        s.flush()
        [session, *_] = materialise(
            s, series, ZoneInfo("Europe/Warsaw"), opening, timedelta(days=10)
        )
    try:
        env = {**os.environ, "EMPIRIE_LOG_LEVEL": "WARNING"}
        procs = [
            await asyncio.create_subprocess_exec(
                sys.executable,
                "-m",
                "tests.office_load",
                url,
                str(session.id),
                opening.isoformat(),
                *people[i::2] + people[1 - i :: 2],
                env=env,
                cwd=Path(__file__).parent.parent,
                stdout=asyncio.subprocess.PIPE,
                stderr=asyncio.subprocess.PIPE,
            )
            for i in range(2)
        ]
        outputs = [await asyncio.wait_for(p.communicate(), 180) for p in procs]
        assert [p.returncode for p in procs] == [0, 0], [o[1][-2000:] for o in outputs]
        answers = [reply for out, _err in outputs for reply in json.loads(out)]
        replies = [a["text"] for a in answers]
        assert len(replies) == 200
        booked = [a for a in answers if "Zarezerwowano" in a["text"]]
        assert len(booked) == 4
        # each confirmation carries its own slot's calendar file, built after its commit
        slots = []
        for answer in booked:
            [(name, start)] = answer["files"]
            slot = int(re.search(r"termin (\d+),", answer["text"]).group(1))  # type: ignore[union-attr]
            assert name == f"dyzur_{session.id}_{slot}.ics"
            assert datetime.fromisoformat(start) == session.slot_start(slot)
            slots.append(slot)
        assert sorted(slots) == [1, 2, 3, 4]
        assert all(a["files"] == [] for a in answers if a not in booked)
        expected = (
            "Zarezerwowano",
            "liście rezerwowej",
            "Twoje miasto ma już termin",
            "jest już zajęty. Wolne:",
        )
        strange = [r for r in replies if not any(e in r for e in expected)]
        assert strange == []  # no error, no apology: every reply is a booking answer
        with db.session() as s:
            held = s.exec(select(OfficeBooking).where(OfficeBooking.active_slot != None)).all()  # noqa: E711
            waiting = s.exec(select(OfficeWaitlist)).all()
        assert sorted(b.slot for b in held) == [1, 2, 3, 4]
        assert len({b.city_id for b in held}) == 4
        assert {w.city_id for w in waiting}.isdisjoint({b.city_id for b in held})
    finally:
        db.dispose()
        drop_database(url)


async def test_the_leaders_network_is_only_for_its_members(
    chat: Chat, seeded: Database, clock: FrozenClock
) -> None:
    cast = find_cast(seeded)
    with seeded.session() as s:
        leaders = directory.require_network(s, "liderzy")
        [expert] = [
            p.id for p, role, _c in directory.members(s, leaders.id or 0) if role == "expert"
        ]
    text = await chat.text(expert, "/dyzur_seria liderzy; 2.12.2026 9:00")
    [session] = re.findall(r"#(\d+) 02\.12", text)
    clock.set(FIRST - timedelta(days=1))
    outsider = await chat.text(cast.laureate_rep, f"/dyzur_rezerwuj {session} - pytanie")
    assert "Nie ma dyżuru" in outsider, outsider  # a closed network's number: as if missing
    assert "Zarezerwowano" in await chat.text(cast.mayor, f"/dyzur_rezerwuj {session} - wizja")
    assert "Nie masz uprawnień" in await chat.text(cast.laureate_rep, "/dyzur liderzy")

"""Time as an office lives it: nothing stale after downtime (one rule in the dispatcher), and
working days — weekends and Polish public holidays — for deadlines, headcounts, digests,
reminders and office-hours series (both stores)."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta

from sqlmodel import select

from core.clock import FrozenClock
from core.config import Settings
from core.workdays import Workdays, is_working_day, next_working_morning
from jobs.dispatch import LATENESS, DueDispatcher
from models.db import Database
from models.office_hours import OfficeSession
from models.outbox import OutboxMessage
from tests.cast import find_cast
from tests.conftest import Chat
from tests.test_office_hours import FIRST, core_reps, define

WARSAW = Settings().tz


def sent(db: Database, kind: str, person_id: int | None = None) -> list[str]:
    with db.session() as s:
        query = select(OutboxMessage).where(OutboxMessage.kind == kind)
        if person_id is not None:
            query = query.where(OutboxMessage.person_id == person_id)
        return [m.payload["text"] for m in s.exec(query.order_by(OutboxMessage.id)).all()]


async def booked(chat: Chat, seeded: Database, clock: FrozenClock) -> tuple[int, list[int]]:
    cast = find_cast(seeded)
    [first, *_] = await define(chat, cast.expert)
    clock.set(FIRST - timedelta(days=3))
    reps = core_reps(seeded)
    assert "Zarezerwowano" in await chat.text(reps[0], f"/dyzur_rezerwuj {first} 1 strategia")
    assert "Zarezerwowano" in await chat.text(reps[1], f"/dyzur_rezerwuj {first} 3 dotacje")
    return first, reps


def test_every_kind_that_speaks_of_time_declares_how_late_it_may_run() -> None:
    import jobs

    jobs.load_all()
    for kind in ("office_remind_24h", "office_remind_15m", "office_agenda_1d", "reminder_1h"):
        assert kind in LATENESS
    assert LATENESS["office_remind_24h"].rewrite is not None
    assert "join_expiry" not in LATENESS  # state changes run however late


async def test_after_downtime_the_day_before_reminder_is_reworded_and_the_agenda_sent_once(
    chat: Chat, seeded: Database, clock: FrozenClock, settings: Settings
) -> None:
    cast = find_cast(seeded)
    first, reps = await booked(chat, seeded, clock)
    jobs = DueDispatcher(seeded, clock, settings)
    await jobs.run_once()
    # down from three days before until two hours before the session (8:00 on the day)
    clock.set(FIRST - timedelta(hours=2))
    await jobs.run_once()
    assert sent(seeded, "office_remind_24h", reps[0]) == [
        f"⏰ Przypomnienie: dyżur eksperta nr {first} dla Twojego miasta — wtorek, 1 grudnia 2026, "
        "10:00. Temat: strategia. Dołącz: https://teams.example/dyzur"
    ]
    assert all("Jutro" not in text for text in sent(seeded, "office_remind_24h"))
    assert sent(seeded, "office_agenda_1d") == []  # a day-old agenda, dropped
    clock.set(FIRST - timedelta(minutes=50))
    await jobs.run_once()
    await jobs.run_once()
    agendas = sent(seeded, "office_agenda_1d", cast.expert) + sent(
        seeded, "office_agenda_1h", cast.expert
    )
    assert len(agendas) == 1  # the expert gets the agenda once


async def test_after_two_weeks_down_nothing_stale_goes_out(
    chat: Chat, seeded: Database, clock: FrozenClock, settings: Settings
) -> None:
    await booked(chat, seeded, clock)
    jobs = DueDispatcher(seeded, clock, settings)
    await jobs.run_once()
    clock.set(FIRST + timedelta(days=10))  # back on 11 December
    await jobs.run_once()
    for kind in ("office_remind_24h", "office_remind_15m", "office_agenda_1d", "office_agenda_1h"):
        assert sent(seeded, kind) == [], kind


async def test_a_late_fifteen_minute_reminder_is_dropped_but_one_on_time_goes(
    chat: Chat, seeded: Database, clock: FrozenClock, settings: Settings
) -> None:
    first, reps = await booked(chat, seeded, clock)
    jobs = DueDispatcher(seeded, clock, settings)
    clock.set(FIRST + timedelta(minutes=14))  # slot 1 began 14 min ago; slot 3 in 16 min
    await jobs.run_once()
    assert sent(seeded, "office_remind_15m", reps[0]) == []
    clock.set(FIRST + timedelta(minutes=15))
    await jobs.run_once()
    assert sent(seeded, "office_remind_15m", reps[1]) == [
        f"⏰ Za 15 minut: dyżur nr {first}, wtorek, 1 grudnia 2026, 10:30. Temat: dotacje. "
        "Dołącz: https://teams.example/dyzur"
    ]


def test_working_days_are_weekdays_without_polish_public_holidays() -> None:
    assert is_working_day(date(2026, 11, 12))  # a Thursday
    assert not is_working_day(date(2026, 11, 11))  # Independence Day
    assert not is_working_day(date(2026, 11, 14))  # a Saturday
    assert not is_working_day(date(2027, 3, 29))  # Easter Monday (movable: from the calendar)
    saturday = datetime(2026, 11, 14, 11, 0, tzinfo=UTC)
    assert next_working_morning(saturday) == datetime(2026, 11, 16, 8, 0, tzinfo=UTC)  # Mon 9:00
    tuesday = datetime(2026, 11, 17, 11, 0, tzinfo=UTC)
    assert next_working_morning(tuesday) == tuesday
    # 10 November (Tue) then the holiday: the next working morning is Thursday
    holiday = datetime(2026, 11, 11, 9, 0, tzinfo=UTC)
    assert next_working_morning(holiday) == datetime(2026, 11, 12, 8, 0, tzinfo=UTC)


def test_working_days_are_configurable() -> None:
    weekends_only = Settings(EMPIRIE_HOLIDAYS_COUNTRY="").workdays
    assert weekends_only.is_working_day(date(2026, 11, 11))
    office = Settings(
        EMPIRIE_DAYS_OFF="2026-11-10", EMPIRIE_WORKING_MORNING="8:30"
    ).workdays  # a bridge day the office takes off
    assert not office.is_working_day(date(2026, 11, 10))
    assert office.next_working_morning(datetime(2026, 11, 10, 9, 0, tzinfo=UTC)) == datetime(
        2026, 11, 12, 7, 30, tzinfo=UTC
    )
    assert Settings(EMPIRIE_WORKING_DAYS="false").workdays.is_working_day(date(2026, 11, 14))
    assert Workdays(tz=WARSAW, morning=time(9)).is_day_off(date(2027, 1, 6))


async def test_a_headcount_due_on_a_saturday_comes_on_monday_morning(
    chat: Chat, seeded: Database, clock: FrozenClock, settings: Settings
) -> None:
    cast = find_cast(seeded)
    reply = await chat.text(
        cast.coordinator,
        "/spotkanie_nowe cyfrowe; Spotkanie II; 12.05.2027 10:00; hybrydowe; 6; "
        "Łomża, ul. Długa 1; https://teams.example/m; 40; nie; 8.05.2027 12:00",
        chat="cyfrowe",
    )
    assert "opublikowane" in reply, reply
    jobs = DueDispatcher(seeded, clock, settings)
    clock.set(datetime(2027, 5, 8, 10, 1, tzinfo=UTC))  # Saturday 12:01, the deadline passed
    await jobs.run_once()
    assert sent(seeded, "headcount", cast.organiser) == []
    clock.set(datetime(2027, 5, 10, 7, 1, tzinfo=UTC))  # Monday 9:01
    await jobs.run_once()
    [count] = sent(seeded, "headcount", cast.organiser)
    assert count.startswith("Liczba uczestników spotkania nr ")


async def test_office_hours_series_skip_public_holidays(
    chat: Chat, seeded: Database, clock: FrozenClock
) -> None:
    cast = find_cast(seeded)
    clock.set(datetime(2026, 12, 20, 9, 0, tzinfo=UTC))
    reply = await chat.text(
        cast.expert, "/dyzur_seria cyfrowe; 30.12.2026 10:00; 1; 60; 15; https://teams.example/d"
    )
    assert "Cykl dyżurów nr" in reply, reply
    with seeded.session() as s:
        days = [
            o.starts_at.astimezone(WARSAW).date()
            for o in s.exec(select(OfficeSession).order_by(OfficeSession.starts_at)).all()
        ]
    assert days[:3] == [date(2026, 12, 30), date(2027, 1, 13), date(2027, 1, 20)]  # not 6 Jan
    assert "06.01" not in reply


async def test_a_join_request_reminds_the_coordinator_before_it_lapses(
    chat: Chat, seeded: Database, clock: FrozenClock, settings: Settings
) -> None:
    from tests.test_roster_chat import answer_join_questions

    cast = find_cast(seeded)
    await answer_join_questions(chat, "tg-950", "zielone")  # Monday 23 November, 10:00
    jobs = DueDispatcher(seeded, clock, settings)
    await jobs.run_once()
    told = sent(seeded, "join_summary", cast.other_coordinator)
    assert len(told) == 1 and told[0].startswith("📥 MIASTO NEUTRALNE")  # the new request
    clock.set(datetime(2026, 12, 4, 8, 59, tzinfo=UTC))
    await jobs.run_once()
    assert len(sent(seeded, "join_summary")) == 1
    clock.set(datetime(2026, 12, 4, 9, 1, tzinfo=UTC))  # Friday, three days before it lapses
    await jobs.run_once()
    await jobs.run_once()
    assert sent(seeded, "join_summary", cast.other_coordinator)[1:] == [
        "⏳ Zgłoszenie nr 1 (Marta Kwiatkowska, Płock) do sieci MIASTO NEUTRALNE KLIMATYCZNIE / "
        "ZIELONE wciąż czeka na Twoją decyzję; wygaśnie: poniedziałek, 7 grudnia 2026, 10:00. "
        "/przyjmij 1 zielone albo /odrzuc 1 zielone."
    ]

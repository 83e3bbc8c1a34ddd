"""The network's work plan between meetings, as people use it in chat (console), on SQLite and
PostgreSQL with a clock the test moves: goals and the calendar, actions with owners reminded
on working days and asked for a one-line status, overdue actions told to the coordinator and
shown first, the actions agreed at a meeting entered right after it, and the contract shown
to every member (also to one who joins later) and acknowledged once per city."""

from __future__ import annotations

import re
from datetime import UTC, datetime
from zoneinfo import ZoneInfo

from sqlmodel import col, select

from core.clock import FrozenClock
from core.config import Settings
from core.i18n import Translator
from core.messages import Outgoing
from handlers.kit.report import sections
from handlers.roster import office
from jobs.dispatch import DueDispatcher
from models import directory
from models.core import City, Person
from models.db import Database
from models.due import DueTask
from models.outbox import OutboxMessage
from models.workplan import ActionStatus, PlanAction, PlannedMeeting
from tests.cast import find_cast
from tests.conftest import Chat

WARSAW = ZoneInfo("Europe/Warsaw")
NOVEMBER = datetime(2026, 11, 1, tzinfo=UTC)
T = Translator("pl", WARSAW)


def warsaw(day: int, month: int, hour: int, minute: int = 0, year: int = 2026) -> datetime:
    return datetime(year, month, day, hour, minute, tzinfo=WARSAW).astimezone(UTC)


def queued(db: Database, kind: str, person: int | None = None) -> list[OutboxMessage]:
    with db.session() as s:
        query = select(OutboxMessage).where(OutboxMessage.kind == kind)
        if person is not None:
            query = query.where(OutboxMessage.person_id == person)
        return list(s.exec(query.order_by(col(OutboxMessage.id))).all())


def buttons(payload: dict) -> list[str]:  # type: ignore[type-arg]
    return [a[1] for a in payload["actions"] if a[1]]


def city_of(db: Database, person: int) -> str:
    with db.session() as s:
        p = s.get(Person, person)
        assert p is not None
        city = s.get(City, p.city_id)
        assert city is not None
        return city.name


def reps_of(db: Database, city: str) -> list[int]:
    with db.session() as s:
        network = directory.require_network(s, "cyfrowe")
        return sorted(
            p.id or 0
            for p, role, c in directory.members(s, network.id or 0)
            if role == "representative" and c is not None and c.name == city
        )


async def run(db: Database, clock: FrozenClock, settings: Settings) -> int:
    return await DueDispatcher(db, clock, settings, owner="test").run_once()


def private(answer: list[Outgoing], person: int) -> str:
    """The replies went to the person's own private chat, not the group."""
    assert answer and all(m.to is not None and m.to.chat_id == str(person) for m in answer)
    return "\n".join(m.text for m in answer)


async def test_goals_calendar_and_an_action_reminded_answered_and_done(
    chat: Chat, seeded: Database, clock: FrozenClock, settings: Settings
) -> None:
    cast = find_cast(seeded)
    c = cast.coordinator
    lomza = city_of(seeded, cast.laureate_rep)
    assert "Cel nr 1 jest w planie sieci MIASTO CYFROWE" in await chat.text(
        c, "/cel_dodaj cyfrowe; Wspólny standard e-usług dla małych miast"
    )
    said = await chat.text(c, "/plan_spotkanie cyfrowe; I kw. 2027; Dostępność cyfrowa")
    assert "Zaplanowane spotkanie nr 1 sieci MIASTO CYFROWE: I kwartał 2027" in said, said
    assert "miesiąca ani kwartału" in await chat.text(c, "/plan_spotkanie cyfrowe; V kw. 2027")

    # Monday 7 December is the due date; Łomża owns it (both its representatives)
    said = await chat.text(
        c, f"/dzialanie_dodaj cyfrowe; Ankieta o e-usługach w urzędach; {lomza}; 7.12.2026"
    )
    assert "Działanie nr 1 jest w planie sieci MIASTO CYFROWE" in said, said
    assert f"Odpowiada: {lomza}. Termin: poniedziałek, 7 grudnia 2026" in said
    owners = reps_of(seeded, lomza)
    assert owners == [cast.laureate_rep, cast.laureate_rep2]
    for owner in owners:
        [told] = queued(seeded, "plan_assigned", owner)
        assert "📌 Nowe działanie w planie pracy sieci MIASTO CYFROWE" in told.payload["text"]
        assert "/dzialanie_status 1 zrobione" in buttons(told.payload)
    assert queued(seeded, "plan_assigned", cast.observer_rep) == []

    # the reminders: 7 days before (Monday 30.11, 9:00) and 1 day before — a Sunday, so
    # Friday 4.12 at 9:00; never on a day off
    with seeded.session() as s:
        moments = sorted(
            t.due_at for t in s.exec(select(DueTask).where(DueTask.kind == "plan_reminder"))
        )
    assert moments == [warsaw(30, 11, 9), warsaw(4, 12, 9)]
    clock.set(warsaw(30, 11, 9, 1))
    await run(seeded, clock, settings)
    for owner in owners:
        [reminder] = queued(seeded, "plan_reminder", owner)
        text = reminder.payload["text"]
        assert text.startswith(
            "⏰ Termin działania nr 1 sieci MIASTO CYFROWE mija za 7 dni (poniedziałek, 7"
        )
        assert "mija za 7 dni" in text and "Jak idzie?" in text
        assert buttons(reminder.payload) == [
            "/dzialanie_status 1 w toku",
            "/dzialanie_status 1 zrobione",
            "/dzialanie_status 1",
        ]
    await run(seeded, clock, settings)  # the same moment again: nothing twice
    assert len(queued(seeded, "plan_reminder")) == 2

    # the owner answers in one line; someone else may not
    said = await chat.text(cast.laureate_rep, "/dzialanie_status 1 w toku: ankieta wysłana")
    assert "Działanie nr 1 — w toku: ankieta wysłana" in said, said
    refused = await chat.text(cast.observer_rep, "/dzialanie_status 1 zrobione")
    assert f"Za działanie nr 1 odpowiada {lomza}" in refused, refused
    # the button "Napisz stan" asks for the line, which comes next
    asked = await chat.text(cast.laureate_rep2, "/dzialanie_status 1")
    assert "Napisz jego stan w jednym wierszu" in asked, asked
    said = await chat.text(cast.laureate_rep2, "Zebrano 14 odpowiedzi z 20 urzędów")
    assert "Działanie nr 1 — w toku: Zebrano 14 odpowiedzi z 20 urzędów" in said, said

    clock.set(warsaw(4, 12, 9, 1))  # Friday: the last reminder, «za 3 dni»
    await run(seeded, clock, settings)
    last = queued(seeded, "plan_reminder", cast.laureate_rep)[-1].payload["text"]
    assert "mija za 3 dni" in last and "Stan: w toku." in last

    # "Zrobione" pressed: done, no more reminders, nothing overdue
    assert "Działanie nr 1 — zrobione" in await chat.text(
        cast.laureate_rep, "/dzialanie_status 1 zrobione"
    )
    with seeded.session() as s:
        action = s.get(PlanAction, 1)
        assert action is not None and action.status == ActionStatus.DONE
        assert action.done_at == warsaw(4, 12, 9, 1)
        pending = s.exec(
            select(DueTask).where(DueTask.ref_id == 1, DueTask.status == "pending")
        ).all()
        assert [t.kind for t in pending] == []
    reopened = await chat.text(cast.laureate_rep, "/dzialanie_status 1 w toku")
    assert "może koordynator" in reopened, reopened
    clock.set(warsaw(8, 12, 9, 1))
    await run(seeded, clock, settings)
    assert queued(seeded, "plan_overdue") == []


async def test_overdue_first_told_to_the_coordinator_and_the_plan_is_private(
    chat: Chat, seeded: Database, clock: FrozenClock, settings: Settings
) -> None:
    cast = find_cast(seeded)
    c = cast.coordinator
    with seeded.session() as s:
        expert = s.get(Person, cast.expert)
        assert expert is not None and expert.name
        expert_name = expert.name
    # a person as the owner, by a part of the name (the expert)
    said = await chat.text(
        c, f"/dzialanie_dodaj cyfrowe; Przegląd naborów; {expert_name.split()[-1]}; 25.11.2026"
    )
    assert f"Odpowiada: {expert_name}" in said, said
    await chat.text(c, "/dzialanie_dodaj cyfrowe; Raport z ankiety; Świdnik; 15.01.2027")
    wrong = await chat.text(c, "/dzialanie_dodaj cyfrowe; Coś; Warszawa; 15.01.2027")
    assert "Nie znam „Warszawa” w sieci MIASTO CYFROWE" in wrong and "Łomża" in wrong, wrong
    past = await chat.text(c, "/dzialanie_dodaj cyfrowe; Coś; Łomża; 1.11.2026")
    assert "to przeszłość" in past, past
    assert "Nie rozumiem daty" in await chat.text(
        c, "/dzialanie_dodaj cyfrowe; Coś; Łomża; wkrótce"
    )
    assert "Plan pracy sieci prowadzą" in await chat.text(
        cast.laureate_rep, "/dzialanie_dodaj cyfrowe; Coś; Łomża; 1.12.2026"
    )

    # Thursday 26.11, 9:00: the first working morning after the due date
    clock.set(warsaw(26, 11, 9, 1))
    await run(seeded, clock, settings)
    [notice] = queued(seeded, "plan_overdue")
    assert notice.person_id == c
    assert (
        "⚠️ Działanie nr 1 sieci MIASTO CYFROWE jest po terminie (termin: 25.11.2026)"
        in (notice.payload["text"])
    )

    # the plan, typed in the group: privately, overdue first, the keepers' lines
    answer = await chat.say(c, "/plan", chat="cyfrowe")
    text = private(answer, c)
    assert text.index("Po terminie jest 1 działanie:") < text.index("#1 Przegląd naborów")
    assert text.index("#1 Przegląd naborów") < text.index("Planowane (1):")
    assert "⚠️ po terminie" in text and "#2 Raport z ankiety — Świdnik — termin 15.01.2027" in text
    assert "Kontrakt: jeszcze nie ustalony" in text
    assert "Od ostatniego spotkania zgłoszono 0 potrzeb lub obserwacji (/potrzeby cyfrowe)" in text
    member = private(await chat.say(cast.observer_rep, "/plan", chat="cyfrowe"), cast.observer_rep)
    assert "Przegląd naborów" in member and "Kontrakt:" not in member

    # the leaders' network stays closed: its plan is not for a city of another network
    assert "Nie masz uprawnień" in await chat.text(cast.laureate_rep, "/plan liderzy")

    # the report's section: what was done and what is still due
    with seeded.session() as s:
        network = directory.require_network(s, "cyfrowe")
        found = sections(s, T, network.id or 0, NOVEMBER, clock.now())
    [section] = [x for x in found if x.title == "Plan pracy — działania zrobione i do zrobienia"]
    assert section.lines[0] == "W tym okresie zrobiono 0 działań:"
    assert "Do zrobienia są 2 działania:" in section.lines
    assert any("Przegląd naborów" in line and "po terminie" in line for line in section.lines)
    with seeded.session() as s:  # a network without a plan: no section
        other = directory.require_network(s, "zielone")
        titles = [x.title for x in sections(s, T, other.id or 0, NOVEMBER, clock.now())]
    assert "Plan pracy — działania zrobione i do zrobienia" not in titles


async def test_the_guided_form_and_the_actions_agreed_right_after_a_meeting(
    chat: Chat, seeded: Database, clock: FrozenClock, settings: Settings
) -> None:
    cast = find_cast(seeded)
    c = cast.coordinator
    await chat.text(c, "/plan_spotkanie cyfrowe; 11.2026; Spotkanie jesienne")
    published = await chat.text(
        c, "/spotkanie_nowe cyfrowe; Spotkanie II; 25.11.2026 10:00; online; 4", chat="cyfrowe"
    )
    meeting = int(re.search(r"Spotkanie nr (\d+) opublikowane", published).group(1))  # type: ignore[union-attr]
    await run(seeded, clock, settings)  # the planned meeting is linked to the real one
    with seeded.session() as s:
        [planned] = s.exec(select(PlannedMeeting)).all()
        assert planned.meeting_id == meeting

    # the meeting ends at 14:00: its coordinator is asked for the actions agreed
    clock.set(warsaw(25, 11, 14, 5))
    await run(seeded, clock, settings)
    [prompt] = queued(seeded, "plan_after_meeting", c)
    assert (
        f"Spotkanie nr {meeting} „Spotkanie II” (MIASTO CYFROWE) się zakończyło"
        in (prompt.payload["text"])
    )
    assert buttons(prompt.payload) == [f"/dzialania_ze_spotkania {meeting}"]
    await run(seeded, clock, settings)
    assert len(queued(seeded, "plan_after_meeting")) == 1  # once

    started = await chat.text(c, f"/dzialania_ze_spotkania {meeting}")
    assert "Po jednym działaniu w wierszu" in started, started
    replies = await chat.say(
        c,
        "Ankieta o e-usługach; Łomża; 29.01.2027\n"
        "- Wzór umowy na utrzymanie; Świdnik; 12.02.2027\n"
        "Mapa procesów; Radom; 12.02.2027",
    )
    added, failed, kept, more = (m.text for m in replies)
    assert f"Do planu ze spotkania nr {meeting} dodano 2 działania:" in added
    assert "Wzór umowy na utrzymanie — Świdnik — termin 12.02.2027" in added
    assert "Nie znam „Radom”" in failed
    assert kept == "Mapa procesów; Radom; 12.02.2027"  # as written, to correct and resend
    assert more == "Kolejne wiersze albo „gotowe”."
    await chat.text(c, "Mapa procesów; Gniezno; 12.02.2027")
    assert f"Spotkanie nr {meeting} ma w planie 3 działania." in await chat.text(c, "gotowe")
    plan = await chat.text(c, "/plan cyfrowe")
    assert f"listopad 2026 — Spotkanie jesienne → spotkanie nr {meeting}" in plan, plan

    # the guided form: field by field, privately; a wrong answer comes back as one line
    assert "Która sieć?" in await chat.text(c, "/dzialanie_dodaj")
    await chat.text(c, "cyfrowe")
    await chat.text(c, "Szkolenie z dostępności; dla urzędników")
    await chat.text(c, "Kłodzko")
    replies = await chat.say(c, "31.02.2027")
    assert "nie istnieje" in replies[0].text and "Nic nie zostało zapisane" in replies[0].text
    assert replies[1].text == (
        "/dzialanie_dodaj cyfrowe; Szkolenie z dostępności; dla urzędników; Kłodzko; 31.02.2027"
    )
    started = await chat.say(c, "/dzialanie_dodaj", chat="cyfrowe")
    assert "na czacie prywatnym" in started[0].text

    # the owner's list of what they own
    mine = await chat.text(cast.laureate_rep, "/moje_dzialania")
    assert "Ankieta o e-usługach — Łomża — termin 29.01.2027 — planowane" in mine, mine


async def test_the_contract_is_shown_to_members_and_acknowledged_once_per_city(
    chat: Chat, seeded: Database, clock: FrozenClock, settings: Settings
) -> None:
    cast = find_cast(seeded)
    c = cast.coordinator
    assert "nie ma jeszcze kontraktu" in await chat.text(cast.laureate_rep, "/kontrakt cyfrowe")
    said = await chat.text(
        c,
        "/kontrakt_ustaw cyfrowe 1. Spotykamy się raz na kwartał; odpowiadamy w tydzień.\n"
        "2. Dzielimy się danymi <b>i</b> materiałami.",
    )
    assert "Wersja 1 kontraktu sieci MIASTO CYFROWE ustalona" in said, said
    with seeded.session() as s:
        network = directory.require_network(s, "cyfrowe")
        members = {
            p.id
            for p, role, _c in directory.members(s, network.id or 0)
            if role == "representative"
        }
    got = {m.person_id for m in queued(seeded, "contract")}
    assert got == members and len(got) == 9
    [mine] = queued(seeded, "contract", cast.laureate_rep)
    assert "2. Dzielimy się danymi <b>i</b> materiałami." in mine.payload["text"]  # as text
    assert buttons(mine.payload) == ["/kontrakt_akceptuje cyfrowe"]

    lomza = city_of(seeded, cast.laureate_rep)
    said = await chat.text(cast.laureate_rep, "/kontrakt_akceptuje")
    assert f"Dziękuję: {lomza} akceptuje wersję 1 kontraktu sieci MIASTO CYFROWE." == said
    again = await chat.text(cast.laureate_rep2, "/kontrakt_akceptuje cyfrowe")
    assert f"{lomza} już zaakceptowało wersję 1 kontraktu" in again, again
    assert "Zaakceptuj go" not in await chat.text(cast.laureate_rep2, "/kontrakt")
    assert "Dziękuję" in await chat.text(cast.observer_rep, "/kontrakt_akceptuje cyfrowe")
    refused = await chat.text(cast.expert, "/kontrakt_akceptuje cyfrowe")
    assert "akceptuje przedstawiciel miasta" in refused, refused

    overview = await chat.text(c, "/kontrakt cyfrowe")
    assert "Zaakceptowało 2 z 5 miast." in overview
    assert "Jeszcze nie: Gniezno, Świdnik, Żyrardów" in overview, overview
    assert "/kontrakt_akceptuje" not in overview  # staff acknowledge nothing themselves

    # a new representative of Świdnik links their account: the contract comes with the
    # button; one of Łomża's people: without it (their city has acknowledged it)
    await chat.text(c, "/osoba_dodaj cyfrowe; Świdnik; Hanna Żak; Specjalistka")
    with seeded.session() as s:
        [hanna] = [p for p in s.exec(select(Person)).all() if p.name == "Hanna Żak"]
    assert queued(seeded, "contract", hanna.id) == []  # no account yet
    _person, code = office.issue_invitation(seeded, clock, str(hanna.id), days=7)
    assert "Połączono Twoje konto" in await chat.text("hanna", f"/start {code}")
    [shown] = queued(seeded, "contract", hanna.id)
    assert shown.chat_id == "hanna"
    assert "Spotykamy się raz na kwartał" in shown.payload["text"]
    assert buttons(shown.payload) == ["/kontrakt_akceptuje cyfrowe"]

    # a new version: every city acknowledges again
    await chat.text(c, "/kontrakt_ustaw cyfrowe 1. Spotykamy się co dwa miesiące.")
    assert "Zaakceptowało 0 z 5 miast." in await chat.text(c, "/kontrakt cyfrowe")
    assert "wersję 2" in await chat.text(cast.laureate_rep, "/kontrakt_akceptuje")


def test_due_dates_and_periods_read_as_people_type_them() -> None:
    from handlers.workplan.parse import parse_day, parse_period, split_status
    from models.workplan import PeriodKind

    now = datetime(2026, 11, 23, 9, tzinfo=UTC)
    assert parse_day("30 stycznia", now, WARSAW).isoformat() == "2027-01-30"
    assert parse_day("7.12.2026 10:00", now, WARSAW).isoformat() == "2026-12-07"
    quarter = parse_period("II kw. 2027", now, WARSAW)
    assert (quarter.starts_on.isoformat(), quarter.ends_on.isoformat()) == (
        "2027-04-01",
        "2027-06-30",
    )
    assert parse_period("Q4 2027", now, WARSAW).ends_on.isoformat() == "2027-12-31"
    assert parse_period("2027 q1", now, WARSAW).starts_on.isoformat() == "2027-01-01"
    month = parse_period("luty 2028", now, WARSAW)
    assert month.kind is PeriodKind.MONTH and month.ends_on.isoformat() == "2028-02-29"
    assert parse_period("05.2027", now, WARSAW).kind is PeriodKind.MONTH
    assert parse_period("12.05.2027", now, WARSAW).kind is PeriodKind.DAY
    assert split_status("Zrobione, wysłane do ZMP") == (ActionStatus.DONE, "wysłane do ZMP")
    assert split_status("W toku: 3 z 5") == (ActionStatus.IN_PROGRESS, "3 z 5")
    assert split_status("ankieta wysłana") == (None, "ankieta wysłana")


async def test_goals_the_calendar_and_actions_changed_by_the_coordinator(
    chat: Chat, seeded: Database, clock: FrozenClock, settings: Settings
) -> None:
    cast = find_cast(seeded)
    c = cast.coordinator
    await chat.text(c, "/cel_dodaj cyfrowe; Wspólny standard")
    assert "Cel nr 1 brzmi teraz: Wspólny standard e-usług" in await chat.text(
        c, "/cel_zmien 1 Wspólny standard e-usług"
    )
    await chat.text(c, "/cel_dodaj cyfrowe; Do usunięcia")
    assert "Cel nr 2 usunięty z planu." in await chat.text(c, "/cel_usun 2")
    assert "Nie ma celu o numerze „2”" in await chat.text(c, "/cel_usun 2")
    # another network's coordinator may not touch it; numbers reveal nothing
    assert "Nie masz uprawnień" in await chat.text(cast.other_coordinator, "/cel_usun 1")
    await chat.text(c, "/plan_spotkanie cyfrowe; 05.2027")
    await chat.text(c, "/plan_spotkanie cyfrowe; 12.03.2027; Wizyta studyjna")
    assert "usunięte z harmonogramu" in await chat.text(c, "/plan_spotkanie_usun 1")
    plan = await chat.text(c, "/plan cyfrowe")
    assert "1. Wspólny standard e-usług (#1)" in plan and "Do usunięcia" not in plan
    assert "#2 piątek, 12 marca 2027 — Wizyta studyjna → jeszcze nie zwołane" in plan, plan
    assert "maj 2027" not in plan

    await chat.text(c, "/dzialanie_dodaj cyfrowe; Ankieta; Łomża; 7.12.2026")
    changed = await chat.text(c, "/dzialanie_zmien 1 wlasciciel Gniezno")
    assert "Działanie zmienione: #1 Ankieta — Gniezno" in changed, changed
    gniezno = reps_of(seeded, "Gniezno")
    assert {m.person_id for m in queued(seeded, "plan_assigned")} >= set(gniezno)
    await chat.text(c, "/dzialanie_zmien 1 termin 14.12.2026")
    with seeded.session() as s:
        moments = sorted(
            t.due_at
            for t in s.exec(
                select(DueTask).where(DueTask.kind == "plan_reminder", DueTask.status == "pending")
            )
        )
    assert moments == [warsaw(7, 12, 9), warsaw(11, 12, 9)]  # the new date's reminders only
    said = await chat.text(c, "/dzialanie_zmien 1 status porzucone: zmiana priorytetów")
    assert "Działanie nr 1 — porzucone: zmiana priorytetów" in said, said
    assert "Stan: planowane, w toku" in await chat.text(c, "/dzialanie_zmien 1 status może")
    assert "pola: opis" in await chat.text(c, "/dzialanie_zmien 1 kolor zielony")

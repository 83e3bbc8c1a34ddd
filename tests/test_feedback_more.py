"""The network's own questions, the start-of-network surveys and quick polls in the group, in
the console chat on both stores."""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlmodel import select

from core.clock import FrozenClock
from core.config import Settings
from jobs.dispatch import DueDispatcher
from models.db import Database
from models.feedback import Poll, PollParticipant, PollVote
from models.outbox import OutboxMessage
from tests.cast import find_cast
from tests.conftest import Chat
from tests.test_feedback import ENDS, core_reps, make_meeting, outbox


async def test_own_questions_replace_the_defaults_in_new_polls(
    chat: Chat, seeded: Database, clock: FrozenClock, settings: Settings
) -> None:
    cast = find_cast(seeded)
    listing = await chat.text(cast.coordinator, "/ankieta_pytania cyfrowe")
    assert "Jak ogólnie oceniasz spotkanie?" in listing  # the defaults
    added = await chat.text(
        cast.coordinator, "/ankieta_pytanie cyfrowe spotkanie ocena Jak oceniasz moderację?"
    )
    assert "Dodano pytanie 1" in added
    await chat.say(
        cast.coordinator,
        "/ankieta_pytanie cyfrowe spotkanie wybor Forma kolejnego "
        "spotkania? | stacjonarnie | online | hybrydowo",
    )
    assert "od 2 do 8" in await chat.text(
        cast.coordinator, "/ankieta_pytanie cyfrowe spotkanie wybor X | jedna"
    )
    assert "Nie masz uprawnień" in await chat.text(
        cast.other_coordinator, "/ankieta_pytanie cyfrowe spotkanie tekst Coś?"
    )
    assert "Nie masz uprawnień" in await chat.text(
        cast.laureate_rep, "/ankieta_pytanie cyfrowe spotkanie tekst Coś?"
    )
    listing = await chat.text(cast.coordinator, "/ankieta_pytania cyfrowe")
    assert "Jak oceniasz moderację?" in listing and "stacjonarnie | online" in listing
    assert "Jak ogólnie oceniasz" not in listing

    a = core_reps(seeded)[0]
    meeting = await make_meeting(chat, cast.coordinator)
    await chat.say(a, f"/rsvp {meeting} online")
    clock.set(ENDS + timedelta(hours=1))
    await DueDispatcher(seeded, clock, settings).run_once()
    [asked] = outbox(seeded, "feedback_poll")
    assert "Pytanie 1 z 2: Jak oceniasz moderację?" in asked.payload["text"]
    reply = await chat.text(a, "/ankieta 1 1 4")
    assert "Pytanie 2 z 2" in reply and "3. hybrydowo" in reply
    assert "Dziękuję" in await chat.text(a, "3")


async def test_start_of_network_survey_reaches_all_representatives(
    chat: Chat, seeded: Database, clock: FrozenClock, settings: Settings
) -> None:
    cast = find_cast(seeded)
    reply = await chat.text(cast.coordinator, "/ankieta_start cyfrowe zaufanie")
    assert "Ankieta nr 1 trafiła do 9 osób." in reply
    assert "połączonego konta" not in reply  # everyone is linked: nothing to say about it
    assert "już trwa" in await chat.text(cast.coordinator, "/ankieta_start cyfrowe zaufanie")
    with seeded.session() as s:
        [poll] = s.exec(select(Poll)).all()
        asked = {m.person_id for m in s.exec(select(PollParticipant)).all()}
    assert poll.kind == "survey" and poll.survey == "trust"
    assert cast.observer_rep in asked and cast.coordinator not in asked
    first = outbox(seeded, "feedback_poll")[0].payload["text"]
    assert "Anonimowo" in first and "ufasz" in first
    for who in sorted(asked)[:3]:
        await chat.say(who, f"/ankieta {poll.id} 1 {2 + who % 3}")
    assert "wyniki są ukryte" in (await chat.text(cast.coordinator, f"/wyniki {poll.id}")).lower()
    clock.advance(timedelta(days=7))
    await DueDispatcher(seeded, clock, settings).run_once()
    results = await chat.text(cast.coordinator, f"/wyniki {poll.id}")
    assert "odpowiedziały 3 z 9 zapytanych osób" in results and "średnia" in results
    assert "Nie masz uprawnień" in await chat.text(cast.laureate_rep, f"/wyniki {poll.id}")


async def test_anonymous_quick_poll_in_the_group(
    chat: Chat, seeded: Database, clock: FrozenClock, settings: Settings
) -> None:
    cast = find_cast(seeded)
    a, b, c, d = core_reps(seeded)[:4]
    assert "czacie grupowym" in await chat.text(
        cast.coordinator, "/glosowanie Kiedy? | maj | czerwiec"
    )
    assert (
        await chat.say(cast.coordinator, "/glosowanie Kiedy? | maj | czerwiec", chat="cyfrowe")
        == []
    )
    [posted] = outbox(seeded, "adhoc_poll")
    assert posted.chat_id == "cyfrowe" and "Anonimowo" in posted.payload["text"]
    assert [x[1] for x in posted.payload["actions"]] == ["/glosuj 1 1", "/glosuj 1 2"]
    assert "poll" not in posted.payload  # anonymous: buttons, never a native named poll
    for who, option in ((a, 2), (b, 2), (c, 1)):
        assert "anonimowo" in await chat.text(who, f"/glosuj 1 {option}", chat="cyfrowe")
    assert "Twój głos w głosowaniu nr 1 „Kiedy?” jest już zapisany" in await chat.text(
        a, "/glosuj 1 1", chat="cyfrowe"
    )
    assert "Głosują tylko przedstawiciele" in await chat.text(
        cast.expert, "/glosuj 1 1", chat="cyfrowe"
    )
    with seeded.session() as s:
        assert s.exec(select(PollVote)).all() == []  # nothing stored under a name
    clock.advance(timedelta(days=1))
    await DueDispatcher(seeded, clock, settings).run_once()
    [result] = outbox(seeded, "adhoc_result")
    assert result.chat_id == "cyfrowe"
    assert "1. maj: 1" in result.payload["text"] and "2. czerwiec: 2" in result.payload["text"]
    assert "zamknięta" in await chat.text(d, "/glosuj 1 1", chat="cyfrowe")  # late


async def test_open_quick_poll_counts_named_votes_and_closes_early(
    chat: Chat, seeded: Database, clock: FrozenClock, settings: Settings
) -> None:
    cast = find_cast(seeded)
    a, b = core_reps(seeded)[:2]
    await chat.say(
        cast.coordinator, "/glosowanie jawne Przyjmujemy plan? | tak | nie", chat="cyfrowe"
    )
    [posted] = outbox(seeded, "adhoc_poll")
    assert "Głosowanie jawne" in posted.payload["text"]
    assert posted.payload["poll"]["anonymous"] is False  # Telegram: a native named poll
    await chat.say(a, "/glosuj 1 1", chat="cyfrowe")
    await chat.say(b, "/glosuj 1 1", chat="cyfrowe")
    assert "odpowiedź 2" in await chat.text(b, "/glosuj 1 2", chat="cyfrowe")  # changed
    assert "Zamknięto" in await chat.text(cast.coordinator, "/glosowanie_zamknij 1")
    with seeded.session() as s:
        assert {v.person_id: v.option for v in s.exec(select(PollVote)).all()} == {a: 1, b: 2}
        rows = s.exec(select(OutboxMessage).where(OutboxMessage.kind == "adhoc_result")).all()
    assert "1. tak: 1" in rows[0].payload["text"] and "2. nie: 1" in rows[0].payload["text"]
    assert "zamknięta" in await chat.text(a, "/glosuj 1 2", chat="cyfrowe")


async def test_report_lists_the_funding_calls_the_network_was_told_about(
    chat: Chat, seeded: Database, clock: FrozenClock
) -> None:
    from datetime import UTC, datetime

    from models import directory
    from models.funding import FundingCall, FundingSeen

    cast = find_cast(seeded)
    meeting = await make_meeting(chat, cast.coordinator)
    with seeded.session() as s:
        network = directory.require_network(s, "cyfrowe")
        told = FundingCall(
            source="manual",
            title="Cyfrowa gmina 2027",
            title_key="cyfrowa",
            programme="FERC",
            deadlines=["2027-03-31T22:00:00+00:00"],
            first_seen_at=clock.now(),
            updated_at=clock.now(),
        )
        later = FundingCall(
            source="manual",
            title="Po spotkaniu",
            title_key="po",
            first_seen_at=clock.now(),
            updated_at=clock.now(),
        )
        s.add_all([told, later])
        s.flush()
        s.add(FundingSeen(network_id=network.id or 0, call_id=told.id or 0, first_at=clock.now()))
        s.add(
            FundingSeen(
                network_id=network.id or 0,
                call_id=later.id or 0,
                first_at=datetime(2026, 12, 1, tzinfo=UTC),
            )
        )  # after the meeting
    report = await chat.text(cast.coordinator, f"/raport {meeting}")
    section = report.split("Omówione nabory i źródła finansowania:")[1]
    assert "• Cyfrowa gmina 2027 (FERC) — termin czwartek, 1 kwietnia 2027" in section
    assert "Po spotkaniu" not in section


async def test_report_lists_the_office_hours_topics_of_the_period(
    chat: Chat, seeded: Database, clock: FrozenClock
) -> None:
    from models import directory
    from models.core import Person
    from models.office_hours import OfficeBooking, OfficeSession

    cast = find_cast(seeded)
    meeting = await make_meeting(chat, cast.coordinator)
    with seeded.session() as s:
        network = directory.require_network(s, "cyfrowe")
        rep = s.get(Person, cast.laureate_rep)
        assert rep is not None and rep.city_id is not None
        city = directory.city_name(s, rep.city_id)

        def held(when: datetime, topic: str, status: str) -> None:
            session = OfficeSession(
                network_id=network.id or 0,
                occurrence=when,
                starts_at=when,
                opens_at=when - timedelta(days=7),
                created_at=clock.now(),
            )
            s.add(session)
            s.flush()
            s.add(
                OfficeBooking(
                    session_id=session.id or 0,
                    slot=0,
                    city_id=rep.city_id or 0,
                    person_id=rep.id or 0,
                    topic=topic,
                    status=status,
                    active_slot=0,
                    active_city=rep.city_id,
                    created_at=clock.now(),
                )
            )

        held(clock.now() + timedelta(hours=2), "Wdrożenie e-usług", "done")
        held(clock.now() + timedelta(hours=4), "Budżet obywatelski online", "no_show")
        held(clock.now() + timedelta(days=30), "Po spotkaniu", "booked")  # outside the period
    report = await chat.text(cast.coordinator, f"/raport {meeting}")
    section = report.split("Dyżury eksperckie w tym okresie")[1].split("\n\n")[0]
    assert f"{city}: Wdrożenie e-usług" in section
    assert f"{city}: Budżet obywatelski online (nieobecność)" in section
    assert "Po spotkaniu" not in section and "Jeszcze niedostępne" not in report

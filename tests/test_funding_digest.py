"""Funding digests as a network receives them: NOWE, closing soon, changes, other calls; no
repeats, nothing when nothing is new, mute, follow reminders, the review before a meeting and
the length cap with the full list attached — with a controllable clock on both stores."""

from __future__ import annotations

import csv
import io
from datetime import UTC, datetime, timedelta

from sqlmodel import select

from core.clock import FrozenClock
from core.config import Settings
from handlers.funding.parse import CallRecord
from handlers.funding.store import ingest
from jobs.dispatch import DueDispatcher
from models.db import Database
from models.funding import FundingCall, FundingChange
from models.meetings import Meeting
from models.outbox import OutboxMessage
from tests.cast import find_cast
from tests.conftest import START, Chat
from tests.outbox_files import file_bytes

MONDAY_9 = datetime(2026, 11, 23, 8, 0, tzinfo=UTC)  # 9:00 in Warsaw


def digests(db: Database, chat_id: str = "cyfrowe") -> list[OutboxMessage]:
    with db.session() as s:
        return list(
            s.exec(
                select(OutboxMessage)
                .where(OutboxMessage.kind == "funding_digest", OutboxMessage.chat_id == chat_id)
                .order_by(OutboxMessage.id)
            ).all()
        )  # type: ignore[arg-type]


def eu(
    identifier: str, title: str, *deadlines: datetime, budget: float | None = None
) -> CallRecord:
    return CallRecord(
        source="eu",
        title=title,
        identifier=identifier,
        link=f"https://ec.europa.eu/topic/{identifier}",
        programme=identifier.split("-")[0],
        deadlines=tuple(deadlines),
        budget=budget,
        currency="EUR",
    )


def store(db: Database, now: datetime, *records: CallRecord) -> None:
    with db.session() as s:
        ingest(s, records, now)


async def run(db: Database, clock: FrozenClock, settings: Settings) -> int:
    return await DueDispatcher(db, clock, settings, owner="test").run_once()


async def test_weekly_digest_sections_reasons_and_no_repeats(
    seeded: Database, clock: FrozenClock, settings: Settings, chat: Chat
) -> None:
    cast = find_cast(seeded)
    far = datetime(2027, 3, 1, 16, tzinfo=UTC)
    store(
        seeded,
        clock.now(),
        eu("DIGITAL-2027-AI-01", "AI for local public services", far, budget=2_000_000),
        eu("LIFE-2027-CLIMA-01", "Climate adaptation in cities", far),
        eu("HORIZON-2027-X", "Cyfryzacja usług publicznych w gminach", START + timedelta(days=5)),
    )
    text = await chat.text(
        cast.expert,
        "/konkurs_dodaj Cyfrowa gmina; CPPC; "
        "https://cppc.gov.pl/nabor; 30.01.2027; 500000; e-usługi",
    )
    assert "Dodano konkurs nr 4" in text
    assert await run(seeded, clock, settings) > 0
    [digest] = digests(seeded)
    body = digest.payload["text"]
    assert "Konkursy dla sieci MIASTO CYFROWE — przegląd tygodniowy" in body
    assert "**NOWE** (3)" in body
    assert "AI for local public services" in body and "program: DIGITAL" in body
    assert "słowa: cyfryzacja" in body  # why the Horizon call fits: the word, not the programme
    assert "(zostało 5 dni)" in body
    assert "[Cyfrowa gmina](https://cppc.gov.pl/nabor)" in body
    assert "Climate adaptation" not in body  # that one is for zielone
    assert [a[1] for a in digest.payload["actions"]][:1] == ["/obserwuj 3"]  # soonest first
    assert "Climate adaptation" in digests(seeded, "zielone")[0].payload["text"]

    # the same moment again, or a second process: nothing twice
    await run(seeded, clock, settings)
    assert await DueDispatcher(seeded, clock, settings, owner="other").run_once() == 0
    assert len(digests(seeded)) == 1

    # next Monday: nothing new, nothing sent
    clock.set(MONDAY_9 + timedelta(days=7, minutes=1))
    await run(seeded, clock, settings)
    assert len(digests(seeded)) == 1


async def test_changes_closing_soon_and_mute(
    seeded: Database, clock: FrozenClock, settings: Settings, chat: Chat
) -> None:
    cast = find_cast(seeded)
    first = datetime(2027, 3, 1, 16, tzinfo=UTC)
    store(
        seeded,
        clock.now(),
        eu("DIGITAL-A", "Digital twins for towns", first),
        eu("DIGITAL-B", "Digital skills for officials", datetime(2026, 12, 20, 16, tzinfo=UTC)),
        eu("DIGITAL-C", "Digital cadastre", first),
    )
    await run(seeded, clock, settings)
    assert len(digests(seeded)) == 1

    clock.set(MONDAY_9 + timedelta(days=7, minutes=1))  # 30.11: B's deadline is 20 days away
    moved = datetime(2027, 4, 15, 15, tzinfo=UTC)
    store(seeded, clock.now(), eu("DIGITAL-A", "Digital twins for towns", moved))
    assert "Konkurs nr 3 nie będzie" in await chat.text(
        cast.laureate_rep, "/ukryj 3", chat="cyfrowe"
    )
    await run(seeded, clock, settings)
    second = digests(seeded)[-1].payload["text"]
    assert "**Zmiany** (1)" in second and "wcześniej termin 01.03.2027" in second
    assert "termin 15.04.2027" in second
    assert "Digital cadastre" not in second  # muted for this network
    assert "**NOWE**" not in second
    with seeded.session() as s:
        [change] = s.exec(select(FundingChange)).all()
    assert change.field_name == "deadline" and change.new == moved.isoformat()

    clock.set(MONDAY_9 + timedelta(days=14, minutes=1))  # 7.12: B closes within 14 days
    await run(seeded, clock, settings)
    third = digests(seeded)[-1].payload["text"]
    assert "**Zamykane wkrótce** (1)" in third
    assert "Digital skills for officials" in third and "(zostało 13 dni)" in third
    assert len(digests(seeded)) == 3

    clock.set(MONDAY_9 + timedelta(days=21, minutes=1))  # already told it closes soon
    await run(seeded, clock, settings)
    assert len(digests(seeded)) == 3


async def test_follow_reminders_seven_and_one_day_before(
    seeded: Database, clock: FrozenClock, settings: Settings, chat: Chat
) -> None:
    cast = find_cast(seeded)
    deadline = datetime(2026, 12, 10, 16, tzinfo=UTC)
    store(seeded, clock.now(), eu("DIGITAL-F", "Followed call", deadline))
    text = await chat.text(cast.laureate_rep, "/obserwuj 1")
    assert "przypomnę Ci 7 dni i 1 dzień przed terminem" in text

    def reminders() -> list[OutboxMessage]:
        with seeded.session() as s:
            return list(
                s.exec(select(OutboxMessage).where(OutboxMessage.kind == "funding_reminder")).all()
            )

    clock.set(deadline - timedelta(days=7, hours=1))
    await run(seeded, clock, settings)
    assert reminders() == []
    clock.set(deadline - timedelta(days=7) + timedelta(minutes=5))
    await run(seeded, clock, settings)
    await run(seeded, clock, settings)
    [week] = reminders()
    assert week.person_id == cast.laureate_rep
    assert "(zostało 7 dni)" in week.payload["text"] and "Followed call" in week.payload["text"]
    clock.set(deadline - timedelta(days=1) + timedelta(minutes=5))
    await run(seeded, clock, settings)
    assert len(reminders()) == 2 and "(został 1 dzień)" in reminders()[1].payload["text"]
    clock.set(deadline + timedelta(hours=1))
    await run(seeded, clock, settings)
    assert len(reminders()) == 2


async def test_review_before_a_meeting_is_sent_even_without_news_and_noted_in_agenda(
    seeded: Database, clock: FrozenClock, settings: Settings
) -> None:
    cast = find_cast(seeded)
    store(seeded, clock.now(), eu("DIGITAL-M", "Digital call", datetime(2027, 2, 1, tzinfo=UTC)))
    await run(seeded, clock, settings)  # the weekly digest tells it first
    with seeded.session() as s:
        from models import directory

        network = directory.require_network(s, "cyfrowe")
        meeting = Meeting(
            network_id=network.id or 0,
            title="Spotkanie II",
            starts_at=datetime(2026, 12, 3, 9, tzinfo=UTC),
            format="online",
            rsvp_deadline=datetime(2026, 12, 1, tzinfo=UTC),
            created_by=cast.coordinator,
            created_at=clock.now(),
            agenda="1. Start",
        )
        s.add(meeting)
    clock.set(datetime(2026, 11, 30, 10, tzinfo=UTC))  # 3 days before
    await run(seeded, clock, settings)
    review = digests(seeded)[-1].payload["text"]
    assert "przegląd konkursów na spotkanie nr 1 „Spotkanie II” (03.12.2026)" in review
    assert "Digital call" in review
    await run(seeded, clock, settings)
    assert sum("spotkanie nr 1" in d.payload["text"] for d in digests(seeded)) == 1
    with seeded.session() as s:
        agenda = s.get(Meeting, 1).agenda  # type: ignore[union-attr]
    assert agenda is not None and agenda.startswith("1. Start\nPrzegląd konkursów")


async def test_long_digest_is_capped_with_the_full_list_attached(
    seeded: Database, clock: FrozenClock, settings: Settings
) -> None:
    records = [
        eu(
            f"DIGITAL-{i:03d}",
            f"Digital topic {i}",
            datetime(2027, 1, 1, tzinfo=UTC) + timedelta(days=i),
        )
        for i in range(40)
    ]
    store(seeded, clock.now(), *records)
    await run(seeded, clock, settings)
    [digest] = digests(seeded)
    body = digest.payload["text"]
    assert body.count("\n- #") == settings.funding_digest_cap
    assert f"…i jeszcze {40 - settings.funding_digest_cap}: pełna lista" in body
    [attached] = digest.payload["files"]
    assert attached["name"] == "konkursy_cyfrowe.csv"

    rows = list(
        csv.reader(io.StringIO(file_bytes(attached, seeded).decode("utf-8-sig")), delimiter=";")
    )
    assert rows[0][:2] == ["Nr", "Tytuł"] and len(rows) == 41


async def test_calls_past_their_deadline_or_withdrawn_are_not_listed(
    seeded: Database, clock: FrozenClock, settings: Settings, chat: Chat
) -> None:
    cast = find_cast(seeded)
    store(
        seeded,
        clock.now(),
        eu("DIGITAL-OLD", "Digital but past", datetime(2026, 9, 15, tzinfo=UTC)),
        eu("DIGITAL-NEW", "Digital and open", datetime(2027, 2, 1, tzinfo=UTC)),
        eu("DIGITAL-GONE", "Digital withdrawn", datetime(2027, 2, 1, tzinfo=UTC)),
    )
    assert "wycofany" in await chat.text(cast.coordinator, "/konkurs_wycofaj 3")
    listing = await chat.text(cast.laureate_rep, "/konkursy cyfrowe")
    assert "Digital and open" in listing
    assert "past" not in listing and "withdrawn" not in listing
    await run(seeded, clock, settings)
    body = digests(seeded)[0].payload["text"]
    assert "Digital and open" in body and "past" not in body and "withdrawn" not in body
    with seeded.session() as s:
        assert s.get(FundingCall, 1) is not None  # kept, just not shown


async def test_what_fits_follows_profile_and_call_edits(
    seeded: Database, clock: FrozenClock, settings: Settings, chat: Chat
) -> None:
    """The fit of each call is stored (not recomputed per digest): a profile edit, a new call
    and an edited title each change what the network's list and digest show at once."""
    cast = find_cast(seeded)
    far = datetime(2027, 3, 1, 16, tzinfo=UTC)
    store(seeded, clock.now(), eu("X-1", "Rewitalizacja śródmieścia", far))
    listed = await chat.text(cast.coordinator, "/konkursy cyfrowe")
    assert "Rewitalizacja" not in listed

    # the network's profile gains the word: the stored call fits now
    assert "rewitalizacja" in await chat.text(cast.expert, "/profil_dodaj cyfrowe rewitalizacja")
    assert "Rewitalizacja śródmieścia" in await chat.text(cast.coordinator, "/konkursy cyfrowe")

    # a call stored after the edit is classified with the new profile
    store(seeded, clock.now(), eu("X-2", "Rewitalizacji obszarów poprzemysłowych", far))
    assert "poprzemysłowych" in await chat.text(cast.coordinator, "/konkursy cyfrowe")

    # an edited title changes the fit: it no longer matches anything of cyfrowe
    await chat.text(cast.expert, "/konkurs_zmien 1 tytul Budowa hali sportowej")
    listed = await chat.text(cast.coordinator, "/konkursy cyfrowe")
    assert "hali sportowej" not in listed and "poprzemysłowych" in listed

    assert await run(seeded, clock, settings) > 0
    [digest] = digests(seeded)
    assert "poprzemysłowych" in digest.payload["text"]
    assert "słowa: rewitalizacja" in digest.payload["text"]


async def test_a_digest_costs_the_same_statements_for_ten_or_a_thousand_calls(
    seeded: Database, clock: FrozenClock, settings: Settings
) -> None:
    """Order, not a stopwatch: the statements a weekly digest runs do not grow with the number
    of stored calls (stored fit, bulk writes), so 10,000 calls cost rows, not round trips."""
    from sqlalchemy import event

    from handlers.funding.digest import send
    from jobs.funding import WEEKLY
    from models import directory

    far = datetime(2027, 3, 1, 16, tzinfo=UTC)

    def statements(count: int, first: int) -> int:
        store(
            seeded,
            clock.now(),
            *(
                eu(f"DIGITAL-{first + i}", f"Digital services {first + i}", far)
                for i in range(count)
            ),
        )
        seen: list[str] = []

        def note(*args: object) -> None:
            seen.append(str(args[2]))

        event.listen(seeded.engine, "before_cursor_execute", note)
        try:
            with seeded.session() as s:
                network = next(n for n in directory.networks(s) if n.code == "cyfrowe")
                assert send(s, network, clock.now(), settings, heading_id=WEEKLY, key=f"k{first}")
        finally:
            event.remove(seeded.engine, "before_cursor_execute", note)
        return len(seen)

    few = statements(10, 0)
    many = statements(1000, 10)  # the second digest: 1,000 new calls besides 10 already told
    assert many <= few + 2, (few, many)

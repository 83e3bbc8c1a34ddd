"""Nobody left out: a person who links their account after a meeting was published, a survey
started or office hours opened gets what is still ahead for them — once (both stores)."""

from __future__ import annotations

import re
from datetime import UTC, datetime

from sqlmodel import delete, select

from core.clock import FrozenClock
from core.config import Settings
from handlers.welcome import catch_up
from models.core import Account
from models.db import Database
from models.outbox import OutboxMessage
from tests.cast import find_cast
from tests.conftest import Chat

NEW = (
    "/spotkanie_nowe cyfrowe; Spotkanie II; 12.05.2027 10:00; hybrydowe; 6; "
    "Łomża, ul. Długa 1; https://teams.example/m; 40; nie; 5.05.2027 12:00"
)
CODE = re.compile(r"\b([A-Z2-9]{10})\b")


def unlink(db: Database, person_id: int) -> None:
    with db.session() as s:
        s.execute(delete(Account).where(Account.person_id == person_id))  # type: ignore[arg-type]


def private_rows(db: Database, person_id: int, kind: str) -> list[OutboxMessage]:
    with db.session() as s:
        return list(
            s.exec(
                select(OutboxMessage).where(
                    OutboxMessage.person_id == person_id, OutboxMessage.kind == kind
                )
            ).all()
        )


async def link(chat: Chat, coordinator: int, person_id: int, account: str) -> str:
    text = await chat.text(coordinator, f"/zaproszenie {person_id}")
    match = CODE.search(text)
    assert match, text
    return await chat.text(account, f"/start {match.group(1)}")


async def test_a_late_linker_gets_the_pending_invitation_with_calendar_and_buttons(
    chat: Chat, seeded: Database, clock: FrozenClock, settings: Settings
) -> None:
    cast = find_cast(seeded)
    late = cast.laureate_rep2
    unlink(seeded, late)
    text = await chat.text(cast.coordinator, NEW, chat="cyfrowe")
    meeting_id = int(re.search(r"Spotkanie nr (\d+) opublikowane", text).group(1))  # type: ignore[union-attr]
    assert private_rows(seeded, late, "meeting") == []  # nobody to send it to yet

    assert "Połączono Twoje konto" in await link(chat, cast.coordinator, late, "tg-late")

    [row] = private_rows(seeded, late, "meeting")
    assert row.chat_id == "tg-late"
    assert row.payload["text"].startswith(
        f"📅 Spotkanie nr {meeting_id} sieci MIASTO CYFROWE: Spotkanie II"
    )
    assert "Online: https://teams.example/m" in row.payload["text"]
    assert [a[1] for a in row.payload["actions"]][:4] == [
        f"/rsvp {meeting_id} {a}" for a in ("stacjonarnie", "online", "nie", "moze")
    ]
    assert row.payload["files"][0]["name"] == f"spotkanie_{meeting_id}.ics"
    with seeded.session() as s:  # a second catch-up sends nothing twice
        assert catch_up(s, late, settings, clock.now()) == 0
    # someone who already answered gets nothing more
    assert "Zapisano, że nie weźmiesz udziału" in await chat.text(
        cast.laureate_rep, f"/rsvp {meeting_id} nie"
    )
    with seeded.session() as s:
        assert catch_up(s, cast.laureate_rep, settings, clock.now()) == 0


async def test_a_late_linker_is_asked_in_the_running_survey(chat: Chat, seeded: Database) -> None:
    cast = find_cast(seeded)
    late = cast.laureate_rep2
    unlink(seeded, late)
    await chat.say(cast.coordinator, "/ankieta_start cyfrowe zaufanie")
    assert private_rows(seeded, late, "feedback_poll") == []

    await link(chat, cast.coordinator, late, "tg-late")

    [row] = private_rows(seeded, late, "feedback_poll")
    assert row.chat_id == "tg-late"
    assert "Ankieta o zaufaniu w sieci MIASTO CYFROWE" in row.payload["text"]


async def test_a_late_linker_hears_of_office_hours_open_for_booking(
    chat: Chat, seeded: Database, clock: FrozenClock
) -> None:
    cast = find_cast(seeded)
    late = cast.laureate_rep2
    unlink(seeded, late)
    await chat.say(
        cast.expert,
        "/dyzur_seria cyfrowe; 1.12.2026 10:00; 2; 60; 15; https://teams.example/dyzur",
    )
    clock.set(datetime(2026, 11, 25, 9, 0, tzinfo=UTC))  # booking opened on the 24th

    await link(chat, cast.coordinator, late, "tg-late")

    [row] = private_rows(seeded, late, "office_open")
    assert row.payload["text"].startswith(
        "🗓 Trwają zapisy na dyżur eksperta nr 1 (MIASTO CYFROWE), wtorek, 1 grudnia 2026, 10:00: "
        "wolne terminy 4 po 15 min."
    )
    # an observer city's representative may not book: nothing for them
    unlink(seeded, cast.observer_rep)
    await link(chat, cast.coordinator, cast.observer_rep, "tg-observer")
    assert private_rows(seeded, cast.observer_rep, "office_open") == []

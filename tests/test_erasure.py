"""/usun_dane erases a person everywhere, /moje_dane shows everything about them — on SQLite
and PostgreSQL. The walk test reads every column of every table after an erasure."""

from __future__ import annotations

import base64
import json
import re
from typing import Any

from sqlalchemy import select
from sqlmodel import SQLModel

from bot.router import Router
from core.messages import File, Outgoing, Target
from core.outbox import enqueue
from models import audit, directory
from models.core import Conversation, Person
from models.db import Database
from models.meetings import Meeting, Rsvp
from models.outbox import OutboxMessage
from models.teams import TeamsEvent
from tests.cast import find_cast
from tests.conftest import START, Chat

NAME, EMAIL = "Zuzanna Testowa-Unikatowa", "zuzanna.unikatowa@example.org"
TG_ID, TG_USER, NOTE = "7012345678", "zuzia_unikat", "dieta bez glutenu, alergia na orzechy"
SECRETS = (NAME, EMAIL, TG_ID, TG_USER, NOTE)


async def _lived_in(router: Router, db: Database) -> tuple[int, int, int]:
    """A person with a trail everywhere: answers, notes, accounts, codes, buttons, messages."""
    cast = find_cast(db)
    console, telegram = Chat(router), Chat(router, "telegram")
    victim, other = cast.laureate_rep, cast.laureate_rep2
    with db.session() as s:
        person = s.get(Person, victim)
        person.name, person.email = NAME, EMAIL
        s.add(person)
    assert "Połączono Twoje konto" in await telegram.text(
        TG_ID,
        "/start "
        + re.search(
            r"\b([A-Z2-9]{10})\b", await console.text(cast.coordinator, f"/zaproszenie {victim}")
        ).group(1),
    )
    with db.session() as s:  # the platform told us their user name
        account = directory.account_of(s, victim, "telegram")
        account.username = TG_USER
        s.add(account)
    await telegram.say(TG_ID, "/start ZZZZZZZZZZ")  # a refused attempt, audited
    await console.say(
        cast.coordinator,
        "/spotkanie_nowe cyfrowe; Warsztat; 12.12.2026 10:00; stacjonarne; 6; Łomża; ; 1; tak",
    )
    with db.session() as s:
        meeting = s.execute(select(Meeting)).scalars().one()
    await console.say(victim, f"/rsvp {meeting.id} stacjonarnie {NOTE}")
    await console.say(other, f"/rsvp {meeting.id} stacjonarnie")  # waitlisted behind them
    router.button_token("/usun_dane potwierdzam", "telegram", TG_ID, victim)
    await console.say(victim, "/spotkanie_nowe")  # a guided flow left open
    with db.session() as s:
        # a deferred reply to their private chat, and their name and note in someone's queue
        enqueue(
            s,
            Target("telegram", TG_ID),
            Outgoing("Twoja odpowiedź została zapisana"),
            router.clock.now(),
            kind="reply",
        )
        enqueue(
            s,
            Target("console", str(cast.organiser)),
            Outgoing(
                f"Uwagi: {NAME}: {NOTE}",
                files=(File("lista.csv", f"{NAME};{EMAIL}\n".encode(), "text/csv"),),
            ),
            router.clock.now(),
            person_id=cast.organiser,
            kind="headcount",
        )
        audit.record(
            s,
            router.clock.now(),
            cast.coordinator,
            "roster.note",
            f"person:{victim}",
            name=NAME,
            username=f"@{TG_USER}",
        )
        s.add(
            Conversation(
                platform="console",
                chat_id=str(cast.coordinator),
                person_id=cast.coordinator,
                flow="announcement",
                step="target",
                data={"text": f"Gratulacje dla {NAME}!"},
                updated_at=router.clock.now(),
            )
        )
    return victim, other, meeting.id or 0


def _strings(value: Any) -> list[str]:
    """Everything readable in a stored value, base64 file contents included."""
    if value is None:
        return []
    if isinstance(value, bytes):
        return [value.decode("utf-8", "ignore")]
    if isinstance(value, dict):
        found = [s for k, v in value.items() for s in [str(k), *_strings(v)]]
        if isinstance(value.get("b64"), str):
            found.append(base64.b64decode(value["b64"]).decode("utf-8", "ignore"))
        return found
    if isinstance(value, list):
        return [s for v in value for s in _strings(v)]
    return [str(value)]


async def test_erasure_leaves_no_identifier_in_any_table(router: Router, seeded: Database) -> None:
    victim, other, meeting = await _lived_in(router, seeded)
    with seeded.session() as s:  # Teams keeps attendees' responses keyed by their e-mail
        s.add(
            TeamsEvent(
                meeting_id=meeting,
                event_id="AAMkAD-1",
                created_at=START,
                responses={EMAIL.lower(): "accepted", "inna@example.org": "declined"},
            )
        )
    with seeded.session() as s:  # the scenario really spread them around
        before = [
            t.name
            for t in SQLModel.metadata.sorted_tables
            for row in s.execute(select(t)).all()
            if any(secret in text for v in row for text in _strings(v) for secret in SECRETS)
        ]
    assert {
        "person",
        "account",
        "rsvp",
        "outbox_message",
        "audit_entry",
        "conversation",
        "action_token",
        "teams_event",
    } <= set(before)

    console = Chat(router)
    assert "usunięte" in await console.text(victim, "/usun_dane potwierdzam")

    leaks = []
    with seeded.session() as s:
        for table in SQLModel.metadata.sorted_tables:
            for row in s.execute(select(table)).mappings():
                for column, value in row.items():
                    for text in _strings(value):
                        leaks += [
                            (table.name, column, secret) for secret in SECRETS if secret in text
                        ]
        # anonymous aggregates stay: the answer row counts, the seat went to the next one
        mine = s.execute(select(Rsvp).where(Rsvp.person_id == victim)).scalars().one()
        theirs = s.execute(select(Rsvp).where(Rsvp.person_id == other)).scalars().one()
        told = s.execute(
            select(OutboxMessage).where(
                OutboxMessage.person_id == other, OutboxMessage.kind == "waitlist"
            )
        ).all()
    assert leaks == []
    assert mine.answer == "nie" and not theirs.waitlisted and told


async def test_export_is_readable_and_complete(router: Router, seeded: Database) -> None:
    victim, _other, _meeting = await _lived_in(router, seeded)
    [reply] = await Chat(router).say(victim, "/moje_dane")
    text = reply.files[0].content.decode()
    data = json.loads(text)
    assert data["O Tobie"][0]["imię i nazwisko"] == NAME
    assert any(a.get("nazwa użytkownika") == TG_USER for a in data["Połączone konta"])
    answer = data["Odpowiedzi na zaproszenia na spotkania"][0]
    assert answer["uwagi"] == NOTE and re.fullmatch(
        r"\d\d\.\d\d\.\d{4} \d\d:\d\d", answer["odpowiedziano"]
    )
    assert data["Odrzucone próby użycia kodu zaproszenia z Twoich kont"]
    assert any(
        "Twoja odpowiedź" in m["treść"] for m in data["Wiadomości do Ciebie czekające na wysłanie"]
    )
    assert any(
        row["co się stało"] == "roster.note"
        for row in data["Zmiany dotyczące Ciebie i dokonane przez Ciebie (dziennik)"]
    )
    # no server internals
    for word in ("lease", "hash", "b64", "dedupe", "sent_by", "T10:00", "+00:00"):
        assert word not in text, word
    # staff see what they created
    cast = find_cast(seeded)
    [coordinator] = await Chat(router).say(cast.coordinator, "/moje_dane")
    theirs = json.loads(coordinator.files[0].content)
    assert "Warsztat" in theirs["Spotkania utworzone przez Ciebie"][0]["spotkanie"]
    assert theirs["Kody zaproszeń wystawione przez Ciebie"][0]["dla kogo"] == NAME

"""What a copy of the database tells about who answered a feedback poll, on SQLite and
PostgreSQL (issue 23, item 4).

While a poll runs, the bot keeps per person what resuming needs: how far they got (marker,
guided-answer state), the question messages and their buttons. One person answering further
than the others is then visible, and beside the per-question counts that says who wrote the
only answer to question 4. After closing, nothing of it may remain: every marker says "asked"
and nothing else, and no state, button or message tells how far anyone got."""

from __future__ import annotations

import json
import re
from datetime import timedelta

from sqlmodel import select

from bot.router import Router
from core.clock import FrozenClock
from core.config import Settings
from core.messages import ChatRef, EventKind, Incoming, Sender, Target
from jobs.dispatch import DueDispatcher
from models.core import ActionToken, Conversation
from models.db import Database
from models.feedback import Poll, PollParticipant, PollText
from models.outbox import OutboxMessage
from tests.cast import find_cast
from tests.conftest import Chat
from tests.test_feedback import ENDS, core_reps, make_meeting

ONLY_A = "Tylko A napisał to zdanie"
POLLS = "Ankiety, o których wypełnienie Cię poproszono (odpowiedzi są anonimowe: nie zapisuję ich z Tobą)"


class Teams:
    """Talks to the router the way the Teams transport does: every reply goes through the
    outbox, and a message's buttons get their tokens when it is delivered."""

    def __init__(self, router: Router, db: Database) -> None:
        self.router, self.db = router, db

    async def says(self, who: int, text: str) -> None:
        chat = ChatRef("console", str(who), private=True)
        await self.router.handle(
            Incoming(Sender("console", str(who)), chat, EventKind.TEXT, text),
            queue_to=Target("console", str(who)),
        )
        self.deliver()

    def deliver(self) -> None:
        with self.db.session() as s:
            rows = s.exec(select(OutboxMessage).where(OutboxMessage.status == "pending")).all()
            pending = [(r.id, r.platform, r.chat_id, r.payload) for r in rows]
        for row_id, platform, chat_id, payload in pending:
            commands = [(a[1], None) for a in payload.get("actions", []) if a[1]]
            if commands:
                self.router.button_tokens(commands, platform, chat_id)
            with self.db.session() as s:
                row = s.get(OutboxMessage, row_id)
                assert row is not None
                row.status = "sent"
                s.add(row)


def traces(db: Database, poll: Poll, people: list[int]) -> dict[str, list[str]]:
    """Everything stored that ties one of `people` to how far they got in `poll`."""
    chats = {str(p) for p in people}
    found: dict[str, list[str]] = {"markers": [], "conversations": [], "buttons": [], "outbox": []}
    with db.session() as s:
        for mark in s.exec(select(PollParticipant).where(PollParticipant.poll_id == poll.id)):
            if (mark.progress, mark.done, mark.reminded) != (0, False, False):
                found["markers"].append(
                    f"{mark.person_id}: {mark.progress}"
                    + (" done" if mark.done else "")
                    + (" reminded" if mark.reminded else "")
                )
        for conv in s.exec(select(Conversation).where(Conversation.flow == "feedback")):
            found["conversations"].append(f"{conv.person_id}: {conv.data}")
        for token in s.exec(select(ActionToken)):
            if re.match(rf"/ankieta {poll.id}( |$)", token.payload):
                found["buttons"].append(f"{token.chat_id}: {token.payload}")
        for row in s.exec(select(OutboxMessage)):
            if row.chat_id not in chats and row.person_id not in people:
                continue
            blob = json.dumps(row.payload, ensure_ascii=False)
            if re.search(rf"Pytanie \d|/ankieta {poll.id}\b|{re.escape(poll.title)}", blob):
                found["outbox"].append(f"{row.chat_id} {row.kind}: {row.payload['text'][:40]}")
    return found


async def test_closing_leaves_nothing_per_person_but_asked(
    router: Router, chat: Chat, seeded: Database, clock: FrozenClock, settings: Settings
) -> None:
    cast = find_cast(seeded)
    a, b, c = core_reps(seeded)[:3]
    meeting = await make_meeting(chat, cast.coordinator)
    for who in (a, b, c):
        await chat.say(who, f"/rsvp {meeting} online")
    clock.set(ENDS + timedelta(hours=1))
    jobs = DueDispatcher(seeded, clock, settings)
    await jobs.run_once()
    teams = Teams(router, seeded)
    teams.deliver()  # the first questions go out
    with seeded.session() as s:
        [poll] = s.exec(select(Poll)).all()
    p = poll.id
    # A answers everything, and is the only one to write an open answer; B stops after
    # question 1; C answers nothing
    for value in ("5", "4", "3", ONLY_A, "-", "-"):
        await teams.says(a, value)
    await teams.says(b, f"/ankieta {p} 1 4")
    await teams.says(b, f"/ankieta {p} 1 2")  # pressed twice: refused, nothing counted
    await teams.says(c, "/ankieta")  # looks at the list of open polls
    clock.set(poll.opens_at + timedelta(hours=48))
    await jobs.run_once()  # the reminder: to B (at question 2) and C
    teams.deliver()

    # while it runs, the database shows how far each one got (what resuming needs)
    running = traces(seeded, poll, [a, b, c])
    assert sorted(running["markers"]) == sorted(
        [f"{a}: 6 done", f"{b}: 1 reminded", f"{c}: 0 reminded"]
    )
    assert [x for x in running["conversations"] if x.startswith(f"{b}:")]
    assert running["buttons"] and running["outbox"]
    assert [r for r in running["outbox"] if r.startswith(f"{a} reply: Dziękuję")]  # the thanks
    # and a person's own data export says how far they got while it runs
    [export] = await chat.say(b, "/moje_dane")
    data = json.loads(export.files[0].content)
    [asked] = data[POLLS]
    assert asked["stan"] == "trwa" and asked["pytania dotąd odpowiedziane lub pominięte"] == 1

    clock.set(poll.closes_at)
    await jobs.run_once()

    # closed: every marker alike, and no state, button or message says how far anyone got
    assert traces(seeded, poll, [a, b, c]) == {
        "markers": [],
        "conversations": [],
        "buttons": [],
        "outbox": [],
    }
    with seeded.session() as s:
        marks = s.exec(select(PollParticipant).where(PollParticipant.poll_id == p)).all()
        assert sorted(m.person_id for m in marks) == sorted([a, b, c])  # "asked" stays
        assert [t.text for t in s.exec(select(PollText)).all()] == [ONLY_A]
        closed = s.get(Poll, p)
        assert closed is not None and (closed.answered, closed.finished) == (2, 1)
    # the figures people read are the same as before closing scrubbed the markers
    report = await chat.text(cast.coordinator, f"/raport {meeting}")
    assert (
        "odpowiedziały 2 z 3 zapytanych osób (67 %); na wszystkie pytania odpowiedziała 1 osoba"
        in report
    ), report
    with seeded.session() as s:
        [note] = s.exec(
            select(OutboxMessage).where(
                OutboxMessage.kind == "feedback_closed",
                OutboxMessage.person_id == cast.coordinator,
            )
        ).all()
    assert "odpowiedziały 2 z 3 zapytanych osób" in note.payload["text"]
    # the export now says "asked", nothing about how far
    [export] = await chat.say(b, "/moje_dane")
    data = json.loads(export.files[0].content)
    [asked] = data[POLLS]
    assert asked == {"ankieta": f"#{p} {poll.title}", "stan": "zamknięta"}
    # a late answer is refused as before, and changes nothing
    assert "zamknięta" in await chat.text(b, f"/ankieta {p} 2 5")
    assert traces(seeded, poll, [a, b, c])["markers"] == []

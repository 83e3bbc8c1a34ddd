"""The outbox's claim reads the chats' heads: whatever queues, marks, retries, moves or deletes
rows, it offers exactly the first waiting row of every chat, in due order. And a file sent to
many people is stored once."""

from __future__ import annotations

import random
from datetime import timedelta

from sqlalchemy import delete, func, update
from sqlmodel import col, select

from core.clock import FrozenClock
from core.messages import File, Outgoing, Target
from core.outbox import enqueue, rows_for_people, to_payload
from models import outbox
from models.blobs import Blob
from models.db import Database
from models.outbox import PENDING, REPLY, OutboxMessage

LEASE = timedelta(seconds=60)


def _claim(db: Database, clock: FrozenClock, replies: bool | None = None) -> list[int]:
    """Everything claimable now (given back afterwards)."""
    with db.session() as s:
        rows = outbox.claim_due(
            s,
            now=clock.now(),
            owner="test",
            lease=LEASE,
            limit=10_000,
            platforms=["console"],
            replies=replies,
        )
        ids = [r.id or 0 for r in rows]
        s.execute(
            update(OutboxMessage)
            .where(col(OutboxMessage.id).in_(ids))
            .values(lease_owner=None, lease_until=None)
        )
        s.commit()
    return ids


def _expected(db: Database, clock: FrozenClock) -> list[int]:
    """The first pending row of every chat, if due and not a reply (the bulk lane)."""
    with db.session() as s:
        rows = s.exec(
            select(OutboxMessage).where(OutboxMessage.status == PENDING).order_by(OutboxMessage.id)
        ).all()
    first: dict[str, OutboxMessage] = {}
    for row in rows:
        first.setdefault(row.chat_id, row)
    due = [r for r in first.values() if r.not_before <= clock.now() and r.kind != REPLY]
    return sorted(r.id or 0 for r in due)


def test_the_claim_offers_every_chats_first_row_whatever_happens_to_the_queue(
    db: Database, clock: FrozenClock
) -> None:
    rng = random.Random(25)
    chats = [str(i) for i in range(8)]
    for step in range(120):
        with db.session() as s:
            pending = s.exec(select(OutboxMessage).where(OutboxMessage.status == PENDING)).all()
            action = rng.choice(["queue", "queue", "many", "sent", "failed", "retry", "other"])
            if action == "queue" or not pending:
                enqueue(
                    s,
                    Target("console", rng.choice(chats)),
                    Outgoing(f"wiadomość {step}"),
                    clock.now(),
                    kind=rng.choice(["message", "message", REPLY]),
                )
            elif action == "many":
                outbox.add_many(
                    s,
                    [
                        {
                            "created_at": clock.now(),
                            "platform": "console",
                            "chat_id": rng.choice(chats),
                            "payload": {"text": "x"},
                            "kind": "reminder",
                            "not_before": clock.now(),
                        }
                        for _ in range(rng.randint(1, 5))
                    ],
                )
            else:
                row = rng.choice(pending)
                values: dict[str, object] = {
                    "sent": {"status": "sent", "sent_at": clock.now()},
                    "failed": {"status": "failed", "sent_at": clock.now()},
                    "retry": {"not_before": clock.now() + timedelta(minutes=rng.randint(1, 9))},
                }.get(action, {})
                if values:
                    s.execute(
                        update(OutboxMessage)
                        .where(col(OutboxMessage.id) == row.id)
                        .values(**values)  # type: ignore[arg-type]
                    )
                elif rng.random() < 0.5:  # an erasure or a closed poll takes rows away
                    s.execute(delete(OutboxMessage).where(col(OutboxMessage.id) == row.id))
                else:  # the chat became a supergroup: its rows follow
                    outbox.move_chat(s, "console", row.chat_id, rng.choice(chats))
            s.commit()
        if step % 10 == 0:
            clock.advance(timedelta(minutes=3))
        assert _claim(db, clock, replies=False) == _expected(db, clock), step


def test_a_claim_takes_one_row_per_chat_and_the_next_after_the_first_is_sent(
    db: Database, clock: FrozenClock
) -> None:
    with db.session() as s:
        for text in ("pierwsza", "druga", "trzecia"):
            for chat in ("a", "b"):
                enqueue(s, Target("console", chat), Outgoing(text), clock.now())
    first = _claim(db, clock)
    with db.session() as s:
        texts = [s.get(OutboxMessage, i).payload["text"] for i in first]  # type: ignore[union-attr]
        assert texts == ["pierwsza", "pierwsza"]
        s.execute(
            update(OutboxMessage).where(col(OutboxMessage.id) == first[0]).values(status="sent")
        )
        s.commit()
    second = _claim(db, clock)
    with db.session() as s:
        texts = [s.get(OutboxMessage, i).payload["text"] for i in second]  # type: ignore[union-attr]
    assert texts == ["pierwsza", "druga"]  # b's first is still waiting; a moved on


def test_a_file_sent_to_many_is_stored_once(db: Database, clock: FrozenClock) -> None:
    from core.config import Settings

    ics = File("spotkanie.ics", b"BEGIN:VCALENDAR\r\n" + b"X" * 2000, "text/calendar")
    found = {person: (None, "console", str(person)) for person in range(1, 41)}
    with db.session() as s:
        rows = rows_for_people(
            found,  # type: ignore[arg-type]
            list(found),
            Settings(),
            clock.now(),
            lambda t: Outgoing("Zaproszenie", files=(ics,)),
            kind="invitation",
        )
        outbox.add_many(s, [{**row, "person_id": None} for row in rows])  # no people seeded
        enqueue(s, Target("console", "grupa"), Outgoing("Zaproszenie", files=(ics,)), clock.now())
        s.commit()
        assert s.exec(select(func.count()).select_from(Blob)).one() == 1
        payloads = [r.payload for r in s.exec(select(OutboxMessage)).all()]
    assert len(payloads) == 41
    assert all("b64" not in spec for p in payloads for spec in p["files"])
    assert len(str(payloads[0])) < len(str(to_payload(Outgoing("Zaproszenie", files=(ics,)))))

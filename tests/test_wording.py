"""What people read, as a Polish office writes it (issue 24): the answer word `może`, the
invitation code, linking an account, announcement headers and lists, roster answers — on SQLite
and PostgreSQL."""

from __future__ import annotations

from sqlmodel import select

from models.db import Database
from models.meetings import Rsvp
from models.outbox import OutboxMessage
from tests.cast import find_cast
from tests.conftest import Chat
from tests.test_meetings import create


async def test_maybe_is_shown_as_moze_and_typed_either_way(chat: Chat, seeded: Database) -> None:
    cast = find_cast(seeded)
    meeting_id = await create(chat, cast.coordinator)
    with seeded.session() as s:
        invitation = s.exec(
            select(OutboxMessage).where(
                OutboxMessage.kind == "meeting", OutboxMessage.person_id == cast.laureate_rep
            )
        ).one()
    text = invitation.payload["text"]
    assert "stacjonarnie | online | nie | może" in text and "moze" not in text
    assert "Może" in [label for label, _command in invitation.payload["actions"]]

    for typed in ("może", "moze", "MOŻE"):
        await chat.say(cast.laureate_rep, f"/rsvp {meeting_id} {typed}")
        with seeded.session() as s:
            assert s.exec(select(Rsvp.answer)).all() == ["moze"]
        await chat.say(cast.laureate_rep, f"/rsvp {meeting_id} nie")

    wrong = await chat.text(cast.laureate_rep, f"/rsvp {meeting_id} jutro")
    assert "Odpowiedz: stacjonarnie, online, nie albo może." in wrong
    how = await chat.text(cast.laureate_rep, "/rsvp")
    assert "nie lub może, np. /rsvp 3 online" in how and "moze" not in how
    usage = await chat.text(cast.laureate_rep, "/rsvp trzy")
    assert "stacjonarnie|online|nie|może" in usage and "moze" not in usage

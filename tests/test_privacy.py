"""/moje_dane exports everything about the caller; /usun_dane erases it after confirmation."""

from __future__ import annotations

import json

from sqlmodel import select

from models import directory
from models.core import Account, AuditEntry, NetworkRole, Person
from models.db import Database
from tests.cast import find_cast
from tests.conftest import Chat


async def test_export_contains_my_data(chat: Chat, seeded: Database) -> None:
    cast = find_cast(seeded)
    [reply] = await chat.say(cast.laureate_rep, "/moje_dane")
    [file] = reply.files
    assert file.name.endswith(".json")
    data = json.loads(file.content)
    with seeded.session() as s:
        person = s.get(Person, cast.laureate_rep)
        assert person is not None
    assert data["O Tobie"][0]["imię i nazwisko"] == person.name
    assert {row["rola"] for row in data["Role w sieciach"]} == {"przedstawiciel(ka) miasta"}
    assert data["Połączone konta"][0]["platforma"] == "konsola"


async def test_export_in_a_group_is_sent_privately(chat: Chat, seeded: Database) -> None:
    cast = find_cast(seeded)
    private, public = await chat.say(cast.laureate_rep, "/moje_dane", chat="cyfrowe")
    assert private.files and private.to is not None
    assert private.to.chat_id == str(cast.laureate_rep)
    assert not public.files


async def test_erasure_needs_confirmation_then_forgets_me(chat: Chat, seeded: Database) -> None:
    cast = find_cast(seeded)
    [warning] = await chat.say(cast.laureate_rep, "/usun_dane")
    assert "potwierdzam" in warning.text and warning.actions
    with seeded.session() as s:
        person = s.get(Person, cast.laureate_rep)
        assert person is not None and person.name  # nothing erased yet

    await chat.say(cast.laureate_rep, warning.actions[0].command)
    with seeded.session() as s:
        person = s.get(Person, cast.laureate_rep)
        assert person is not None
        assert person.name is None and person.position is None and person.erased_at
        assert s.exec(select(Account).where(Account.person_id == cast.laureate_rep)).all() == []
        # anonymous aggregates stay: the role still counts, the audit trail keeps ids
        assert (
            s.exec(select(NetworkRole).where(NetworkRole.person_id == cast.laureate_rep)).first()
            is not None
        )
        assert "person.erase" in s.exec(select(AuditEntry.action)).all()
        assert directory.person_by_account(s, "console", str(cast.laureate_rep)) is None
    assert "Jeszcze Cię nie znam" in await chat.text(cast.laureate_rep, "/moje_dane")

"""Joining with invitation codes, binding chats, who sees which commands — on both stores."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from sqlmodel import select

from core.clock import FrozenClock
from core.messages import EventKind
from models import directory
from models.core import AuditEntry, Person
from models.db import Database
from models.errors import DomainError
from tests.cast import find_cast
from tests.conftest import Chat

CODE = re.compile(r"\b([A-Z2-9]{10})\b")


async def issue_code(chat: Chat, coordinator: int, person: int) -> str:
    text = await chat.text(coordinator, f"/zaproszenie {person}")
    match = CODE.search(text)
    assert match, text
    return match.group(1)


async def test_invitation_links_a_new_account_once(chat: Chat, seeded: Database) -> None:
    cast = find_cast(seeded)
    code = await issue_code(chat, cast.coordinator, cast.laureate_rep)

    reply = await chat.text("tg-777", f"/start {code}")
    assert "Połączono Twoje konto" in reply
    assert "MIASTO CYFROWE" in reply
    with seeded.session() as s:
        person = directory.person_by_account(s, "console", "tg-777")
        assert person is not None and person.id == cast.laureate_rep

    again = await chat.text("tg-888", f"/start {code}")
    assert "został już użyty" in again
    with seeded.session() as s:
        assert directory.person_by_account(s, "console", "tg-888") is None
        actions = s.exec(select(AuditEntry.action)).all()
    assert "invitation.redeem" in actions and "invitation.reused" in actions


async def test_expired_and_unknown_codes_are_refused_and_logged(
    chat: Chat, seeded: Database, clock: FrozenClock
) -> None:
    cast = find_cast(seeded)
    code = await issue_code(chat, cast.coordinator, cast.laureate_rep)
    clock.advance(timedelta(days=8))
    assert "wygasł" in await chat.text("tg-1", f"/start {code}")
    # another account: one account's wrong guesses are audited once per burst
    assert "nieprawidłowy" in await chat.text("tg-2", "/start AAAAAAAAAA")
    with seeded.session() as s:
        actions = s.exec(select(AuditEntry.action)).all()
        assert directory.person_by_account(s, "console", "tg-1") is None
    assert "invitation.expired" in actions and "invitation.unknown" in actions


async def test_code_typed_in_a_group_is_voided_on_the_spot(chat: Chat, seeded: Database) -> None:
    cast = find_cast(seeded)
    code = await issue_code(chat, cast.coordinator, cast.laureate_rep)
    assert "unieważniłem" in await chat.text("tg-5", f"/start {code}", chat="cyfrowe")
    # everyone in the group saw it: it no longer links anyone, not even its owner
    assert "już nie działa" in await chat.text("tg-5", f"/start {code.lower()}")
    with seeded.session() as s:
        assert directory.person_by_account(s, "console", "tg-5") is None
        assert "invitation.exposed" in s.exec(select(AuditEntry.action)).all()
    # an ordinary word after /start in a group is not a code: the usual hint
    assert "prywatnej" in await chat.text("tg-5", "/start ABCDEFGHJK", chat="cyfrowe")


async def test_invitation_issued_in_group_goes_privately(chat: Chat, seeded: Database) -> None:
    cast = find_cast(seeded)
    replies = await chat.say(cast.coordinator, f"/zaproszenie {cast.laureate_rep}", chat="cyfrowe")
    private, public = replies
    assert private.to is not None and private.to.chat_id == str(cast.coordinator)
    assert CODE.search(private.text)
    assert not CODE.search(public.text)


async def test_only_coordinators_of_the_persons_network_invite(
    chat: Chat, seeded: Database
) -> None:
    cast = find_cast(seeded)
    refused = await chat.text(cast.laureate_rep, f"/zaproszenie {cast.observer_rep}")
    assert "tylko osoby z sieci" in refused and not CODE.search(refused)
    assert "tylko osoby z sieci" in await chat.text(
        cast.other_coordinator, f"/zaproszenie {cast.laureate_rep}"
    )
    assert CODE.search(await chat.text(cast.team, f"/zaproszenie {cast.mayor}"))


async def test_help_lists_what_the_role_allows(chat: Chat, seeded: Database) -> None:
    cast = find_cast(seeded)
    coordinator = await chat.text(cast.coordinator, "/pomoc wszystko", chat="cyfrowe")
    representative = await chat.text(cast.laureate_rep, "/pomoc", chat="cyfrowe")
    stranger = await chat.text(None, "/pomoc")
    assert "Polecenia dostępne dla Ciebie w sieci MIASTO CYFROWE" in coordinator
    assert "/zaproszenie" in coordinator and "/polacz" in coordinator
    assert "/zaproszenie" not in representative and "/osoby" in representative
    assert "/start <kod>" in stranger and "/osoby" not in stranger


async def test_binding_a_group_chat(chat: Chat, seeded: Database) -> None:
    cast = find_cast(seeded)
    refused = await chat.text(cast.laureate_rep, "/polacz cyfrowe", chat="tg-group-1")
    assert "uprawnień" in refused
    assert (
        "nieznana sieć"
        in (await chat.text(cast.coordinator, "/polacz nic", chat="tg-group-1")).lower()
    )
    reply = await chat.text(cast.coordinator, "/polacz cyfrowe", chat="tg-group-1")
    assert "połączony z siecią MIASTO CYFROWE" in reply
    # a coordinator of another network may not take over that network's name
    assert "uprawnień" in await chat.text(
        cast.other_coordinator, "/polacz cyfrowe", chat="tg-group-2"
    )
    with seeded.session() as s:
        network = directory.chat_network(s, "console", "tg-group-1")
        assert network is not None and network.code == "cyfrowe"
    removed = await chat.say(None, "", chat="tg-group-1", kind=EventKind.BOT_REMOVED)
    assert removed == []
    with seeded.session() as s:
        assert directory.chat_network(s, "console", "tg-group-1") is None
        assert "chat.unbind" in s.exec(select(AuditEntry.action)).all()


async def test_leaders_network_is_closed(chat: Chat, seeded: Database) -> None:
    cast = find_cast(seeded)
    assert "uprawnień" in await chat.text(cast.laureate_rep, "/osoby liderzy")
    assert "Osoby w sieci LEADERSHIP" in await chat.text(cast.mayor, "/osoby liderzy")
    assert "Osoby w sieci LEADERSHIP" in await chat.text(cast.team, "/osoby liderzy")
    # an open network is readable by any known person
    assert "Osoby w sieci MIASTO CYFROWE" in await chat.text(cast.mayor, "/osoby cyfrowe")


def test_leaders_network_admits_only_mayors_presidents_and_deputies(
    seeded: Database, clock: FrozenClock
) -> None:
    cast = find_cast(seeded)
    with seeded.session() as s:
        leaders = directory.require_network(s, "liderzy")
        official = s.get(Person, cast.laureate_rep)
        assert official is not None
        with pytest.raises(DomainError):
            directory.grant_role(
                s, official, leaders, directory.Role.REPRESENTATIVE, None, clock.now()
            )
        official.office = "deputy"
        directory.grant_role(s, official, leaders, directory.Role.REPRESENTATIVE, None, clock.now())
    with seeded.session() as s:
        assert directory.Role.REPRESENTATIVE in directory.roles_of(s, cast.laureate_rep, leaders.id)


async def test_language_switch(chat: Chat, seeded: Database) -> None:
    cast = find_cast(seeded)
    assert "I will write to you in English." in await chat.text(cast.laureate_rep, "/jezyk en")
    assert "Commands available to you" in await chat.text(cast.laureate_rep, "/help")
    assert "/networks" in await chat.text(cast.laureate_rep, "/help all")
    assert "po polsku" in await chat.text(cast.laureate_rep, "/language pl")
    assert "wybierz pl lub en" in (await chat.text(cast.laureate_rep, "/jezyk de")).lower()


async def test_a_stranger_in_a_group_is_sent_to_a_private_chat(
    chat: Chat, seeded: Database
) -> None:
    greeting = await chat.text("teams-stranger", "/start", chat="cyfrowe")
    assert "otwórz prywatny czat ze mną" in greeting and "nie tutaj" in greeting
    assert "w prywatnym czacie ze mną" in await chat.text(
        "teams-stranger", "/osoby", chat="cyfrowe"
    )
    assert "w prywatnym czacie ze mną" in await chat.text(
        "teams-stranger", "/pomoc", chat="cyfrowe"
    )
    # in the private chat itself, no detour
    assert "otwórz prywatny czat" not in await chat.text("teams-stranger", "/start")


async def test_a_code_typed_in_a_group_by_someone_known_is_explained_privately(
    chat: Chat, seeded: Database
) -> None:
    cast = find_cast(seeded)
    code = await issue_code(chat, cast.coordinator, cast.laureate_rep)
    replies = await chat.say(cast.mayor, f"/start {code}", chat="cyfrowe")
    private = [m for m in replies if m.to is not None]
    public = [m for m in replies if m.to is None]
    assert [m.to.chat_id for m in private if m.to] == [str(cast.mayor)]
    assert "unieważniłem" in private[0].text
    assert public and all(code not in m.text for m in public)
    assert "Unieważniłem kod zaproszenia wpisany tutaj" in public[0].text
    assert "już nie działa" in await chat.text("tg-9", f"/start {code}")

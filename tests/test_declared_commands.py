"""Declared commands: arguments parsed before the handler, the router's gate on the action,
private answers — the conventions every feature uses (handlers/kit)."""

from __future__ import annotations

import pytest

from core.messages import Outgoing
from handlers.kit.args import Choice, Code, Fields, Id, Text, Words
from handlers.kit.context import Context
from handlers.kit.permissions import Action
from handlers.kit.registry import REGISTRY, Registry
from models.db import Database
from models.errors import N_
from tests.cast import find_cast
from tests.conftest import Chat


def test_words_fields_and_an_optional_leading_network(chat: Chat, seeded: Database) -> None:
    ctx = chat.router._context
    from core.messages import ChatRef, EventKind, Incoming, Sender

    c: Context = ctx(
        Incoming(Sender("console", "x"), ChatRef("console", "x", True), EventKind.TEXT, ""), []
    )
    words = Words(Code("network", optional=True), Text("query"))
    assert words.parse("cyfrowe e-usługi w gminie", c) == {
        "network": "cyfrowe",
        "query": "e-usługi w gminie",
    }
    # a word that is not a network is the text, not a network
    assert words.parse("cyfryzacja urzędu", c) == {"network": None, "query": "cyfryzacja urzędu"}
    fields = Fields(
        Text("title", limit=20),
        Id("seats"),
        Choice("answer", optional=True, choices={"może": "maybe"}),
    )
    assert fields.parse("Sesja; 12; moze", c) == {"title": "Sesja", "seats": 12, "answer": "maybe"}
    assert fields.parse("Sesja; #3", c)["answer"] is None


async def test_bad_input_gets_the_usage_and_example_in_polish(chat: Chat, seeded: Database) -> None:
    cast = find_cast(seeded)
    answer = await chat.text(cast.laureate_rep, "/dyzur_odwolaj dwanaście")
    assert answer.startswith("Użycie: /dyzur_odwolaj")
    assert "Na przykład: /dyzur_odwolaj 12" in answer


async def test_the_gate_refuses_before_parsing_and_names_who_may(
    chat: Chat, seeded: Database
) -> None:
    cast = find_cast(seeded)
    refused = await chat.text(cast.laureate_rep, "/dyzur_seria whatever at all")
    assert "Użycie" not in refused  # the gate spoke first
    assert "ekspert-moderator" in refused and "koordynator-facylitator" in refused


async def test_a_private_command_typed_in_a_group_answers_in_the_private_chat(
    chat: Chat, seeded: Database
) -> None:
    cast = find_cast(seeded)
    replies = await chat.say(cast.laureate_rep, "/moje_dyzury", chat="cyfrowe")
    assert replies and all(
        m.to is not None and m.to.chat_id == str(cast.laureate_rep) for m in replies
    )


def test_a_handler_must_take_what_its_command_declares() -> None:
    registry = Registry()

    async def wrong(ctx: Context, number: int) -> list[Outgoing]:
        return []

    with pytest.raises(TypeError, match="declares"):
        registry.command("x", summary=N_("x"), args=Words(Id("meeting")), action=Action.READ)(wrong)


def test_every_command_declares_its_permission_or_is_open_on_purpose() -> None:
    open_to_all = {c.name for c in REGISTRY.commands() if not c.actions}
    assert open_to_all == {
        "pomoc",
        "zglos",
        "start",
        "potwierdz_konto",
        "odrzuc_konto",
        "sieci",
        "jezyk",
        "anuluj",
        "moje_dane",
        "usun_dane",
    }

"""The reply-lane scenario of issue 23 (item 12), shared by its test and its benchmark: the
coordinating team sends an announcement to every network's group and, privately, to every
representative — through the outbox, at Telegram's limits, which the fake Bot API enforces
(1/s per chat, 20/min per group, 30/s overall, 429 + retry_after beyond) — and while it goes
out, people who are getting it ask /pomoc in their private chats. Their answers must not wait
behind the broadcast."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable
from dataclasses import dataclass

from core.clock import Clock
from models import directory
from models.db import Database
from tests.burst_scenario import add_representatives
from tests.cast import find_cast
from tests.fakes import telegram_updates as tg
from tests.fakes.telegram_api import Call, FakeBotApi

TEAM = 870001  # the coordinating team's Telegram id: may publish in every network
FIRST_GROUP = -1009960000
FIRST_USER = 960000
PER_CHAT = 1.0  # the fake's (Telegram's) interval between two messages to one chat
UNDER_WAY = 0.05  # seconds a request the bot had sent takes at most to reach the fake


def group_id(g: int) -> int:
    return FIRST_GROUP - g


def user_id(g: int, i: int) -> int:
    return FIRST_USER + g * 1000 + i


def bind_groups(db: Database, clock: Clock, group_of: Callable[[int], int] = group_id) -> list[str]:
    """The team linked on Telegram, network g bound to the group `group_of(g)`; returns the
    networks' codes in order (shared with the Telegram benchmarks)."""
    team = find_cast(db).team
    with db.session() as s:
        directory.link_account(s, team, "telegram", str(TEAM), None, clock.now())
        codes = []
        for g, network in enumerate(directory.networks(s)):
            directory.bind_chat(
                s, network, "telegram", str(group_of(g)), network.name, team, clock.now()
            )
            codes.append(network.code)
    return codes


def prepare(db: Database, clock: Clock, people_per_group: int) -> list[str]:
    """Every network bound to a group, `people_per_group` representatives in each linked on
    Telegram, the team linked; returns the chats the announcement will reach besides the
    team's own."""
    codes = bind_groups(db, clock)
    for g, code in enumerate(codes):
        add_representatives(db, people_per_group, clock.now(), code, first=user_id(g, 0))
    return [str(group_id(g)) for g in range(len(codes))] + [
        str(user_id(g, i)) for g in range(len(codes)) for i in range(people_per_group)
    ]  # and the team's own chat (it belongs to the networks too)


async def draft(api: FakeBotApi, marker: str) -> str:
    """The team writes an announcement through the /ogloszenie dialogue (all networks,
    everyone, in the chats and privately, now); returns the preview's Send button."""
    me, chat = tg.user(TEAM), tg.private_chat(TEAM)
    for answer in (
        "/ogloszenie",
        f"Spotkanie sieci 12 maja. {marker}",
        "bez",
        "wszystkie",
        "wszyscy",
        "prywatnie",
        "nie",
        "teraz",
    ):
        before = len(api.sent("sendMessage", TEAM))
        await api.inject(tg.message(me, chat, answer))
        await api.wait_for(
            lambda before=before: len(api.sent("sendMessage", TEAM)) > before, timeout=30
        )
    preview = api.sent("sendMessage", TEAM)[-1].params
    assert marker in preview["text"], preview["text"]
    return next(
        b["callback_data"]
        for row in preview["reply_markup"]["inline_keyboard"]
        for b in row
        if "callback_data" in b
    )  # "Send" comes first


async def send(api: FakeBotApi, button: str) -> float:
    """The team presses Send; the moment of the press."""
    pressed = time.monotonic()
    await api.inject(tg.callback(tg.user(TEAM), tg.private_chat(TEAM), button))
    return pressed


@dataclass(frozen=True)
class Question:
    at: float  # when the person asked
    update_id: int


async def ask_for_help(api: FakeBotApi, users: list[int], every: float) -> dict[int, Question]:
    """Each of `users` writes /pomoc in their private chat, one every `every` seconds."""
    asked = {}
    for user in users:
        at = time.monotonic()
        update = await api.inject(tg.message(tg.user(user), tg.private_chat(user), "/pomoc"))
        asked[user] = Question(at, update["update_id"])
        await asyncio.sleep(every)
    return asked


@dataclass(frozen=True)
class Answer:
    user: int
    waited: float  # seconds from asking to the answer's arrival at the fake
    # seconds from asking until Telegram would take a message in the chat at all: 1 s after
    # the message the chat got before the bot could know of the question (0: it was free)
    floor: float


def answers(api: FakeBotApi, asked: dict[int, Question], marker: str) -> list[Answer]:
    """The arrival of each asker's answer (the first message to them after asking that is not
    the announcement); missing answers are left out (compare the lengths)."""
    found = []
    for user, question in asked.items():
        calls: list[Call] = api.sent("sendMessage", user)
        at = question.at
        reply = next((c for c in calls if c.at >= at and marker not in c.params["text"]), None)
        if reply is None:
            continue
        # sent before the bot had the question: arrived before it was handed out, or so
        # soon after that the request was on its way already
        known = api.served.get(question.update_id, reply.at) + UNDER_WAY
        before = [c.at for c in calls if c is not reply and c.at < min(known, reply.at)]
        floor = max(0.0, before[-1] + PER_CHAT - at) if before else 0.0
        found.append(Answer(user, reply.at - at, floor))
    return found


def copies(api: FakeBotApi, marker: str) -> dict[str, int]:
    """How many copies of the announcement each chat got."""
    counts: dict[str, int] = {}
    for call in api.sent("sendMessage"):
        if marker in str(call.params.get("text", "")):
            chat = str(call.params["chat_id"])
            counts[chat] = counts.get(chat, 0) + 1
    return counts

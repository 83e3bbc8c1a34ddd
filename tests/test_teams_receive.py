"""Receiving on Teams as a site sees it (issue #21): calendar answers move the channel's live
counts, a guided conversation continues in the person's 1:1 chat, thread replies and later
pages are read after missed notifications, the bot's own posts are never fetched, one 1:1
chat per person, and a notification is stored before Graph is answered — a 429 or a crash
afterwards loses nothing. The real msgraph-sdk against the local fake Graph."""

# ruff: noqa: F811  (the tests take the `teams` fixture imported from tests.test_teams)

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import Awaitable, Callable
from datetime import timedelta
from typing import Any

from aiohttp import web
from sqlmodel import select

from bot.http import HttpServer
from bot.router import Router
from bot.transports.teams.transport import TeamsTransport
from core.messages import File, Outgoing, Target
from jobs.dispatch import DueDispatcher
from models import directory
from models import teams as store
from models.meetings import rsvps
from models.outbox import OutboxMessage
from models.teams import InboxStatus, SubscriptionKind, SubscriptionStatus, TeamsInbox
from tests.conftest import Chat
from tests.fakes.graph_api import BOT_USER, FakeGraph, Fault
from tests.test_feedback import ENDS, core_reps
from tests.test_teams import (
    CHANNEL_BOX,
    CHANNEL_KEY,
    COORD_AAD,
    GROUP_BOX,
    GROUP_CHAT,
    REP_AAD,
    STATE,
    Teams,
    teams,  # noqa: F401  (the fixture the tests below take)
)
from tests.test_telegram import free_port


def private_box(user_id: str) -> str:
    return f"chats/19:{BOT_USER}_{user_id}@unq.gbl.spaces/messages"


def page_collections(graph: FakeGraph, size: int) -> None:
    """Graph's paging: collections come at most `size` items a page whatever $top asked, the
    rest behind @odata.nextLink (what Graph may do; clients must follow the link)."""
    graph.page_size = graph.server_page_max = size


async def until(
    check: Callable[[], bool], tick: Callable[[], Awaitable[Any]], seconds: float
) -> None:
    deadline = time.monotonic() + seconds
    while not check():
        assert time.monotonic() < deadline, "timed out"
        await tick()
        await asyncio.sleep(0.05)


def inbox(teams: Teams) -> list[TeamsInbox]:
    with teams.db.session() as s:
        return list(s.exec(select(TeamsInbox).order_by(TeamsInbox.id)).all())  # type: ignore[arg-type]


async def typed(teams: Teams, box: str, user: str, text: str, **extra: Any) -> dict[str, Any]:
    """A person types in a chat or channel; Graph notifies the bot (answered 202)."""
    message = teams.graph.user_message(box, user, text, **extra)
    sub = box if "/replies" not in box else box.split("/messages/")[0] + "/messages"
    status = await teams.notify(
        teams.graph.notification(teams.subscription_id(sub), box, message["id"], STATE)
    )
    assert status == 202
    return message


# --- 2. calendar answers ---------------------------------------------------------------------


async def test_a_calendar_answer_moves_the_channels_live_counts(
    teams: Teams, router: Router
) -> None:
    await Chat(router, "teams").text(
        COORD_AAD,
        "/spotkanie_nowe cyfrowe; Spotkanie III; 12.12.2026 10:00; "
        "stacjonarne; 3; Łomża, ul. Długa 1; ; 6",
        CHANNEL_KEY,
    )
    await teams.outbox.run_once()
    [invitation] = [
        m for m in teams.graph.sent(CHANNEL_BOX) if "Spotkanie III" in m["body"]["content"]
    ]
    assert "0/6" in invitation["body"]["content"]
    await teams.transport.sync_calendar()
    [event] = teams.graph.events.values()

    teams.graph.respond(event["id"], "jan.rep@lomza.example.pl", "accepted")  # in Outlook
    assert await teams.transport.sync_calendar() == 1
    teams.clock.advance(timedelta(seconds=10))  # past the debounce of live edits
    await teams.outbox.run_once()

    edited = next(m for m in teams.graph.sent(CHANNEL_BOX) if m["id"] == invitation["id"])
    assert edited.get("edits") == 1 and "1/6" in edited["body"]["content"]


# --- 3. guided conversations in the 1:1 chat -------------------------------------------------


async def test_a_number_typed_in_the_private_chat_answers_the_feedback_poll(
    teams: Teams, router: Router
) -> None:
    chat = Chat(router, "teams")
    rep = core_reps(teams.db)[0]
    with teams.db.session() as s:  # the representative uses Teams
        directory.link_account(s, rep, "teams", REP_AAD, None, teams.clock.now())
    await chat.text(
        COORD_AAD, "/spotkanie_nowe cyfrowe; Spotkanie II; 25.11.2026 10:00; online; 4", CHANNEL_KEY
    )
    assert "Zapisano" in await chat.text(REP_AAD, "/rsvp 1 online")
    teams.clock.set(ENDS + timedelta(minutes=30))
    await DueDispatcher(teams.db, teams.clock, teams.transport.settings).run_once()
    await teams.outbox.run_once()
    box = private_box(REP_AAD)
    assert any("Pytanie 1 z 6" in m["body"]["content"] for m in teams.graph.sent(box))
    await teams.transport.maintain()  # the new 1:1 chat is listened to

    await typed(teams, box, REP_AAD, "4")
    await teams.settle()
    said = [m["body"]["content"] for m in teams.graph.sent(box)]
    assert any("Pytanie 2 z 6" in text for text in said), said
    assert not any("ukośnik" in text for text in said)


async def test_one_persons_private_chat_is_one_chat_under_one_id(teams: Teams) -> None:
    """A reply to what they typed there and a message addressed to them go to one outbox
    chat (paced as one); the 1:1 chat is looked up once, and still known after a restart."""
    chat_id = teams.graph.user_opens_chat(COORD_AAD)
    box = f"chats/{chat_id}/messages"
    await teams.transport.maintain()
    await typed(teams, box, COORD_AAD, "/sieci")
    await teams.settle()
    assert "cyfrowe" in teams.graph.sent(box)[-1]["body"]["content"]
    with teams.db.session() as s:
        rows = s.exec(select(OutboxMessage)).all()
    assert {r.chat_id for r in rows} == {COORD_AAD}  # not the 1:1 chat's id besides

    port = free_port()
    again = TeamsTransport(
        teams.transport.router,
        teams.transport.settings,
        HttpServer("127.0.0.1", port),
        credential=teams.credential,
    )
    await again.start()
    try:
        await again.send(Target("teams", COORD_AAD), Outgoing("po restarcie"))
    finally:
        await again.stop()
    assert teams.graph.sent(box)[-1]["body"]["content"] == "<p>po restarcie</p>"
    assert teams.graph.requests("POST", "chats") == teams.graph.requests("POST", "chats/")
    # (no POST /chats at all: the chat was known)


# --- 6. thread replies after missed notifications --------------------------------------------


async def test_an_rsvp_replied_under_the_invitation_while_down_is_recovered(
    teams: Teams, router: Router
) -> None:
    await typed(teams, CHANNEL_BOX, COORD_AAD, "/sieci")  # the channel was being read
    await teams.settle()
    await Chat(router, "teams").text(
        COORD_AAD,
        "/spotkanie_nowe cyfrowe; Spotkanie III; 12.12.2026 10:00; "
        "stacjonarne; 3; Łomża, ul. Długa 1; ; 6",
        CHANNEL_KEY,
    )
    await teams.outbox.run_once()
    [invitation] = [
        m for m in teams.graph.sent(CHANNEL_BOX) if "Spotkanie III" in m["body"]["content"]
    ]
    await asyncio.sleep(0.01)
    thread = f"{CHANNEL_BOX}/{invitation['id']}/replies"
    teams.graph.user_message(thread, REP_AAD, "/rsvp 1 stacjonarnie")  # notification missed

    await teams.transport.recover_all()
    await teams.transport.recover_all()  # twice: one answer
    with teams.db.session() as s:
        assert [(r.person_id, r.answer) for r in rsvps(s, 1)] == [
            (teams.cast.laureate_rep, "stacjonarnie")
        ]
    assert teams.graph.requests("GET", f"{invitation['id']}/replies")


# --- 7. paging ---------------------------------------------------------------------------------


async def test_chat_discovery_reads_every_page_of_chats(teams: Teams) -> None:
    page_collections(teams.graph, 2)
    people = [f"d0000000-0000-4000-8000-{n:012d}" for n in range(10)]
    boxes = []
    for n, user in enumerate(people):
        teams.graph.add_user(user, f"Osoba {n}", f"osoba{n}@example.org")
        boxes.append(f"chats/{teams.graph.user_opens_chat(user)}/messages")
    await teams.transport.maintain()
    assert all(teams.graph.subscription_for("/" + box) is not None for box in boxes)
    assert sum("me/chats" in c.path for c in teams.graph.requests("GET")) >= 5  # 10 chats, 2 a page


async def test_recovery_reads_every_page_of_missed_messages(teams: Teams) -> None:
    await typed(teams, GROUP_BOX, COORD_AAD, "/sieci")
    await teams.settle()
    await asyncio.sleep(0.01)
    page_collections(teams.graph, 2)
    for _ in range(5):  # while the bot was down
        teams.graph.user_message(GROUP_BOX, COORD_AAD, "/sieci")
        await asyncio.sleep(0.002)
    await teams.transport.recover_all()
    await teams.outbox.run_once()
    assert len(teams.graph.sent(GROUP_BOX)) == 6
    assert sum(1 for q in teams.graph.query_log if "$skiptoken" in q) >= 2


# --- 8. the bot's own posts, the inbox --------------------------------------------------------


async def test_the_echo_of_a_post_is_never_fetched_even_before_the_post_returns(
    teams: Teams,
) -> None:
    """Graph may notify before it answers the POST: the notification waits for the post."""
    route = teams.graph._route

    async def notify_first(request: web.Request, path: str, body: Any) -> web.StreamResponse:
        response = await route(request, path, body)
        if request.method == "POST" and path.strip("/") == GROUP_BOX:
            assert isinstance(response, web.Response) and response.body is not None
            posted = json.loads(bytes(response.body))  # type: ignore[arg-type]
            note = teams.graph.notification(
                teams.subscription_id(GROUP_BOX), GROUP_BOX, posted["id"], STATE
            )
            assert await teams.notify(note) == 202
            await asyncio.sleep(0.05)  # the bot's worker is waiting meanwhile
        return response

    teams.graph._route = notify_first  # type: ignore[method-assign]
    await teams.transport.send(Target("teams", GROUP_CHAT), Outgoing("/sieci"))
    await teams.settle()
    [own] = teams.graph.sent(GROUP_BOX)
    assert teams.graph.requests("GET", own["id"]) == []
    assert [r.status for r in inbox(teams)] == [InboxStatus.OWN]


async def test_a_redelivered_notification_is_stored_and_fetched_once(teams: Teams) -> None:
    message = teams.graph.user_message(GROUP_BOX, COORD_AAD, "/sieci")
    note = teams.graph.notification(
        teams.subscription_id(GROUP_BOX), GROUP_BOX, message["id"], STATE
    )
    assert await teams.notify(note) == 202
    assert await teams.notify(note) == 202
    await teams.settle()
    assert len(teams.graph.requests("GET", message["id"])) == 1
    assert len(teams.graph.sent(GROUP_BOX)) == 1


async def test_a_throttled_fetch_is_retried_after_retry_after_not_dropped(teams: Teams) -> None:
    message = teams.graph.user_message(GROUP_BOX, COORD_AAD, "/sieci")
    # more 429s than the SDK's own retries: before, the notification was lost here
    teams.graph.faults.append(Fault("GET", message["id"], 429, times=5, retry_after=1))
    note = teams.graph.notification(
        teams.subscription_id(GROUP_BOX), GROUP_BOX, message["id"], STATE
    )
    assert await teams.notify(note) == 202
    await until(lambda: bool(teams.graph.sent(GROUP_BOX)), teams.outbox.run_once, 30)
    assert "cyfrowe" in teams.graph.sent(GROUP_BOX)[0]["body"]["content"]
    statuses = [c.status for c in teams.graph.requests("GET", message["id"])]
    assert statuses.count(429) == 5 and statuses[-1] == 200
    [row] = [r for r in inbox(teams) if r.status != InboxStatus.OWN]  # (and the reply posted)
    assert row.status == InboxStatus.DONE and row.attempts >= 1


async def test_a_notification_answered_just_before_a_crash_is_handled_after_restart(
    teams: Teams,
) -> None:
    teams.transport._kick = lambda lane: None  # type: ignore[method-assign]  # dies after 202
    message = teams.graph.user_message(GROUP_BOX, COORD_AAD, "/sieci")
    note = teams.graph.notification(
        teams.subscription_id(GROUP_BOX), GROUP_BOX, message["id"], STATE
    )
    assert await teams.notify(note) == 202
    [row] = inbox(teams)  # committed before the answer
    assert row.status == InboxStatus.PENDING
    await teams.transport.stop()
    assert teams.graph.requests("GET", message["id"]) == []

    restarted = TeamsTransport(
        teams.transport.router,
        teams.transport.settings,
        HttpServer("127.0.0.1", free_port()),
        credential=teams.credential,
    )
    await restarted.start()
    try:
        await until(lambda: not restarted._tasks, lambda: asyncio.sleep(0), 10)
        await teams.outbox.run_once()
    finally:
        await restarted.stop()
    assert "cyfrowe" in teams.graph.sent(GROUP_BOX)[0]["body"]["content"]
    assert [r.status for r in inbox(teams)] == [InboxStatus.DONE, InboxStatus.OWN]


async def test_storing_fails_so_graph_is_not_told_it_was_received(
    teams: Teams, monkeypatch: Any
) -> None:
    def broken(*_args: Any, **_kwargs: Any) -> bool:
        raise RuntimeError("database down")

    monkeypatch.setattr(store, "inbox_add", broken)
    message = teams.graph.user_message(GROUP_BOX, COORD_AAD, "/sieci")
    note = teams.graph.notification(
        teams.subscription_id(GROUP_BOX), GROUP_BOX, message["id"], STATE
    )
    assert await teams.notify(note) == 503  # Graph sends it again later


async def test_subscription_rows_use_the_named_kinds_and_statuses(teams: Teams) -> None:
    with teams.db.session() as s:
        row = store.subscription_for(s, CHANNEL_KEY)
        group = store.subscription_for(s, GROUP_CHAT)
    assert row is not None and row.kind == SubscriptionKind.CHANNEL
    assert row.status == SubscriptionStatus.ACTIVE
    assert group is not None and group.kind == SubscriptionKind.GROUP


async def test_an_answer_in_a_channel_is_read_without_a_429(teams: Teams) -> None:
    """A normal exchange stays under Graph's per-chat limit: no request answered 429."""
    await typed(teams, CHANNEL_BOX, COORD_AAD, "/sieci", mention_bot=True)
    await teams.settle()
    assert [c for c in teams.graph.calls if c.status == 429] == []


async def test_a_file_posted_to_a_channel_stays_under_the_channels_limit(teams: Teams) -> None:
    """Reading the channel's files folder is a request on the channel too: the post of the
    file after it is paced (before, Graph answered it 429 and the SDK waited a second)."""
    await teams.transport.send(
        Target("teams", CHANNEL_KEY),
        Outgoing("Agenda", files=(File("agenda.pdf", b"%PDF", "application/pdf"),)),
    )
    _text, posted = teams.graph.sent(CHANNEL_BOX)
    assert posted["attachments"][0]["name"] == "agenda.pdf"
    assert teams.graph.throttled() == []

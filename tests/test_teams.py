"""The real msgraph-sdk client against a local fake Graph on 127.0.0.1: sending, receiving
notifications, subscriptions, throttling and an expired sign-in."""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

import aiohttp
import pytest
from azure.core.credentials import AccessToken
from azure.identity import AuthenticationRequiredError

from bot.http import HttpServer
from bot.outbox import OutboxDispatcher
from bot.router import Router
from bot.transports import DeliveryError
from bot.transports.teams.transport import TeamsTransport, pacer_for
from core.clock import FrozenClock
from core.config import Settings
from core.messages import Action, File, Outgoing, Target
from models import directory
from models import teams as store
from models.core import Person
from models.db import Database
from models.meetings import rsvps
from tests.cast import Cast, find_cast
from tests.conftest import Chat
from tests.fakes import tls
from tests.fakes.graph_api import BOT_USER, FakeGraph, Fault, TlsFront, client_ssl
from tests.fakes.tokens import Token, TokenBook
from tests.test_telegram import free_port

TEAM = "a1b2c3d4-0000-4000-8000-00000000cafe"
CHANNEL = "19:4a95f7d8db4c4e7fae857bcebe0623e6@thread.tacv2"
CHANNEL_KEY = f"{TEAM}/{CHANNEL}"
CHANNEL_BOX = f"teams/{TEAM}/channels/{CHANNEL}/messages"
GROUP_CHAT = "19:8b081ef6-4792-4def-b2c9-c363a1bf41d5@thread.v2"
GROUP_BOX = f"chats/{GROUP_CHAT}/messages"
REP_AAD = "c0000000-0000-4000-8000-000000000002"
COORD_AAD = "c0000000-0000-4000-8000-000000000001"
STATE = "client-state-secret-1"


RATE = 10.0  # Graph's 1 request/s per chat or channel, 10x faster: the fake and the bot agree


class StaticCredential:
    """Tokens as azure-identity hands them out, issued by the fake Entra ID's token book that
    the fake Graph checks: cached until close to expiry, a fresh one for a claims challenge
    (CAE); `expired` = the sign-in was revoked and only a person can sign in again."""

    def __init__(self, tokens: TokenBook, user_id: str = BOT_USER, lifetime: float = 3600) -> None:
        self.tokens, self.user_id, self.lifetime = tokens, user_id, lifetime
        self.expired = False
        self.calls = 0
        self.cached: Token | None = None

    @property
    def last(self) -> str:
        return self.cached.value if self.cached else ""

    def get_token(
        self, *scopes: str, claims: str | None = None, enable_cae: bool = False, **kwargs: Any
    ) -> AccessToken:
        self.calls += 1
        if self.expired:
            raise AuthenticationRequiredError(scopes, message="interaction required")
        token = self.cached
        if (
            token is None
            or claims
            or token.scopes != tuple(scopes)
            or token.cae != enable_cae
            or token.expires_at - 300 <= time.time()
        ):
            token = self.tokens.issue(
                self.user_id, tuple(scopes), cae=enable_cae, lifetime=self.lifetime
            )
            self.cached = token
        return AccessToken(token.value, int(token.expires_at))


@dataclass
class Teams:
    graph: FakeGraph
    transport: TeamsTransport
    outbox: OutboxDispatcher
    credential: StaticCredential
    cast: Cast
    db: Database
    clock: FrozenClock
    url: str
    lost: list[int]

    async def notify(self, payload: dict[str, Any]) -> int:
        """A hand-made notification, posted as Graph would (over https)."""
        async with (
            aiohttp.ClientSession() as session,
            session.post(
                self.url,
                data=json.dumps(payload),
                headers={"Content-Type": "application/json"},
                ssl=client_ssl(),
            ) as answer,
        ):
            return answer.status

    async def drain(self) -> None:
        """Until quiet: the fake's notifications answered, the bot's background work done."""
        for _ in range(400):
            await self.graph.quiet()
            if not self.transport._tasks:
                await asyncio.sleep(0)
                if not self.transport._tasks and not self.graph._tasks:
                    return
            await asyncio.sleep(0.01)

    async def settle(self) -> None:
        """Let background processing finish, then deliver the outbox (and take in the echo
        notifications of what it posted)."""
        await self.drain()
        await self.outbox.run_once()
        await self.drain()

    def subscription_id(self, container: str) -> str:
        sub = self.graph.subscription_for("/" + container)
        assert sub is not None, container
        return str(sub["id"])


def teams_settings(settings: Settings, graph: FakeGraph, port: int, **extra: Any) -> Settings:
    """`port`: the HTTPS front (TlsFront) of the bot's HTTP server: Graph notifies https only.
    The bot paces itself at the fake's RATE per chat, as it would at Graph's 1/s."""
    return settings.model_copy(
        update={
            "teams_graph_base_url": graph.base_url,
            "teams_notification_url": f"https://127.0.0.1:{port}/teams/notifications",
            "teams_client_state": STATE,
            "teams_rate_per_chat": RATE,
            "teams_rate_overall": 1000,
            "teams_discover_seconds": 0,
            **extra,
        }
    )


@pytest.fixture
def trust_test_ca(monkeypatch: pytest.MonkeyPatch) -> None:
    """The SDK's httpx client (built when the transport is) trusts the fakes' test CA."""
    for name, value in tls.test_ca().client_env().items():
        monkeypatch.setenv(name, value)


def set_email(db: Database, person_id: int, email: str) -> None:
    with db.session() as s:
        person = s.get(Person, person_id)
        assert person is not None
        person.email = email
        s.add(person)


@pytest.fixture
async def teams(
    graph: FakeGraph,
    router: Router,
    settings: Settings,
    seeded: Database,
    clock: FrozenClock,
    monkeypatch: pytest.MonkeyPatch,
) -> AsyncIterator[Teams]:
    for name, value in tls.test_ca().client_env().items():  # (trust_test_ca, inline: the
        monkeypatch.setenv(name, value)  # fixture travels to modules importing `teams`)
    cast = find_cast(seeded)
    graph.follow(clock)
    graph.rate_per_chat = RATE
    graph.add_user(REP_AAD, "Jan Reprezentant", "jan.rep@lomza.example.pl")
    graph.add_user(COORD_AAD, "Katarzyna Koordynator", "k.koord@zmp.example.pl")
    graph.add_group_chat(GROUP_CHAT, "EMPIRIE zielone", [COORD_AAD])
    set_email(seeded, cast.laureate_rep, "Jan.Rep@lomza.example.pl")
    with seeded.session() as s:
        directory.link_account(s, cast.coordinator, "teams", COORD_AAD, None, clock.now())
        directory.bind_chat(
            s,
            directory.require_network(s, "cyfrowe"),
            "teams",
            CHANNEL_KEY,
            None,
            cast.coordinator,
            clock.now(),
        )
    port = free_port()
    http = HttpServer("127.0.0.1", port)
    front = TlsFront(port)
    await front.start()
    credential = StaticCredential(graph.tokens)
    lost: list[int] = []
    transport = TeamsTransport(
        router,
        teams_settings(settings, graph, front.port),
        http,
        credential=credential,
        on_login_lost=lambda: lost.append(1),
    )
    router.settings = transport.settings
    await http.start()
    await transport.start()
    outbox = OutboxDispatcher(seeded, clock, {"teams": transport})
    yield Teams(
        graph,
        transport,
        outbox,
        credential,
        cast,
        seeded,
        clock,
        transport.settings.teams_notification_url,
        lost,
    )
    await transport.stop()
    await graph.quiet()
    await http.stop()
    await front.stop()


# --- sending ---------------------------------------------------------------------------


async def test_posts_to_a_channel_as_html_with_typed_command_hints(teams: Teams) -> None:
    await teams.transport.send(
        Target("teams", CHANNEL_KEY),
        Outgoing(
            "**Spotkanie** w Łomży\n- program: [strona](https://zmp.pl/a)\n- kawa <i>",
            actions=(Action("Online", "/rsvp 3 online"), Action("Nie", "/rsvp 3 nie")),
            markdown=True,
        ),
    )
    [posted] = teams.graph.sent(CHANNEL_BOX)
    content = posted["body"]["content"]
    assert posted["body"]["contentType"] == "html"
    assert "<b>Spotkanie</b>" in content
    assert '<ul><li>program: <a href="https://zmp.pl/a">strona</a></li>' in content
    assert "kawa &lt;i&gt;" in content  # user text cannot inject markup
    assert "<code>/rsvp 3 online</code>" in content and "<code>/rsvp 3 nie</code>" in content
    assert posted["attachments"] == []  # no signed link: no card (no dead buttons)
    assert (
        teams.graph.requests("POST", CHANNEL_BOX)[0].headers["Authorization"]
        == f"Bearer {teams.credential.last}"
    )


async def test_actions_with_a_signed_link_get_an_open_url_card(teams: Teams) -> None:
    await teams.transport.send(
        Target("teams", GROUP_CHAT),
        Outgoing(
            "Spotkanie #3",
            actions=(
                Action("Online", "/rsvp 3 online", url="https://bot.example.org/a/3?sig=abc"),
            ),
        ),
    )
    [posted] = teams.graph.sent(GROUP_BOX)
    [card] = posted["attachments"]
    assert card["contentType"] == "application/vnd.microsoft.card.adaptive"
    assert f'<attachment id="{card["id"]}"></attachment>' in posted["body"]["content"]
    actions = json.loads(card["content"])["actions"]
    assert actions == [
        {"type": "Action.OpenUrl", "title": "Online", "url": "https://bot.example.org/a/3?sig=abc"}
    ]
    assert "<code>/rsvp 3 online</code>" in posted["body"]["content"]


async def test_a_pure_link_is_a_card_button_and_a_link(teams: Teams) -> None:
    await teams.transport.send(
        Target("teams", GROUP_CHAT),
        Outgoing(
            "Ankieta po spotkaniu", actions=(Action("Wypełnij", url="https://bot.example.org/f/1"),)
        ),
    )
    [posted] = teams.graph.sent(GROUP_BOX)
    assert '<a href="https://bot.example.org/f/1">Wypełnij</a>' in posted["body"]["content"]
    assert "<code>" not in posted["body"]["content"]  # nothing to type
    assert (
        json.loads(posted["attachments"][0]["content"])["actions"][0]["url"]
        == "https://bot.example.org/f/1"
    )


async def test_private_message_goes_to_the_one_on_one_chat(teams: Teams) -> None:
    for text in ("pierwsza", "druga"):
        await teams.transport.send(Target("teams", COORD_AAD), Outgoing(text))
    assert (
        len(teams.graph.requests("POST", "chats")) - len(teams.graph.requests("POST", "chats/"))
        == 1
    )  # the 1:1 chat is created once
    chat_id = f"19:{BOT_USER}_{COORD_AAD}@unq.gbl.spaces"
    texts = [m["body"]["content"] for m in teams.graph.sent(f"chats/{chat_id}/messages")]
    assert texts == ["<p>pierwsza</p>", "<p>druga</p>"]
    await teams.transport.maintain()  # and the bot listens there (for /start <code>)
    assert teams.graph.subscription_for(f"/chats/{chat_id}/messages") is not None


async def test_a_pinned_announcement_is_pinned_in_a_group_chat(teams: Teams) -> None:
    await teams.transport.send(Target("teams", GROUP_CHAT), Outgoing("Ważne", pin=True))
    [posted] = teams.graph.sent(GROUP_BOX)
    assert teams.graph.pinned == [(GROUP_CHAT, posted["id"])]


async def test_files_are_uploaded_to_the_channel_folder_and_referenced(teams: Teams) -> None:
    await teams.transport.send(
        Target("teams", CHANNEL_KEY),
        Outgoing(
            "Lista",
            files=(
                File("lista.csv", b"a;b\n", "text/csv"),
                File("spotkanie_1.ics", b"BEGIN:VCALENDAR", "text/calendar"),
            ),
        ),
    )
    text, posted = teams.graph.sent(CHANNEL_BOX)  # the text, then the file as its own message
    assert text["body"]["content"] == "<p>Lista</p>"
    [ref] = posted["attachments"]
    assert ref["contentType"] == "reference" and ref["name"] == "lista.csv"
    assert list(teams.graph.drive_content.values()) == [b"a;b\n"]  # the .ics: a calendar event


async def test_a_429_with_retry_after_is_retried_by_the_sdk(teams: Teams) -> None:
    teams.graph.faults.append(Fault("POST", CHANNEL_BOX, 429, times=1, retry_after=1))
    started = time.monotonic()
    await teams.transport.send(Target("teams", CHANNEL_KEY), Outgoing("raz"))
    assert time.monotonic() - started >= 1.0
    assert [c.status for c in teams.graph.requests("POST", CHANNEL_BOX)] == [429, 201]
    assert len(teams.graph.sent(CHANNEL_BOX)) == 1


async def test_persistent_throttling_goes_back_to_the_outbox_with_retry_after(teams: Teams) -> None:
    teams.graph.faults.append(Fault("POST", CHANNEL_BOX, 429, times=10, retry_after=1))
    with pytest.raises(DeliveryError) as caught:
        await teams.transport.send(Target("teams", CHANNEL_KEY), Outgoing("raz"))
    assert not caught.value.permanent and caught.value.retry_after == 1
    assert teams.graph.sent(CHANNEL_BOX) == []


async def test_messages_to_one_chat_are_paced(teams: Teams) -> None:
    teams.transport.pacer = pacer_for(
        teams.transport.settings.model_copy(update={"teams_rate_per_chat": 4})
    )
    started = time.monotonic()
    for i in range(3):
        await teams.transport.send(Target("teams", GROUP_CHAT), Outgoing(f"m{i}"))
    assert time.monotonic() - started >= 0.5  # 3 messages at 4/s: two gaps of 0.25 s


# --- receiving -------------------------------------------------------------------------


async def test_subscriptions_are_created_with_the_validation_handshake(teams: Teams) -> None:
    sub = teams.graph.subscription_for("/" + CHANNEL_BOX)
    assert sub is not None
    assert sub["clientState"] == STATE and sub["changeType"] == "created"
    assert sub["lifecycleNotificationUrl"] == teams.url  # needed over one hour
    assert teams.graph.subscription_for("/" + GROUP_BOX) is not None  # a group chat of ours
    assert teams.graph.validation_answers and all(
        status == 200 and ctype == "text/plain"
        for status, ctype, _t in teams.graph.validation_answers
    )
    async with (
        aiohttp.ClientSession() as session,
        session.post(teams.url, params={"validationToken": "a b&c"}, ssl=client_ssl()) as answer,
    ):
        assert answer.status == 200 and answer.content_type == "text/plain"
        assert await answer.text() == "a b&c"


async def test_typed_command_in_the_channel_is_answered(teams: Teams) -> None:
    message = teams.graph.user_message(CHANNEL_BOX, REP_AAD, "/sieci", mention_bot=True)
    status = await teams.notify(
        teams.graph.notification(
            teams.subscription_id(CHANNEL_BOX), CHANNEL_BOX, message["id"], STATE
        )
    )
    assert status == 202
    await teams.settle()
    [reply] = teams.graph.sent(CHANNEL_BOX)
    assert "cyfrowe" in reply["body"]["content"]
    # the unknown sender was linked by the roster's e-mail address
    with teams.db.session() as s:
        person = directory.person_by_account(s, "teams", REP_AAD)
    assert person is not None and person.id == teams.cast.laureate_rep


async def test_a_command_typed_as_a_reply_in_a_thread_is_answered(teams: Teams) -> None:
    post = teams.graph.user_message(CHANNEL_BOX, COORD_AAD, "Dzień dobry wszystkim")
    thread = f"{CHANNEL_BOX}/{post['id']}/replies"
    reply = teams.graph.user_message(thread, COORD_AAD, "/sieci", mention_bot=True)
    await teams.notify(
        teams.graph.notification(teams.subscription_id(CHANNEL_BOX), thread, reply["id"], STATE)
    )
    await teams.settle()
    [answer] = teams.graph.sent(CHANNEL_BOX)
    assert "cyfrowe" in answer["body"]["content"]


async def test_a_redelivered_notification_has_one_effect(teams: Teams) -> None:
    message = teams.graph.user_message(CHANNEL_BOX, COORD_AAD, "/sieci")
    note = teams.graph.notification(
        teams.subscription_id(CHANNEL_BOX), CHANNEL_BOX, message["id"], STATE
    )
    assert await teams.notify(note) == 202
    await teams.settle()
    assert await teams.notify(note) == 202
    await teams.settle()
    assert len(teams.graph.sent(CHANNEL_BOX)) == 1


async def test_a_wrong_client_state_is_dropped(
    teams: Teams, caplog: pytest.LogCaptureFixture
) -> None:
    message = teams.graph.user_message(CHANNEL_BOX, COORD_AAD, "/sieci")
    status = await teams.notify(
        teams.graph.notification(
            teams.subscription_id(CHANNEL_BOX), CHANNEL_BOX, message["id"], "forged"
        )
    )
    await teams.settle()
    assert status == 202
    assert teams.graph.requests("GET", message["id"]) == []  # not even fetched
    assert teams.graph.sent(CHANNEL_BOX) == []
    assert "reason=client_state" in caplog.text


async def test_the_bots_own_messages_are_ignored(teams: Teams) -> None:
    await teams.transport.send(Target("teams", CHANNEL_KEY), Outgoing("/sieci"))
    [own] = teams.graph.sent(CHANNEL_BOX)
    await teams.notify(
        teams.graph.notification(teams.subscription_id(CHANNEL_BOX), CHANNEL_BOX, own["id"], STATE)
    )
    await teams.settle()
    assert teams.graph.requests("GET", own["id"]) == []  # known as ours: never fetched
    assert len(teams.graph.sent(CHANNEL_BOX)) == 1


async def test_private_reply_goes_to_the_persons_chat_not_the_channel(teams: Teams) -> None:
    message = teams.graph.user_message(
        CHANNEL_BOX, COORD_AAD, f"/zaproszenie {teams.cast.laureate_rep2}"
    )
    await teams.notify(
        teams.graph.notification(
            teams.subscription_id(CHANNEL_BOX), CHANNEL_BOX, message["id"], STATE
        )
    )
    await teams.settle()
    [public] = teams.graph.sent(CHANNEL_BOX)
    assert "private" in public["body"]["content"] or "prywatn" in public["body"]["content"]
    chat_id = f"19:{BOT_USER}_{COORD_AAD}@unq.gbl.spaces"
    [private] = teams.graph.sent(f"chats/{chat_id}/messages")
    assert "/start" in private["body"]["content"]


async def test_subscriptions_are_renewed_before_they_expire(teams: Teams) -> None:
    sub_id = teams.subscription_id(CHANNEL_BOX)
    before = teams.graph.subscriptions[sub_id]["expirationDateTime"]
    assert await teams.transport.maintain() == 0  # nothing due yet
    teams.clock.advance(timedelta(hours=60))
    assert await teams.transport.maintain() >= 1
    assert teams.graph.requests("PATCH", f"subscriptions/{sub_id}")
    assert teams.graph.subscriptions[sub_id]["expirationDateTime"] > before
    with teams.db.session() as s:
        row = store.subscription_for(s, CHANNEL_KEY)
    assert row is not None and row.expires_at is not None
    assert row.expires_at > teams.clock.now() + timedelta(hours=60)


async def test_a_removed_subscription_is_created_anew(teams: Teams) -> None:
    old = teams.subscription_id(CHANNEL_BOX)
    payload = teams.graph.lifecycle(old, "subscriptionRemoved", STATE)
    del teams.graph.subscriptions[old]
    assert await teams.notify(payload) == 202
    await teams.settle()
    new = teams.subscription_id(CHANNEL_BOX)
    assert new != old
    with teams.db.session() as s:
        row = store.subscription_for(s, CHANNEL_KEY)
    assert row is not None and row.subscription_id == new and row.status == "active"


async def test_reauthorization_required_is_answered(teams: Teams) -> None:
    sub_id = teams.subscription_id(CHANNEL_BOX)
    await teams.notify(teams.graph.lifecycle(sub_id, "reauthorizationRequired", STATE))
    await teams.settle()
    assert teams.graph.requests("POST", f"subscriptions/{sub_id}/reauthorize")


async def test_a_renewal_of_a_vanished_subscription_subscribes_again(teams: Teams) -> None:
    old = teams.subscription_id(CHANNEL_BOX)
    del teams.graph.subscriptions[old]
    teams.clock.advance(timedelta(hours=65))
    await teams.transport.maintain()
    assert teams.subscription_id(CHANNEL_BOX) != old


async def test_an_unbound_channel_is_no_longer_listened_to(teams: Teams) -> None:
    sub_id = teams.subscription_id(CHANNEL_BOX)
    with teams.db.session() as s:
        directory.unbind_chat(s, "teams", CHANNEL_KEY, None, teams.clock.now())
    await teams.transport.maintain()
    assert sub_id not in teams.graph.subscriptions
    with teams.db.session() as s:
        assert store.subscription_for(s, CHANNEL_KEY) is None
    assert teams.graph.subscription_for("/" + GROUP_BOX) is not None  # chats stay: /polacz


async def test_missed_messages_are_read_once_after_downtime(teams: Teams, router: Router) -> None:
    first = teams.graph.user_message(CHANNEL_BOX, COORD_AAD, "/sieci")
    await teams.notify(
        teams.graph.notification(
            teams.subscription_id(CHANNEL_BOX), CHANNEL_BOX, first["id"], STATE
        )
    )
    await teams.settle()
    assert len(teams.graph.sent(CHANNEL_BOX)) == 1
    await teams.transport.stop()
    await asyncio.sleep(0.01)
    teams.graph.user_message(CHANNEL_BOX, COORD_AAD, "/pomoc")  # while the bot was down
    await teams.transport.recover_all()
    await teams.transport.recover_all()  # twice: still one answer
    await teams.outbox.run_once()
    replies = teams.graph.sent(CHANNEL_BOX)
    assert len(replies) == 2
    assert len(teams.graph.requests("GET", CHANNEL_BOX)) >= 1


# --- sign-in -----------------------------------------------------------------------------


async def test_an_expired_login_is_reported_once_and_not_retried(teams: Teams) -> None:
    teams.credential.expired = True
    with pytest.raises(DeliveryError) as caught:
        await teams.transport.send(Target("teams", CHANNEL_KEY), Outgoing("raz"))
    assert not caught.value.permanent and (caught.value.retry_after or 0) >= 600
    calls = teams.credential.calls
    with pytest.raises(DeliveryError):
        await teams.transport.send(Target("teams", CHANNEL_KEY), Outgoing("dwa"))
    assert teams.credential.calls == calls  # no loop against the identity platform
    assert teams.lost == [1]
    teams.clock.advance(timedelta(hours=65))
    assert await teams.transport.maintain() == 0


async def test_files_in_a_chat_go_to_onedrive_with_a_link(teams: Teams) -> None:
    await teams.transport.send(
        Target("teams", GROUP_CHAT),
        Outgoing("Raport", files=(File("raport.pdf", b"%PDF", "application/pdf"),)),
    )
    _text, posted = teams.graph.sent(GROUP_BOX)
    assert "raport.pdf</a>" in posted["body"]["content"]
    assert "https://zmp.sharepoint.com/:b:/s/" in posted["body"]["content"]
    assert teams.graph.requests("POST", "createLink")[0].body["scope"] == "organization"


# --- meetings as calendar events -----------------------------------------------------------


async def test_meeting_becomes_an_event_and_native_answers_become_rsvps(
    teams: Teams, router: Router
) -> None:
    cast = teams.cast
    set_email(teams.db, cast.laureate_rep2, "anna@kolno.example.pl")
    set_email(teams.db, cast.observer_rep, "obs@obserwator.example.pl")
    chat = Chat(router, "teams")
    said = await chat.text(
        COORD_AAD,
        "/spotkanie_nowe cyfrowe; Spotkanie II; 12.12.2026 10:00; "
        "hybrydowe; 6; Łomża, ul. Długa 1; ; 1; nie; 5.12.2026 12:00",
        CHANNEL_KEY,
    )
    assert "nr 1" in said
    assert await teams.transport.sync_calendar() == 1
    [event] = teams.graph.events.values()
    assert event["isOnlineMeeting"] is True
    assert event["onlineMeetingProvider"] == "teamsForBusiness"
    assert event["start"] == {"dateTime": "2026-12-12T09:00:00", "timeZone": "UTC"}
    invited = sorted(a["emailAddress"]["address"] for a in event["attendees"])
    assert invited == ["Jan.Rep@lomza.example.pl", "anna@kolno.example.pl"]  # no open part:
    # the observer city is not invited

    # first come, first served: Jan's answer is read before Anna's
    teams.graph.respond(event["id"], "jan.rep@lomza.example.pl", "accepted")
    assert await teams.transport.sync_calendar() == 1
    teams.graph.respond(event["id"], "anna@kolno.example.pl", "accepted")
    assert await teams.transport.sync_calendar() == 1
    assert await teams.transport.sync_calendar() == 0  # read again: nothing new, no effect
    with teams.db.session() as s:
        answers = {r.person_id: (r.answer, r.waitlisted) for r in rsvps(s, 1)}
    assert answers == {
        cast.laureate_rep: ("stacjonarnie", False),
        cast.laureate_rep2: ("stacjonarnie", True),
    }  # 1 seat: the waitlist

    teams.graph.respond(event["id"], "jan.rep@lomza.example.pl", "declined")
    await teams.transport.sync_calendar()
    with teams.db.session() as s:
        answers = {r.person_id: (r.answer, r.waitlisted) for r in rsvps(s, 1)}
    assert answers == {
        cast.laureate_rep: ("nie", False),
        cast.laureate_rep2: ("stacjonarnie", False),
    }  # promoted

    # moving the meeting moves the event; cancelling it cancels the event
    assert "nr 1" in await chat.text(COORD_AAD, "/spotkanie_przesun 1 13.12.2026 11:00")
    await teams.transport.sync_calendar()
    assert teams.graph.events[event["id"]]["start"]["dateTime"] == "2026-12-13T10:00:00"
    await chat.text(COORD_AAD, "/spotkanie_odwolaj 1")
    await teams.transport.sync_calendar()
    assert teams.graph.events[event["id"]]["isCancelled"] is True
    assert teams.graph.requests("POST", "/cancel")


async def test_a_late_calendar_answer_is_refused_by_the_same_rules(
    teams: Teams, router: Router
) -> None:
    chat = Chat(router, "teams")
    await chat.text(
        COORD_AAD,
        "/spotkanie_nowe cyfrowe; Online; 12.12.2026 10:00; online; 2; ; "
        "https://x; ; nie; 24.11.2026 12:00",
        CHANNEL_KEY,
    )
    await teams.transport.sync_calendar()
    [event] = teams.graph.events.values()
    assert event["onlineMeetingProvider"] == "teamsForBusiness"
    teams.clock.advance(timedelta(days=2))  # after the answer deadline
    with teams.db.session() as s:
        directory.link_account(
            s, teams.cast.laureate_rep, "teams", REP_AAD, None, teams.clock.now()
        )
    teams.graph.respond(event["id"], "jan.rep@lomza.example.pl", "accepted")
    assert await teams.transport.sync_calendar() == 0
    with teams.db.session() as s:
        assert list(rsvps(s, 1)) == []
    await teams.outbox.run_once()  # the person hears why, privately
    [told] = teams.graph.sent(f"chats/19:{BOT_USER}_{REP_AAD}@unq.gbl.spaces/messages")
    assert "nie została zapisana" in told["body"]["content"]
    assert "Termin" in told["body"]["content"] or "termin" in told["body"]["content"]


async def test_a_no_typed_in_chat_is_reflected_in_the_attendee_list(
    teams: Teams, router: Router
) -> None:
    chat = Chat(router, "teams")
    await chat.text(
        COORD_AAD,
        "/spotkanie_nowe cyfrowe; Spotkanie; 12.12.2026 10:00; "
        "stacjonarne; 6; Łomża; ; ; nie; 5.12.2026 12:00",
        CHANNEL_KEY,
    )
    await teams.transport.sync_calendar()
    [event] = teams.graph.events.values()
    assert event["isOnlineMeeting"] is False and event["location"]["displayName"] == "Łomża"
    with teams.db.session() as s:
        directory.link_account(
            s, teams.cast.laureate_rep, "teams", REP_AAD, None, teams.clock.now()
        )
    assert "nr 1" in await chat.text(REP_AAD, "/rsvp 1 nie")
    await teams.transport.sync_calendar()
    assert teams.graph.events[event["id"]]["attendees"] == []  # the organiser sees the "no"
    await chat.text(REP_AAD, "/rsvp 1 stacjonarnie")
    await teams.transport.sync_calendar()
    assert [a["emailAddress"]["address"] for a in teams.graph.events[event["id"]]["attendees"]] == [
        "Jan.Rep@lomza.example.pl"
    ]
    with teams.db.session() as s:
        assert [(r.answer, r.waitlisted) for r in rsvps(s, 1)] == [("stacjonarnie", False)]


async def test_start_code_in_a_private_chat_links_the_account(teams: Teams) -> None:
    from models import invitations

    with teams.db.session() as s:
        person = s.get(Person, teams.cast.laureate_rep2)
        assert person is not None
        code = invitations.issue(
            s, person, teams.cast.coordinator, teams.clock.now(), timedelta(days=7)
        )
    stranger = "c0000000-0000-4000-8000-000000000009"
    teams.graph.add_user(stranger, "Anna Nowa", "anna.nowa@gmail.example")
    await teams.transport.send(Target("teams", stranger), Outgoing("Dzień dobry"))
    await teams.transport.maintain()  # the new 1:1 chat is subscribed
    chat_id = f"19:{BOT_USER}_{stranger}@unq.gbl.spaces"
    box = f"chats/{chat_id}/messages"
    message = teams.graph.user_message(box, stranger, f"/start {code}")
    await teams.notify(
        teams.graph.notification(teams.subscription_id(box), box, message["id"], STATE)
    )
    await teams.settle()
    with teams.db.session() as s:
        linked = directory.person_by_account(s, "teams", stranger)
    assert linked is not None and linked.id == teams.cast.laureate_rep2
    assert "/pomoc" in teams.graph.sent(box)[-1]["body"]["content"]  # the welcome


async def test_missed_chat_messages_are_read_newest_first_once(teams: Teams) -> None:
    first = teams.graph.user_message(GROUP_BOX, COORD_AAD, "/sieci")
    await teams.notify(
        teams.graph.notification(teams.subscription_id(GROUP_BOX), GROUP_BOX, first["id"], STATE)
    )
    await teams.settle()
    await asyncio.sleep(0.01)
    teams.graph.user_message(GROUP_BOX, COORD_AAD, "/pomoc")
    await teams.transport.recover_all()
    await teams.outbox.run_once()
    assert len(teams.graph.sent(GROUP_BOX)) == 2
    # one bounded read: the newest 20, newest first
    assert teams.graph.query_log[-1] == {"$top": "20", "$orderby": "createdDateTime desc"}


async def test_an_invitation_link_opens_a_chat_where_start_is_read_once_found(
    teams: Teams, router: Router
) -> None:
    invite = await Chat(router, "teams").text(COORD_AAD, f"/zaproszenie {teams.cast.laureate_rep2}")
    link = next(line for line in invite.split("\n") if line.startswith("• Microsoft Teams: "))
    assert link.startswith(
        "• Microsoft Teams: https://teams.microsoft.com/l/chat/0/0?users="
        "empirie-bot@zmp.example.org&message=/start%20"
    )
    code = link.rsplit("%20", 1)[1]
    stranger = "c0000000-0000-4000-8000-00000000000a"
    teams.graph.add_user(stranger, "Anna Nowa", "anna.nowa@gmail.example")
    chat_id = teams.graph.user_opens_chat(stranger)
    box = f"chats/{chat_id}/messages"
    await asyncio.sleep(0.01)
    teams.graph.user_message(box, stranger, f"/start {code}")  # before the bot listens there
    await teams.transport.maintain()  # finds the chat, subscribes, reads what was written
    await teams.outbox.run_once()
    assert teams.graph.subscription_for("/" + box) is not None
    with teams.db.session() as s:
        linked = directory.person_by_account(s, "teams", stranger)
    assert linked is not None and linked.id == teams.cast.laureate_rep2
    assert "/pomoc" in teams.graph.sent(box)[-1]["body"]["content"]


async def test_a_calendar_notification_applies_an_answer_at_once(
    teams: Teams, router: Router
) -> None:
    await Chat(router, "teams").text(
        COORD_AAD,
        "/spotkanie_nowe cyfrowe; Spotkanie; 12.12.2026 10:00; stacjonarne; 6; "
        "Łomża; ; ; nie; 5.12.2026 12:00",
        CHANNEL_KEY,
    )
    await teams.transport.sync_calendar()
    [event] = teams.graph.events.values()
    sub = teams.graph.subscription_for("/me/events")
    assert sub is not None and sub["changeType"] == "updated"
    teams.graph.respond(event["id"], "jan.rep@lomza.example.pl", "tentativelyAccepted")
    status = await teams.notify(
        {
            "value": [
                {
                    "subscriptionId": sub["id"],
                    "changeType": "updated",
                    "clientState": STATE,
                    "resource": f"Users/{BOT_USER}/Events/{event['id']}",
                    "resourceData": {"id": event["id"], "@odata.type": "#Microsoft.Graph.Event"},
                }
            ]
        }
    )
    assert status == 202
    await teams.settle()
    with teams.db.session() as s:
        assert [(r.person_id, r.answer) for r in rsvps(s, 1)] == [(teams.cast.laureate_rep, "moze")]


async def test_graph_down_at_start_does_not_stop_the_bot_and_upkeep_retries(
    graph: FakeGraph, router: Router, settings: Settings, trust_test_ca: None
) -> None:
    port = free_port()
    http = HttpServer("127.0.0.1", port)
    transport = TeamsTransport(
        router,
        teams_settings(settings, graph, port),
        http,
        credential=StaticCredential(graph.tokens),
    )
    graph.faults.append(Fault("GET", "me", 503, times=4, retry_after=0))
    await http.start()
    try:
        await transport.start()  # logs teams.unreachable, raises nothing
        assert transport.me_id == ""
        with pytest.raises(DeliveryError):  # private messages wait in the outbox meanwhile
            await transport.send(Target("teams", COORD_AAD), Outgoing("x"))
        await transport.maintain()
        assert transport.me_id == BOT_USER
    finally:
        await transport.stop()
        await http.stop()


async def test_the_group_invitation_is_edited_in_place_with_live_counts(
    teams: Teams, router: Router
) -> None:
    """An answer typed in the channel is confirmed to the person privately; the channel sees
    one invitation whose counts change (a PATCH of that message), not a message per answer."""
    chat = Chat(router, "teams")
    await chat.text(
        COORD_AAD,
        "/spotkanie_nowe cyfrowe; Spotkanie III; 12.12.2026 10:00; "
        "hybrydowe; 3; Łomża, ul. Długa 1; https://meet.example/x; 6",
        CHANNEL_KEY,
    )
    await teams.outbox.run_once()
    [invitation] = [
        m for m in teams.graph.sent(CHANNEL_BOX) if "Spotkanie III" in m["body"]["content"]
    ]
    assert "0/6" in invitation["body"]["content"]
    posted = len(teams.graph.sent(CHANNEL_BOX))

    typed = teams.graph.user_message(CHANNEL_BOX, REP_AAD, "/rsvp 1 stacjonarnie", mention_bot=True)
    await teams.notify(
        teams.graph.notification(
            teams.subscription_id(CHANNEL_BOX), CHANNEL_BOX, typed["id"], STATE
        )
    )
    await teams.settle()
    teams.clock.advance(timedelta(seconds=10))  # past the debounce of live edits
    await teams.outbox.run_once()

    edited = next(m for m in teams.graph.sent(CHANNEL_BOX) if m["id"] == invitation["id"])
    assert edited.get("edits") == 1 and "1/6" in edited["body"]["content"]
    assert "<code>/rsvp 1 " in edited["body"]["content"]  # still answerable by typing
    assert [m["body"]["content"] for m in teams.graph.sent(CHANNEL_BOX)][posted:] == []
    private = f"chats/19:{BOT_USER}_{REP_AAD}@unq.gbl.spaces/messages"
    assert teams.graph.sent(private)  # the person's own confirmation went to them alone


# --- defects of issue #21 the strict fake makes visible (the product fixes turn them green) ----


async def test_every_page_of_new_chats_is_discovered(teams: Teams) -> None:
    people = [f"c0000000-0000-4000-8000-0000000001{n:02d}" for n in range(5)]
    for n, person in enumerate(people):
        teams.graph.add_user(person, f"Osoba {n}", f"osoba{n}@example.pl")
        teams.graph.user_opens_chat(person)
    await teams.transport.discover_chats(force=True)
    with teams.db.session() as s:
        known = {r.chat_id for r in store.subscriptions(s)}
    assert {f"19:{BOT_USER}_{p}@unq.gbl.spaces" for p in people} <= known


async def test_the_echo_of_an_own_post_is_skipped_without_a_fetch(teams: Teams) -> None:
    await teams.transport.send(Target("teams", CHANNEL_KEY), Outgoing("Ogłoszenie"))
    await teams.drain()
    [own] = teams.graph.sent(CHANNEL_BOX)
    assert any(
        d.payload["value"][0].get("resourceData", {}).get("id") == own["id"]
        for d in teams.graph.deliveries
        if d.kind == "notification"
    )  # Graph did notify the bot of its own post
    assert teams.graph.requests("GET", own["id"]) == []
    assert teams.graph.throttled() == []


async def test_a_message_whose_fetch_stays_throttled_is_not_lost(teams: Teams) -> None:
    teams.graph.faults.append(Fault("GET", CHANNEL_BOX + "/", 429, times=4, retry_after=1))
    await teams.graph.post_as_user(CHANNEL_BOX, COORD_AAD, "<p>/sieci</p>")
    await teams.settle()
    assert teams.graph.undelivered == []  # answered 2xx: Graph will not send it again
    teams.clock.advance(timedelta(minutes=5))
    await teams.transport.maintain()
    await teams.settle()
    assert any("cyfrowe" in m["body"]["content"] for m in teams.graph.sent(CHANNEL_BOX))


async def test_a_reply_in_a_thread_missed_while_down_is_recovered(teams: Teams) -> None:
    root = await teams.graph.post_as_user(CHANNEL_BOX, COORD_AAD, "<p>Spotkanie w piątek</p>")
    await teams.settle()
    await teams.transport.stop()
    await asyncio.sleep(0.01)
    thread = f"{CHANNEL_BOX}/{root['id']}/replies"
    teams.graph.user_message(thread, COORD_AAD, "/sieci")  # while the bot was down
    await asyncio.sleep(1 / RATE)
    await teams.transport.recover_all()
    await teams.outbox.run_once()
    assert any("cyfrowe" in m["body"]["content"] for m in teams.graph.sent(CHANNEL_BOX))

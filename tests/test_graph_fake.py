"""The fake Graph's own contract: each rule Graph documents (and the bot must live with) is
checked here with plain httpx or the real msgraph-sdk, so a lenient fake cannot hide a defect."""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest
from aiohttp import web

from bot.transports.teams import graph as teams_graph
from core.config import Settings
from tests.fakes import tls
from tests.fakes.graph_api import BOT_USER, FakeGraph, client_ssl, iso, share_id
from tests.test_teams import StaticCredential

CHAT = "19:aaaaaaaa-0000-4000-8000-000000000001@thread.v2"
OTHER_CHAT = "19:aaaaaaaa-0000-4000-8000-000000000002@thread.v2"
TEAM, CHANNEL = "a1b2c3d4-0000-4000-8000-00000000cafe", "19:c0ffee@thread.tacv2"
BOX = f"chats/{CHAT}/messages"
CHANNEL_BOX = f"teams/{TEAM}/channels/{CHANNEL}/messages"
PERSON = "c0000000-0000-4000-8000-000000000002"
SCOPES = ("https://graph.microsoft.com/.default",)


@dataclass
class Receiver:
    """The bot's notification endpoint as Graph sees it (https, test CA)."""

    status: int = 202
    echo: bool = True
    delay: float = 0.0
    got: list[dict[str, Any]] = field(default_factory=list)
    url: str = ""

    async def handle(self, request: web.Request) -> web.Response:
        token = request.query.get("validationToken")
        if token is not None:
            if not self.echo:
                return web.Response(text="no", content_type="text/plain")
            return web.Response(text=token, content_type="text/plain")
        await asyncio.sleep(self.delay)
        self.got.append(await request.json())
        return web.Response(status=self.status)


@pytest.fixture
async def fake() -> AsyncIterator[FakeGraph]:
    graph = FakeGraph()
    await graph.start()
    graph.add_user(PERSON, "Jan Reprezentant", "jan@lomza.example.pl")
    graph.add_group_chat(CHAT, "EMPIRIE", [PERSON])
    graph.add_group_chat(OTHER_CHAT, "Inna", [PERSON])
    yield graph
    await graph.stop()


@pytest.fixture
async def receiver() -> AsyncIterator[Receiver]:
    got = Receiver()
    app = web.Application()
    app.router.add_post("/hook", got.handle)
    runner = web.AppRunner(app)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0, ssl_context=tls.test_ca().server_context())
    await site.start()
    port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
    got.url = f"https://127.0.0.1:{port}/hook"
    yield got
    await runner.cleanup()


def bearer(graph: FakeGraph, *, cae: bool = False, lifetime: float = 3600) -> dict[str, str]:
    token = graph.tokens.issue(BOT_USER, SCOPES, cae=cae, lifetime=lifetime)
    return {"Authorization": f"Bearer {token.value}"}


def client(graph: FakeGraph, *, cae: bool = False) -> httpx.AsyncClient:
    return httpx.AsyncClient(
        base_url=graph.base_url + "/", verify=client_ssl(), headers=bearer(graph, cae=cae)
    )


def text(content: str = "<p>hi</p>", **extra: Any) -> dict[str, Any]:
    return {"body": {"contentType": "html", "content": content}, **extra}


def subscription(
    url: str, resource: str = f"/{BOX}", minutes: float = 60 * 24, **extra: Any
) -> dict[str, Any]:
    return {
        "changeType": "created",
        "notificationUrl": url,
        "lifecycleNotificationUrl": url,
        "resource": resource,
        "expirationDateTime": iso(datetime.now(UTC) + timedelta(minutes=minutes)),
        "clientState": "secret",
        **extra,
    }


# --- transport and sign-in ---------------------------------------------------------------


async def test_graph_is_served_over_https_only(fake: FakeGraph) -> None:
    assert fake.base_url.startswith("https://127.0.0.1:")
    async with httpx.AsyncClient(verify=client_ssl()) as http:
        answer = await http.get(fake.base_url + "/me", headers=bearer(fake))
        assert answer.status_code == 200 and answer.json()["id"] == BOT_USER
        with pytest.raises(httpx.HTTPError):  # plain http on the same port is no Graph
            await http.get(fake.base_url.replace("https:", "http:") + "/me")


async def test_a_request_without_a_valid_token_gets_401_invalid_authentication_token(
    fake: FakeGraph,
) -> None:
    async with httpx.AsyncClient(verify=client_ssl()) as http:
        for headers in (
            {},
            {"Authorization": "Bearer made-up"},
            bearer(fake, lifetime=-1),  # expired
        ):
            answer = await http.get(fake.base_url + "/me", headers=headers)
            assert answer.status_code == 401
            assert answer.json()["error"]["code"] == "InvalidAuthenticationToken"
            assert 'error="invalid_token"' in answer.headers["WWW-Authenticate"]
        wrong_audience = fake.tokens.issue(
            BOT_USER, ("https://vault.azure.net/.default",), cae=False, lifetime=3600
        )
        answer = await http.get(
            fake.base_url + "/me", headers={"Authorization": f"Bearer {wrong_audience.value}"}
        )
        assert answer.status_code == 401


async def test_expire_all_ends_tokens_already_handed_out(fake: FakeGraph) -> None:
    async with client(fake) as http:
        assert (await http.get("me")).status_code == 200
        fake.tokens.expire_all()
        assert (await http.get("me")).status_code == 401


async def test_a_revoked_cae_session_gets_a_claims_challenge(fake: FakeGraph) -> None:
    async with client(fake, cae=True) as http:
        fake.tokens.revoke(BOT_USER)
        answer = await http.get("me")
    assert answer.status_code == 401
    assert 'error="insufficient_claims"' in answer.headers["WWW-Authenticate"]
    assert 'claims="' in answer.headers["WWW-Authenticate"]


async def test_the_real_sdk_answers_the_claims_challenge_with_a_new_token(
    fake: FakeGraph, settings: Settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    for name, value in tls.test_ca().client_env().items():
        monkeypatch.setenv(name, value)
    credential = StaticCredential(fake.tokens)
    sdk = teams_graph.build_client(
        settings.model_copy(update={"teams_graph_base_url": fake.base_url}), credential
    )
    me = await sdk.me.get()
    assert me is not None and me.id == BOT_USER
    first = credential.last
    assert fake.tokens.tokens[first].cae  # kiota asks for CAE tokens
    await asyncio.sleep(0.01)
    fake.tokens.revoke(BOT_USER)
    me = await sdk.me.get()  # 401 insufficient_claims, then again with a token for the claims
    assert me is not None and credential.last != first
    assert [c.status for c in fake.requests("GET", "me")][-2:] == [401, 200]


# --- throttling ------------------------------------------------------------------------------


async def test_one_request_per_second_per_chat_then_429_with_retry_after(fake: FakeGraph) -> None:
    async with client(fake) as http:
        first = await http.post(BOX, json=text())
        second = await http.get(f"{BOX}/{first.json()['id']}")  # reading counts too
        elsewhere = await http.post(f"chats/{OTHER_CHAT}/messages", json=text())
        assert first.status_code == 201 and elsewhere.status_code == 201
        assert second.status_code == 429
        assert second.headers["Retry-After"] == "1"
        assert second.json()["error"]["code"] == "TooManyRequests"
        await asyncio.sleep(1.0)
        assert (await http.get(f"{BOX}/{first.json()['id']}")).status_code == 200
    assert len(fake.throttled()) == 1


async def test_the_rate_can_be_scaled_for_fast_tests(fake: FakeGraph) -> None:
    fake.rate_per_chat = 20
    async with client(fake) as http:
        assert (await http.post(BOX, json=text())).status_code == 201
        await asyncio.sleep(0.06)
        assert (await http.post(BOX, json=text())).status_code == 201
        assert (await http.post(BOX, json=text())).status_code == 429


async def test_the_real_sdk_waits_retry_after_and_is_counted(
    fake: FakeGraph, settings: Settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    for name, value in tls.test_ca().client_env().items():
        monkeypatch.setenv(name, value)
    sdk = teams_graph.build_client(
        settings.model_copy(update={"teams_graph_base_url": fake.base_url}),
        StaticCredential(fake.tokens),
    )
    from msgraph.generated.models.body_type import BodyType
    from msgraph.generated.models.chat_message import ChatMessage
    from msgraph.generated.models.item_body import ItemBody

    started = time.monotonic()
    for word in ("raz", "dwa"):
        await sdk.chats.by_chat_id(CHAT).messages.post(
            ChatMessage(body=ItemBody(content_type=BodyType.Html, content=f"<p>{word}</p>"))
        )
    assert time.monotonic() - started >= 1.0
    assert [c.status for c in fake.requests("POST", BOX)] == [201, 429, 201]


# --- paging ----------------------------------------------------------------------------------


async def test_collections_page_with_next_link_and_top_limits(fake: FakeGraph) -> None:
    for n in range(5):
        fake.add_group_chat(f"19:extra{n}@thread.v2", f"c{n}", [PERSON])
    async with client(fake) as http:
        seen: list[str] = []
        page = (await http.get("me/chats")).json()
        assert len(page["value"]) == fake.page_size == 2  # small default: paging shows
        while True:
            seen += [c["id"] for c in page["value"]]
            link = page.get("@odata.nextLink")
            if not link:
                break
            assert "$skiptoken=" in link and link.startswith(fake.base_url)
            page = (await http.get(link)).json()
        assert len(seen) == len(set(seen)) == 7
        assert len((await http.get("me/chats", params={"$top": "50"})).json()["value"]) == 7
        too_many = await http.get("me/chats", params={"$top": "51"})
        assert too_many.status_code == 400 and "Top" in too_many.json()["error"]["message"]
        bad = await http.get("me/chats", params={"$skiptoken": "forged"})
        assert bad.status_code == 400


async def test_message_lists_page_newest_first_and_refuse_top_over_50(fake: FakeGraph) -> None:
    for n in range(3):
        fake.user_message(BOX, PERSON, f"m{n}")
        await asyncio.sleep(0.002)
    async with client(fake) as http:
        page = await http.get(BOX, params={"$top": "2", "$orderby": "createdDateTime desc"})
        body = page.json()
        assert [m["body"]["content"] for m in body["value"]] == ["<p>m2</p>", "<p>m1</p>"]
        await asyncio.sleep(1.0)  # one request per second on a chat
        rest = (await http.get(body["@odata.nextLink"])).json()
        assert [m["body"]["content"] for m in rest["value"]] == ["<p>m0</p>"]
        assert "@odata.nextLink" not in rest
        await asyncio.sleep(1.0)
        assert (await http.get(BOX, params={"$top": "51"})).status_code == 400
        await asyncio.sleep(1.0)
        channel = await http.get(CHANNEL_BOX, params={"$orderby": "createdDateTime desc"})
        assert channel.status_code == 400  # channel messages take no $orderby


async def test_replies_are_a_paged_collection_of_their_own(fake: FakeGraph) -> None:
    root = await fake.post_as_user(CHANNEL_BOX, PERSON, "<p>Wątek</p>")
    for n in range(3):
        await fake.post_as_user(CHANNEL_BOX, PERSON, f"<p>r{n}</p>", reply_to=root["id"])
    async with client(fake) as http:
        roots = (await http.get(CHANNEL_BOX)).json()["value"]
        assert [m["id"] for m in roots] == [root["id"]]  # replies are not root posts
        await asyncio.sleep(1.0)
        replies = (await http.get(f"{CHANNEL_BOX}/{root['id']}/replies")).json()
        assert len(replies["value"]) == 2 and "@odata.nextLink" in replies
        assert all(r["replyToId"] == root["id"] for r in replies["value"])


# --- subscriptions ---------------------------------------------------------------------------


async def test_subscription_rules(fake: FakeGraph, receiver: Receiver) -> None:
    async with client(fake) as http:
        refused = {
            "http": subscription(receiver.url.replace("https:", "http:")),
            "too long": subscription(receiver.url, minutes=4321),
            "past": subscription(receiver.url, minutes=-5),
            "no lifecycle": subscription(receiver.url, lifecycleNotificationUrl=None),
            "resource data": subscription(receiver.url, includeResourceData=True),
        }
        for why, body in refused.items():
            answer = await http.post("subscriptions", json=body)
            assert answer.status_code == 400, why
        short = subscription(receiver.url, minutes=50, lifecycleNotificationUrl=None)
        assert (await http.post("subscriptions", json=short)).status_code == 201
        second = await http.post("subscriptions", json=subscription(receiver.url))
        assert second.status_code == 409  # one subscription per app per chat
        events = subscription(receiver.url, resource="/me/events", minutes=4230)
        events["changeType"] = "updated"
        assert (await http.post("subscriptions", json=events)).status_code == 201
        events["expirationDateTime"] = iso(datetime.now(UTC) + timedelta(minutes=4300))
        events["resource"] = f"/users/{BOT_USER}/events"
        assert (await http.post("subscriptions", json=events)).status_code == 400


async def test_the_validation_handshake_must_echo_the_token(
    fake: FakeGraph, receiver: Receiver
) -> None:
    receiver.echo = False
    async with client(fake) as http:
        answer = await http.post("subscriptions", json=subscription(receiver.url))
    assert answer.status_code == 400
    assert "validation" in answer.json()["error"]["message"].lower()
    assert fake.subscriptions == {}


async def test_renewal_is_held_to_the_same_limits_and_an_expired_one_is_gone(
    fake: FakeGraph, receiver: Receiver
) -> None:
    moment = datetime.now(UTC)
    fake.now = lambda: moment
    async with client(fake) as http:
        created = (await http.post("subscriptions", json=subscription(receiver.url))).json()
        late = {"expirationDateTime": iso(moment + timedelta(minutes=4400))}
        assert (await http.patch(f"subscriptions/{created['id']}", json=late)).status_code == 400
        moment += timedelta(days=2)  # past its expiry
        assert (await http.get(f"subscriptions/{created['id']}")).status_code == 404
        fake.user_message(BOX, PERSON, "nikt nie słucha")
        await fake._notify_message(BOX, fake.messages[BOX][-1], "created")
    assert receiver.got == []  # an expired subscription sends nothing


async def test_lifecycle_notifications_go_to_the_lifecycle_url(
    fake: FakeGraph, receiver: Receiver
) -> None:
    async with client(fake) as http:
        created = (await http.post("subscriptions", json=subscription(receiver.url))).json()
    await fake.send_lifecycle(created["id"], "reauthorizationRequired")
    await fake.remove_subscription(created["id"])
    events = [item["lifecycleEvent"] for p in receiver.got for item in p["value"]]
    assert events == ["reauthorizationRequired", "subscriptionRemoved"]
    assert receiver.got[0]["value"][0]["clientState"] == "secret"
    assert created["id"] not in fake.subscriptions


# --- notifications sent by the fake ------------------------------------------------------------


async def test_a_new_message_is_notified_including_the_echo_of_our_own(
    fake: FakeGraph, receiver: Receiver
) -> None:
    async with client(fake) as http:
        sub = (await http.post("subscriptions", json=subscription(receiver.url))).json()
        own = (await http.post(BOX, json=text())).json()
    await fake.quiet()
    person = await fake.post_as_user(BOX, PERSON, "<p>Dzień dobry</p>")
    items = [item for p in receiver.got for item in p["value"]]
    assert [i["resourceData"]["id"] for i in items] == [own["id"], person["id"]]
    assert all(i["clientState"] == "secret" and i["subscriptionId"] == sub["id"] for i in items)
    assert items[1]["resource"] == f"chats('{CHAT}')/messages('{person['id']}')"
    assert items[1]["changeType"] == "created"


async def test_a_thread_reply_notifies_the_channel_subscription(
    fake: FakeGraph, receiver: Receiver
) -> None:
    async with client(fake) as http:
        body = subscription(receiver.url, resource=f"/{CHANNEL_BOX}")
        assert (await http.post("subscriptions", json=body)).status_code == 201
    root = await fake.post_as_user(CHANNEL_BOX, PERSON, "<p>Spotkanie</p>")
    reply = await fake.post_as_user(CHANNEL_BOX, PERSON, "<p>/rsvp 1 tak</p>", reply_to=root["id"])
    last = receiver.got[-1]["value"][0]
    assert last["resourceData"]["id"] == reply["id"]
    assert last["resource"].endswith(f"messages('{root['id']}')/replies('{reply['id']}')")


async def test_a_failed_delivery_is_retried_and_a_2xx_never_resent(
    fake: FakeGraph, receiver: Receiver
) -> None:
    async with client(fake) as http:
        await http.post("subscriptions", json=subscription(receiver.url))
    receiver.status = 500
    await fake.post_as_user(BOX, PERSON, "<p>raz</p>")
    assert len(fake.undelivered) == 1
    receiver.status = 202
    assert await fake.redeliver() == 1
    assert fake.undelivered == [] and await fake.redeliver() == 0
    assert len(receiver.got) == 2  # the failed attempt and the retry; nothing after the 2xx
    fake.delivery_timeout = 0.2
    receiver.delay = 0.5  # too slow: Graph counts it as failed
    await fake.post_as_user(BOX, PERSON, "<p>dwa</p>")
    assert len(fake.undelivered) == 1
    receiver.delay = 0
    await fake.drop_undelivered()  # Graph gives up and says notifications were missed
    events = [i.get("lifecycleEvent") for p in receiver.got for i in p["value"]]
    assert events[-1] == "missed"
    assert fake.deliveries[-1].kind == "lifecycle" and fake.deliveries[-1].status == 202


async def test_an_attendees_answer_notifies_updated_on_me_events(
    fake: FakeGraph, receiver: Receiver
) -> None:
    async with client(fake) as http:
        body = subscription(receiver.url, resource="/me/events", changeType="updated")
        assert (await http.post("subscriptions", json=body)).status_code == 201
        event = (
            await http.post(
                "me/events",
                json={
                    "subject": "Spotkanie",
                    "attendees": [{"emailAddress": {"address": "jan@lomza.example.pl"}}],
                },
            )
        ).json()
    await fake.quiet()
    assert receiver.got == []  # created is not what was subscribed
    fake.respond(event["id"], "jan@lomza.example.pl", "accepted")
    await fake.quiet()
    [item] = receiver.got[-1]["value"]
    assert item["changeType"] == "updated" and item["resourceData"]["id"] == event["id"]
    assert item["clientState"] == "secret"


# --- what a message POST must satisfy -----------------------------------------------------------


@pytest.mark.parametrize(
    ("body", "why"),
    [
        ({"body": {"contentType": "xml", "content": "x"}}, "content type"),
        (text('<p>a</p><attachment id="1"></attachment>'), "reference without attachment"),
        (
            text(
                "<p>a</p>",
                attachments=[
                    {
                        "id": "1",
                        "contentType": "reference",
                        "contentUrl": "https://x/y",
                        "name": "y",
                    }
                ],
            ),
            "attachment not referenced",
        ),
        (
            text(
                '<attachment id="c"></attachment>',
                attachments=[
                    {
                        "id": "c",
                        "contentType": "application/vnd.microsoft.card.adaptive",
                        "content": "{not json",
                    }
                ],
            ),
            "card is not JSON",
        ),
        (
            text(
                '<attachment id="c"></attachment>',
                attachments=[
                    {
                        "id": "c",
                        "contentType": "application/vnd.microsoft.card.adaptive",
                        "content": json.dumps({"type": "Nothing"}),
                    }
                ],
            ),
            "not an AdaptiveCard",
        ),
        (text('<at id="0">Jan</at> hej'), "mention tag without mentions[]"),
    ],
)
async def test_invalid_message_posts_are_refused(
    fake: FakeGraph, body: dict[str, Any], why: str
) -> None:
    async with client(fake) as http:
        answer = await http.post(BOX, json=body)
    assert answer.status_code == 400, why
    assert fake.messages.get(BOX) is None


async def test_a_valid_card_and_mention_are_accepted(fake: FakeGraph) -> None:
    card = {"type": "AdaptiveCard", "version": "1.4", "body": [], "actions": []}
    body = text(
        '<at id="0">Jan</at> <attachment id="c1"></attachment>',
        attachments=[
            {
                "id": "c1",
                "contentType": "application/vnd.microsoft.card.adaptive",
                "content": json.dumps(card),
            }
        ],
        mentions=[{"id": 0, "mentionText": "Jan", "mentioned": {"user": {"id": PERSON}}}],
    )
    async with client(fake) as http:
        assert (await http.post(BOX, json=body)).status_code == 201


# --- people's messages: rich HTML, files, hosted contents ------------------------------------


async def test_people_write_rich_html_with_files_and_images(fake: FakeGraph) -> None:
    shared = fake.share_file("program.pdf", b"%PDF-1.7 program", PERSON)
    message = await fake.post_as_user(
        BOX,
        PERSON,
        "<p><b>Ważne</b> i <i>pilne</i></p><ul><li>jeden</li></ul>"
        '<p><a href="https://zmp.pl/a">strona</a></p>',
        attachments=[shared],
        hosted=[(b"\x89PNG fake", "image/png")],
    )
    async with client(fake) as http:
        got = (await http.get(f"{BOX}/{message['id']}")).json()
        assert "<b>Ważne</b>" in got["body"]["content"]
        assert '<a href="https://zmp.pl/a">' in got["body"]["content"]
        [attachment] = got["attachments"]
        assert attachment["contentType"] == "reference"
        assert f'<attachment id="{attachment["id"]}"></attachment>' in got["body"]["content"]
        item = (await http.get(f"shares/{share_id(attachment['contentUrl'])}/driveItem")).json()
        assert item["name"] == "program.pdf" and item["size"] == 16
        content = await http.get(
            f"shares/{share_id(attachment['contentUrl'])}/driveItem/content", follow_redirects=True
        )
        assert content.content == b"%PDF-1.7 program"
        await asyncio.sleep(1.0)
        hosted = (await http.get(f"{BOX}/{message['id']}/hostedContents")).json()["value"]
        assert len(hosted) == 1 and hosted[0]["id"] in got["body"]["content"]
        await asyncio.sleep(1.0)
        value = await http.get(f"{BOX}/{message['id']}/hostedContents/{hosted[0]['id']}/$value")
        assert value.content == b"\x89PNG fake" and value.headers["content-type"] == "image/png"


# --- files: the channel's folder, the simple upload's limit, upload sessions ------------------


async def test_uploads_into_the_channel_folder_simple_up_to_4_mb_else_a_session(
    fake: FakeGraph,
) -> None:
    from tests.fakes.graph_api import CHUNK_UNIT, SIMPLE_UPLOAD_MAX, Fault

    async with client(fake) as http:
        folder = (await http.get(f"teams/{TEAM}/channels/{CHANNEL}/filesFolder")).json()
        drive, parent = folder["parentReference"]["driveId"], folder["id"]
        items = f"drives/{drive}/items/{parent}:"
        small = await http.put(f"{items}/mala.pdf:/content", content=b"%PDF small")
        assert small.status_code == 201 and small.json()["webUrl"].startswith("https://")
        big = b"x" * (2 * 10 * CHUNK_UNIT + 100)
        assert len(big) > SIMPLE_UPLOAD_MAX
        refused = await http.put(f"{items}/duza.pdf:/content", content=big)
        assert refused.status_code == 413
        assert refused.json()["error"]["code"] == "requestEntityTooLarge"
        session = (await http.post(f"{items}/duza.pdf:/createUploadSession", json={})).json()
        assert session["nextExpectedRanges"] == ["0-"]
    url = session["uploadUrl"]

    def part(start: int, end: int) -> dict[str, str]:
        return {"Content-Range": f"bytes {start}-{end}/{len(big)}"}

    chunk = 10 * CHUNK_UNIT
    async with httpx.AsyncClient(verify=client_ssl()) as plain:
        # pre-authenticated: a token there is refused
        with_token = await plain.put(
            url, content=big[:chunk], headers={**part(0, chunk - 1), **bearer(fake)}
        )
        assert with_token.status_code == 401
        # a chunk not a multiple of 320 KiB (and not the last) is refused
        odd = await plain.put(url, content=big[:1000], headers=part(0, 999))
        assert odd.status_code == 400
        # out of order: 416
        skipped = await plain.put(
            url, content=big[chunk : 2 * chunk], headers=part(chunk, 2 * chunk - 1)
        )
        assert skipped.status_code == 416
        # throttled (an injected 429 with Retry-After), then accepted
        fake.faults.append(Fault("PUT", "upload/", status=429, retry_after=2))
        throttled = await plain.put(url, content=big[:chunk], headers=part(0, chunk - 1))
        assert throttled.status_code == 429 and throttled.headers["Retry-After"] == "2"
        first = await plain.put(url, content=big[:chunk], headers=part(0, chunk - 1))
        assert first.status_code == 202 and first.json()["nextExpectedRanges"] == [f"{chunk}-"]
        last = await plain.put(url, content=big[chunk:], headers=part(chunk, len(big) - 1))
        assert last.status_code == 201
        assert fake.drive_content[last.json()["id"]] == big
        gone = await plain.put(url, content=big[:chunk], headers=part(0, chunk - 1))
        assert gone.status_code == 404  # the session ends with its last chunk
    async with httpx.AsyncClient(base_url=fake.base_url + "/", verify=client_ssl()) as anonymous:
        assert (
            await anonymous.get(f"teams/{TEAM}/channels/{CHANNEL}/filesFolder")
        ).status_code == 401

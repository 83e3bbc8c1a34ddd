"""A local Microsoft Graph over real HTTPS, as strict as Graph is documented to be, for the real
msgraph-sdk / kiota / azure-identity stack (trust it with tests/fakes/tls.py's CA).

The contract it enforces (each rule is checked by tests/test_graph_fake.py):
- HTTPS on 127.0.0.1; every request needs `Authorization: Bearer` with a token of the shared
  TokenBook (tests/fakes/tokens.py) whose audience is Graph: else 401 InvalidAuthenticationToken
  with WWW-Authenticate (a CAE claims challenge after `tokens.revoke`).
- Throttling: one request per second per app on a given chat or channel (`rate_per_chat`, scale
  it in tests together with the bot's own pacing) → 429 TooManyRequests with Retry-After in
  whole seconds. Injected `faults` come on top and are recorded the same way.
- Paging: /me/chats, chat and channel messages, replies, subscriptions and events honour `$top`
  up to Graph's maximum (400 beyond) and end a page with `@odata.nextLink` carrying a
  `$skiptoken`; without `$top` a page holds `page_size` items (small, so paging shows).
- Subscriptions: notificationUrl (and lifecycleNotificationUrl) must be https and pass the
  validation handshake (POST ?validationToken=… echoed as text/plain within 10 s); the expiry
  must lie within the resource's maximum (chat/channel messages 4320 min, events 4230 min) and
  beyond one hour chat/channel messages need a lifecycleNotificationUrl; one subscription per
  app per chat or channel resource (409). An expired subscription is gone (404) and sends
  nothing; `send_lifecycle` / `remove_subscription` / `drop_undelivered` send lifecycle
  notifications (reauthorizationRequired, subscriptionRemoved, missed).
- Notifications are sent by the fake itself: a message created in a chat or channel (a thread
  reply notifies the channel's subscription), including the echo of the service account's own
  posts, and a calendar event that changes (an attendee answers: changeType `updated` on
  /me/events). Delivered to notificationUrl with clientState, resource and resourceData.id;
  a 2xx ends it; a failure (non-2xx, no answer in `delivery_timeout`) is kept in `undelivered`
  for `redeliver()` as Graph retries, and never resent after a 2xx.
- Message POSTs are validated: body.contentType html or text, every
  `<attachment id="…"></attachment>` has its attachment and every attachment is referenced,
  an adaptive card's content is the JSON of an AdaptiveCard, reference attachments carry an
  https contentUrl, `<at id="n">` and mentions[] match; bodies over 28 KB → 413.
- People's messages: `post_as_user(container, user, html, attachments=…, hosted=…,
  reply_to=…)` stores rich HTML with shared files (`share_file` → a reference attachment to
  SharePoint/OneDrive, readable through /shares/{id}/driveItem and /drives/{d}/items/{i})
  and hosted contents (…/hostedContents/{id}/$value), as thread replies too, and notifies.
  `user_message` stores one whose notification never arrives (downtime, hand-made notices).

- Files: a channel's files folder (GET /teams/{t}/channels/{c}/filesFolder: a driveItem whose
  parentReference.driveId is the team's drive); a simple upload (PUT …/items/{parent}:/{name}:/
  content) takes at most 4 MB (413 beyond: use an upload session); POST …:/{name}:/
  createUploadSession answers an uploadUrl (pre-authenticated: a request carrying an
  Authorization header is refused with 401) taking PUTs with `Content-Range: bytes a-b/total`,
  a Content-Length equal to the chunk, each chunk a multiple of 320 KiB except the last and at
  most 60 MiB, in order (416 otherwise), 202 with nextExpectedRanges until the last, then 201
  with the driveItem. Injected faults apply to upload URLs too (path "upload/…").

Every request is recorded in `calls` (status included); `deliveries` records what the fake
posted to the bot.
"""

from __future__ import annotations

import asyncio
import base64
import itertools
import json
import math
import re
import ssl
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any
from urllib.parse import unquote, urlencode, urlsplit

import aiohttp
from aiohttp import web

from core.clock import Clock
from tests.fakes.tls import test_ca
from tests.fakes.tokens import Token, TokenBook

TENANT = "72f988bf-86f1-41af-91ab-2d7cd011db47"
BOT_USER = "b0000000-0000-4000-8000-000000000001"
APP_ID = "d0000000-0000-4000-8000-0000000000a9"

MESSAGES_MAX_MINUTES = 4320  # chatMessage subscriptions (chats and channels)
EVENTS_MAX_MINUTES = 4230  # Outlook event subscriptions
LIFECYCLE_NEEDED_AFTER = timedelta(hours=1)
MAX_BODY = 28 * 1024
SIMPLE_UPLOAD_MAX = 4 * 1024 * 1024  # PUT …/content; larger files need an upload session
CHUNK_UNIT = 320 * 1024  # an upload session's chunks are multiples of this (but the last)
CHUNK_MAX = 60 * 1024 * 1024
MAX_TOP = {"chats": 50, "messages": 50, "replies": 50, "subscriptions": 100, "events": 1000}
DOLLAR = "$"
ADAPTIVE = "application/vnd.microsoft.card.adaptive"
_ATTACHMENT = re.compile(r'<attachment\s+id="([^"]*)"\s*>\s*</attachment>')
_AT = re.compile(r'<at\s+id="([^"]*)"\s*>')
_GUID = re.compile(r"[0-9A-Fa-f]{8}-[0-9A-Fa-f]{4}-[0-9A-Fa-f]{4}-[0-9A-Fa-f]{4}-[0-9A-Fa-f]{12}")


@dataclass
class Call:
    method: str
    path: str
    body: Any
    headers: dict[str, str]
    status: int = 200
    at: float = field(default_factory=time.monotonic)
    query: dict[str, str] = field(default_factory=dict)


@dataclass
class Fault:
    method: str
    path_contains: str
    status: int = 429
    times: int = 1
    retry_after: int = 1


@dataclass
class Delivery:
    """One POST the fake made to a subscriber's URL."""

    url: str
    payload: dict[str, Any]
    status: int | None  # None: no answer (refused, timed out)
    seconds: float
    kind: str  # "notification" | "lifecycle" | "validation"


def iso(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%f")[:-3] + "Z"


def parse_time(value: str) -> datetime:
    moment = datetime.fromisoformat(value.replace("Z", "+00:00"))
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def graph_error(status: int, code: str, message: str, **headers: str) -> web.Response:
    body = {
        "error": {
            "code": code,
            "message": message,
            "innerError": {
                "date": iso(datetime.now(UTC)),
                "request-id": str(uuid.uuid4()),
                "client-request-id": str(uuid.uuid4()),
            },
        }
    }
    return web.json_response(body, status=status, headers=headers or None)


class GraphError(Exception):
    def __init__(self, status: int, code: str, message: str) -> None:
        super().__init__(message)
        self.status, self.code, self.message = status, code, message


def client_ssl() -> ssl.SSLContext:
    """How the fake (as Graph) reaches https endpoints served with the test CA."""
    return ssl.create_default_context(cafile=str(test_ca().ca_file))


class FakeGraph:
    def __init__(
        self,
        tokens: TokenBook | None = None,
        *,
        rate_per_chat: float = 1.0,
        page_size: int = 2,
    ) -> None:
        self.tokens = tokens if tokens is not None else TokenBook()
        self.rate_per_chat = rate_per_chat  # requests/s per app on one chat or channel
        self.page_size = page_size  # items per page when the client does not ask ($top)
        self.server_page_max: int | None = None  # a smaller page than asked for, as Graph may
        self.delivery_timeout = 3.0  # Graph wants an answer to a notification within 3 s
        self.validation_timeout = 10.0
        self.now: Callable[[], datetime] = lambda: datetime.now(UTC)
        self.calls: list[Call] = []
        self.faults: list[Fault] = []
        self.users: dict[str, dict[str, Any]] = {
            BOT_USER: {
                "id": BOT_USER,
                "displayName": "EMPIRIE Bot",
                "userPrincipalName": "empirie-bot@zmp.example.org",
                "mail": "empirie-bot@zmp.example.org",
            }
        }
        self.messages: dict[str, list[dict[str, Any]]] = {}  # container key -> messages
        self.hosted: dict[tuple[str, str, str], tuple[bytes, str]] = {}
        self.downloads: list[str] = []  # drive items fetched through their download URL
        self.chats: dict[str, dict[str, Any]] = {}
        self.subscriptions: dict[str, dict[str, Any]] = {}
        self.events: dict[str, dict[str, Any]] = {}
        self.drive_items: dict[str, dict[str, Any]] = {}
        self.drive_content: dict[str, bytes] = {}
        self.upload_sessions: dict[str, dict[str, Any]] = {}  # id -> drive, name, bytes so far
        self.validation_answers: list[tuple[int, str, str]] = []
        self.query_log: list[dict[str, str]] = []  # query strings of message-list reads
        self.pinned: list[tuple[str, str]] = []  # (chat id, message id)
        self.deliveries: list[Delivery] = []
        self.undelivered: list[tuple[str, dict[str, Any]]] = []  # (url, payload) to retry
        self._last: dict[str, float] = {}  # chat/channel -> last admitted request
        self._ids = itertools.count(1_700_000_000_000)
        self._tasks: set[asyncio.Task[Any]] = set()
        self._runner: web.AppRunner | None = None
        self.port = 0

    # --- server ----------------------------------------------------------------------
    async def start(self) -> str:
        app = web.Application(client_max_size=50 * 1024 * 1024)
        app.router.add_route("*", "/v1.0/{path:.*}", self._dispatch)
        app.router.add_get("/download/{item}", self._download)
        app.router.add_route("*", "/upload/{session}", self._upload_chunk)
        self._runner = web.AppRunner(app, access_log=None)
        await self._runner.setup()
        site = web.TCPSite(self._runner, "127.0.0.1", 0, ssl_context=test_ca().server_context())
        await site.start()
        self.port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
        return self.base_url

    @property
    def base_url(self) -> str:
        return f"https://127.0.0.1:{self.port}/v1.0"

    async def stop(self) -> None:
        for task in list(self._tasks):
            task.cancel()
        await asyncio.gather(*self._tasks, return_exceptions=True)
        if self._runner is not None:
            await self._runner.cleanup()

    def follow(self, clock: Clock) -> None:
        """Graph's "now" follows a test clock (frozen or advanced) plus real elapsed time, so
        expiry limits match the bot's clock and messages still get increasing timestamps."""
        started = time.monotonic()
        self.now = lambda: clock.now() + timedelta(seconds=time.monotonic() - started)

    async def quiet(self) -> None:
        """Wait until every notification the fake is sending has been answered."""
        while self._tasks:
            await asyncio.gather(*list(self._tasks), return_exceptions=True)

    def _spawn(self, work: Any) -> None:
        task = asyncio.get_running_loop().create_task(work)
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    # --- helpers for tests: people and chats ------------------------------------------------
    def add_user(
        self, user_id: str, name: str, mail: str | None = None, upn: str | None = None
    ) -> dict[str, Any]:
        self.users[user_id] = {
            "id": user_id,
            "displayName": name,
            "mail": mail,
            "userPrincipalName": upn or mail or f"{user_id}@example.org",
        }
        return self.users[user_id]

    def add_group_chat(self, chat_id: str, topic: str, members: list[str]) -> None:
        self.chats[chat_id] = {
            "id": chat_id,
            "chatType": "group",
            "topic": topic,
            "members": [BOT_USER, *members],
            "createdDateTime": iso(self.now()),
        }

    def user_opens_chat(self, user_id: str) -> str:
        """A person starts a 1:1 chat with the bot's account (e.g. from an invitation link)."""
        chat_id = f"19:{BOT_USER}_{user_id}@unq.gbl.spaces"
        self.chats[chat_id] = {
            "id": chat_id,
            "chatType": "oneOnOne",
            "topic": None,
            "members": sorted([BOT_USER, user_id]),
            "createdDateTime": iso(self.now()),
        }
        return chat_id

    def _from(self, user_id: str) -> dict[str, Any]:
        user = self.users[user_id]
        return {
            "user": {
                "id": user_id,
                "displayName": user["displayName"],
                "userIdentityType": "aadUser",
                "tenantId": TENANT,
            },
            "application": None,
            "device": None,
        }

    @staticmethod
    def _bot_mention() -> tuple[str, list[dict[str, Any]]]:
        return '<at id="0">EMPIRIE Bot</at>', [
            {
                "id": 0,
                "mentionText": "EMPIRIE Bot",
                "mentioned": {
                    "user": {
                        "id": BOT_USER,
                        "displayName": "EMPIRIE Bot",
                        "userIdentityType": "aadUser",
                    }
                },
            }
        ]

    def user_message(
        self,
        container: str,
        user_id: str,
        html: str,
        *,
        mention_bot: bool = False,
        at: datetime | None = None,
    ) -> dict[str, Any]:
        """A message typed by a member whose notification never reaches the bot (it was down,
        or the test delivers a hand-made one). `post_as_user` is the ordinary way."""
        mentions: list[dict[str, Any]] = []
        if mention_bot:
            tag, mentions = self._bot_mention()
            html = f"{tag} {html}"
        return self._store(
            container,
            {
                "messageType": "message",
                "from": self._from(user_id),
                "body": {"contentType": "html", "content": f"<p>{html}</p>"},
                "mentions": mentions,
                "attachments": [],
            },
            at,
        )

    async def post_as_user(
        self,
        container: str,
        user_id: str,
        html: str,
        *,
        attachments: list[dict[str, Any]] | None = None,
        hosted: list[tuple[bytes, str]] | None = None,
        reply_to: str | None = None,
        mention_bot: bool = False,
        notify: bool = True,
    ) -> dict[str, Any]:
        """A person writes in Teams: `html` is the body as Teams stores it (rich HTML: <b>, <i>,
        <ul><li>, <a href>); `attachments` e.g. from `share_file` (referenced in the body
        automatically when the HTML does not); `hosted` inline images (bytes, content type);
        `reply_to` a root message id of a channel: a reply in its thread. The change
        notification is sent (and answered) before this returns."""
        if reply_to is not None:
            if not container.startswith("teams/"):
                raise ValueError("only channel messages have threads of replies")
            container = f"{container}/{reply_to}/replies"
        message_id = str(next(self._ids))
        mentions: list[dict[str, Any]] = []
        if mention_bot:
            tag, mentions = self._bot_mention()
            html = f"{tag} {html}"
        attachments = [dict(a) for a in attachments or []]
        for attachment in attachments:
            if f'<attachment id="{attachment["id"]}">' not in html:
                html += f'<attachment id="{attachment["id"]}"></attachment>'
        for content, content_type in hosted or []:
            hosted_id = base64.b64encode(
                f"id=,type=1,url=https://eu-api.asm.skype.com/v1/objects/{uuid.uuid4()}".encode()
            ).decode()
            self.hosted[(container, message_id, hosted_id)] = (content, content_type)
            src = f"https://graph.microsoft.com/v1.0/{container}/{message_id}/hostedContents/{hosted_id}/$value"
            html += (
                f'<p><img src="{src}" alt="image" itemtype="http://schema.skype.com/AMSImage"></p>'
            )
        message = self._store(
            container,
            {
                "id": message_id,
                "messageType": "message",
                "from": self._from(user_id),
                "body": {"contentType": "html", "content": html},
                "mentions": mentions,
                "attachments": attachments,
            },
        )
        if notify:
            await self._notify_message(container, message, "created")
        return message

    def share_file(
        self, name: str, content: bytes, owner: str | None = None, *, channel: str | None = None
    ) -> dict[str, Any]:
        """A file a person shares in a message: stored in their OneDrive (or the channel's
        SharePoint folder) and attached as a `reference` whose id is the GUID of the item's
        eTag and whose contentUrl is its SharePoint address."""
        guid = str(uuid.uuid4()).upper()
        item_id = f"01{uuid.uuid4().hex[:30].upper()}"
        site = f"sites/{channel}" if channel else f"personal/{(owner or 'user').replace('-', '_')}"
        web_url = f"https://zmp.sharepoint.com/{site}/Shared%20Documents/{name.replace(' ', '%20')}"
        self.drive_items[item_id] = {
            "id": item_id,
            "name": name,
            "size": len(content),
            "eTag": f'"{{{guid}}},1"',
            "webUrl": web_url,
            "file": {"mimeType": _mime(name)},
            "parentReference": {"driveId": f"drive-{owner or 'channel'}"},
        }
        self.drive_content[item_id] = content
        return {
            "id": guid.lower(),
            "contentType": "reference",
            "contentUrl": web_url,
            "content": None,
            "name": name,
            "thumbnailUrl": None,
            "teamsAppId": None,
        }

    def _store(
        self, container: str, message: dict[str, Any], at: datetime | None = None
    ) -> dict[str, Any]:
        stamp = iso(at or self.now())
        message = {
            "id": str(next(self._ids)),
            "replyToId": None,
            "etag": "1",
            "createdDateTime": stamp,
            "lastModifiedDateTime": stamp,
            "deletedDateTime": None,
            **message,
        }
        if container.startswith("chats/"):
            message["chatId"] = container.split("/")[1]
            message["channelIdentity"] = None
        else:
            parts = container.split("/")
            message["channelIdentity"] = {"teamId": parts[1], "channelId": parts[3]}
            if len(parts) == 7:
                message["replyToId"] = parts[5]
        self.messages.setdefault(container, []).append(message)
        return message

    def sent(self, container: str) -> list[dict[str, Any]]:
        """Messages the bot posted there."""
        return [
            m
            for m in self.messages.get(container, [])
            if (m.get("from") or {}).get("user", {}).get("id") == BOT_USER
        ]

    def requests(self, method: str, contains: str = "") -> list[Call]:
        return [c for c in self.calls if c.method == method and contains in c.path]

    def throttled(self) -> list[Call]:
        return [c for c in self.calls if c.status == 429]

    # --- notifications -----------------------------------------------------------------------
    @staticmethod
    def _resource(container: str, message_id: str) -> str:
        parts = container.split("/")
        if container.startswith("chats/"):
            return f"chats('{parts[1]}')/messages('{message_id}')"
        if len(parts) == 7:  # a reply in a thread: …/messages/{parent}/replies
            return (
                f"teams('{parts[1]}')/channels('{parts[3]}')/messages('{parts[5]}')"
                f"/replies('{message_id}')"
            )
        return f"teams('{parts[1]}')/channels('{parts[3]}')/messages('{message_id}')"

    def notification(
        self,
        subscription_id: str,
        container: str,
        message_id: str,
        client_state: str,
        change_type: str = "created",
    ) -> dict[str, Any]:
        """A change notification as Graph posts it (no resource data: ids only)."""
        resource = self._resource(container, message_id)
        sub = self.subscriptions.get(subscription_id, {})
        return {
            "value": [
                {  # (a thread reply notifies the channel's subscription)
                    "subscriptionId": subscription_id,
                    "changeType": change_type,
                    "clientState": client_state,
                    "tenantId": TENANT,
                    "subscriptionExpirationDateTime": sub.get("expirationDateTime"),
                    "resource": resource,
                    "resourceData": {
                        "id": message_id,
                        "@odata.type": "#Microsoft.Graph.chatMessage",
                        "@odata.id": resource,
                    },
                }
            ]
        }

    def lifecycle(self, subscription_id: str, event: str, client_state: str) -> dict[str, Any]:
        sub = self.subscriptions.get(subscription_id, {})
        return {
            "value": [
                {
                    "subscriptionId": subscription_id,
                    "lifecycleEvent": event,
                    "clientState": client_state,
                    "tenantId": TENANT,
                    "resource": sub.get("resource"),
                    "subscriptionExpirationDateTime": sub.get("expirationDateTime"),
                }
            ]
        }

    def _live(self) -> dict[str, dict[str, Any]]:
        """Subscriptions not yet expired; an expired one is deleted, as Graph does."""
        now = self.now()
        for sub_id, sub in list(self.subscriptions.items()):
            if parse_time(sub["expirationDateTime"]) <= now:
                del self.subscriptions[sub_id]
        return self.subscriptions

    def subscription_for(self, resource: str) -> dict[str, Any] | None:
        return next((s for s in self._live().values() if s["resource"] == resource), None)

    def _subscribers(self, container: str, change_type: str) -> list[dict[str, Any]]:
        parts = container.split("/")
        root = "/" + "/".join(parts[:5]) if len(parts) == 7 else "/" + container
        return [
            s
            for s in self._live().values()
            if _norm(s["resource"]) == root and change_type in s["changeType"].split(",")
        ]

    async def _notify_message(self, container: str, message: dict[str, Any], change: str) -> None:
        for sub in self._subscribers(container, change):
            payload = self.notification(
                sub["id"], container, message["id"], sub.get("clientState") or "", change
            )
            if not sub.get("clientState"):
                payload["value"][0].pop("clientState")
            await self._deliver(sub["notificationUrl"], payload, "notification")

    def _notify_message_later(self, container: str, message: dict[str, Any], change: str) -> None:
        self._spawn(self._notify_message(container, message, change))

    async def _notify_event(self, event_id: str, change: str) -> None:
        resource = f"Users/{BOT_USER}/Events/{event_id}"
        for sub in list(self._live().values()):
            if _norm(sub["resource"]) not in ("/me/events", f"/users/{BOT_USER}/events"):
                continue
            if change not in sub["changeType"].split(","):
                continue
            item: dict[str, Any] = {
                "subscriptionId": sub["id"],
                "subscriptionExpirationDateTime": sub["expirationDateTime"],
                "changeType": change,
                "resource": resource,
                "tenantId": TENANT,
                "resourceData": {
                    "@odata.type": "#Microsoft.Graph.Event",
                    "@odata.id": resource,
                    "@odata.etag": f'W/"{uuid.uuid4().hex[:16]}"',
                    "id": event_id,
                },
            }
            if sub.get("clientState"):
                item["clientState"] = sub["clientState"]
            await self._deliver(sub["notificationUrl"], {"value": [item]}, "notification")

    async def _deliver(self, url: str, payload: dict[str, Any], kind: str) -> bool:
        started = time.monotonic()
        status: int | None = None
        try:
            async with (
                aiohttp.ClientSession() as session,
                session.post(
                    url,
                    data=json.dumps(payload),
                    headers={"Content-Type": "application/json; charset=utf-8"},
                    ssl=client_ssl(),
                    timeout=aiohttp.ClientTimeout(total=self.delivery_timeout),
                ) as answer,
            ):
                status = answer.status
        except (aiohttp.ClientError, TimeoutError):
            status = None
        self.deliveries.append(Delivery(url, payload, status, time.monotonic() - started, kind))
        if status is not None and 200 <= status < 300:
            return True
        self.undelivered.append((url, payload))  # Graph tries again later (up to 4 hours)
        return False

    async def redeliver(self) -> int:
        """Graph's retry of notifications that failed; returns how many were delivered now."""
        pending, self.undelivered = self.undelivered, []
        done = 0
        for url, payload in pending:
            done += await self._deliver(url, payload, "notification")
        return done

    async def drop_undelivered(self) -> None:
        """Graph gives up on what it could not deliver and tells each subscription with a
        lifecycle URL that notifications were `missed`."""
        pending, self.undelivered = self.undelivered, []
        gone = {item["subscriptionId"] for _u, p in pending for item in p["value"]}
        for sub_id in sorted(gone):
            await self.send_lifecycle(sub_id, "missed")

    async def send_lifecycle(self, subscription_id: str, event: str) -> bool:
        """reauthorizationRequired / subscriptionRemoved / missed, to the lifecycle URL (none
        is sent to a subscription without one)."""
        sub = self.subscriptions.get(subscription_id)
        if sub is None or not sub.get("lifecycleNotificationUrl"):
            return False
        payload = self.lifecycle(subscription_id, event, sub.get("clientState") or "")
        return await self._deliver(sub["lifecycleNotificationUrl"], payload, "lifecycle")

    async def remove_subscription(self, subscription_id: str) -> None:
        """Graph removes a subscription (e.g. access revoked) and says so."""
        await self.send_lifecycle(subscription_id, "subscriptionRemoved")
        self.subscriptions.pop(subscription_id, None)

    def respond(self, event_id: str, email: str, response: str) -> None:
        """An attendee answers the calendar invitation in Outlook/Teams: the organiser's event
        changes and Graph notifies `updated` (sent in the background: `await quiet()`)."""
        for attendee in self.events[event_id]["attendees"]:
            if attendee["emailAddress"]["address"].lower() == email.lower():
                attendee["status"] = {"response": response, "time": iso(self.now())}
                self._touch(event_id)
                self._spawn(self._notify_event(event_id, "updated"))
                return
        raise KeyError(email)

    def _touch(self, event_id: str) -> None:
        self.events[event_id]["lastModifiedDateTime"] = iso(self.now())

    # --- dispatch ----------------------------------------------------------------------
    async def _dispatch(self, request: web.Request) -> web.StreamResponse:
        path = unquote(request.match_info["path"])
        raw = await request.read()
        body: Any = None
        if raw and request.content_type == "application/json":
            body = json.loads(raw)
        elif raw:
            body = raw
        call = Call(request.method, path, body, dict(request.headers), query=dict(request.query))
        self.calls.append(call)
        response: web.StreamResponse | None = self._authenticate(request)
        if response is None:
            response = self._fault(request.method, path)
        if response is None:
            response = self._throttle(path)
        if response is None:
            try:
                response = await self._route(request, path, body)
            except GraphError as error:
                response = graph_error(error.status, error.code, error.message)
            except KeyError as missing:
                response = graph_error(404, "NotFound", f"Resource not found: {missing}")
        call.status = response.status
        return response

    def _authenticate(self, request: web.Request) -> web.Response | None:
        token, challenge = self.tokens.check(request.headers.get("Authorization"))
        if token is None:
            return web.Response(
                body=self.tokens.error_body(),
                status=401,
                content_type="application/json",
                headers=challenge,
            )
        if not _for_graph(token, self.port):
            return graph_error(
                401,
                "InvalidAuthenticationToken",
                "Access token validation failure. Invalid audience.",
                **{"WWW-Authenticate": 'Bearer realm="", error="invalid_token"'},
            )
        return None

    def _fault(self, method: str, path: str) -> web.Response | None:
        for fault in self.faults:
            if fault.times > 0 and fault.method == method and fault.path_contains in path:
                fault.times -= 1
                if fault.status == 429:
                    return self._too_many(fault.retry_after)
                return graph_error(
                    fault.status,
                    "ServiceUnavailable" if fault.status >= 500 else "Fault",
                    "fake fault",
                    **{"Retry-After": str(fault.retry_after)},
                )
        return None

    @staticmethod
    def _too_many(retry_after: int) -> web.Response:
        return graph_error(
            429,
            "TooManyRequests",
            "Too many requests on this chat or channel. Please try again later.",
            **{"Retry-After": str(retry_after)},
        )

    def _throttle(self, path: str) -> web.Response | None:
        """One request per second per app on a given chat or channel."""
        parts = path.strip("/").split("/")
        if parts[0] == "chats" and len(parts) >= 3:
            key = f"chat:{parts[1]}"
        elif parts[0] == "teams" and len(parts) >= 5 and parts[2] == "channels":
            key = f"channel:{parts[1]}/{parts[3]}"
        else:
            return None
        gap = 1.0 / self.rate_per_chat
        moment = time.monotonic()
        last = self._last.get(key)
        if last is not None and moment - last < gap * 0.95:
            return self._too_many(max(1, math.ceil(gap - (moment - last))))
        self._last[key] = moment
        return None

    async def _route(self, request: web.Request, path: str, body: Any) -> web.StreamResponse:
        parts = path.strip("/").split("/")
        method = request.method
        if parts[0] == "me" and len(parts) == 1:
            return web.json_response(self.users[BOT_USER])
        if parts[0] == "users" and len(parts) == 2:
            return web.json_response(self._user(parts[1]))
        if parts[0] in ("me", "users") and "chats" in parts and method == "GET":
            mine = [self._chat_json(c) for c in self.chats.values() if BOT_USER in c["members"]]
            return self._page(request, "chats", mine)
        if parts[0] == "teams" and len(parts) >= 7 and parts[6] == "replies":
            container = "/".join(parts[:7])
            return self._messages(method, container, parts[7:], body, request)
        if parts[0] == "teams" and len(parts) >= 5 and parts[4] == "messages":
            container = "/".join(parts[:5])
            return self._messages(method, container, parts[5:], body, request)
        if parts[0] == "teams" and len(parts) == 5 and parts[4] == "filesFolder":
            folder_id = f"folder-{parts[3]}"
            return web.json_response(
                {"id": folder_id, "name": "General", "parentReference": {"driveId": "drive-team"}}
            )
        if parts[0] == "chats":
            return self._chats(method, parts, body, request)
        if parts[0] == "subscriptions":
            return await self._subscriptions(method, parts, body, request)
        if parts[0] in ("me", "users") and "events" in parts:
            return self._events(method, parts[parts.index("events") + 1 :], body, request)
        if parts[0] == "me" and parts[1] == "drive" and len(parts) == 2:
            return web.json_response({"id": "drive-me"})
        if parts[0] == "drives":
            return self._drives(method, parts, body)
        if parts[0] == "shares":
            return self._shares(method, parts)
        raise GraphError(400, "BadRequest", f"Resource not found for the segment '{parts[0]}'.")

    def _user(self, key: str) -> dict[str, Any]:
        if key in self.users:
            return self.users[key]
        for user in self.users.values():
            if key.lower() in (str(user.get("mail")).lower(), user["userPrincipalName"].lower()):
                return user
        raise KeyError(key)

    # --- paging ----------------------------------------------------------------------------
    def _page(self, request: web.Request, kind: str, items: list[dict[str, Any]]) -> web.Response:
        query = dict(request.query)
        top_text = query.get("$top")
        if top_text is not None:
            if not top_text.isdigit() or int(top_text) < 1:
                raise GraphError(400, "BadRequest", f"Invalid value '{top_text}' for $top.")
            if int(top_text) > MAX_TOP[kind]:
                raise GraphError(
                    400,
                    "BadRequest",
                    f"The limit of '{MAX_TOP[kind]}' for Top query has been exceeded. "
                    f"The value from the incoming request is '{top_text}'.",
                )
        top = int(top_text) if top_text else self.page_size
        if self.server_page_max is not None:  # Graph may return fewer than $top: follow the link
            top = min(top, self.server_page_max)
        offset = 0
        if "$skiptoken" in query:
            try:
                raw = query["$skiptoken"]
                offset = int(json.loads(base64.urlsafe_b64decode(raw + "=" * (-len(raw) % 4)))["o"])
            except (ValueError, KeyError, TypeError):
                raise GraphError(400, "BadRequest", "Invalid skip token.") from None
        page: dict[str, Any] = {"value": items[offset : offset + top]}
        if offset + top < len(items):
            token = (
                base64.urlsafe_b64encode(
                    json.dumps({"o": offset + top, "n": uuid.uuid4().hex[:8]}).encode()
                )
                .decode()
                .rstrip("=")
            )
            rest = {k: v for k, v in query.items() if k != "$skiptoken"}
            rest.setdefault("$top", str(top))
            rest["$skiptoken"] = token
            page["@odata.nextLink"] = (
                f"{self.base_url}/{request.match_info['path']}?{urlencode(rest, safe=DOLLAR)}"
            )
        return web.json_response(page)

    def _chat_json(self, chat: dict[str, Any]) -> dict[str, Any]:
        return {
            "id": chat["id"],
            "chatType": chat["chatType"],
            "topic": chat.get("topic"),
            "createdDateTime": chat.get("createdDateTime"),
            "lastUpdatedDateTime": chat.get("createdDateTime"),
            "tenantId": TENANT,
        }

    # --- messages ----------------------------------------------------------------------------
    def _validate_post(self, body: Any) -> None:
        if not isinstance(body, dict) or not isinstance(body.get("body"), dict):
            raise GraphError(400, "BadRequest", "The message body is missing.")
        content_type = str(body["body"].get("contentType") or "text").lower()
        if content_type not in ("html", "text"):
            raise GraphError(400, "BadRequest", f"Invalid body contentType '{content_type}'.")
        content = str(body["body"].get("content") or "")
        attachments = body.get("attachments") or []
        referenced = _ATTACHMENT.findall(content) if content_type == "html" else []
        ids = [str(a.get("id")) for a in attachments]
        if len(set(ids)) != len(ids):
            raise GraphError(400, "BadRequest", "Attachment ids must be unique.")
        for missing in set(referenced) - set(ids):
            raise GraphError(
                400,
                "BadRequest",
                f"Attachment with id '{missing}' referenced in the body "
                "was not found in the attachments collection.",
            )
        for orphan in set(ids) - set(referenced):
            raise GraphError(
                400,
                "BadRequest",
                f"Attachment with id '{orphan}' is not referenced in the "
                'message body (<attachment id="…"></attachment>).',
            )
        for attachment in attachments:
            kind = attachment.get("contentType")
            if kind == ADAPTIVE:
                try:
                    card = json.loads(attachment.get("content") or "")
                except (TypeError, ValueError):
                    raise GraphError(
                        400, "BadRequest", "The adaptive card content is not valid JSON."
                    ) from None
                if not isinstance(card, dict) or card.get("type") != "AdaptiveCard":
                    raise GraphError(400, "BadRequest", "The content is not an AdaptiveCard.")
            elif kind == "reference":
                url = str(attachment.get("contentUrl") or "")
                if urlsplit(url).scheme != "https":
                    raise GraphError(400, "BadRequest", "A reference needs an https contentUrl.")
            elif kind not in (
                "messageReference",
                "application/vnd.microsoft.card.thumbnail",
                "application/vnd.microsoft.card.hero",
            ):
                raise GraphError(400, "BadRequest", f"Unsupported attachment type '{kind}'.")
        tags = set(_AT.findall(content))
        listed = {str(m.get("id")) for m in body.get("mentions") or []}
        if tags != listed:
            raise GraphError(
                400,
                "BadRequest",
                "Every <at id> in the body needs its entry in mentions "
                "and every mention its <at> tag.",
            )
        if len(content.encode()) > MAX_BODY:
            raise GraphError(413, "RequestEntityTooLarge", "The message is too large.")

    def _messages(
        self, method: str, container: str, rest: list[str], body: Any, request: web.Request
    ) -> web.Response:
        if method == "POST" and not rest:
            self._validate_post(body)
            message = self._store(
                container,
                {
                    "messageType": "message",
                    "from": self._from(BOT_USER),
                    "body": body["body"],
                    "attachments": body.get("attachments") or [],
                    "mentions": body.get("mentions") or [],
                },
            )
            self._notify_message_later(container, message, "created")  # the echo
            return web.json_response(message, status=201)
        if method == "PATCH" and len(rest) == 1:  # the sender edits its message
            edited = next((m for m in self.messages.get(container, []) if m["id"] == rest[0]), None)
            if edited is None:
                raise KeyError(rest[0])
            message = edited
            if message["from"]["user"]["id"] != BOT_USER:
                raise GraphError(403, "Forbidden", "Only the sender can edit a message.")
            self._validate_post(body)
            message["body"] = body["body"]
            message["attachments"] = body.get("attachments") or []
            message["lastModifiedDateTime"] = message["lastEditedDateTime"] = iso(self.now())
            message["edits"] = message.get("edits", 0) + 1
            self._notify_message_later(container, message, "updated")
            return web.Response(status=204)
        if method == "GET" and rest:
            found = next((m for m in self.messages.get(container, []) if m["id"] == rest[0]), None)
            if found is None:
                raise KeyError(rest[0])
            if len(rest) == 1:
                return web.json_response(found)
            if rest[1] == "hostedContents":
                return self._hosted(container, rest[0], rest[2:])
            if rest[1] == "replies" and len(rest) == 2:  # handled by the replies container
                raise KeyError(rest[1])
            raise KeyError("/".join(rest))
        if method == "GET":
            self.query_log.append(dict(request.query))
            if "$orderby" in request.query:
                order = request.query["$orderby"]
                if container.startswith("teams/"):
                    raise GraphError(400, "BadRequest", "Query option 'OrderBy' is not allowed.")
                if order not in ("createdDateTime desc", "lastModifiedDateTime desc"):
                    raise GraphError(400, "BadRequest", f"Unsupported $orderby '{order}'.")
            newest_first = sorted(
                self.messages.get(container, []),
                key=lambda m: (m["createdDateTime"], m["id"]),
                reverse=True,
            )
            if request.query.get("$expand") == "replies" and len(container.split("/")) == 5:
                newest_first = [
                    {**m, "replies": self.messages.get(f"{container}/{m['id']}/replies", [])}
                    for m in newest_first
                ]
            kind = "replies" if container.endswith("/replies") else "messages"
            return self._page(request, kind, newest_first)
        raise GraphError(405, "MethodNotAllowed", method)

    def _hosted(self, container: str, message_id: str, rest: list[str]) -> web.Response:
        mine = {h: v for (c, m, h), v in self.hosted.items() if c == container and m == message_id}
        if not rest:
            return web.json_response(
                {"value": [{"id": h, "contentBytes": None, "contentType": None} for h in mine]}
            )
        content, content_type = mine[rest[0]]
        if len(rest) == 1:
            return web.json_response({"id": rest[0], "contentBytes": None, "contentType": None})
        if rest[1] == "$value":
            return web.Response(body=content, content_type=content_type)
        raise KeyError("/".join(rest))

    def _chats(
        self, method: str, parts: list[str], body: Any, request: web.Request
    ) -> web.Response:
        if len(parts) == 1 and method == "POST":
            members = sorted(m["user@odata.bind"].rsplit("'", 2)[1] for m in body["members"])
            if BOT_USER not in members:
                raise GraphError(403, "Forbidden", "The caller must be a member of the chat.")
            for chat in self.chats.values():
                if chat["chatType"] == "oneOnOne" and sorted(chat["members"]) == members:
                    return web.json_response(self._chat_json(chat), status=201)
            other = next(m for m in members if m != BOT_USER)
            self._user(other)
            chat_id = f"19:{BOT_USER}_{other}@unq.gbl.spaces"
            self.chats[chat_id] = {
                "id": chat_id,
                "chatType": "oneOnOne",
                "topic": None,
                "members": members,
                "createdDateTime": iso(self.now()),
            }
            return web.json_response(self._chat_json(self.chats[chat_id]), status=201)
        chat_id = parts[1]
        chat = self.chats[chat_id]
        if BOT_USER not in chat["members"]:
            raise GraphError(403, "Forbidden", "The caller is not a member of the chat.")
        if len(parts) == 2:
            return web.json_response(self._chat_json(chat))
        if parts[2] == "pinnedMessages" and method == "POST":
            self.pinned.append((chat_id, body["message@odata.bind"].rsplit("/", 1)[1]))
            return web.json_response({"id": "pin"}, status=201)
        if parts[2] == "messages":
            return self._messages(method, f"chats/{chat_id}/messages", parts[3:], body, request)
        raise KeyError(parts[2])

    # --- subscriptions ---------------------------------------------------------------------
    def _check_expiry(self, resource: str, expiry_text: Any, lifecycle: Any) -> None:
        if not expiry_text:
            raise GraphError(400, "ValidationError", "expirationDateTime is required.")
        expiry = parse_time(str(expiry_text))
        now = self.now()
        events = _norm(resource).endswith("/events")
        limit = EVENTS_MAX_MINUTES if events else MESSAGES_MAX_MINUTES
        if expiry <= now:
            raise GraphError(
                400, "ExtensionError", "Subscription expiration can only be in the future."
            )
        if expiry > now + timedelta(minutes=limit):
            raise GraphError(
                400,
                "ExtensionError",
                f"Subscription expiration can only be {limit} minutes in the future.",
            )
        if not events and not lifecycle and expiry > now + LIFECYCLE_NEEDED_AFTER:
            raise GraphError(
                400,
                "ValidationError",
                "lifecycleNotificationUrl is required for subscriptions to chat or channel "
                "messages that expire in more than 1 hour.",
            )

    async def _subscriptions(
        self, method: str, parts: list[str], body: Any, request: web.Request
    ) -> web.Response:
        live = self._live()
        if len(parts) == 1 and method == "GET":
            return self._page(request, "subscriptions", list(live.values()))
        if len(parts) == 1 and method == "POST":
            return await self._subscribe(body)
        sub = live[parts[1]]
        if len(parts) == 3 and parts[2] == "reauthorize" and method == "POST":
            return web.Response(status=204)
        if method == "PATCH":
            self._check_expiry(
                sub["resource"], body.get("expirationDateTime"), sub.get("lifecycleNotificationUrl")
            )
            sub["expirationDateTime"] = iso(parse_time(body["expirationDateTime"]))
            return web.json_response(sub)
        if method == "DELETE":
            del self.subscriptions[parts[1]]
            return web.Response(status=204)
        return web.json_response(sub)

    async def _subscribe(self, body: Any) -> web.Response:
        resource = str(body.get("resource") or "")
        norm = _norm(resource)
        parts = norm.strip("/").split("/")
        chat_resource = (len(parts) == 3 and parts[0] == "chats" and parts[2] == "messages") or (
            len(parts) == 5 and parts[0] == "teams" and parts[4] == "messages"
        )
        event_resource = norm in ("/me/events", f"/users/{BOT_USER}/events")
        if not chat_resource and not event_resource:
            raise GraphError(400, "ExtensionError", f"Unsupported resource '{resource}'.")
        if parts[0] == "chats" and parts[1] not in self.chats:
            raise GraphError(404, "NotFound", f"Chat '{parts[1]}' not found.")
        changes = str(body.get("changeType") or "").split(",")
        if not changes or not set(changes) <= {"created", "updated", "deleted"}:
            raise GraphError(400, "ValidationError", "Invalid changeType.")
        if body.get("includeResourceData") and not body.get("encryptionCertificate"):
            raise GraphError(
                400, "ValidationError", "includeResourceData requires an encryptionCertificate."
            )
        urls = [body.get("notificationUrl"), body.get("lifecycleNotificationUrl")]
        for url in [u for u in urls if u]:
            if urlsplit(str(url)).scheme != "https":
                raise GraphError(
                    400, "ValidationError", "The notification URL must use the https scheme."
                )
        if not body.get("notificationUrl"):
            raise GraphError(400, "ValidationError", "notificationUrl is required.")
        self._check_expiry(
            resource, body.get("expirationDateTime"), body.get("lifecycleNotificationUrl")
        )
        if chat_resource and any(_norm(s["resource"]) == norm for s in self._live().values()):
            raise GraphError(
                409,
                "Conflict",
                "A subscription for this app already exists on this resource; "
                "only one subscription per app is allowed per chat or channel.",
            )
        for url in dict.fromkeys(u for u in urls if u):
            if not await self._validate(str(url)):
                raise GraphError(
                    400,
                    "ValidationError",
                    "Subscription validation request failed. Notification endpoint must "
                    "respond with 200 OK to validation request.",
                )
        sub_id = str(uuid.uuid4())
        self.subscriptions[sub_id] = {
            "id": sub_id,
            "resource": resource,
            "changeType": ",".join(changes),
            "clientState": body.get("clientState"),
            "notificationUrl": body["notificationUrl"],
            "lifecycleNotificationUrl": body.get("lifecycleNotificationUrl"),
            "expirationDateTime": iso(parse_time(body["expirationDateTime"])),
            "applicationId": APP_ID,
            "creatorId": BOT_USER,
            "includeResourceData": bool(body.get("includeResourceData")),
            "latestSupportedTlsVersion": "v1_2",
            "notificationUrlAppId": None,
        }
        return web.json_response(self.subscriptions[sub_id], status=201)

    async def _validate(self, url: str) -> bool:
        token = f"Validation: Testing client application reachability {uuid.uuid4().hex}"
        started = time.monotonic()
        try:
            async with (
                aiohttp.ClientSession() as session,
                session.post(
                    url,
                    params={"validationToken": token},
                    ssl=client_ssl(),
                    timeout=aiohttp.ClientTimeout(total=self.validation_timeout),
                ) as answer,
            ):
                text = await answer.text()
                self.validation_answers.append((answer.status, answer.content_type, text))
                status: int | None = answer.status
                ok = answer.status == 200 and answer.content_type == "text/plain" and text == token
        except (aiohttp.ClientError, TimeoutError):
            status, ok = None, False
        self.deliveries.append(
            Delivery(
                url, {"validationToken": token}, status, time.monotonic() - started, "validation"
            )
        )
        return ok

    # --- calendar ----------------------------------------------------------------------------
    def _events(
        self, method: str, rest: list[str], body: Any, request: web.Request
    ) -> web.Response:
        if not rest and method == "GET":
            return self._page(request, "events", list(self.events.values()))
        if not rest and method == "POST":
            event_id = f"AAMkAD{uuid.uuid4().hex}"
            for attendee in body.get("attendees", []):
                attendee.setdefault("status", {"response": "none", "time": "0001-01-01T00:00:00Z"})
            self.events[event_id] = {
                **body,
                "id": event_id,
                "isCancelled": False,
                "responseStatus": {"response": "organizer"},
                "createdDateTime": iso(self.now()),
                "lastModifiedDateTime": iso(self.now()),
            }
            if body.get("isOnlineMeeting"):
                self.events[event_id]["onlineMeeting"] = {
                    "joinUrl": f"https://teams.microsoft.com/l/meetup-join/{event_id}"
                }
            self._spawn(self._notify_event(event_id, "created"))
            return web.json_response(self.events[event_id], status=201)
        event = self.events[rest[0]]
        if len(rest) == 2 and rest[1] == "cancel":
            event["isCancelled"] = True
            event["cancelComment"] = (body or {}).get("Comment") or (body or {}).get("comment")
            self._touch(rest[0])
            self._spawn(self._notify_event(rest[0], "updated"))
            return web.Response(status=202)
        if method == "PATCH":
            previous = {
                a["emailAddress"]["address"].lower(): a.get("status")
                for a in event.get("attendees", [])
            }
            event.update(body)
            for attendee in event.get("attendees", []):
                attendee["status"] = previous.get(attendee["emailAddress"]["address"].lower()) or {
                    "response": "none",
                    "time": "0001-01-01T00:00:00Z",
                }
            self._touch(rest[0])
            self._spawn(self._notify_event(rest[0], "updated"))
            return web.json_response(event)
        return web.json_response(event)

    # --- files -------------------------------------------------------------------------------
    def _drives(self, method: str, parts: list[str], body: Any) -> web.Response:
        # /drives/{drive}/items/{folder}:/{name}:/content  (the SDK sends it as one segment)
        joined = "/".join(parts)
        if method == "PUT" and joined.endswith("/content"):
            content = body if isinstance(body, bytes) else b""
            if len(content) > SIMPLE_UPLOAD_MAX:
                raise GraphError(
                    413,
                    "requestEntityTooLarge",
                    "The simple upload takes files up to 4 MB: create an upload session.",
                )
            name = joined.rsplit(":/", 1)[0].rsplit("/", 1)[-1].rstrip(":")
            return web.json_response(self._new_item(parts[1], name, content), status=201)
        if method == "POST" and joined.endswith(":/createUploadSession"):
            name = joined.rsplit(":/", 1)[0].rsplit("/", 1)[-1].rstrip(":")
            session_id = uuid.uuid4().hex
            expires = self.now() + timedelta(days=1)
            self.upload_sessions[session_id] = {
                "drive": parts[1],
                "name": name,
                "data": bytearray(),
                "total": None,
                "expires": expires,
            }
            return web.json_response(
                {
                    "uploadUrl": f"https://127.0.0.1:{self.port}/upload/{session_id}",
                    "expirationDateTime": iso(expires),
                    "nextExpectedRanges": ["0-"],
                }
            )
        if method == "POST" and parts[-1] == "createLink":
            item = self.drive_items[parts[3]]
            return web.json_response(
                {
                    "id": "perm",
                    "link": {
                        "type": "view",
                        "scope": body.get("scope"),
                        "webUrl": f"https://zmp.sharepoint.com/:b:/s/{item['id']}",
                    },
                },
                status=201,
            )
        if method == "GET" and len(parts) >= 4 and parts[2] == "items":
            return self._item(parts[3], parts[4:])
        raise KeyError(joined)

    def _new_item(self, drive: str, name: str, content: bytes) -> dict[str, Any]:
        item_id = f"item-{uuid.uuid4().hex[:8]}"
        self.drive_items[item_id] = {
            "id": item_id,
            "name": name,
            "size": len(content),
            "eTag": f'"{{{str(uuid.uuid4()).upper()}}},1"',
            "webUrl": f"https://zmp.sharepoint.com/files/{name}",
            "file": {"mimeType": _mime(name)},
            "parentReference": {"driveId": drive},
        }
        self.drive_content[item_id] = content
        return self.drive_items[item_id]

    async def _upload_chunk(self, request: web.Request) -> web.Response:
        """A PUT to an upload session's URL (pre-authenticated: no Authorization header)."""
        session_id = request.match_info["session"]
        raw = await request.read()
        call = Call(request.method, f"upload/{session_id}", raw, dict(request.headers))
        self.calls.append(call)
        response = self._fault(request.method, call.path)
        if response is None:
            try:
                response = self._chunk(request, session_id, raw)
            except GraphError as error:
                response = graph_error(error.status, error.code, error.message)
        call.status = response.status
        return response

    def _chunk(self, request: web.Request, session_id: str, raw: bytes) -> web.Response:
        if request.method != "PUT":
            raise GraphError(405, "methodNotAllowed", "An upload URL takes PUT.")
        if "Authorization" in request.headers:
            raise GraphError(
                401, "unauthenticated", "An upload URL is pre-authenticated: send no token."
            )
        session = self.upload_sessions.get(session_id)
        if session is None or session["expires"] <= self.now():
            raise GraphError(404, "itemNotFound", "The upload session was not found.")
        found = re.fullmatch(r"bytes (\d+)-(\d+)/(\d+)", request.headers.get("Content-Range", ""))
        if found is None:
            raise GraphError(400, "invalidRequest", "Content-Range: bytes a-b/total is required.")
        start, end, total = (int(g) for g in found.groups())
        if int(request.headers.get("Content-Length", "-1")) != len(raw) or end - start + 1 != len(
            raw
        ):
            raise GraphError(400, "invalidRequest", "The Content-Length does not match the range.")
        if len(raw) > CHUNK_MAX:
            raise GraphError(413, "requestEntityTooLarge", "A chunk takes at most 60 MiB.")
        last = end + 1 == total
        if not last and len(raw) % CHUNK_UNIT:
            raise GraphError(
                400, "invalidRequest", "A chunk must be a multiple of 320 KiB (but the last)."
            )
        data: bytearray = session["data"]
        if start != len(data) or (session["total"] not in (None, total)) or end >= total:
            raise GraphError(
                416,
                "invalidRange",
                f"The uploaded fragment overlaps or skips: expected {len(data)}-.",
            )
        session["total"] = total
        data.extend(raw)
        if not last:
            return web.json_response(
                {
                    "expirationDateTime": iso(session["expires"]),
                    "nextExpectedRanges": [f"{len(data)}-"],
                },
                status=202,
            )
        del self.upload_sessions[session_id]
        return web.json_response(
            self._new_item(session["drive"], session["name"], bytes(data)), status=201
        )

    def _shares(self, method: str, parts: list[str]) -> web.Response:
        """/shares/u!{base64url of the sharing URL}/driveItem[/content]"""
        if method != "GET" or len(parts) < 3 or parts[2] != "driveItem":
            raise KeyError("/".join(parts))
        encoded = parts[1]
        if not encoded.startswith("u!"):
            raise GraphError(400, "invalidRequest", "Invalid shares key.")
        padded = encoded[2:] + "=" * (-len(encoded[2:]) % 4)
        try:
            url = base64.urlsafe_b64decode(padded).decode()
        except ValueError:
            raise GraphError(400, "invalidRequest", "Invalid shares key.") from None
        item_id = next((i for i, item in self.drive_items.items() if item["webUrl"] == url), None)
        if item_id is None:  # not there, or not shared with the signed-in account
            raise GraphError(404, "itemNotFound", "The resource could not be found.")
        return self._item(item_id, parts[3:])

    def _item(self, item_id: str, rest: list[str]) -> web.Response:
        item = self.drive_items[item_id]
        if not rest:
            return web.json_response(
                {**item, "@microsoft.graph.downloadUrl": self._download_url(item_id)}
            )
        if rest == ["content"]:  # Graph answers with a redirect to a pre-authenticated URL
            return web.Response(status=302, headers={"Location": self._download_url(item_id)})
        raise KeyError("/".join(rest))

    def _download_url(self, item_id: str) -> str:
        return f"https://127.0.0.1:{self.port}/download/{item_id}?tempauth={uuid.uuid4().hex}"

    async def _download(self, request: web.Request) -> web.Response:
        item_id = request.match_info["item"]
        self.downloads.append(item_id)
        if item_id not in self.drive_content or not request.query.get("tempauth"):
            return web.Response(status=404)
        item = self.drive_items[item_id]
        return web.Response(
            body=self.drive_content[item_id],
            content_type=item.get("file", {}).get("mimeType", "application/octet-stream"),
        )


class TlsFront:
    """The HTTPS edge in front of the bot's plain HTTP server (what a reverse proxy does in
    production): Graph only notifies https URLs."""

    def __init__(self, target_port: int) -> None:
        self.target = f"http://127.0.0.1:{target_port}"
        self.port = 0
        self._runner: web.AppRunner | None = None
        self._session: aiohttp.ClientSession | None = None

    async def start(self) -> str:
        app = web.Application(client_max_size=50 * 1024 * 1024)
        app.router.add_route("*", "/{path:.*}", self._forward)
        self._runner = web.AppRunner(app, access_log=None)
        await self._runner.setup()
        site = web.TCPSite(self._runner, "127.0.0.1", 0, ssl_context=test_ca().server_context())
        await site.start()
        self.port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
        self._session = aiohttp.ClientSession()
        return f"https://127.0.0.1:{self.port}"

    async def _forward(self, request: web.Request) -> web.Response:
        assert self._session is not None
        headers = {
            k: v for k, v in request.headers.items() if k.lower() not in ("host", "content-length")
        }
        try:
            async with self._session.request(
                request.method,
                self.target + request.path_qs,
                data=await request.read(),
                headers=headers,
                allow_redirects=False,
            ) as answer:
                body = await answer.read()
                kept = {
                    k: v
                    for k, v in answer.headers.items()
                    if k.lower()
                    not in (
                        "content-length",
                        "transfer-encoding",
                        "connection",
                        "content-encoding",
                        "date",
                        "server",
                    )
                }
                return web.Response(status=answer.status, body=body, headers=kept)
        except aiohttp.ClientError:
            return web.Response(status=502)

    async def stop(self) -> None:
        if self._session is not None:
            await self._session.close()
        if self._runner is not None:
            await self._runner.cleanup()


def _norm(resource: str) -> str:
    """Graph accepts resources with or without the leading slash, in any case."""
    value = "/" + resource.strip("/")
    return value.lower() if value.lower().startswith(("/me/", "/users/")) else value


def _for_graph(token: Token, port: int) -> bool:
    """A token for Graph's audience: its scopes name Graph (a scope without a resource, e.g.
    `User.Read`, is Graph's, as Entra ID reads it) or this fake's host."""
    for scope in token.scopes:
        if "://" not in scope and scope not in ("openid", "profile", "offline_access"):
            return True
        host = urlsplit(scope).hostname or ""
        if host in ("graph.microsoft.com", "127.0.0.1", "localhost"):
            return True
    return False


def _mime(name: str) -> str:
    ext = name.rsplit(".", 1)[-1].lower() if "." in name else ""
    return {
        "pdf": "application/pdf",
        "png": "image/png",
        "jpg": "image/jpeg",
        "csv": "text/csv",
        "txt": "text/plain",
        "docx": "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
        "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    }.get(ext, "application/octet-stream")


def expires_in(hours: float) -> str:
    return iso(datetime.now(UTC) + timedelta(hours=hours))


def share_id(url: str) -> str:
    """The /shares/{id} key of a sharing URL (u! + unpadded base64url)."""
    return "u!" + base64.urlsafe_b64encode(url.encode()).decode().rstrip("=")

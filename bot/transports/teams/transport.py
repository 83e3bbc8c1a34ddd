"""Microsoft Teams through Microsoft Graph: notifications in, neutral messages out.

Receiving: Graph posts change notifications to our HTTP server; the endpoint answers the
validationToken handshake, drops notifications whose clientState is wrong, answers 202 at once
and processes in the background: GET the message by id, ignore the service account's own,
strip HTML and the bot's @mention, map the sender (Entra object id) to a person — linking by
the roster's e-mail/UPN when unknown — and hand the neutral event to the router. Replies go
through the outbox, which paces them.

Sending: part by part like every platform (text chunks, each file, the pin; see
core.messages.parts), so the outbox records each part once and can later edit the text that
carries the answers (a live invitation's counts: PATCH of the chat message). ~1 message per
second per chat or channel and an overall cap for the one sending user, kept by the shared
Pacer; Graph's 429 Retry-After is honoured by kiota's RetryHandler for short waits and by the
outbox for long ones. Private messages go to the 1:1 chat with the person (created on demand).
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import hmac
import logging
import re
import time
from collections.abc import Callable, Coroutine
from datetime import datetime, timedelta
from typing import Any
from urllib.parse import urlsplit

import httpx
from aiohttp import web
from azure.core.credentials import AccessToken
from kiota_abstractions.base_request_configuration import RequestConfiguration
from msgraph.generated.chats.item.messages.messages_request_builder import (
    MessagesRequestBuilder,
)
from msgraph.generated.models.aad_user_conversation_member import AadUserConversationMember
from msgraph.generated.models.body_type import BodyType
from msgraph.generated.models.chat import Chat
from msgraph.generated.models.chat_message import ChatMessage
from msgraph.generated.models.chat_message_attachment import ChatMessageAttachment
from msgraph.generated.models.chat_message_type import ChatMessageType
from msgraph.generated.models.chat_type import ChatType
from msgraph.generated.models.item_body import ItemBody
from msgraph.generated.models.pinned_chat_message_info import PinnedChatMessageInfo

from bot.http import HttpServer
from bot.pacing import Limits, Pacer
from bot.router import Router
from bot.transports import DeliveryError, send_message
from bot.transports.teams import graph, render, subscriptions
from bot.transports.teams.files import incoming_content, upload
from core.config import Settings
from core.i18n import Translator
from core.messages import ChatRef, EventKind, Incoming, Outgoing, Part, Sender, Target
from handlers import membership
from models import audit, directory
from models import teams as store
from models.enums import Platform
from models.teams import TeamsSubscription

log = logging.getLogger("empirie.teams")
RECOVER_TOP = 20  # missed messages read once per chat after downtime, newest first
LOGIN_LOST_RETRY = 3600.0
_REPLY = re.compile(r"messages\('([^']+)'\)/replies\('([^']+)'\)")


class LocalCredential:
    """A fixed token for a local Graph (EMPIRIE_TEAMS_GRAPH_BASE_URL without a client id)."""

    def get_token(self, *scopes: str, **kwargs: Any) -> AccessToken:
        return AccessToken("local-graph-token", int(time.time()) + 3600)


def pacer_for(settings: Settings) -> Pacer:
    """Teams has no group quota of its own; one chat or channel and the one sending user are
    what Graph throttles."""
    return Pacer(
        Limits(
            1.0 / max(settings.teams_rate_per_chat, 0.001),
            10**6,
            max(1, int(settings.teams_rate_overall)),
        ),
        lambda _chat: False,
    )


class TeamsTransport:
    platform = Platform.TEAMS
    max_text = render.MAX_PART_CHARS

    def __init__(
        self,
        router: Router,
        settings: Settings,
        http: HttpServer | None = None,
        *,
        credential: Any = None,
        receive: bool = True,
        on_login_lost: Callable[[], None] | None = None,
    ) -> None:
        self.router, self.settings = router, settings
        if credential is None:
            credential = (
                graph.credential(settings) if settings.teams_client_id else LocalCredential()
            )
        self.client = graph.build_client(settings, credential)
        self.receive = receive and bool(settings.teams_notification_url)
        if self.receive:
            if http is None:
                raise RuntimeError("Teams notifications need the HTTP server")
            if not settings.teams_client_state:
                raise RuntimeError(
                    "set EMPIRIE_TEAMS_CLIENT_STATE: notifications are checked against it"
                )
            http.add_route(
                "POST", urlsplit(settings.teams_notification_url).path or "/", self.endpoint
            )
        self.on_login_lost = on_login_lost
        self.login_lost = False
        self.me_id = ""
        self._private_chats: dict[str, str] = {}  # Entra user id -> 1:1 chat id
        self.pacer = pacer_for(settings)
        self._tasks: set[asyncio.Task[Any]] = set()
        self._looked_up: set[str] = set()  # unknown senders whose e-mail matched nobody
        self._discovered_at = float("-inf")
        self._calendar_lock = asyncio.Lock()

    @property
    def receiving(self) -> bool:
        return self.receive and not self.login_lost

    # --- lifecycle -----------------------------------------------------------------------

    async def start(self) -> None:
        """Who we are, then subscriptions and what was missed. Graph being unreachable does
        not stop the other platforms: the upkeep tries again."""
        if await self._whoami() and self.receive:
            await subscriptions.maintain(self)
            await self.recover_all()

    async def _whoami(self) -> bool:
        try:
            me = await self.client.me.get()
        except graph.LoginLost:
            self.report_login_lost()
            return False
        except Exception as error:
            log.error(
                "teams.unreachable status=%s error=%s",
                graph.status_code(error),
                type(error).__name__,
            )
            return False
        assert me is not None and me.id
        self.me_id = me.id
        log.info("teams.started receive=%s", self.receive)
        if me.user_principal_name:  # opens a chat with the bot, the command typed in
            membership.INVITE_LINKS[self.platform] = (
                f"https://teams.microsoft.com/l/chat/0/0?users={me.user_principal_name}"
                "&message=/start%20{code}"
            )
        return True

    async def stop(self) -> None:
        membership.INVITE_LINKS.pop(self.platform, None)
        for task in list(self._tasks):
            task.cancel()
        for task in list(self._tasks):
            with contextlib.suppress(BaseException):
                await task

    async def maintain(self) -> int:
        """Woken by the scheduler: subscriptions to create or renew."""
        if not self.me_id and not self.login_lost:
            if not await self._whoami():
                return 0
            if self.receive:
                done = await subscriptions.maintain(self)
                await self.recover_all()
                return done
        return await subscriptions.maintain(self)

    async def sync_calendar(self) -> int:
        """Woken by the scheduler or a calendar notification: meetings mirrored as events,
        responses read (one sync at a time)."""
        from bot.transports.teams import calendar

        async with self._calendar_lock:
            return await calendar.sync(self)

    async def discover_chats(self, force: bool = False) -> None:
        """Group and 1:1 chats the service account is in get a subscription, so /polacz
        works in a new group chat and /start <code> in a private one. Graph cannot notify a
        delegated account of new chats, so the list (not the messages) is read at most every
        EMPIRIE_TEAMS_DISCOVER_SECONDS."""
        moment = time.monotonic()
        if not force and moment - self._discovered_at < self.settings.teams_discover_seconds:
            return
        self._discovered_at = moment
        try:
            found = await self.client.me.chats.get()
        except graph.LoginLost:
            self.report_login_lost()
            return
        except Exception as error:
            log.warning("teams.discover_failed status=%s", graph.status_code(error))
            return
        for chat in found.value if found and found.value else []:
            if chat.id and chat.chat_type in (ChatType.Group, ChatType.OneOnOne):
                since = (
                    chat.created_date_time - timedelta(seconds=1)
                    if chat.created_date_time
                    else None
                )
                subscriptions.register(
                    self,
                    chat.id,
                    "private" if chat.chat_type == ChatType.OneOnOne else "group",
                    since,
                )

    def report_login_lost(self) -> None:
        """The sign-in expired or was revoked: say so once, stop using Graph (no retry loop)."""
        if self.login_lost:
            return
        self.login_lost = True
        log.error(
            "teams.login_lost: run `empirie-bot teams login` and restart the bot; "
            "Teams messages stay queued until then"
        )
        if self.on_login_lost is not None:
            self.on_login_lost()

    def _spawn(self, work: Coroutine[Any, Any, None]) -> None:
        task = asyncio.get_running_loop().create_task(work)
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    # --- incoming ------------------------------------------------------------------------

    async def endpoint(self, request: web.Request) -> web.Response:
        token = request.query.get("validationToken")
        if token is not None:  # Graph checks we own the URL: echo the token within 10 s
            return web.Response(text=token, content_type="text/plain")
        try:
            payload = await request.json()
            items = list(payload.get("value") or [])
        except Exception:
            log.warning("teams.notification_refused reason=malformed")
            return web.Response(status=400)
        expected = self.settings.teams_client_state.encode()
        for item in items:
            given = str(item.get("clientState") or "").encode()
            if not hmac.compare_digest(given, expected):
                log.warning(
                    "teams.notification_refused reason=client_state subscription=%s",
                    item.get("subscriptionId"),
                )
                continue
            self._spawn(self._process(item))
        return web.Response(status=202)  # at once; the work goes on in the background

    async def _process(self, item: dict[str, Any]) -> None:
        try:
            if "lifecycleEvent" in item:
                await subscriptions.on_lifecycle(self, item)
            elif item.get("changeType") in ("created", "updated"):
                await self._on_created(item)
        except graph.LoginLost:
            self.report_login_lost()
        except Exception:
            log.exception("teams.notification_crash subscription=%s", item.get("subscriptionId"))

    async def _on_created(self, item: dict[str, Any]) -> None:
        with self.router.db.session() as s:
            row = store.subscription_by_graph_id(s, str(item.get("subscriptionId")))
        message_id = str((item.get("resourceData") or {}).get("id") or "")
        if row is not None and row.kind == subscriptions.CALENDAR:
            await self.sync_calendar()  # someone answered an invitation: read it now
            return
        if row is None or not message_id or item.get("changeType") != "created":
            log.info("teams.notification_skipped subscription=%s", item.get("subscriptionId"))
            return
        messages = self._messages(row.chat_id)
        thread = _REPLY.search(str(item.get("resource") or ""))
        if thread is not None and "/" in row.chat_id:  # a reply in a channel thread
            message = (
                await messages.by_chat_message_id(thread.group(1))
                .replies.by_chat_message_id1(thread.group(2))
                .get()
            )
        else:
            message = await messages.by_chat_message_id(message_id).get()
        if message is not None:
            await self.handle_message(row, message)

    def _messages(self, chat_key: str) -> Any:
        if "/" in chat_key:
            team, channel = chat_key.split("/", 1)
            return self.client.teams.by_team_id(team).channels.by_channel_id(channel).messages
        return self.client.chats.by_chat_id(chat_key).messages

    async def handle_message(self, row: TeamsSubscription, message: ChatMessage) -> None:
        if message.message_type not in (None, ChatMessageType.Message):
            return
        user = message.from_.user if message.from_ else None
        if user is None or not user.id:
            return  # an application or a system event
        self._seen(row, message.created_date_time)
        if user.id == self.me_id:
            return  # our own message
        mine = {
            str(m.id)
            for m in message.mentions or []
            if m.mentioned and m.mentioned.user and m.mentioned.user.id == self.me_id
        }
        text, files = await incoming_content(self, row, message, mine)  # formatting, files
        if not text and not files:
            return
        await self._link_by_email(user.id)
        digest = hashlib.sha1(row.chat_id.encode()).hexdigest()[:16]
        incoming = Incoming(
            Sender(self.platform, user.id, None, user.display_name),
            ChatRef(self.platform, row.chat_id, private=row.kind == "private"),
            EventKind.TEXT,
            text,
            f"{digest}:{message.id}",
            files,
        )
        # replies through the outbox (it paces per chat), in the update's own transaction
        await self.router.handle(incoming, queue_to=Target(self.platform, row.chat_id))

    def _seen(self, row: TeamsSubscription, at: datetime | None) -> None:
        if at is None:
            return
        with self.router.db.session() as s:
            current = s.get(TeamsSubscription, row.id)
            if current is not None and (
                current.last_message_at is None or at > current.last_message_at
            ):
                current.last_message_at = at
                s.add(current)

    async def _link_by_email(self, user_id: str) -> None:
        """An unknown sender whose e-mail or UPN is in the roster is linked to that person."""
        with self.router.db.session() as s:
            if directory.person_by_account(s, self.platform, user_id) is not None:
                return
        if user_id in self._looked_up:
            return  # one directory lookup per unknown sender and process
        self._looked_up.add(user_id)
        try:
            user = await self.client.users.by_user_id(user_id).get()
        except Exception as error:
            log.info("teams.user_lookup_failed status=%s", graph.status_code(error))
            return
        if user is None:
            return
        now = self.router.clock.now()
        with self.router.db.session() as s:
            for address in (user.mail, user.user_principal_name):
                person = store.person_by_email(s, address) if address else None
                if person is None:
                    continue
                if directory.account_of(s, person.id or 0, self.platform) is not None:
                    return  # relinking is confirmed by an invitation code, never automatic
                directory.link_account(s, person.id or 0, self.platform, user_id, None, now)
                audit.record(
                    s,
                    now,
                    None,
                    "account.link_email",
                    f"person:{person.id}",
                    platform=self.platform,
                )
                log.info("account.linked person=%s platform=teams by=email", person.id)
                return

    async def recover_all(self) -> None:
        with self.router.db.session() as s:
            rows = [
                r
                for r in store.subscriptions(s)
                if r.status == "active" and r.last_message_at is not None
            ]
        for row in rows:
            await self.recover(row)

    async def recover(self, row: TeamsSubscription) -> None:
        """Read the newest messages once (bounded) and handle those after the last seen one;
        the router's processed-event ids keep anything already handled from repeating."""
        if row.last_message_at is None:
            return
        # chats take an order (newest first); channel messages come newest first anyway
        config = RequestConfiguration(
            query_parameters=MessagesRequestBuilder.MessagesRequestBuilderGetQueryParameters(
                top=RECOVER_TOP, orderby=None if "/" in row.chat_id else ["createdDateTime desc"]
            )
        )
        try:
            page = await self._messages(row.chat_id).get(request_configuration=config)
        except graph.LoginLost:
            self.report_login_lost()
            return
        except Exception as error:
            log.warning("teams.recover_failed row=%s status=%s", row.id, graph.status_code(error))
            return
        since = row.last_message_at
        missed = sorted(
            (
                m
                for m in (page.value if page and page.value else [])
                if m.created_date_time and m.created_date_time > since
            ),
            key=lambda m: m.created_date_time or since,
        )
        log.info("teams.recover row=%s missed=%s", row.id, len(missed))
        for message in missed:
            await self.handle_message(row, message)

    # --- outgoing ------------------------------------------------------------------------

    async def send(self, target: Target, message: Outgoing) -> None:
        """Every part now, paced (tests and tools; the service goes through the outbox)."""
        await send_message(self, target, message, paced=True)

    async def send_part(self, target: Target, part: Part) -> str | None:
        return await self._graph_call(self._send_part(target, part))

    async def edit(self, target: Target, message_id: str, message: Outgoing) -> None:
        """The text part that carries the answers, rewritten in place (live counts)."""
        await self._graph_call(self._edit(target, message_id, message))

    async def _graph_call(self, work: Coroutine[Any, Any, Any]) -> Any:
        if self.login_lost:
            work.close()
            raise DeliveryError("teams: login lost", permanent=False, retry_after=LOGIN_LOST_RETRY)
        try:
            return await work
        except DeliveryError:
            raise
        except graph.LoginLost as error:
            self.report_login_lost()
            raise DeliveryError(
                "teams: login lost", permanent=False, retry_after=LOGIN_LOST_RETRY
            ) from error
        except httpx.HTTPError as error:
            raise DeliveryError(f"network: {type(error).__name__}", permanent=False) from error
        except Exception as error:
            raise self._delivery_error(error) from error

    def _translator(self) -> Translator:
        return Translator(self.settings.default_language, self.settings.tz)

    async def _send_part(self, target: Target, part: Part) -> str | None:
        chat_key = await self._chat_for(target.chat_id)
        if part.kind == "text":
            [rendered] = render.render(
                self._translator(),
                Outgoing(part.text, actions=part.actions, markdown=part.markdown),
            ) or [render.Rendered("")]
            return await self._post_id(chat_key, rendered)
        if part.kind == "file" and part.file is not None:
            if part.file.mime == "text/calendar":
                return None  # meetings are calendar events on Teams (see calendar.py)
            extra_html, attachments = await upload(self, chat_key, [part.file])
            return await self._post_id(chat_key, render.Rendered(extra_html, attachments))
        if part.kind == "pin" and part.ref:
            await self._pin(chat_key, part.ref)
        return None

    async def _post_id(self, chat_key: str, rendered: render.Rendered) -> str | None:
        posted = await self._post(chat_key, rendered)
        return posted.id if posted is not None else None

    async def _edit(self, target: Target, message_id: str, message: Outgoing) -> None:
        chat_key = await self._chat_for(target.chat_id)
        text = message.text[: self.max_text]
        [rendered] = render.render(
            self._translator(), Outgoing(text, actions=message.actions, markdown=message.markdown)
        ) or [render.Rendered("")]
        await (
            self._messages(chat_key)
            .by_chat_message_id(message_id)
            .patch(self._chat_message(rendered))
        )

    @staticmethod
    def _delivery_error(error: BaseException) -> DeliveryError:
        status = graph.status_code(error)
        if status == 429:
            return DeliveryError(
                "rate_limited", permanent=False, retry_after=graph.retry_after(error) or 5.0
            )
        if status in (400, 403, 404, 413):
            return DeliveryError(f"graph {status}", permanent=True)
        return DeliveryError(f"graph {status or type(error).__name__}", permanent=False)

    async def _chat_for(self, chat_id: str) -> str:
        """A chat key as is; a person's Entra id → the 1:1 chat with them (created once)."""
        if "/" in chat_id or "@" in chat_id:
            return chat_id
        if not self.me_id:
            raise DeliveryError("teams: not connected yet", permanent=False, retry_after=60)
        if chat_id not in self._private_chats:
            chat = await self.client.chats.post(
                Chat(
                    chat_type=ChatType.OneOnOne,
                    members=[
                        AadUserConversationMember(
                            roles=["owner"],
                            additional_data={
                                "user@odata.bind": f"https://graph.microsoft.com/v1.0/users('{uid}')"
                            },
                        )
                        for uid in (self.me_id, chat_id)
                    ],
                )
            )
            assert chat is not None and chat.id
            self._private_chats[chat_id] = chat.id
            if self.receive:
                subscriptions.register(self, chat.id, "private")
        return self._private_chats[chat_id]

    async def _pin(self, chat_key: str, message_id: str) -> None:
        """Chats can pin through Graph; channels cannot (v1.0). A failed pin is logged, never
        a reason to send the message again."""
        if "/" in chat_key:
            return
        try:
            await self.client.chats.by_chat_id(chat_key).pinned_messages.post(
                PinnedChatMessageInfo(
                    additional_data={
                        "message@odata.bind": f"https://graph.microsoft.com/v1.0/chats/{chat_key}"
                        f"/messages/{message_id}"
                    }
                )
            )
        except graph.LoginLost:
            raise
        except Exception as error:
            log.warning("teams.pin_failed status=%s", graph.status_code(error))

    @staticmethod
    def _chat_message(part: render.Rendered) -> ChatMessage:
        return ChatMessage(
            body=ItemBody(content_type=BodyType.Html, content=part.html),
            attachments=[
                ChatMessageAttachment(
                    id=a["id"],
                    content_type=a["contentType"],
                    content=a.get("content"),
                    content_url=a.get("contentUrl"),
                    name=a.get("name"),
                )
                for a in part.attachments
            ]
            or None,
        )

    async def _post(self, chat_key: str, part: render.Rendered) -> ChatMessage | None:
        return await self._messages(chat_key).post(self._chat_message(part))

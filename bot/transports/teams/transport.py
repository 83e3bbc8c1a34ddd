"""Microsoft Teams through Microsoft Graph: notifications in, neutral messages out.

Receiving: Graph posts change notifications to our HTTP server; the endpoint answers the
validationToken handshake, drops notifications whose clientState is wrong, stores the rest in
the inbox (teams_inbox) and answers 202 once they are committed — Graph never sends a
notification again after a 2xx, so a 429 or a crash later must not lose it. Workers process
the inbox in order per chat ("lane"), chats concurrently: GET the message by id (paced per
chat like every request), strip HTML and the bot's @mention, map the sender (Entra object
id) to a person — linking by the roster's e-mail/UPN when unknown — and hand the neutral
event to the router. A failed fetch is retried after Graph's Retry-After (or a backoff); rows
not done are picked up again at start and by the upkeep. The echo of the bot's own post is
never fetched: every post's id is marked in the inbox when Graph answers it (and a
notification that arrives while a post to that chat is under way waits for it). What a
person writes in their 1:1 chat is handled as written in their private chat, addressed by
their Entra user id as every private message is (the 1:1 chat id behind it is remembered in
teams_private_chat), so guided conversations and pacing see one chat, not two.

Sending: part by part like every platform (text chunks, each file, the pin; see
core.messages.parts), so the outbox records each part once and can later edit the text that
carries the answers (a live invitation's counts: PATCH of the chat message). ~1 message per
second per chat or channel and an overall cap for the one sending user, kept by the shared
Pacer; Graph's 429 Retry-After is honoured by kiota's RetryHandler for short waits and by the
outbox for long ones. Private messages go to the 1:1 chat with the person (created on demand,
once). Collections (chats, messages, thread replies) are read page by page (@odata.nextLink).
"""

from __future__ import annotations

import asyncio
import contextlib
import functools
import hashlib
import hmac
import logging
import re
import time
from collections.abc import AsyncIterator, Awaitable, Callable, Coroutine
from datetime import datetime, timedelta
from typing import Any, TypeVar
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

from bot import metrics
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
from models.outbox import Failure
from models.teams import InboxStatus, SubscriptionKind, SubscriptionStatus, TeamsSubscription

log = logging.getLogger("empirie.teams")
T = TypeVar("T")
RECOVER_TOP = 20  # missed messages read per page, once per chat after downtime, newest first
RECOVER_PAGES = 5  # pages of one chat's (or thread's) messages read at most after downtime
RECOVER_THREADS = 10  # a channel's newest root posts whose replies are read after downtime
REPLY_WINDOW = timedelta(days=7)  # ... among the root posts of the last week
LIFECYCLE = "lifecycle"  # the inbox lane of subscription lifecycle events
POST_WAIT = 30.0  # seconds a notification waits for a post to its chat under way (own echo?)
LANE_WAIT_MAX = 600.0  # a row due later than this is left to the upkeep
BACKOFF_BASE, BACKOFF_CAP = 2.0, 900.0  # retries of a failed fetch when Graph names no wait
GIVE_UP = timedelta(days=3)  # a notification still failing after this is logged and dropped
KEEP_INBOX = timedelta(days=7)  # handled notifications kept to recognise redeliveries
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
        self._private_users: dict[str, str] = {}  # 1:1 chat id -> Entra user id
        self._private_loaded = False
        self.pacer = pacer_for(settings)
        self._tasks: set[asyncio.Task[Any]] = set()
        self._lanes: dict[str, asyncio.Task[Any]] = {}  # inbox lanes being worked on
        self._posting: dict[str, int] = {}  # chat key -> posts under way
        self._posts_done: dict[str, asyncio.Event] = {}
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
            self.resume_inbox()

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
        self._lanes.clear()

    async def maintain(self) -> int:
        """Woken by the scheduler: subscriptions to create or renew, notifications still to
        process (after an outage or a long Retry-After), old inbox rows forgotten."""
        if not self.me_id and not self.login_lost:
            if not await self._whoami():
                return 0
            if self.receive:
                done = await subscriptions.maintain(self)
                await self.recover_all()
                self.resume_inbox()
                return done
        done = await subscriptions.maintain(self)
        if self.receive:
            self.resume_inbox()
            with self.router.db.session() as s:
                store.inbox_prune(s, self.router.clock.now() - KEEP_INBOX)
        return done

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
        chats = self.client.me.chats
        try:
            found = await self._pages("me/chats", chats, chats.get)
        except graph.LoginLost:
            self.report_login_lost()
            return
        except Exception as error:
            log.warning("teams.discover_failed status=%s", graph.status_code(error))
            return
        for chat in found:
            if chat.id and chat.chat_type in (ChatType.Group, ChatType.OneOnOne):
                since = (
                    chat.created_date_time - timedelta(seconds=1)
                    if chat.created_date_time
                    else None
                )
                subscriptions.register(
                    self,
                    chat.id,
                    SubscriptionKind.PRIVATE
                    if chat.chat_type == ChatType.OneOnOne
                    else SubscriptionKind.GROUP,
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
        accepted = []
        for item in items:
            given = str(item.get("clientState") or "").encode()
            if not hmac.compare_digest(given, expected):
                log.warning(
                    "teams.notification_refused reason=client_state subscription=%s",
                    item.get("subscriptionId"),
                )
                continue
            accepted.append(item)
        try:
            lanes = self._store(accepted)
        except Exception:  # not stored: not answered 2xx, so Graph sends it again
            log.exception("teams.inbox_failed notifications=%s", len(accepted))
            return web.Response(status=503, headers={"Retry-After": "5"})
        for lane in lanes:
            self._kick(lane)
        return web.Response(status=202)  # once stored; the work goes on in the background

    def _store(self, items: list[dict[str, Any]]) -> set[str]:
        """Notifications into the inbox (committed on return); the lanes with new work."""
        lanes: set[str] = set()
        if not items:
            return lanes
        now = self.router.clock.now()
        with self.router.db.session() as s:
            for item in items:
                placed = self._place(s, item)
                if placed is None:
                    continue
                lane, key = placed
                if store.inbox_add(s, lane, key, item, now):
                    lanes.add(lane)
                else:  # a redelivery, or the echo of our own post: nothing to fetch
                    log.info("teams.notification_known lane=%s", lane)
        return lanes

    @staticmethod
    def _place(s: Any, item: dict[str, Any]) -> tuple[str, str | None] | None:
        """The inbox lane of a notification and its key (one per message)."""
        if "lifecycleEvent" in item:
            return LIFECYCLE, None
        row = store.subscription_by_graph_id(s, str(item.get("subscriptionId")))
        if row is None:
            log.info("teams.notification_skipped subscription=%s", item.get("subscriptionId"))
            return None
        if row.kind == SubscriptionKind.CALENDAR:
            return row.chat_id, None  # someone answered an invitation: one sync reads all
        message_id = _message_id(item)
        if not message_id or item.get("changeType") != "created":
            log.info("teams.notification_skipped subscription=%s", item.get("subscriptionId"))
            return None
        return row.chat_id, _key(row.chat_id, message_id)

    def resume_inbox(self) -> None:
        """Work on every lane with notifications still to process (start, upkeep)."""
        with self.router.db.session() as s:
            lanes = list(store.inbox_lanes(s))
        for lane in lanes:
            self._kick(lane)

    def _kick(self, lane: str) -> None:
        if lane in self._lanes or self.login_lost:
            return
        task = asyncio.get_running_loop().create_task(self._work(lane))
        self._lanes[lane] = task
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    async def _work(self, lane: str) -> None:
        """One lane's notifications in the order they came, each until it is done."""
        me = asyncio.current_task()
        try:
            while not self.login_lost:
                with self.router.db.session() as s:
                    head = store.inbox_head(s, lane)
                if head is None:
                    break  # (no await before leaving: a notification stored now is kicked)
                wait = (head.not_before - self.router.clock.now()).total_seconds()
                if wait > LANE_WAIT_MAX:
                    break  # the upkeep comes back to it
                if wait > 0:
                    await asyncio.sleep(wait)
                await self._process(head)
        finally:
            if self._lanes.get(lane) is me:
                del self._lanes[lane]

    async def _process(self, row: store.TeamsInbox) -> None:
        now = self.router.clock.now()
        status = InboxStatus.DONE
        try:
            if row.lane == LIFECYCLE:
                await subscriptions.on_lifecycle(self, row.payload)
            elif row.key is None:  # the calendar: one sync answers every notification so far
                with self.router.db.session() as s:
                    store.inbox_close_lane(s, row.lane, now)
                await self.sync_calendar()
                return
            elif not await self._on_created(row):
                status = InboxStatus.SKIPPED
        except graph.LoginLost:
            self.report_login_lost()  # the row waits for the next sign-in
            return
        except Exception as error:
            self._retry(row, error)
            return
        with self.router.db.session() as s:
            store.inbox_close(s, row.id or 0, status, self.router.clock.now())

    def _retry(self, row: store.TeamsInbox, error: BaseException) -> None:
        """Graph said wait (429: its Retry-After), or failed: the row is tried again later;
        a message that no longer exists (404) or may not be read (403) is skipped."""
        status = graph.status_code(error)
        now = self.router.clock.now()
        if status in (400, 403, 404):
            log.warning("teams.notification_dropped lane=%s status=%s", row.lane, status)
            with self.router.db.session() as s:
                store.inbox_close(s, row.id or 0, InboxStatus.SKIPPED, now)
            return
        delay = graph.retry_after(error) if status == 429 else None
        if delay is None:
            delay = min(BACKOFF_CAP, BACKOFF_BASE * 2**row.attempts)
        delay = max(delay, 1.0)
        give_up = now - row.received_at > GIVE_UP
        with self.router.db.session() as s:
            store.inbox_retry(
                s,
                row.id or 0,
                now + timedelta(seconds=delay),
                f"{type(error).__name__}: {status}",
                give_up=give_up,
            )
        if give_up:
            log.error("teams.notification_given_up lane=%s attempts=%s", row.lane, row.attempts)
            return
        log.warning(
            "teams.notification_retry lane=%s attempt=%s status=%s wait=%.0f",
            row.lane,
            row.attempts + 1,
            status,
            delay,
        )

    async def _on_created(self, row: store.TeamsInbox) -> bool:
        """Fetch the message a notification names and handle it; False: nothing to do."""
        await self._after_posts(row.lane)  # the echo of a post under way is known after it
        with self.router.db.session() as s:
            current = s.get(store.TeamsInbox, row.id)
            sub = store.subscription_for(s, row.lane)
        if current is None or current.status != InboxStatus.PENDING:
            return current is not None and current.status != InboxStatus.SKIPPED
        if sub is None:
            log.info("teams.notification_skipped lane=%s reason=unsubscribed", row.lane)
            return False
        item = row.payload
        messages = self._messages(row.lane)
        thread = _REPLY.search(str(item.get("resource") or ""))
        if thread is not None and "/" in row.lane:  # a reply in a channel thread
            request = messages.by_chat_message_id(thread.group(1)).replies.by_chat_message_id1(
                thread.group(2)
            )
        else:
            request = messages.by_chat_message_id(_message_id(item))
        message = await self._read(row.lane, request.get, urgent=True)  # someone just wrote
        if message is None:
            return False
        await self.handle_message(sub, message)
        return True

    # --- requests --------------------------------------------------------------------------

    def _pace_key(self, chat_key: str) -> str:
        """Requests to a 1:1 chat are paced under its person's id, as the outbox sends."""
        return self._private_users.get(chat_key, chat_key)

    async def _read(
        self, chat_key: str, fetch: Callable[[], Awaitable[T]], *, urgent: bool = False
    ) -> T:
        """A GET paced like a post: Graph counts requests per app per chat or channel.
        `urgent`: reading what someone just wrote goes before bulk work (bot.pacing)."""
        key = self._pace_key(chat_key)
        delay = self.pacer.reserve(key, urgent=urgent)
        if delay:
            await asyncio.sleep(delay)
        await self.pacer.admit(key, urgent=urgent)
        try:
            return await fetch()
        except Exception as error:
            if graph.status_code(error) == 429:
                metrics.rate_limited("teams", error)
                self.pacer.penalize(key, graph.retry_after(error) or 5.0)
            raise
        finally:
            self.pacer.sent(key)

    async def _pages(
        self,
        chat_key: str,
        builder: Any,
        first: Callable[[], Awaitable[Any]],
        *,
        enough: Callable[[list[Any]], bool] = lambda _page: False,
        max_pages: int = 100,
    ) -> list[Any]:
        """Every item of a collection, following @odata.nextLink (until `enough` says the
        page read is the last one needed, or `max_pages`)."""
        page = await self._read(chat_key, first)
        found: list[Any] = []
        pages = 0
        while page is not None:
            items = list(page.value or [])
            found.extend(items)
            pages += 1
            link = page.odata_next_link
            if not link or pages >= max_pages or enough(items):
                break
            page = await self._read(chat_key, builder.with_url(link).get)
        return found

    @contextlib.asynccontextmanager
    async def _posting_to(self, chat_key: str) -> AsyncIterator[None]:
        self._posting[chat_key] = self._posting.get(chat_key, 0) + 1
        try:
            yield
        finally:
            left = self._posting[chat_key] - 1
            if left:
                self._posting[chat_key] = left
            else:
                del self._posting[chat_key]
                event = self._posts_done.pop(chat_key, None)
                if event is not None:
                    event.set()

    async def _after_posts(self, chat_key: str) -> None:
        deadline = time.monotonic() + POST_WAIT
        while chat_key in self._posting and (left := deadline - time.monotonic()) > 0:
            event = self._posts_done.setdefault(chat_key, asyncio.Event())
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(event.wait(), left)

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
        private = row.kind == SubscriptionKind.PRIVATE
        chat_id = row.chat_id
        if private:  # the person's private chat, known everywhere by their user id
            self._remember_private(user.id, row.chat_id)
            chat_id = user.id
        incoming = Incoming(
            Sender(self.platform, user.id, None, user.display_name),
            ChatRef(self.platform, chat_id, private=private),
            EventKind.TEXT,
            text,
            f"{digest}:{message.id}",
            files,
        )
        # replies through the outbox (it paces per chat), in the update's own transaction
        await self.router.handle(incoming, queue_to=Target(self.platform, chat_id))

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
                if r.status == SubscriptionStatus.ACTIVE and r.last_message_at is not None
            ]
        # chats concurrently (each paced on its own), each chat's messages in order
        await asyncio.gather(*(self.recover(row) for row in rows))

    async def recover(self, row: TeamsSubscription) -> None:
        """Read the newest messages once (bounded, page by page) and handle those after the
        last seen one — in a channel the replies under its recent posts too; the router's
        processed-event ids keep anything already handled from repeating."""
        if row.last_message_at is None:
            return
        since = row.last_message_at
        channel = "/" in row.chat_id
        # chats take an order (newest first); channel messages come newest first anyway
        config = RequestConfiguration(
            query_parameters=MessagesRequestBuilder.MessagesRequestBuilderGetQueryParameters(
                top=RECOVER_TOP, orderby=None if channel else ["createdDateTime desc"]
            )
        )

        def older(items: list[ChatMessage]) -> bool:
            return any(m.created_date_time and m.created_date_time <= since for m in items)

        messages = self._messages(row.chat_id)
        try:
            roots = await self._pages(
                row.chat_id,
                messages,
                lambda: messages.get(request_configuration=config),
                enough=older,
                max_pages=RECOVER_PAGES,
            )
            missed = [m for m in roots if m.created_date_time and m.created_date_time > since]
            if channel:
                missed += await self._recover_replies(row.chat_id, roots, since, older)
        except graph.LoginLost:
            self.report_login_lost()
            return
        except Exception as error:
            log.warning("teams.recover_failed row=%s status=%s", row.id, graph.status_code(error))
            return
        missed.sort(key=lambda m: m.created_date_time or since)
        log.info("teams.recover row=%s missed=%s", row.id, len(missed))
        for message in missed:
            await self.handle_message(row, message)

    async def _recover_replies(
        self,
        chat_key: str,
        roots: list[ChatMessage],
        since: datetime,
        older: Callable[[list[ChatMessage]], bool],
    ) -> list[ChatMessage]:
        """Replies written after `since` under the channel's recent root posts (a reply does
        not bring its root post back to the top of the list)."""
        horizon = since - REPLY_WINDOW
        recent = sorted(
            (m for m in roots if m.id and m.created_date_time and m.created_date_time > horizon),
            key=lambda m: m.created_date_time or horizon,
            reverse=True,
        )[:RECOVER_THREADS]
        config = RequestConfiguration(
            query_parameters=MessagesRequestBuilder.MessagesRequestBuilderGetQueryParameters(
                top=RECOVER_TOP
            )
        )
        found: list[ChatMessage] = []
        for root in recent:
            replies = self._messages(chat_key).by_chat_message_id(root.id or "").replies
            listed = await self._pages(
                chat_key,
                replies,
                functools.partial(replies.get, request_configuration=config),
                enough=older,
                max_pages=RECOVER_PAGES,
            )
            found += [m for m in listed if m.created_date_time and m.created_date_time > since]
        return found

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
            # paced again: in a channel the folder was just read (Graph counts each request)
            rendered = render.Rendered(extra_html, attachments)
            return await self._read(chat_key, lambda: self._post_id(chat_key, rendered))
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
        detail = f"graph {status or type(error).__name__}"
        if status == 429:
            metrics.rate_limited("teams", error)
            return DeliveryError(
                "rate_limited",
                permanent=False,
                retry_after=graph.retry_after(error) or 5.0,
                detail=detail,
            )
        permanent = {403: Failure.BLOCKED, 404: Failure.CHAT_NOT_FOUND, 413: Failure.TOO_LONG}
        if status in (400, *permanent):
            failure = permanent.get(status or 0, Failure.OTHER)
            return DeliveryError(failure, permanent=True, detail=detail)
        return DeliveryError(Failure.RETRIED, permanent=False, detail=detail)

    def _load_private_chats(self) -> None:
        if self._private_loaded:
            return
        with self.router.db.session() as s:
            known = store.private_chats(s)
        self._private_chats.update(known)
        self._private_users.update({chat: user for user, chat in known.items()})
        self._private_loaded = True

    def _remember_private(self, user_id: str, chat_id: str) -> None:
        """This person's 1:1 chat (learned when created or when they write there), kept."""
        self._load_private_chats()
        if self._private_chats.get(user_id) == chat_id:
            return
        with self.router.db.session() as s:
            store.remember_private_chat(s, user_id, chat_id, self.router.clock.now())
        self._private_chats[user_id] = chat_id
        self._private_users[chat_id] = user_id

    async def _chat_for(self, chat_id: str) -> str:
        """A chat key as is; a person's Entra id → the 1:1 chat with them (created once, and
        remembered across restarts)."""
        if "/" in chat_id or "@" in chat_id:
            return chat_id
        self._load_private_chats()
        if chat_id in self._private_chats:
            return self._private_chats[chat_id]
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
            self._remember_private(chat_id, chat.id)
            if self.receive:
                subscriptions.register(self, chat.id, SubscriptionKind.PRIVATE)
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
        """Post, and mark the id Graph gives the post so its notification is never fetched
        (one that arrives while the post is under way waits for it: see _on_created)."""
        async with self._posting_to(chat_key):
            posted = await self._messages(chat_key).post(self._chat_message(part))
            if posted is not None and posted.id and self.receive:
                try:
                    with self.router.db.session() as s:
                        store.inbox_mark_own(
                            s, chat_key, _key(chat_key, posted.id), self.router.clock.now()
                        )
                except Exception:  # posted all the same: never a reason to post again
                    log.exception("teams.own_post_unmarked chat=%s", chat_key)
        return posted


def _message_id(item: dict[str, Any]) -> str:
    """The id of the message a notification names (a thread reply's own id)."""
    thread = _REPLY.search(str(item.get("resource") or ""))
    if thread is not None:
        return thread.group(2)
    return str((item.get("resourceData") or {}).get("id") or "")


def _key(chat_key: str, message_id: str) -> str:
    return f"{chat_key}|{message_id}"

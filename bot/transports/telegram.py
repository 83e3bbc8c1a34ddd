"""Telegram via python-telegram-bot: updates in, neutral messages out. Translation only.

Long polling by default; webhook mode (our HTTP server, secret token checked on every request)
when TELEGRAM_WEBHOOK_URL is set. Updates are handled concurrently, one person's in order. Our
own pacer (bot.pacing) keeps Telegram's flood limits for every send; a reply goes out directly
only when it is one part and its chat's slot is free now, otherwise through the outbox, so no
update ever waits on a rate limit. A button press is answered with the callback answer's toast
(the router's `ack` reply); nothing is posted in the group per press. Failures come back as a
DeliveryError, permanent or not; the outbox reschedules.
"""

from __future__ import annotations

import asyncio
import hmac
import json
import logging
import os
from collections.abc import Awaitable
from dataclasses import replace
from datetime import datetime, timedelta
from typing import Any
from urllib.parse import urlsplit

from aiohttp import web

os.environ.setdefault("PTB_TIMEDELTA", "1")  # RetryAfter.retry_after as timedelta, no warning
from telegram import (
    BotCommand,
    BotCommandScopeAllGroupChats,
    BotCommandScopeAllPrivateChats,
    InlineKeyboardButton,
    InlineKeyboardMarkup,
    InputFile,
    Update,
)
from telegram.constants import ChatMemberStatus, MessageLimit, ParseMode
from telegram.error import (
    BadRequest,
    ChatMigrated,
    Forbidden,
    NetworkError,
    RetryAfter,
    TelegramError,
)
from telegram.ext import (
    Application,
    ApplicationBuilder,
    BaseUpdateProcessor,
    ContextTypes,
    ExtBot,
    TypeHandler,
)
from telegram.request import HTTPXRequest

from bot import metrics
from bot.http import HttpServer
from bot.pacing import Limits, Pacer
from bot.router import Router, parse_command
from bot.transports import DeliveryError, send_message
from core import formatting
from core.config import Settings
from core.messages import (
    ChatRef,
    EventKind,
    File,
    Incoming,
    Outgoing,
    Part,
    Sender,
    Target,
    parts,
)
from core.outbox import enqueue
from handlers import membership
from handlers.kit.registry import REGISTRY, Command
from models import outbox
from models.db import retried
from models.enums import Platform
from models.outbox import Failure, failure_of

log = logging.getLogger("empirie.telegram")
ALLOWED_UPDATES = [
    "message",
    "edited_message",
    "callback_query",
    "my_chat_member",
    "chat_member",
    "poll_answer",
]
SECRET_HEADER = "X-Telegram-Bot-Api-Secret-Token"
WEBHOOK_MAX_BYTES = 256 * 1024  # an update is a few KB; files come by reference
MAX_REPLY_WAIT = 1.25  # seconds a direct reply may wait for its chat (a per-chat interval and a
# little more: cheaper than a trip through the outbox); longer (a group's minute quota), the outbox
MAX_CONCURRENT_UPDATES = 64


def loggable(chat_id: str) -> str:
    """Group chats have negative ids; a positive one is a user's private chat (personal)."""
    return chat_id if chat_id.startswith("-") else "private"


def _seconds(value: int | timedelta) -> float:
    return value.total_seconds() if isinstance(value, timedelta) else float(value)


def delivery_error(error: TelegramError) -> DeliveryError:
    """Sort Telegram's answers into retry-later and give-up. The reason recorded is ours
    (models.outbox.Failure, read by staff in their language); Telegram's English words are
    kept as the detail, for the log."""
    detail = f"{type(error).__name__}: {error.message}"
    if isinstance(error, ChatMigrated):  # a group became a supergroup: same chat, new id
        return DeliveryError(
            "chat_migrated",
            permanent=False,
            retry_after=0,
            moved_to=str(error.new_chat_id),
            detail=detail,
        )
    if isinstance(error, RetryAfter):
        metrics.rate_limited("telegram")
        return DeliveryError(
            "rate_limited", permanent=False, retry_after=_seconds(error.retry_after), detail=detail
        )
    if isinstance(error, Forbidden):  # blocked by the user, kicked from the group, deactivated
        failure = failure_of(error.message)
        if failure is not Failure.DEACTIVATED:
            failure = Failure.BLOCKED
        return DeliveryError(failure, permanent=True, detail=detail)
    if isinstance(error, BadRequest):  # chat not found, message too long or malformed
        failure = failure_of(error.message)
        if failure not in (Failure.CHAT_NOT_FOUND, Failure.TOO_LONG, Failure.DEACTIVATED):
            failure = Failure.OTHER
        return DeliveryError(failure, permanent=True, detail=detail)
    if isinstance(error, NetworkError):  # includes TimedOut
        return DeliveryError("network", permanent=False, detail=detail)
    return DeliveryError(Failure.RETRIED, permanent=False, detail=detail)


def readable(raw: Any, bot: Any) -> Any:
    """The raw update if the client can read it; else a bare one with only its number, so
    that it is confirmed (polling moves past it) and handled as nothing. Logged, not raised."""
    try:
        Update.de_json(raw, bot)
        return raw
    except Exception as error:
        number = raw.get("update_id") if isinstance(raw, dict) else None
        kinds = sorted(k for k in raw if k != "update_id") if isinstance(raw, dict) else []
        log.warning(
            "telegram.update_unreadable update_id=%s kinds=%s error=%s",
            number,
            ",".join(kinds),
            type(error).__name__,
        )
        return {"update_id": number} if isinstance(number, int) else None


class ReadingBot(ExtBot[Any]):
    """One update the client cannot parse (a field Telegram left out, a new shape) used to
    fail the whole getUpdates batch, which the updater then fetched again and again: intake
    stopped for good. Each update is read on its own; an unreadable one is skipped."""

    async def _post(self, endpoint: str, *args: Any, **kwargs: Any) -> Any:
        result = await super()._post(endpoint, *args, **kwargs)
        if endpoint == "getUpdates" and isinstance(result, list):
            kept = (readable(raw, self) for raw in result)
            result = [raw for raw in kept if raw is not None]
        return result


class PerSenderOrder(BaseUpdateProcessor):
    """Updates run concurrently, but one person's (or, without a person, one chat's) updates
    run one after another in the order they arrived."""

    def __init__(self, max_concurrent_updates: int) -> None:
        super().__init__(max_concurrent_updates)
        self._locks: dict[int, asyncio.Lock] = {}

    async def do_process_update(self, update: object, coroutine: Awaitable[Any]) -> None:
        key = 0
        if isinstance(update, Update):
            if update.effective_user is not None:
                key = update.effective_user.id
            elif update.effective_chat is not None:
                key = update.effective_chat.id
        lock = self._locks.setdefault(key, asyncio.Lock())
        try:
            async with lock:
                await coroutine
        finally:
            if not lock.locked() and not lock._waiters:
                self._locks.pop(key, None)

    async def initialize(self) -> None:
        """Nothing to set up."""

    async def shutdown(self) -> None:
        """Nothing to tear down."""


def is_group(chat_id: str) -> bool:
    return chat_id.startswith("-")  # Telegram: groups and channels have negative ids


class TelegramTransport:
    platform = Platform.TELEGRAM
    max_text = MessageLimit.MAX_TEXT_LENGTH
    native_polls = True  # a message's PollSpec goes out as a Telegram poll

    def __init__(
        self,
        router: Router,
        settings: Settings,
        http: HttpServer | None = None,
        *,
        receive: bool = True,
    ) -> None:
        self.router = router
        self.settings = settings
        self.http = http
        self.receive = receive  # False: a worker that only sends
        self.webhook = bool(settings.telegram_webhook_url)
        self.pacer = Pacer(
            Limits(
                settings.telegram_chat_interval,
                int(settings.telegram_rate_group_per_minute),
                int(settings.telegram_rate_overall),
            ),
            is_group,
        )
        timeout = settings.telegram_read_timeout
        base = (settings.telegram_api_base_url or "https://api.telegram.org").rstrip("/")
        reading_bot = ReadingBot(
            settings.telegram_bot_token,
            base_url=f"{base}/bot",
            base_file_url=f"{base}/file/bot",
            request=HTTPXRequest(
                connection_pool_size=16,
                read_timeout=timeout,
                write_timeout=timeout,
                connect_timeout=timeout,
                pool_timeout=timeout,
            ),
            get_updates_request=HTTPXRequest(),
        )
        builder: ApplicationBuilder[Any, Any, Any, Any, Any, Any] = (
            ApplicationBuilder()
            .bot(reading_bot)
            .concurrent_updates(PerSenderOrder(MAX_CONCURRENT_UPDATES))
        )
        if self.webhook or not receive:
            builder = builder.updater(None)
        self.app: Application[Any, Any, Any, Any, Any, Any] = builder.build()
        self.app.add_handler(TypeHandler(Update, self._on_update))
        self.username = ""
        if self.webhook and receive:
            if http is None:
                raise RuntimeError("webhook mode needs the HTTP server")
            if not settings.telegram_webhook_secret:
                # without it anyone who finds the URL could post updates "from" any user
                raise RuntimeError(
                    "webhook mode needs TELEGRAM_WEBHOOK_SECRET (Telegram sends it "
                    "with every update; requests without it are refused)"
                )
            http.add_route(
                "POST", urlsplit(settings.telegram_webhook_url).path or "/", self._webhook
            )

    # --- lifecycle -----------------------------------------------------------------------

    async def start(self) -> None:
        await self.app.initialize()
        self.username = self.app.bot.username
        membership.INVITE_LINKS[self.platform] = f"https://t.me/{self.username}?start={{code}}"
        if not self.receive:
            return
        await self.publish_commands()
        await self.app.start()
        if self.webhook:
            await self.app.bot.set_webhook(
                self.settings.telegram_webhook_url,
                secret_token=self.settings.telegram_webhook_secret or None,
                allowed_updates=ALLOWED_UPDATES,
            )
        else:
            assert self.app.updater is not None
            await self.app.updater.start_polling(
                allowed_updates=ALLOWED_UPDATES,
                poll_interval=0.0,
                timeout=self.settings.telegram_poll_timeout,
            )
        log.info("telegram.started mode=%s", "webhook" if self.webhook else "polling")

    async def stop(self) -> None:
        if self.app.updater is not None and self.app.updater.running:
            await self.app.updater.stop()
        if self.app.running:
            await self.app.stop()
        await self.app.shutdown()

    async def publish_commands(self) -> None:
        """Command menus in Polish (default) and English, for private chats and for groups."""
        for language in ("pl", "en"):
            t = self.router.translator(language)
            for scope_name, scope in (
                ("private", BotCommandScopeAllPrivateChats()),
                ("group", BotCommandScopeAllGroupChats()),
            ):
                commands = [
                    BotCommand(self._menu_name(c, language), t(c.summary)[:256])
                    for c in REGISTRY.commands()
                    if not c.hidden and c.scope in ("any", scope_name)
                ]
                await self.app.bot.set_my_commands(
                    commands, scope=scope, language_code=None if language == "pl" else language
                )

    @staticmethod
    def _menu_name(command: Command, language: str) -> str:
        return command.aliases[0] if language == "en" and command.aliases else command.name

    # --- incoming ------------------------------------------------------------------------

    async def _webhook(self, request: web.Request) -> web.Response:
        expected = self.settings.telegram_webhook_secret
        given = request.headers.get(SECRET_HEADER, "")
        if not expected or not hmac.compare_digest(given.encode(), expected.encode()):
            log.warning("telegram.webhook_refused reason=secret")
            return web.Response(status=403)
        if (request.content_length or 0) > WEBHOOK_MAX_BYTES:
            log.warning("telegram.webhook_refused reason=too_large")
            return web.Response(status=413)
        body = await request.content.read(WEBHOOK_MAX_BYTES + 1)
        if len(body) > WEBHOOK_MAX_BYTES:  # chunked, without a length: counted as read
            log.warning("telegram.webhook_refused reason=too_large")
            return web.Response(status=413)
        try:
            data = json.loads(body)
            if not isinstance(data, dict):
                raise ValueError("an update is a JSON object")
        except ValueError:
            log.warning("telegram.webhook_refused reason=malformed")
            return web.Response(status=400)
        try:
            update = Update.de_json(data, self.app.bot)
        except Exception:
            # from Telegram (the secret matched) but unreadable: logged and skipped with a 200,
            # else Telegram would send it again and again and hold back the updates after it
            readable(data, self.app.bot)
            return web.Response(status=200)
        await self.app.update_queue.put(update)
        return web.Response(status=200)

    def translate(self, update: Update) -> Incoming | None:
        """A Telegram update as the neutral event, or None when it is not for the bot."""
        event_id = str(update.update_id)
        if update.my_chat_member is not None:
            member = update.my_chat_member
            old, new = member.old_chat_member.status, member.new_chat_member.status
            gone = (ChatMemberStatus.LEFT, ChatMemberStatus.BANNED)
            if new in gone:
                return Incoming(
                    self._sender(member.from_user),
                    self._chat(member.chat),
                    EventKind.BOT_REMOVED,
                    "",
                    event_id,
                )
            if old in gone and member.chat.type != "private":
                return Incoming(
                    self._sender(member.from_user),
                    self._chat(member.chat),
                    EventKind.BOT_ADDED,
                    "",
                    event_id,
                )
            return None
        if update.poll_answer is not None:
            vote = update.poll_answer
            if vote.user is None:  # answered as a channel: not a person we know
                return None
            return Incoming(
                self._sender(vote.user),
                ChatRef(Platform.TELEGRAM, str(vote.user.id), private=True),
                EventKind.POLL_ANSWER,
                " ".join([vote.poll_id, *map(str, vote.option_ids)]),
                event_id,
            )
        if update.callback_query is not None:
            query = update.callback_query
            if query.message is None or not query.data:
                return None
            return Incoming(
                self._sender(query.from_user),
                self._chat(query.message.chat),
                EventKind.ACTION,
                query.data,
                event_id,
            )
        message = update.message
        if message is None or message.from_user is None:
            return None
        if message.migrate_to_chat_id is not None:  # the old group's last word
            return Incoming(
                self._sender(message.from_user),
                self._chat(message.chat),
                EventKind.CHAT_MOVED,
                str(message.migrate_to_chat_id),
                event_id,
            )
        text = message.text or message.caption or ""
        if (not text and message.document is None) or not self._addressed_to_me(text):
            return None
        return Incoming(
            self._sender(message.from_user),
            self._chat(message.chat),
            EventKind.TEXT,
            text,
            event_id,
        )

    def _addressed_to_me(self, text: str) -> bool:
        """`/pomoc@OtherBot` in a group is for another bot."""
        if not text.startswith("/") or parse_command(text) is None:
            return True
        head = text.split(maxsplit=1)[0]
        return "@" not in head or head.split("@", 1)[1].lower() == self.username.lower()

    @staticmethod
    def _sender(user: Any) -> Sender:
        return Sender(
            Platform.TELEGRAM, str(user.id), user.username, user.full_name, user.language_code
        )

    @staticmethod
    def _chat(chat: Any) -> ChatRef:
        return ChatRef(
            Platform.TELEGRAM, str(chat.id), private=chat.type == "private", title=chat.title
        )

    async def _on_update(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        incoming = self.translate(update)
        query = update.callback_query
        if incoming is None:
            if query is not None:
                await self._answer(query, None)
            return
        held = incoming.chat.chat_id if incoming.chat.private else None
        if held is not None:  # someone wrote: their answer goes before bulk work (pacing)
            self.pacer.hold(held)
        try:
            await self._answer_update(update, incoming, query)
        finally:
            if held is not None:
                self.pacer.release(held)

    async def _answer_update(self, update: Update, incoming: Incoming, query: Any) -> None:
        document = update.message.document if update.message else None
        if document is not None:
            data = await (await document.get_file()).download_as_bytearray()
            incoming = replace(
                incoming,
                files=(
                    File(
                        document.file_name or "plik",
                        bytes(data),
                        document.mime_type or "application/octet-stream",
                    ),
                ),
            )
        started = self.router.clock.now()  # what was queued before this may be overtaken
        replies = await self.router.handle(incoming)
        if query is not None:  # the press is answered to the presser only: a toast
            ack = next((m for m in replies if m.ack), None)
            await self._answer(query, ack.text if ack else None)
            replies = [m for m in replies if not m.ack]
        here = Target(self.platform, incoming.chat.chat_id)
        for message in replies:
            await self.reply(message.to or here, message, started)

    async def _answer(self, query: Any, text: str | None) -> None:
        try:  # stops the button's spinner; Telegram does not count these against chat limits
            await query.answer(text=text[:200] if text else None)
        except TelegramError as error:
            log.warning("telegram.callback_answer_failed error=%s", type(error).__name__)

    async def reply(self, target: Target, message: Outgoing, since: datetime | None = None) -> None:
        """Answer now when that is cheap (one part, the chat's slot free, nothing queued for
        the chat that it would overtake); otherwise hand it to the outbox's reply lane, which
        paces it and keeps the chat's order, so that no update waits on a rate limit. Either
        way it is urgent: it goes before bulk work (a broadcast), within the platform's
        limits. `since`: when the update began; bulk work queued before then is overtaken."""
        single = len(parts(message, self.max_text)) == 1 and not await asyncio.to_thread(
            self._queued, target, since
        )
        delay = self.pacer.reserve(target.chat_id, MAX_REPLY_WAIT, urgent=True) if single else None
        if delay is not None:
            if delay:
                await asyncio.sleep(delay)
            await self.pacer.admit(target.chat_id, urgent=True)
            try:
                await self.send(target, message)
                return
            except DeliveryError as error:
                if error.retry_after:
                    self.pacer.penalize(target.chat_id, error.retry_after)
                if error.permanent:
                    log.error(
                        "telegram.reply_failed chat=%s reason=%s detail=%s",
                        loggable(target.chat_id),
                        error.reason,
                        error.detail,
                    )
                    return
                log.info(
                    "telegram.reply_deferred chat=%s reason=%s detail=%s",
                    loggable(target.chat_id),
                    error.reason,
                    error.detail,
                )
            finally:
                self.pacer.sent(target.chat_id)
        await asyncio.to_thread(self._defer, target, message, since)
        self.router.wake_outbox()

    def _queued(self, target: Target, since: datetime | None) -> bool:
        """Whether a reply now would overtake something queued for the chat. The database
        work after a stored change must not cost its confirmation: a connection that dies
        here is replaced, and if the database stays away the reply goes out directly."""

        def waiting() -> bool:
            with self.router.db.session() as s:
                return outbox.chat_waiting(s, target.platform, target.chat_id, since)

        try:
            return retried(waiting, what="telegram.reply")
        except Exception as error:
            log.warning(
                "telegram.reply_unchecked chat=%s error=%s",
                loggable(target.chat_id),
                type(error).__name__,
            )
            return False

    def _defer(self, target: Target, message: Outgoing, since: datetime | None) -> None:
        def queue() -> None:
            with self.router.db.session() as s:
                enqueue(s, target, message, since or self.router.clock.now(), kind="reply")

        retried(queue, what="telegram.defer")

    # --- outgoing ------------------------------------------------------------------------

    async def send(self, target: Target, message: Outgoing) -> None:
        """Every part now, unpaced (direct replies of one part; tests)."""
        await send_message(self, target, message)

    async def send_part(self, target: Target, part: Part) -> str | None:
        try:
            return await self._send_part(target, part)
        except TelegramError as error:
            raise delivery_error(error) from error

    async def _send_part(self, target: Target, part: Part) -> str | None:
        bot = self.app.bot
        if part.kind == "text":
            sent = await bot.send_message(
                chat_id=target.chat_id,
                text=formatting.to_html(part.text) if part.markdown else part.text,
                parse_mode=ParseMode.HTML if part.markdown else None,
                reply_markup=await self._keyboard(part.actions, target),
                link_preview_options=None,
            )
            return str(sent.message_id)
        if part.kind == "file" and part.file is not None:
            sent = await bot.send_document(
                chat_id=target.chat_id,
                document=InputFile(part.file.content, filename=part.file.name),
            )
            return str(sent.message_id)
        if part.kind == "poll" and part.poll is not None:  # native: replaces the buttons
            poll = await bot.send_poll(
                chat_id=target.chat_id,
                question=part.poll.question[:300],
                options=[o[:100] for o in part.poll.options],
                is_anonymous=part.poll.anonymous,
            )
            if poll.poll is not None:
                await asyncio.to_thread(
                    self.router.native_poll_sent,
                    part.poll.ref,
                    self.platform,
                    poll.poll.id,
                    str(poll.message_id),
                )
            return str(poll.message_id)
        if part.kind == "stop_poll" and part.ref:
            await self._stop_poll(int(part.ref))
            return None
        if part.kind == "pin" and part.ref:
            await bot.pin_chat_message(
                chat_id=target.chat_id, message_id=int(part.ref), disable_notification=True
            )
        return None

    async def _stop_poll(self, poll_id: int) -> None:
        """Close the native poll sent for our poll (in the chat it was sent to); one already
        closed, or deleted from the chat, is left as it is."""
        where = await asyncio.to_thread(self.router.native_poll_message, poll_id, self.platform)
        if where is None:
            return
        chat_id, message_id = where
        try:
            await self.app.bot.stop_poll(chat_id=chat_id, message_id=int(message_id))
        except BadRequest as error:
            log.info("telegram.stop_poll_skipped poll=%s reason=%s", poll_id, error.message)

    async def edit(self, target: Target, message_id: str, message: Outgoing) -> None:
        text = message.text[: self.max_text]
        try:
            await self.app.bot.edit_message_text(
                chat_id=target.chat_id,
                message_id=int(message_id),
                text=formatting.to_html(text) if message.markdown else text,
                parse_mode=ParseMode.HTML if message.markdown else None,
                reply_markup=await self._keyboard(message.actions, target),
            )
        except BadRequest as error:
            if "not modified" in error.message.lower():
                return
            raise delivery_error(error) from error
        except TelegramError as error:
            raise delivery_error(error) from error

    async def _keyboard(
        self, actions: tuple[Any, ...], target: Target
    ) -> InlineKeyboardMarkup | None:
        if not actions:
            return None
        pressable = [a for a in actions if not a.is_link]
        tokens = await asyncio.to_thread(self._tokens, pressable, target)
        buttons = [
            InlineKeyboardButton(a.label, callback_data=token)
            for a, token in zip(pressable, tokens, strict=True)
        ]
        rows = [buttons[i : i + 2] for i in range(0, len(buttons), 2)]
        # a page link opens in the browser; each on its own row below the answer buttons
        rows += [[InlineKeyboardButton(a.label, url=a.url)] for a in actions if a.is_link]
        return InlineKeyboardMarkup(rows)

    def _tokens(self, actions: list[Any], target: Target) -> list[str]:
        return retried(
            lambda: self.router.button_tokens(
                [(a.command, a.owner) for a in actions], self.platform, target.chat_id
            ),
            what="telegram.buttons",
        )

"""Telegram via python-telegram-bot: updates in, neutral messages out. Translation only.

Long polling by default; webhook mode (our HTTP server, secret token checked on every request)
when TELEGRAM_WEBHOOK_URL is set. PTB's AIORateLimiter keeps within Telegram's flood limits and
pace sends; failures come back as a DeliveryError, permanent or not, and the caller decides:
a reply retries briefly and then hands the message to the outbox, the outbox reschedules.
"""

from __future__ import annotations

import asyncio
import hmac
import json
import logging
import os
from dataclasses import replace
from datetime import timedelta
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
from telegram.error import BadRequest, Forbidden, NetworkError, RetryAfter, TelegramError
from telegram.ext import AIORateLimiter, Application, ApplicationBuilder, ContextTypes, TypeHandler

from bot.http import HttpServer
from bot.router import Router, parse_command
from bot.transports import DeliveryError
from core import formatting
from core.config import Settings
from core.messages import ChatRef, EventKind, File, Incoming, Outgoing, Sender, Target
from core.outbox import enqueue
from handlers import membership
from handlers.registry import REGISTRY, Command
from models.enums import Platform

log = logging.getLogger("empirie.telegram")
ALLOWED_UPDATES = ["message", "edited_message", "callback_query", "my_chat_member",
                   "chat_member", "poll_answer"]
SECRET_HEADER = "X-Telegram-Bot-Api-Secret-Token"
WEBHOOK_MAX_BYTES = 256 * 1024  # an update is a few KB; files come by reference
REPLY_ATTEMPTS = 4
MAX_REPLY_WAIT = 5.0  # seconds a reply may wait for Telegram's retry_after before deferring


def loggable(chat_id: str) -> str:
    """Group chats have negative ids; a positive one is a user's private chat (personal)."""
    return chat_id if chat_id.startswith("-") else "private"


def _seconds(value: int | timedelta) -> float:
    return value.total_seconds() if isinstance(value, timedelta) else float(value)


def delivery_error(error: TelegramError) -> DeliveryError:
    """Sort Telegram's answers into retry-later and give-up, keeping the reason."""
    if isinstance(error, RetryAfter):
        return DeliveryError("rate_limited", permanent=False,
                             retry_after=_seconds(error.retry_after))
    if isinstance(error, Forbidden):  # blocked by the user, kicked from the group
        return DeliveryError(f"forbidden: {error.message}", permanent=True)
    if isinstance(error, BadRequest):  # chat not found, message malformed
        return DeliveryError(f"bad_request: {error.message}", permanent=True)
    if isinstance(error, NetworkError):  # includes TimedOut
        return DeliveryError(f"network: {error.message}", permanent=False)
    return DeliveryError(f"telegram: {error.message}", permanent=False)


class TelegramTransport:
    platform = Platform.TELEGRAM

    def __init__(self, router: Router, settings: Settings, http: HttpServer | None = None, *,
                 receive: bool = True) -> None:
        self.router = router
        self.settings = settings
        self.http = http
        self.receive = receive  # False: a worker that only sends
        self.webhook = bool(settings.telegram_webhook_url)
        builder: ApplicationBuilder[Any, Any, Any, Any, Any, Any] = (
            ApplicationBuilder().token(settings.telegram_bot_token)
            .rate_limiter(AIORateLimiter(
                overall_max_rate=settings.telegram_rate_overall,
                group_max_rate=settings.telegram_rate_group_per_minute, max_retries=0))
            .read_timeout(settings.telegram_read_timeout)
            .write_timeout(settings.telegram_read_timeout)
            .connect_timeout(settings.telegram_read_timeout)
            .pool_timeout(settings.telegram_read_timeout)
            .connection_pool_size(16)
        )
        if settings.telegram_api_base_url:
            base = settings.telegram_api_base_url.rstrip("/")
            builder = builder.base_url(f"{base}/bot").base_file_url(f"{base}/file/bot")
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
                raise RuntimeError("webhook mode needs TELEGRAM_WEBHOOK_SECRET (Telegram sends it "
                                   "with every update; requests without it are refused)")
            http.add_route("POST", urlsplit(settings.telegram_webhook_url).path or "/",
                           self._webhook)

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
            await self.app.bot.set_webhook(self.settings.telegram_webhook_url,
                                           secret_token=self.settings.telegram_webhook_secret
                                           or None,
                                           allowed_updates=ALLOWED_UPDATES)
        else:
            assert self.app.updater is not None
            await self.app.updater.start_polling(allowed_updates=ALLOWED_UPDATES,
                                                 poll_interval=0.0,
                                                 timeout=self.settings.telegram_poll_timeout)
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
            for scope_name, scope in (("private", BotCommandScopeAllPrivateChats()),
                                      ("group", BotCommandScopeAllGroupChats())):
                commands = [BotCommand(self._menu_name(c, language), t(c.summary)[:256])
                            for c in REGISTRY.commands()
                            if not c.hidden and c.scope in ("any", scope_name)]
                await self.app.bot.set_my_commands(
                    commands, scope=scope, language_code=None if language == "pl" else language)

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
            update = Update.de_json(data, self.app.bot)
        except Exception:
            log.warning("telegram.webhook_refused reason=malformed")
            return web.Response(status=400)
        await self.app.update_queue.put(update)
        return web.Response(status=200)

    def translate(self, update: Update) -> Incoming | None:
        """A Telegram update as the neutral event, or None when it is not for the bot."""
        event_id = str(update.update_id)
        if update.my_chat_member is not None:
            member = update.my_chat_member
            if member.new_chat_member.status in (ChatMemberStatus.LEFT, ChatMemberStatus.BANNED):
                return Incoming(self._sender(member.from_user), self._chat(member.chat),
                                EventKind.BOT_REMOVED, "", event_id)
            return None
        if update.poll_answer is not None:
            vote = update.poll_answer
            if vote.user is None:  # answered as a channel: not a person we know
                return None
            return Incoming(self._sender(vote.user),
                            ChatRef(Platform.TELEGRAM, str(vote.user.id), private=True),
                            EventKind.POLL_ANSWER,
                            " ".join([vote.poll_id, *map(str, vote.option_ids)]), event_id)
        if update.callback_query is not None:
            query = update.callback_query
            if query.message is None or not query.data:
                return None
            return Incoming(self._sender(query.from_user), self._chat(query.message.chat),
                            EventKind.ACTION, query.data, event_id)
        message = update.message
        if message is None or message.from_user is None:
            return None
        text = message.text or message.caption or ""
        if (not text and message.document is None) or not self._addressed_to_me(text):
            return None
        return Incoming(self._sender(message.from_user), self._chat(message.chat),
                        EventKind.TEXT, text, event_id)

    def _addressed_to_me(self, text: str) -> bool:
        """`/pomoc@OtherBot` in a group is for another bot."""
        if not text.startswith("/") or parse_command(text) is None:
            return True
        head = text.split(maxsplit=1)[0]
        return "@" not in head or head.split("@", 1)[1].lower() == self.username.lower()

    @staticmethod
    def _sender(user: Any) -> Sender:
        return Sender(Platform.TELEGRAM, str(user.id), user.username, user.full_name,
                      user.language_code)

    @staticmethod
    def _chat(chat: Any) -> ChatRef:
        return ChatRef(Platform.TELEGRAM, str(chat.id), private=chat.type == "private",
                       title=chat.title)

    async def _on_update(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        if update.callback_query is not None:
            try:  # stop the button's spinner whatever happens next
                await update.callback_query.answer()
            except TelegramError as error:
                log.warning("telegram.callback_answer_failed error=%s", type(error).__name__)
        incoming = self.translate(update)
        if incoming is None:
            return
        document = update.message.document if update.message else None
        if document is not None:
            data = await (await document.get_file()).download_as_bytearray()
            incoming = replace(incoming, files=(File(
                document.file_name or "plik", bytes(data),
                document.mime_type or "application/octet-stream"),))
        replies = await self.router.handle(incoming)
        here = Target(self.platform, incoming.chat.chat_id)
        for message in replies:
            await self.reply(message.to or here, message)

    async def reply(self, target: Target, message: Outgoing) -> None:
        """Answer someone now; retry what is transient so that nothing is silently dropped."""
        for attempt in range(1, REPLY_ATTEMPTS + 1):
            try:
                await self.send(target, message)
                return
            except DeliveryError as error:
                if error.permanent:
                    log.error("telegram.reply_failed chat=%s reason=%s", loggable(target.chat_id),
                              error.reason)
                    return
                if attempt == REPLY_ATTEMPTS or (error.retry_after or 0) > MAX_REPLY_WAIT:
                    # hand it to the outbox, which keeps trying without holding up other chats
                    with self.router.db.session() as s:
                        enqueue(s, target, message, self.router.clock.now(), kind="reply")
                    log.warning("telegram.reply_deferred chat=%s reason=%s",
                                loggable(target.chat_id), error.reason)
                    return
                await asyncio.sleep(error.retry_after or 0.5 * 2 ** attempt)

    # --- outgoing ------------------------------------------------------------------------

    async def send(self, target: Target, message: Outgoing) -> None:
        try:
            await self._send(target, message)
        except TelegramError as error:
            raise delivery_error(error) from error

    async def _send(self, target: Target, message: Outgoing) -> None:
        bot = self.app.bot
        chunks = formatting.split(message.text, MessageLimit.MAX_TEXT_LENGTH) \
            if message.text else []
        first_id: int | None = None
        for i, chunk in enumerate(chunks):
            last = i == len(chunks) - 1
            sent = await bot.send_message(
                chat_id=target.chat_id,
                text=formatting.to_html(chunk) if message.markdown else chunk,
                parse_mode=ParseMode.HTML if message.markdown else None,
                reply_markup=self._keyboard(message, target)
                if last and message.poll is None else None,
                link_preview_options=None)
            first_id = first_id or sent.message_id
        if message.poll is not None:  # the native poll replaces the buttons
            poll = await bot.send_poll(
                chat_id=target.chat_id, question=message.poll.question[:300],
                options=[o[:100] for o in message.poll.options],
                is_anonymous=message.poll.anonymous)
            if poll.poll is not None:
                self.router.native_poll_sent(message.poll.ref, self.platform, poll.poll.id)
        for file in message.files:
            await bot.send_document(chat_id=target.chat_id,
                                    document=InputFile(file.content, filename=file.name))
        if message.pin and first_id is not None:
            await bot.pin_chat_message(chat_id=target.chat_id, message_id=first_id,
                                       disable_notification=True)

    def _keyboard(self, message: Outgoing, target: Target) -> InlineKeyboardMarkup | None:
        if not message.actions:
            return None
        buttons = [InlineKeyboardButton(
            action.label, callback_data=self.router.button_token(
                action.command, self.platform, target.chat_id, action.owner))
            for action in message.actions if not action.is_link]
        rows = [buttons[i:i + 2] for i in range(0, len(buttons), 2)]
        # a page link opens in the browser; each on its own row below the answer buttons
        rows += [[InlineKeyboardButton(action.label, url=action.url)]
                 for action in message.actions if action.is_link]
        return InlineKeyboardMarkup(rows)

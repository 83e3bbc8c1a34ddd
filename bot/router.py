"""Turns one neutral Incoming into handler calls and neutral replies.

The single place where errors become polite Polish messages: a DomainError is the user's
mistake and is explained; anything else is logged with its traceback and the user gets a
short apology, never the traceback.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import re
from collections.abc import AsyncIterator, Callable
from dataclasses import replace
from datetime import datetime
from typing import Any

from sqlalchemy.exc import IntegrityError

from bot import metrics, workers
from core import links
from core.clock import Clock
from core.config import Settings
from core.i18n import Translator
from core.messages import TOAST_LIMIT, WEB, ChatRef, EventKind, Incoming, Outgoing, Sender, Target
from core.outbox import enqueue
from handlers import load_all
from handlers.kit.context import Context
from handlers.kit.limits import MAX_MESSAGE
from handlers.kit.registry import REGISTRY, Registry
from models import buttons, conversations, directory
from models.core import Person, ProcessedEvent
from models.db import Database, is_disconnect
from models.errors import N_, DomainError, Nn_
from models.outbox import REPLY

log = logging.getLogger("empirie.router")
# Worker threads for updates (bot.workers): SQLite has one writer (a unit holds its lock from
# BEGIN IMMEDIATE to COMMIT), so one; on PostgreSQL a few, within the engine's pool (5 + 5
# overflow) beside the dispatchers. Concurrent updates rely on the database for what must not
# race: unique keys, and row locks where a handler reads then writes (e.g. an RSVP locks its
# meeting before counting the seats).
UPDATE_WORKERS_POSTGRES = 4
# Presses of one chat handled in one transaction at most (bot.router.Router._pressed): a
# larger batch holds a worker longer (on SQLite the only one) while other chats wait.
MAX_BATCH = 16
LOST_DATABASE = N_(
    "I lost the connection to my database for a moment and could not finish "
    "this. Please send it again."
)
BUTTON_INVALID = N_(
    "This button is no longer valid. Type the command instead, or /pomoc for the list."
)
_COMMAND = re.compile(r"^/([A-Za-z0-9_]+)(?:@\S+)?(?:\s+(.*))?$", re.DOTALL)


def where(ctx: Context) -> str:
    """Who and where, for logs: the person's id, a group's chat id, never a private chat id
    (on Telegram that is the user's own id, i.e. personal data)."""
    return _where(ctx.person.id if ctx.person else None, ctx.incoming)


def _where(person: int | None, incoming: Incoming) -> str:
    chat = "private" if incoming.chat.private else incoming.chat.chat_id
    return f"person={person} chat={chat}"


def parse_command(text: str) -> tuple[str, str] | None:
    match = _COMMAND.match(text.strip())
    if match is None:
        return None
    return match.group(1).lower(), (match.group(2) or "").strip()


class Router:
    def __init__(
        self, db: Database, clock: Clock, settings: Settings, registry: Registry = REGISTRY
    ) -> None:
        load_all()
        self.db, self.clock, self.settings, self.registry = db, clock, settings, registry
        self.wake_outbox: Callable[[], None] = lambda: None  # the app connects the scheduler
        self._turns: dict[tuple[str, str], asyncio.Lock] = {}
        self._button_key: bytes | None = None  # signs button tokens (models.buttons)
        self._presses: dict[tuple[str, str], list[tuple[Incoming, asyncio.Future[Any]]]] = {}
        self.workers = workers.shared(UPDATE_WORKERS_POSTGRES if db.is_postgres else 1)
        if links.enabled(settings):  # make (or read) the link secret now, outside any handler's
            links.signer(db, settings, clock.now())  # transaction (SQLite has one writer)

    def translator(self, language: str | None) -> Translator:
        return Translator(language or self.settings.default_language, self.settings.tz)

    def _context(self, incoming: Incoming, woken: list[bool]) -> Context:
        with self.db.session() as s:
            person = directory.person_by_account(
                s, incoming.sender.platform, incoming.sender.user_id
            )
            if person is not None and person.erased_at is not None:
                person = None
            network = directory.chat_network(s, incoming.chat.platform, incoming.chat.chat_id)
        return Context(
            self.db,
            self.clock,
            self.settings,
            incoming,
            person,
            network,
            self.translator(person.language if person else None),
            wake_outbox=lambda: woken.append(True),
        )

    def _first_delivery(self, incoming: Incoming) -> bool:
        if incoming.event_id is None:
            return True
        try:
            with self.db.session() as s:
                s.add(
                    ProcessedEvent(
                        platform=incoming.chat.platform,
                        event_id=incoming.event_id,
                        at=self.clock.now(),
                    )
                )
        except IntegrityError:
            log.info(
                "event.duplicate platform=%s event=%s", incoming.chat.platform, incoming.event_id
            )
            return False
        return True

    def native_poll_sent(
        self, poll_id: int, platform: str, native_id: str, message_id: str | None = None
    ) -> None:
        """A transport sent a native poll: remember its id for the votes that come back, and
        its message's id to stop it when the poll closes."""
        from handlers.feedback.adhoc import link_native

        with self.db.session() as s:
            link_native(s, poll_id, platform, native_id, message_id)

    def native_poll_message(self, poll_id: int, platform: str) -> tuple[str, str] | None:
        """(chat, message id) of the native poll sent for our poll on this platform."""
        from handlers.feedback.adhoc import native_message

        with self.db.session() as s:
            return native_message(s, poll_id, platform)

    def button_token(
        self, command: str, platform: str, chat_id: str, owner: int | None = None
    ) -> str:
        return self.button_tokens([(command, owner)], platform, chat_id)[0]

    def button_tokens(
        self, actions: list[tuple[str, int | None]], platform: str, chat_id: str
    ) -> list[str]:
        """Tokens for a message's buttons (command, owner), all in one transaction."""
        with self.db.session() as s:
            now = self.clock.now()
            if self._button_key is None:
                self._button_key = buttons.key(s, now)
            return [
                buttons.issue(s, command, platform, chat_id, now, owner, self._button_key)
                for command, owner in actions
            ]

    def _signing_key(self) -> bytes:
        if self._button_key is None:
            with self.db.session() as s:
                self._button_key = buttons.key(s, self.clock.now())
        return self._button_key

    def _resolvable(self, incoming: Incoming) -> bool:
        """An unsigned token (issued before signing): one indexed lookup."""
        with self.db.session() as s:
            found = buttons.resolve(
                s, incoming.text, incoming.chat.platform, incoming.chat.chat_id, self.clock.now()
            )
            return found is not None

    async def _forged(self, incoming: Incoming) -> list[Outgoing] | None:
        """A press of a button we did not make for this chat (forged, or copied from another
        chat), or an unsigned one the store does not know: refused at once, before any other
        work (no transaction, no wait for the chat's turn). None: a button to handle."""
        if self._button_key is None:
            await asyncio.to_thread(self._signing_key)
        assert self._button_key is not None
        verdict = buttons.signed(
            incoming.text, incoming.chat.platform, incoming.chat.chat_id, self._button_key
        )
        if verdict is None:
            verdict = await asyncio.to_thread(self._resolvable, incoming)
        if verdict:
            return None
        log.info("button.refused platform=%s %s", incoming.chat.platform, _where(None, incoming))
        t = self.translator(None)
        return self._acknowledge(incoming, t, [Outgoing(t(BUTTON_INVALID))])

    async def handle(self, incoming: Incoming, queue_to: Target | None = None) -> list[Outgoing]:
        """One update, start to end, as one database transaction on a worker thread (see
        bot.workers): the caller's event loop stays free for other chats meanwhile.
        `queue_to`: the replies go into the outbox (addressed there unless they name their
        own chat) in that same transaction, and none are returned."""
        woken: list[bool] = []
        with metrics.UPDATE_SECONDS.labels(incoming.chat.platform).time():
            if incoming.kind is EventKind.ACTION and queue_to is None:
                refused = await self._forged(incoming)
                if refused is not None:
                    return refused
                replies = await self._pressed(incoming, woken)
            else:
                async with self._turn(incoming.chat):
                    replies = await self.workers.run(
                        lambda: self._handle(incoming, woken, queue_to)
                    )
        if woken:  # after the commit, on the caller's loop: the dispatcher sees the rows
            self.wake_outbox()
        return replies

    async def _pressed(self, incoming: Incoming, woken: list[bool]) -> list[Outgoing]:
        """A button press. The presses of a chat that queued up while its turn was taken are
        handled together when it comes, in the order they came (so one person's in theirs),
        as one transaction (group commit: one commit, one trip to the workers, instead of
        one each), each press a step of it that a crash undoes alone."""
        key = (incoming.chat.platform, incoming.chat.chat_id)
        mine: asyncio.Future[list[Outgoing]] = asyncio.get_running_loop().create_future()
        queue = self._presses.setdefault(key, [])
        queue.append((incoming, mine))
        try:
            async with self._turn(incoming.chat):
                if not mine.done():  # not taken along by an earlier press: first in the queue
                    batch = queue[:MAX_BATCH]
                    del queue[:MAX_BATCH]
                    try:
                        results = await self.workers.run(
                            lambda: self._handle_presses([i for i, _ in batch], woken)
                        )
                    except BaseException as error:
                        for _, future in batch:
                            if not future.done():
                                future.set_exception(error)
                        raise
                    for (_, future), replies in zip(batch, results, strict=True):
                        if not future.done():
                            future.set_result(replies)
        finally:
            if not queue and self._presses.get(key) is queue:
                self._presses.pop(key, None)
        return await mine

    async def _handle_presses(
        self, batch: list[Incoming], woken: list[bool]
    ) -> list[list[Outgoing]]:
        """Presses of one chat in one transaction; if it fails as a whole (its connection
        died, its commit failed) nothing of it is stored, and each press runs on its own."""
        if len(batch) == 1:
            return [await self._handle(batch[0], woken)]
        try:
            steps: list[list[bool]] = []
            with self.db.unit():
                results = []
                for incoming in batch:
                    steps.append([])
                    results.append(await self._handle(incoming, steps[-1], step=True))
            woken.extend(w for step in steps for w in step)
            return results
        except Exception as error:
            log.warning(
                "presses.batch_failed platform=%s size=%d error=%s",
                batch[0].chat.platform,
                len(batch),
                type(error).__name__,
            )
        return [await self._handle(incoming, woken) for incoming in batch]

    @contextlib.asynccontextmanager
    async def _turn(self, chat: ChatRef) -> AsyncIterator[None]:
        """One update per chat at a time goes to the workers; the rest of that chat's wait
        here, on the caller's loop. The workers' queue is first come, first served: without
        this, 40 presses in a busy group would all queue ahead of someone's private /pomoc."""
        key = (chat.platform, chat.chat_id)
        lock = self._turns.setdefault(key, asyncio.Lock())
        try:
            async with lock:
                yield
        finally:
            if not lock.locked() and not lock._waiters:
                self._turns.pop(key, None)

    def _queue(
        self, replies: list[Outgoing], here: Target | None, woken: list[bool], since: datetime
    ) -> list[Outgoing]:
        """Put in the outbox's reply lane the replies that name their chat (all of them when
        `here` is given), dated when the update began (`since`: they overtake bulk work
        queued before, not what the update queued); returns the rest. Inside a unit, part of
        its transaction."""
        queued = [(m.to or here, m) for m in replies if (m.to or here) is not None]
        if queued:
            with self.db.session() as s:
                for target, message in queued:
                    assert target is not None
                    enqueue(s, target, message, since, kind=REPLY)
            woken.append(True)
        return [m for m in replies if (m.to or here) is None]

    async def _handle(
        self,
        incoming: Incoming,
        woken: list[bool],
        queue_to: Target | None = None,
        retried: bool = False,
        unconfirmed: list[Outgoing] | None = None,
        since: datetime | None = None,
        step: bool = False,
    ) -> list[Outgoing]:
        """One update as one transaction; `step`: as one step of a unit already open (see
        `_handle_presses`), whose failure as a whole (a lost connection) is the caller's."""
        ctx: Context | None = None
        here = _where(None, incoming)  # ids read now: a rolled-back unit detaches expired rows
        since = since or self.clock.now()
        replies: list[Outgoing] | None = None
        try:
            with self.db.step() if step else self.db.unit():
                if not self._first_delivery(incoming):
                    if unconfirmed is not None:  # our own first try did commit: its answer
                        log.info("db.commit_confirmed platform=%s", incoming.chat.platform)
                        return self._answered(incoming, ctx, unconfirmed)
                    return [Outgoing("", ack=True)] if incoming.kind is EventKind.ACTION else []
                ctx = self._context(incoming, woken)
                here = where(ctx)
                try:
                    self._refuse_unacceptable(incoming)
                    replies = self._owned(ctx, await self._dispatch(ctx))
                except DomainError as error:
                    replies = self._refusal(ctx, Outgoing(ctx.t(error.msgid, **error.params)))
                if queue_to is not None:
                    return self._queue(replies, queue_to, woken, since)
        except Exception as error:
            # The whole update is rolled back, its ProcessedEvent row too, so a platform's
            # retry of this event gets through; nothing was committed to deliver.
            if step and is_disconnect(error):
                raise
            woken.clear()
            t = ctx.t if ctx is not None else self.translator(None)
            if is_disconnect(error):  # the connection died (restart, failover): run it again
                log.warning(
                    "db.disconnected platform=%s attempt=%d", incoming.chat.platform, 1 + retried
                )
                if not retried:
                    # The connection may have died in the commit's answer, after the commit:
                    # then the second try finds the event done, and answers with the replies
                    # of this one (they describe what was stored), not with silence.
                    pending = replies if queue_to is None else None
                    return await self._handle(incoming, woken, queue_to, True, pending, since)
                replies = [Outgoing(t(LOST_DATABASE))]
            else:
                log.exception("handler.crash platform=%s %s", incoming.chat.platform, here)
                replies = [
                    Outgoing(
                        t(
                            "Sorry, something went wrong on my side. Please try "
                            "again in a moment; if it keeps happening, tell your "
                            "coordinator."
                        )
                    )
                ]
            if queue_to is not None:
                return self._queue(replies, queue_to, woken, since)
        assert replies is not None
        return self._answered(incoming, ctx, replies)

    def _answered(
        self, incoming: Incoming, ctx: Context | None, replies: list[Outgoing]
    ) -> list[Outgoing]:
        if incoming.kind is EventKind.ACTION:
            return self._acknowledge(incoming, ctx.t if ctx else self.translator(None), replies)
        return replies

    @staticmethod
    def _refusal(ctx: Context, refusal: Outgoing) -> list[Outgoing]:
        """A refusal is for the one refused: a command typed in a group by someone the bot
        can write to is refused privately (a stranger has no private chat: the group it is)."""
        if ctx.incoming.kind is EventKind.TEXT and not ctx.private and ctx.person is not None:
            return ctx.privately([refusal], say_so=False)
        return [refusal]

    @staticmethod
    def _acknowledge(incoming: Incoming, t: Translator, replies: list[Outgoing]) -> list[Outgoing]:
        """A press is answered to the presser only (see core.messages): one short `ack`
        first. In a group the toast is all there is, and whatever else would have gone to the
        group goes privately to the presser; in a private chat the replies stay there too."""
        ack = next((m for m in replies if m.ack), None)
        rest = [m for m in replies if m is not ack]
        here = [m for m in rest if m.to is None]
        if ack is None and here:
            first = here[0]
            if incoming.chat.private:
                line = first.text.strip().splitlines()[0] if first.text.strip() else ""
                ack = Outgoing(line if len(line) <= TOAST_LIMIT else "", ack=True)
            elif len(first.text) <= TOAST_LIMIT and not first.files and not first.actions:
                ack = replace(first, ack=True)
                rest.remove(first)
        if not incoming.chat.private:
            presser = Target(incoming.sender.platform, incoming.sender.user_id)
            rest = [replace(m, to=presser) if m.to is None else m for m in rest]
        if ack is None:
            sent_private = not incoming.chat.private and any(m.to is not None for m in rest)
            ack = Outgoing(
                t("The answer is in our private chat.") if sent_private else "", ack=True
            )
        return [replace(ack, text=ack.text[:TOAST_LIMIT], to=None), *rest]

    async def handle_for(
        self, person: Person, text: str, language: str
    ) -> tuple[bool, list[Outgoing]]:
        """Run a typed command for a person known by other means (a signed page link), through
        the same handlers and rules as in chat, in a private chat of the neutral `web` platform,
        as one transaction on a worker thread like `handle`. Replies that name their chat go
        into the outbox in that transaction; returns whether it succeeded and the rest (a
        refusal is one polite reply)."""
        woken: list[bool] = []
        result = await self.workers.run(lambda: self._handle_for(person, text, language, woken))
        if woken:
            self.wake_outbox()
        return result

    async def _handle_for(
        self, person: Person, text: str, language: str, woken: list[bool], retried: bool = False
    ) -> tuple[bool, list[Outgoing]]:
        since = self.clock.now()
        incoming = Incoming(
            Sender(WEB, str(person.id)),
            ChatRef(WEB, str(person.id), private=True),
            EventKind.TEXT,
            text,
        )
        ctx = Context(
            self.db,
            self.clock,
            self.settings,
            incoming,
            person,
            None,
            self.translator(language),
            wake_outbox=lambda: woken.append(True),
        )
        try:
            with self.db.unit():
                try:
                    self._refuse_unacceptable(incoming)
                    replies = await self._dispatch(ctx)
                    return True, self._queue(replies, None, woken, since)
                except DomainError as error:
                    return False, [Outgoing(ctx.t(error.msgid, **error.params))]
        except Exception as error:
            woken.clear()  # rolled back: nothing to deliver
            if is_disconnect(error):
                log.warning("db.disconnected platform=%s attempt=%d", WEB, 1 + retried)
                if not retried:
                    return await self._handle_for(person, text, language, woken, retried=True)
                return False, [Outgoing(ctx.t(LOST_DATABASE))]
            log.exception("handler.crash platform=%s person=%s", WEB, person.id)
            return False, [
                Outgoing(
                    ctx.t(
                        "Sorry, something went wrong on my side. Please try "
                        "again in a moment; if it keeps happening, tell your "
                        "coordinator."
                    )
                )
            ]

    @staticmethod
    def _owned(ctx: Context, replies: list[Outgoing]) -> list[Outgoing]:
        """Buttons in a reply act for the person who asked: pressed by anyone else (in a
        group) they are refused."""
        if ctx.person is None:
            return replies
        return [
            replace(
                m,
                actions=tuple(
                    a if a.owner is not None else replace(a, owner=ctx.person.id) for a in m.actions
                ),
            )
            if m.actions
            else m
            for m in replies
        ]

    @staticmethod
    def _refuse_unacceptable(incoming: Incoming) -> None:
        """Input no handler should see: a NUL byte (PostgreSQL refuses it), a flood of text."""
        if "\x00" in incoming.text:
            raise DomainError(
                N_(
                    "The message contains a NUL character, which I cannot store. "
                    "Please type it again."
                )
            )
        if len(incoming.text) > MAX_MESSAGE:
            raise DomainError(
                N_("The message is too long for me (at most {most})."),
                most=Nn_("{n} character", "{n} characters", MAX_MESSAGE),
            )

    async def _dispatch(self, ctx: Context) -> list[Outgoing]:
        incoming = ctx.incoming
        if incoming.kind is EventKind.BOT_REMOVED:
            from handlers.membership.chats import bot_removed

            return await bot_removed(ctx)
        if incoming.kind is EventKind.BOT_ADDED:
            from handlers.group_chats import bot_added

            return await bot_added(ctx)
        if incoming.kind is EventKind.CHAT_MOVED:
            from handlers.group_chats import chat_moved

            return await chat_moved(ctx, incoming.text)
        if incoming.kind is EventKind.POLL_ANSWER:
            from handlers.feedback.adhoc import native_vote

            return await native_vote(ctx, incoming.text)
        text = incoming.text
        if incoming.kind is EventKind.ACTION:
            with self.db.session() as s:
                token = buttons.resolve(
                    s, text, incoming.chat.platform, incoming.chat.chat_id, self.clock.now()
                )
            command = token.payload if token is not None else None
            if (
                token is not None
                and token.person_id is not None
                and (ctx.person is None or ctx.person.id != token.person_id)
            ):
                log.info("button.not_yours platform=%s %s", incoming.chat.platform, where(ctx))
                return [Outgoing(ctx.t("This button is for someone else."))]
            if command is None:
                log.info("button.refused platform=%s %s", incoming.chat.platform, where(ctx))
                return [Outgoing(ctx.t(BUTTON_INVALID))]
            text = command
        parsed = parse_command(text)
        if parsed is not None:
            name, args = parsed
            command_def = self.registry.lookup(name)
            if command_def is None:
                return [
                    Outgoing(
                        ctx.t(
                            "I don't know the command /{name}. Type /pomoc to see what you can do.",
                            name=name,
                        )
                    )
                ]
            log.info(
                "command name=%s platform=%s %s",
                command_def.name,
                incoming.chat.platform,
                where(ctx),
            )
            command_def.gate(ctx)
            replies = await command_def.run(ctx, args)
            return ctx.privately(replies) if command_def.private else replies
        return await self._continue_flow(ctx, text)

    async def _continue_flow(self, ctx: Context, text: str) -> list[Outgoing]:
        person: Person | None = ctx.person
        if person is not None:
            with self.db.session() as s:
                conv = conversations.current(
                    s, ctx.incoming.chat.platform, ctx.incoming.chat.chat_id, person.id or 0
                )
            if conv is not None:
                flow = self.registry.flow_handler(conv.flow)
                if flow is not None:
                    return await flow(ctx, conv, text.strip())
        elif ctx.private:
            for handler in self.registry.stranger_handlers():
                replies = await handler(ctx, text.strip())
                if replies is not None:
                    return replies
        if ctx.private:
            return [
                Outgoing(ctx.t("Commands start with a slash. Type /pomoc to see what you can do."))
            ]
        return []  # ordinary group conversation is not for the bot

"""Delivering the outbox: claim due rows, send their parts paced per chat, mark each row once.

Chats are served in parallel and claiming goes on while deliveries run, so a message to a quiet
chat never waits behind a busy group. Answers to people who just wrote (the reply lane, see
models.outbox) are claimed on their own, at least every POLL seconds while a pass runs, and
paced as urgent (bot.pacing): a reply never waits behind a broadcast. Each part of a message (text chunks, files, the pin) goes
out once: progress is recorded after every part and a retry resumes after the last one sent.
The transport's pacer keeps the platform's limits (one message per second per chat, groups and
overall too) so that 429s are not provoked; if one comes anyway, the row is retried after the
platform's retry_after, and later messages to that chat wait behind it (see models.outbox).
A permanent failure is recorded with its reason.
"""

from __future__ import annotations

import asyncio
import base64
import contextlib
import functools
import logging
import os
import socket
import time
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable, Mapping
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, replace
from datetime import timedelta
from typing import Any, TypeVar

from bot.transports import DeliveryError, Transport
from core.clock import Clock
from core.formatting import split
from core.messages import Action, File, Outgoing, PollSpec, Target, parts
from core.outbox import render_live
from models import outbox
from models.blobs import Blob
from models.chat_moves import move_chat
from models.db import Database, is_disconnect, retried
from models.outbox import EDIT, REPLY, OutboxMessage

log = logging.getLogger("empirie.outbox")
T = TypeVar("T")
POLL = 0.2  # seconds between claims while deliveries are running
REPLY_CONCURRENCY = 10  # replies delivered at once, beside the bulk lane's `concurrency`
DB_THREADS = 4  # the outbox's database work runs on threads of its own (see _threads)


_POOL: list[ThreadPoolExecutor] = []
_MARKER: list[ThreadPoolExecutor] = []
_OWNERS: set[str] = set()  # the dispatchers of this process: alive, whatever their pid says


def _threads() -> ThreadPoolExecutor:
    """The outbox's own threads for its database work (claims, marks), one pool per process:
    in the shared default pool a broadcast's hundreds of marks would queue ahead of the
    database check of a reply to someone who just wrote."""
    if not _POOL:
        _POOL.append(ThreadPoolExecutor(DB_THREADS, thread_name_prefix="outbox"))
    return _POOL[0]


def _marker() -> ThreadPoolExecutor:
    """The one thread that records sends (see OutboxDispatcher._mark): never queued behind
    claims or renewals, and one commit for every send finished meanwhile."""
    if not _MARKER:
        _MARKER.append(ThreadPoolExecutor(1, thread_name_prefix="outbox-mark"))
    return _MARKER[0]


def _pid_namespace() -> str:
    try:
        return "".join(c for c in os.readlink("/proc/self/ns/pid") if c.isdigit())[:12]
    except OSError:
        return "0"


def owner_id() -> str:
    """host/pid-namespace/pid/random: tells a later process on the same machine whether the
    holder of a lease is still running (see `dead_owner`)."""
    host = socket.gethostname()[:28]
    return f"{host}/{_pid_namespace()}/{os.getpid()}/{uuid.uuid4().hex[:8]}"


def dead_owner(owner: str) -> bool:
    """Whether the lease holder `owner` is a process of this machine (and PID namespace) that
    is not running any more. Anything else — another machine or container, a process still
    there, a name of another form — is taken for alive: its leases simply run out."""
    parts = owner.split("/")
    if len(parts) != 4 or owner in _OWNERS or not parts[2].isdigit():
        return False
    host, namespace, pid = parts[0], parts[1], int(parts[2])
    if host != socket.gethostname()[:28] or namespace != _pid_namespace():
        return False
    if pid == os.getpid():
        return True  # an earlier process that had our pid (not one of this process's)
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return True
    except OSError:
        return False  # it exists (another user's)
    return False


@dataclass(frozen=True)
class _Mark:
    row_id: int
    final: bool  # the row is sent; otherwise parts up to `parts_done` are
    parts_done: int
    sent_ids: list[str]


class LeaseLost(Exception):
    """This process no longer holds the row's lease: another one delivers it."""


def backoff(attempts: int) -> timedelta:
    return timedelta(seconds=min(2**attempts, 600))


def message_of(payload: dict[str, Any], files: list[File]) -> Outgoing:
    return Outgoing(
        payload.get("text", ""),
        actions=tuple(Action(*spec) for spec in payload["actions"]),
        files=tuple(files),
        markdown=payload.get("markdown", False),
        pin=payload.get("pin", False),
        poll=_poll(payload.get("poll")),
        stop_poll=payload.get("stop_poll"),
    )


def _poll(spec: dict[str, Any] | None) -> PollSpec | None:
    if not spec:
        return None
    return PollSpec(
        int(spec["ref"]),
        spec["question"],
        tuple(spec["options"]),
        bool(spec.get("anonymous", True)),
    )


class OutboxDispatcher:
    def __init__(
        self,
        db: Database,
        clock: Clock,
        transports: Mapping[str, Transport],
        *,
        owner: str | None = None,
        lease: timedelta = timedelta(seconds=60),
        batch: int = 50,
        concurrency: int = 30,
        max_attempts: int = 8,
        unrecorded: int = 5,
        after_batch: Callable[[], Awaitable[None]] | None = None,
    ) -> None:
        self.db, self.clock, self.transports = db, clock, transports
        self.owner = owner or owner_id()
        _OWNERS.add(self.owner)
        self.lease, self.batch, self.max_attempts = lease, batch, max_attempts
        self.concurrency = concurrency
        self.after_batch = after_batch
        self._lock = asyncio.Lock()
        self._in_flight: set[int] = set()
        self._leased: dict[int, float] = {}  # row → when its lease was last set (monotonic)
        self._marks: list[tuple[_Mark, asyncio.Future[bool]]] = []
        self._marking: asyncio.Task[None] | None = None
        self._released = False  # the leases of dead processes (at the first pass)
        self.unrecorded = unrecorded
        self._unrecorded: dict[str, asyncio.Semaphore] = {}  # per platform, see _send_parts

    async def run_once(self) -> int:
        """Deliver everything due now; returns how many rows were handled."""
        if self._lock.locked():
            return 0  # the running pass keeps claiming and will see new rows
        async with self._lock:
            if not self._released:
                self._released = await self._db_or(False, self._release_dead)
            handled = 0
            while n := await self._drain():
                handled += n
                if self.after_batch is not None:
                    await self.after_batch()  # e.g. a finished broadcast's delivery report
            return handled

    async def flush(self) -> int:
        """Wait for a running pass to end, then deliver what is still due (e.g. on exit)."""
        async with self._lock:
            pass
        return await self.run_once()

    async def _drain(self) -> int:
        handled = 0
        bulk: set[asyncio.Task[None]] = set()
        replies: set[asyncio.Task[None]] = set()
        blobs: dict[int, File] = {}
        renewed = time.monotonic()
        replies_claimed = float("-inf")
        while True:
            if self._in_flight and time.monotonic() - renewed > self.lease.total_seconds() / 3:
                await self._db_or(None, self._renew, list(self._in_flight), time.monotonic())
                renewed = time.monotonic()
            room = REPLY_CONCURRENCY - len(replies)
            if room > 0 and time.monotonic() - replies_claimed >= POLL:
                replies_claimed = time.monotonic()
                for row in await self._claims(min(self.batch, room), True):
                    handled += self._start(row, blobs, replies, replies_claimed)
            room = self.concurrency - len(bulk)
            if not bulk or room >= max(1, self.concurrency // 2):  # claim in batches
                claimed = time.monotonic()
                for row in await self._claims(min(self.batch, room), False):
                    handled += self._start(row, blobs, bulk, claimed)
            if not bulk and not replies:
                return handled
            done, _ = await asyncio.wait(
                bulk | replies, timeout=POLL, return_when=asyncio.FIRST_COMPLETED
            )
            bulk -= done
            replies -= done

    def _start(
        self, row: OutboxMessage, blobs: dict[int, File], lane: set[Any], claimed: float
    ) -> int:
        if row.id in self._in_flight:  # its lease ran out while sending: renewed
            return 0
        self._in_flight.add(row.id or 0)
        self._leased[row.id or 0] = claimed
        lane.add(asyncio.create_task(self._deliver(row, blobs)))
        return 1

    async def _db(self, work: Callable[..., T], *args: Any) -> T:
        """A delivery's database work, on a thread; run again on a fresh connection when the
        one it had died (every step here is safe to repeat): a lost connection never costs
        a send its mark, nor a pass its end."""
        what = "outbox." + getattr(work, "__name__", "work").lstrip("_")
        call = functools.partial(retried, functools.partial(work, *args), 4, what)
        return await asyncio.get_running_loop().run_in_executor(_threads(), call)

    async def _db_or(self, fallback: T, work: Callable[..., T], *args: Any) -> T:
        """`_db`, or `fallback` while the database stays away (the pass goes on: a claim or
        a renewal is simply tried again at its next turn)."""
        try:
            return await self._db(work, *args)
        except Exception as error:
            if not is_disconnect(error):
                raise
            log.warning("outbox.db_unavailable work=%s", getattr(work, "__name__", "work"))
            return fallback

    async def _claims(self, limit: int, replies: bool) -> list[OutboxMessage]:
        none: list[OutboxMessage] = []
        return await self._db_or(none, self._claim, limit, replies)

    def _renew(self, row_ids: list[int], at: float) -> None:
        """Extend the leases of the rows being delivered (`at`: the monotonic time before)."""
        with self.db.session() as s:
            ours = set(outbox.renew(s, row_ids, self.owner, self.clock.now() + self.lease))
        for row_id in row_ids:
            if row_id in ours:
                self._leased[row_id] = at
            else:
                self._leased.pop(row_id, None)

    def _claim(self, limit: int, replies: bool) -> list[OutboxMessage]:
        with self.db.session() as s:
            return list(
                outbox.claim_due(
                    s,
                    now=self.clock.now(),
                    owner=self.owner,
                    lease=self.lease,
                    limit=limit,
                    platforms=list(self.transports),
                    replies=replies,
                )
            )

    def _files(self, row: OutboxMessage, blobs: dict[int, File]) -> list[File]:
        files = []
        for spec in row.payload.get("files", []):
            if "blob" in spec:
                if spec["blob"] not in blobs:
                    with self.db.session() as s:
                        blob = s.get(Blob, spec["blob"])
                    if blob is None:
                        raise DeliveryError("attachment missing", permanent=True)
                    blobs[spec["blob"]] = File(blob.name, blob.content, blob.mime)
                files.append(blobs[spec["blob"]])
            else:
                files.append(File(spec["name"], base64.b64decode(spec["b64"]), spec["mime"]))
        return files

    async def _deliver(self, row: OutboxMessage, blobs: dict[int, File]) -> None:
        try:
            await self._deliver_row(row, blobs)
        finally:
            self._in_flight.discard(row.id or 0)
            self._leased.pop(row.id or 0, None)

    async def _deliver_row(self, row: OutboxMessage, blobs: dict[int, File]) -> None:
        transport = self.transports[row.platform]
        target = Target(row.platform, row.chat_id)
        recorded = False  # the row is marked sent already (with its last part)
        try:
            if row.kind == EDIT:
                await self._edit(row, transport, target)
            else:
                recorded = await self._send_parts(row, transport, target, blobs)
        except LeaseLost:
            log.warning("outbox.lease_lost id=%s parts_done=%s", row.id, row.parts_done)
            return
        except DeliveryError as error:
            if error.moved_to:  # the chat lives on under a new id: follow it, send again
                await self._db(self._moved, row, error.moved_to)
            await self._db(self._failed, row, error)
            return
        except Exception as error:  # a bug or an unexpected library error: retry later
            log.exception("outbox.unexpected id=%s", row.id)
            await self._db(
                self._failed,
                row,
                DeliveryError(f"unexpected: {type(error).__name__}", permanent=False),
            )
            return
        if not recorded and not await self._mark(row, final=True):
            log.warning("outbox.lease_lost id=%s", row.id)

    @staticmethod
    async def _paced(transport: Transport, row: OutboxMessage) -> None:
        """Wait for the chat's booked slot (then, right before the request, the caller waits
        for `pacer.admit`, which `pacer.sent` must follow whatever the outcome)."""
        delay = transport.pacer.reserve(row.chat_id, urgent=row.kind == REPLY)
        if delay:
            await asyncio.sleep(delay)

    async def _send_parts(
        self, row: OutboxMessage, transport: Transport, target: Target, blobs: dict[int, File]
    ) -> bool:
        """Send the parts not sent yet, each recorded the moment it went out, the last one
        with the row's "sent" mark; whether that mark is made (else the caller makes it)."""
        files = await self._db(self._files, row, blobs) if row.payload.get("files") else []
        message = message_of(row.payload, files)
        if not hasattr(transport, "send_part"):  # a whole-message transport paces itself
            await transport.send(target, message)  # type: ignore[attr-defined]
            return False
        todo = parts(message, transport.max_text, getattr(transport, "native_polls", False))
        ids = list(row.sent_ids or [])[: row.parts_done]
        row_parts_before = row.parts_done  # resumed after these
        for index in range(row.parts_done, len(todo)):
            part = todo[index]
            if part.kind == "pin":
                part = replace(part, ref=ids[0] if ids and ids[0] else None)
            await self._paced(transport, row)
            if index == row.parts_done and not await self._still_ours(row):
                raise LeaseLost  # stalled past the lease; another process has the row now
            async with self._recording(row):
                await transport.pacer.admit(row.chat_id, urgent=row.kind == REPLY)
                try:
                    sent = await transport.send_part(target, part)
                finally:
                    transport.pacer.sent(row.chat_id)
                ids.append(sent or "")
                row.parts_done, row.sent_ids = index + 1, ids
                at = time.monotonic()
                if not await self._mark(row, final=index + 1 == len(todo)):
                    raise LeaseLost
                self._leased[row.id or 0] = at  # the lease was extended with the mark
        return row_parts_before < len(todo)  # the last part went out with the row's mark

    @contextlib.asynccontextmanager
    async def _recording(self, row: OutboxMessage) -> AsyncIterator[None]:
        """Held from a bulk send until its record is committed: at most `unrecorded` sends
        per platform are delivered and not yet recorded — all a SIGKILL can make us repeat,
        however slow the database or the machine is at that moment. Replies do not wait
        here (behind a broadcast); at most REPLY_CONCURRENCY of them are in flight."""
        if row.kind == REPLY:
            yield
            return
        lane = self._unrecorded.setdefault(row.platform, asyncio.Semaphore(self.unrecorded))
        async with lane:
            yield

    async def _edit(self, row: OutboxMessage, transport: Transport, target: Target) -> None:
        if not hasattr(transport, "edit"):
            raise DeliveryError("edit not supported on this platform", permanent=True)
        original, fresh = await self._db(self._original, row)
        message = fresh or message_of(row.payload, [])
        if original is None:
            raise DeliveryError("nothing to edit", permanent=True)
        texts = len(split(original.payload.get("text", ""), transport.max_text))
        ids = original.sent_ids or []
        if original.parts_done < texts or not ids[texts - 1]:
            raise DeliveryError("nothing to edit", permanent=True)
        await self._paced(transport, row)
        if not await self._still_ours(row):
            raise LeaseLost
        await transport.pacer.admit(row.chat_id)
        try:
            await transport.edit(target, ids[texts - 1], message)
        finally:
            transport.pacer.sent(row.chat_id)

    def _moved(self, row: OutboxMessage, new_chat_id: str) -> None:
        with self.db.session() as s:
            move_chat(s, row.platform, row.chat_id, new_chat_id, self.clock.now())
        log.info(
            "outbox.chat_moved id=%s platform=%s old=%s new=%s",
            row.id,
            row.platform,
            row.chat_id,
            new_chat_id,
        )

    def _original(self, row: OutboxMessage) -> tuple[OutboxMessage | None, Outgoing | None]:
        """The message an edit changes, and the edit rendered now when it is marked for a
        refresh (core.outbox.refresh_live: the changes since it was queued are in it)."""
        with self.db.session() as s:
            original = outbox.live_original(s, row.platform, row.chat_id, row.live_key or "")
            return original, render_live(s, row, self.clock.now())

    async def _still_ours(self, row: OutboxMessage) -> bool:
        """Checked right before a row's first send: a process that stalled past its lease (a
        loaded machine, a long pause) must not send a row another process has claimed since.
        A lease set less than a third of its length ago (the claim, a renewal) still holds
        for two thirds of it: no need to ask the database. Otherwise the lease is extended
        now, if it is still ours. What remains is the moment between this check and the
        platform's answer — the at-least-once window of one message."""
        at = time.monotonic()
        if at - self._leased.get(row.id or 0, float("-inf")) < self.lease.total_seconds() / 3:
            return True
        if not await self._db(self._renew_one, row):
            return False
        self._leased[row.id or 0] = at
        return True

    def _renew_one(self, row: OutboxMessage) -> bool:
        with self.db.session() as s:
            return bool(outbox.renew(s, [row.id or 0], self.owner, self.clock.now() + self.lease))

    async def _mark(self, row: OutboxMessage, *, final: bool) -> bool:
        """Record a row's progress (parts done, their ids) the moment a part went out, or the
        row as sent after its last part; False if the lease is not ours any more.

        What the platform took and the database does not know yet is sent again if the
        process dies now — the at-least-once window. It is kept as short as the database
        allows: marks do not wait for a thread behind claims and renewals, but go to a thread
        of their own, and everything finished while one commit ran goes in the next one."""
        done: asyncio.Future[bool] = asyncio.get_running_loop().create_future()
        self._marks.append((_Mark(row.id or 0, final, row.parts_done, list(row.sent_ids)), done))
        if self._marking is None or self._marking.done():
            self._marking = asyncio.create_task(self._write_marks())
        return await done

    async def _write_marks(self) -> None:
        loop = asyncio.get_running_loop()
        while self._marks:
            batch, self._marks = self._marks, []
            work = functools.partial(self._marked, [mark for mark, _ in batch])
            try:
                results = await loop.run_in_executor(
                    _marker(), functools.partial(retried, work, 4, "outbox.mark")
                )
            except Exception as error:
                for _, done in batch:
                    if not done.done():
                        done.set_exception(error)
                continue
            for (_, done), ok in zip(batch, results, strict=True):
                if not done.done():
                    done.set_result(ok)

    def _marked(self, marks: list[_Mark]) -> list[bool]:
        """One transaction for the marks of a batch (each checks that the lease is ours)."""
        now = self.clock.now()
        with self.db.session() as s:
            return [
                outbox.mark_sent(s, m.row_id, self.owner, now, m.parts_done, m.sent_ids)
                if m.final
                else outbox.mark_part(
                    s, m.row_id, self.owner, m.parts_done, m.sent_ids, now + self.lease
                )
                for m in marks
            ]

    def _release_dead(self) -> bool:
        """Rows leased by a process of this machine that died (a crash, SIGKILL) are claimed
        at once, not after their lease runs out."""
        with self.db.session() as s:
            now = self.clock.now()
            dead = [o for o in outbox.lease_owners(s, now) if dead_owner(o)]
            if dead:
                rows = outbox.release(s, dead)
                log.info("outbox.released_dead owners=%s rows=%s", len(dead), rows)
        return True

    def _failed(self, row: OutboxMessage, error: DeliveryError) -> None:
        now = self.clock.now()
        give_up = error.permanent or row.attempts + 1 >= self.max_attempts
        retry_at = (
            None
            if give_up
            else now
            + (
                timedelta(seconds=error.retry_after)
                if error.retry_after is not None
                else backoff(row.attempts)
            )
        )
        with self.db.session() as s:
            outbox.mark_failed(s, row.id or 0, self.owner, error.reason, now, retry_at)
        log.log(
            logging.WARNING if give_up else logging.INFO,
            "outbox.%s id=%s platform=%s person=%s chat=%s attempts=%s parts_done=%s reason=%s"
            " detail=%s",
            "failed" if give_up else "retry",
            row.id,
            row.platform,
            row.person_id,
            # a private chat's id is the person's account id: logged as the person
            "private" if row.person_id is not None or row.kind == "reply" else row.chat_id,
            row.attempts + 1,
            row.parts_done,
            error.reason,
            error.detail or "-",
        )

"""Delivering the outbox: claim due rows, send through the platform, mark each row once.

Transports keep their platform's rate limits (PTB's AIORateLimiter for Telegram); here, a
transient failure is retried later with backoff (or after the platform's retry_after), a
permanent one is recorded with its reason, and messages to one chat keep their order.
"""

from __future__ import annotations

import asyncio
import base64
import logging
import socket
import uuid
from collections.abc import Awaitable, Callable, Mapping
from datetime import timedelta
from typing import Any

from bot.transports import DeliveryError, Transport
from core.clock import Clock
from core.messages import Action, File, Outgoing, PollSpec, Target
from models import outbox
from models.blobs import Blob
from models.db import Database
from models.outbox import OutboxMessage

log = logging.getLogger("empirie.outbox")


def backoff(attempts: int) -> timedelta:
    return timedelta(seconds=min(2 ** attempts, 600))


def _poll(spec: dict[str, Any] | None) -> PollSpec | None:
    if not spec:
        return None
    return PollSpec(int(spec["ref"]), spec["question"], tuple(spec["options"]),
                    bool(spec.get("anonymous", True)))


class OutboxDispatcher:
    def __init__(self, db: Database, clock: Clock, transports: Mapping[str, Transport], *,
                 owner: str | None = None, lease: timedelta = timedelta(seconds=60),
                 batch: int = 50, concurrency: int = 8, max_attempts: int = 8,
                 after_batch: Callable[[], Awaitable[None]] | None = None) -> None:
        self.db, self.clock, self.transports = db, clock, transports
        self.owner = owner or f"{socket.gethostname()}-{uuid.uuid4().hex[:8]}"
        self.lease, self.batch, self.max_attempts = lease, batch, max_attempts
        self.concurrency = concurrency
        self.after_batch = after_batch
        self._lock = asyncio.Lock()

    async def run_once(self) -> int:
        """Deliver everything due now; returns how many rows were handled."""
        if self._lock.locked():
            return 0
        async with self._lock:
            handled = 0
            while rows := self._claim():
                await self._deliver_all(rows)
                handled += len(rows)
                if self.after_batch is not None:
                    await self.after_batch()
            return handled

    def _claim(self) -> list[OutboxMessage]:
        with self.db.session() as s:
            return list(outbox.claim_due(s, now=self.clock.now(), owner=self.owner,
                                         lease=self.lease, limit=self.batch,
                                         platforms=list(self.transports)))

    async def _deliver_all(self, rows: list[OutboxMessage]) -> None:
        by_chat: dict[tuple[str, str], list[OutboxMessage]] = {}
        for row in rows:
            by_chat.setdefault((row.platform, row.chat_id), []).append(row)
        gate = asyncio.Semaphore(self.concurrency)
        blobs: dict[int, File] = {}

        async def chat_worker(chat_rows: list[OutboxMessage]) -> None:
            async with gate:
                for row in chat_rows:
                    await self._deliver(row, blobs)

        await asyncio.gather(*(chat_worker(r) for r in by_chat.values()))

    def _message(self, row: OutboxMessage, blobs: dict[int, File]) -> Outgoing:
        payload = row.payload
        files = []
        for spec in payload.get("files", []):
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
        return Outgoing(payload.get("text", ""),
                        actions=tuple(Action(*spec) for spec in payload["actions"]),
                        files=tuple(files), markdown=payload.get("markdown", False),
                        pin=payload.get("pin", False), poll=_poll(payload.get("poll")))

    async def _deliver(self, row: OutboxMessage, blobs: dict[int, File]) -> None:
        transport = self.transports[row.platform]
        try:
            await transport.send(Target(row.platform, row.chat_id), self._message(row, blobs))
        except DeliveryError as error:
            self._failed(row, error)
            return
        except Exception as error:  # a bug or an unexpected library error: retry later
            log.exception("outbox.unexpected id=%s", row.id)
            self._failed(row, DeliveryError(f"unexpected: {type(error).__name__}",
                                            permanent=False))
            return
        with self.db.session() as s:
            if not outbox.mark_sent(s, row.id or 0, self.owner, self.clock.now()):
                log.warning("outbox.lease_lost id=%s", row.id)

    def _failed(self, row: OutboxMessage, error: DeliveryError) -> None:
        now = self.clock.now()
        give_up = error.permanent or row.attempts + 1 >= self.max_attempts
        retry_at = None if give_up else now + (
            timedelta(seconds=error.retry_after) if error.retry_after
            else backoff(row.attempts))
        with self.db.session() as s:
            outbox.mark_failed(s, row.id or 0, self.owner, error.reason, now, retry_at)
        log.log(logging.WARNING if give_up else logging.INFO,
                "outbox.%s id=%s platform=%s person=%s chat=%s attempts=%s reason=%s",
                "failed" if give_up else "retry", row.id, row.platform, row.person_id,
                # a private chat's id is the person's account id: logged as the person
                "private" if row.person_id is not None or row.kind == "reply" else row.chat_id,
                row.attempts + 1, error.reason)

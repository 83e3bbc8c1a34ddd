"""Transports translate platform traffic to the neutral types and back; nothing else.

What a transport offers the outbox (and its own direct replies) is small on purpose: the
longest text one platform message may carry, a pacer holding the platform's flood limits,
sending one part (see `core.messages.parts`) and editing a message it sent earlier. How button
presses are acknowledged is the transport's own business on the way in (see core.messages).

A transport that has only `send(target, message)` (no `send_part`) is still accepted by the
outbox: it gets the whole message in one call and must pace and split it itself; without
`edit`, live messages are simply not edited there.
"""

from __future__ import annotations

import asyncio
from dataclasses import replace
from typing import Protocol

from bot.pacing import Pacer
from core.messages import Outgoing, Part, Target, parts


class DeliveryError(Exception):
    """A message could not be delivered. `permanent` failures are not retried. `reason` is
    recorded with the message and read by staff (a models.outbox.Failure for what the
    platform refused); the platform's own words, `detail`, go to the log only."""

    def __init__(
        self,
        reason: str,
        *,
        permanent: bool,
        retry_after: float | None = None,
        moved_to: str | None = None,
        detail: str = "",
    ) -> None:
        super().__init__(reason)
        self.reason = reason
        self.detail = detail
        self.permanent = permanent
        self.retry_after = retry_after
        self.moved_to = moved_to  # the chat lives on under this id (e.g. became a supergroup)


class Transport(Protocol):
    @property
    def platform(self) -> str: ...

    @property
    def max_text(self) -> int:
        """Characters one text part may carry."""
        ...

    pacer: Pacer  # this platform's flood limits, shared by everything sending in the process

    async def send_part(self, target: Target, part: Part) -> str | None:
        """Deliver one part; return the platform's id of the message it made (None if the
        platform has none, e.g. a pin). Raise DeliveryError."""
        ...

    async def edit(self, target: Target, message_id: str, message: Outgoing) -> None:
        """Replace the text and buttons of a message sent earlier (its text part carrying the
        buttons). Raise DeliveryError; an edit that changes nothing is not an error."""
        ...


class Service(Transport, Protocol):
    """A transport the app runs: it starts receiving and stops."""

    async def start(self) -> None: ...

    async def stop(self) -> None: ...


async def send_message(
    transport: Transport, target: Target, message: Outgoing, *, paced: bool = False
) -> list[str]:
    """Send every part now, in order (tests and tools; the service goes through the outbox);
    `paced` waits for the transport's pacer before each part."""
    ids: list[str] = []
    for part in parts(message, transport.max_text):
        if part.kind == "pin":
            part = replace(part, ref=ids[0] if ids else None)
        delay = transport.pacer.reserve(target.chat_id) if paced else 0
        if delay:
            await asyncio.sleep(delay)
        if paced:
            await transport.pacer.admit(target.chat_id)
        try:
            sent = await transport.send_part(target, part)
        finally:
            if paced:
                transport.pacer.sent(target.chat_id)
        if sent is not None:
            ids.append(sent)
    return ids

"""Transports translate platform traffic to the neutral types and back; nothing else."""

from __future__ import annotations

from typing import Protocol

from core.messages import Outgoing, Target


class DeliveryError(Exception):
    """A message could not be delivered. `permanent` failures are not retried."""

    def __init__(self, reason: str, *, permanent: bool, retry_after: float | None = None) -> None:
        super().__init__(reason)
        self.reason = reason
        self.permanent = permanent
        self.retry_after = retry_after


class Transport(Protocol):
    platform: str

    async def send(self, target: Target, message: Outgoing) -> None:
        """Deliver one message or raise DeliveryError."""
        ...

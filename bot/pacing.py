"""Our own pacing of sends, so that a platform's flood limits are not provoked in the first place.

Telegram allows about one message per second per chat (private chats too), 20 per minute per
group and 30 per second overall; a 429 makes the chat wait `retry_after`. PTB's limiter only
paces overall and per group, and it makes the caller wait; here a sender books a slot first and
decides: wait a little, or hand the message to the outbox. One Pacer per transport, shared by
direct replies and the outbox dispatcher of the process.

Booked times are plans; the platform counts arrivals, which lie somewhere between a request's
start and its answer, and a busy event loop starts requests late and in clumps. So just before
a request goes out, `admit` also checks the overall limit against what really happened: every
send still in flight, or answered less than a second ago, counts. That keeps the overall limit
whatever the delays (no 429 for it), with no safety margin on the plan, so a broadcast runs at
the limit rather than a margin below it.
"""

from __future__ import annotations

import asyncio
import bisect
import contextlib
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass

MARGIN = 0.1  # seconds added to every interval: clocks and networks jitter


@dataclass(frozen=True)
class Limits:
    per_chat_interval: float = 1.0  # seconds between two messages to one chat
    group_per_minute: int = 20
    overall_per_second: int = 30


class _Window:
    """Booked send times; at most `n` within any `length` seconds."""

    def __init__(self, n: int, length: float, margin: float = MARGIN) -> None:
        self.n, self.length = n, length + margin
        self.times: list[float] = []

    def earliest(self, t: float) -> float:
        """The first moment ≥ t whose booking keeps every window around it below `n`."""
        while True:
            lo = bisect.bisect_right(self.times, t - self.length)
            hi = bisect.bisect_left(self.times, t + self.length)
            if hi - lo < self.n:
                return t
            t = self.times[lo] + self.length

    def book(self, t: float) -> None:
        bisect.insort(self.times, t)

    def prune(self, now: float) -> None:
        cut = bisect.bisect_right(self.times, now - 2 * self.length)
        del self.times[:cut]


class Pacer:
    def __init__(
        self,
        limits: Limits,
        is_group: Callable[[str], bool],
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.limits, self.is_group, self.clock = limits, is_group, clock
        self._chat_next: dict[str, float] = {}
        self._groups: dict[str, _Window] = {}
        # no margin on the plan: `admit` checks the real sends against the overall limit
        self._overall = _Window(limits.overall_per_second, 1.0, margin=0.0)
        self._in_flight = 0
        self._answered: deque[float] = deque()  # when sends of the last second were answered
        self._changed = asyncio.Event()

    def _earliest(self, chat_id: str, now: float) -> float:
        t = max(now, self._chat_next.get(chat_id, now))
        group = self._groups.get(chat_id) if self.is_group(chat_id) else None
        while True:
            start = t
            if group is not None:
                t = group.earliest(t)
            t = self._overall.earliest(t)
            if t == start:
                return t

    def wait_for(self, chat_id: str) -> float:
        """Seconds until a message to this chat could go, without booking."""
        now = self.clock()
        return self._earliest(chat_id, now) - now

    def reserve(self, chat_id: str, max_wait: float | None = None) -> float | None:
        """Book the next slot for this chat; the seconds to wait before sending, or None (and
        nothing booked) when that would be longer than `max_wait`."""
        now = self.clock()
        self._overall.prune(now)
        t = self._earliest(chat_id, now)
        if max_wait is not None and t - now > max_wait:
            return None
        self._chat_next[chat_id] = t + self.limits.per_chat_interval + MARGIN
        if self.is_group(chat_id):
            window = self._groups.setdefault(chat_id, _Window(self.limits.group_per_minute, 60.0))
            window.prune(now)
            window.book(t)
        self._overall.book(t)
        return t - now

    def _overall_wait(self, now: float) -> float | None:
        """0 when one more request may start now without being the platform's (n+1)-th
        arrival within a second; else how long to wait (None: until a send is answered)."""
        while self._answered and self._answered[0] <= now - 1.0:
            self._answered.popleft()
        if self._in_flight + len(self._answered) < self.limits.overall_per_second:
            return 0.0
        return self._answered[0] + 1.0 - now if self._answered else None

    async def admit(self) -> None:
        """Wait, if need be, until a request may start now; pair with `sent` when it ends."""
        while (wait := self._overall_wait(self.clock())) != 0.0:
            self._changed.clear()
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._changed.wait(), wait)
        self._in_flight += 1

    def sent(self, chat_id: str) -> None:
        """A send to this chat just ended (answered or failed): the next one waits a full
        interval from now (the platform counts arrivals, and a slow request arrives late)."""
        now = self.clock()
        after = now + self.limits.per_chat_interval + MARGIN
        self._chat_next[chat_id] = max(self._chat_next.get(chat_id, 0.0), after)
        if self._in_flight:
            self._in_flight -= 1
            self._answered.append(now)
            self._changed.set()

    def penalize(self, chat_id: str, seconds: float) -> None:
        """The platform said wait (429): nothing more to this chat until then."""
        until = self.clock() + seconds
        self._chat_next[chat_id] = max(self._chat_next.get(chat_id, 0.0), until)

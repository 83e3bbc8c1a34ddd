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

Two lanes share the budget: an answer to someone who just wrote is `urgent` and goes before
bulk work (a broadcast, reminders). An urgent send books its chat's slot from what really
happened in that chat (not behind the slots bulk sends have booked there), and `admit` hands
the next free place under the overall limit to the urgent callers first. A bulk send booked
for a chat that an urgent one has just used waits, at `admit`, until the chat is clear again:
the limits hold for both lanes together. And from the moment someone writes until their answer
goes (`hold` … `release`), bulk sends to that chat wait, so that the answer does not have to
wait a full interval behind a copy of the broadcast that was started meanwhile.
"""

from __future__ import annotations

import asyncio
import bisect
import itertools
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field

MARGIN = 0.1  # seconds added to every interval: clocks and networks jitter
HOLD_MAX = 5.0  # seconds a chat is held for an answer at most (should `release` never come)


@dataclass(frozen=True)
class Limits:
    per_chat_interval: float = 1.0  # seconds between two messages to one chat
    group_per_minute: int = 20
    overall_per_second: int = 30


@dataclass
class _Waiter:
    chat_id: str | None
    urgent: bool
    order: int
    granted: asyncio.Future[None] = field(repr=False)


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
        self._chat_next: dict[str, float] = {}  # the plan: the next free slot of each chat
        self._urgent_next: dict[str, float] = {}  # ... for urgent sends (they overtake bulk)
        # what happened: a chat's next request may start from then (its last request's
        # start, and once answered its answer, plus the interval)
        self._chat_clear: dict[str, float] = {}
        self._held: dict[str, float] = {}  # chats awaiting an urgent answer: until when
        self._groups: dict[str, _Window] = {}
        # no margin on the plan: `admit` checks the real sends against the overall limit
        self._overall = _Window(limits.overall_per_second, 1.0, margin=0.0)
        self._in_flight = 0
        self._answered: deque[float] = deque()  # when sends of the last second were answered
        self._waiting: list[_Waiter] = []  # callers of `admit`: urgent first, then in order
        self._order = itertools.count()
        self._timer: asyncio.TimerHandle | None = None

    def _earliest(self, chat_id: str, now: float, urgent: bool = False) -> float:
        if urgent:  # from what really happened in the chat, before the slots bulk booked
            t = max(now, self._chat_clear.get(chat_id, now), self._urgent_next.get(chat_id, now))
        else:
            t = max(now, self._chat_next.get(chat_id, now))
        group = self._groups.get(chat_id) if self.is_group(chat_id) else None
        while True:
            start = t
            if group is not None:
                t = group.earliest(t)
            if not urgent:  # an urgent send takes the next free place at `admit` instead
                t = self._overall.earliest(t)
            if t == start:
                return t

    def wait_for(self, chat_id: str) -> float:
        """Seconds until a message to this chat could go, without booking."""
        now = self.clock()
        return self._earliest(chat_id, now) - now

    def reserve(
        self, chat_id: str, max_wait: float | None = None, *, urgent: bool = False
    ) -> float | None:
        """Book the next slot for this chat; the seconds to wait before sending, or None (and
        nothing booked) when that would be longer than `max_wait`. `urgent`: an answer to
        someone who just wrote, booked ahead of the bulk sends planned for the chat."""
        now = self.clock()
        self._overall.prune(now)
        t = self._earliest(chat_id, now, urgent)
        if max_wait is not None and t - now > max_wait:
            return None
        after = t + self.limits.per_chat_interval + MARGIN
        self._chat_next[chat_id] = max(self._chat_next.get(chat_id, 0.0), after)
        if urgent:
            self._urgent_next[chat_id] = after
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

    def _chat_wait(self, chat_id: str | None, now: float, urgent: bool = True) -> float:
        """0 when a request to the chat may start now (the last one started, and answered,
        an interval ago, and no answer is awaited there); else how long to wait."""
        if chat_id is None:
            return 0.0
        clear = self._chat_clear.get(chat_id, now)
        if not urgent and chat_id in self._held:
            if self._held[chat_id] <= now:
                del self._held[chat_id]
            else:
                clear = max(clear, self._held[chat_id])
        return max(0.0, clear - now)

    def hold(self, chat_id: str) -> None:
        """Someone just wrote in this chat: bulk sends to it wait for the answer (`release`
        when it has gone, or nothing will; the hold ends by itself after HOLD_MAX)."""
        self._held[chat_id] = self.clock() + HOLD_MAX

    def release(self, chat_id: str) -> None:
        if self._held.pop(chat_id, None) is not None and self._waiting:
            self._grant()

    async def admit(self, chat_id: str | None = None, *, urgent: bool = False) -> None:
        """Wait, if need be, until a request to this chat may start now; pair with `sent`
        when it ends. Urgent callers get the next free place first."""
        waiter = _Waiter(
            chat_id, urgent, next(self._order), asyncio.get_running_loop().create_future()
        )
        bisect.insort(self._waiting, waiter, key=lambda w: (not w.urgent, w.order))
        self._grant()
        try:
            await waiter.granted
        except asyncio.CancelledError:
            if waiter in self._waiting:
                self._waiting.remove(waiter)
            elif waiter.granted.done() and not waiter.granted.cancelled():
                self._release(self.clock())  # granted, then cancelled: nothing sent
            self._grant()
            raise

    def _grant(self) -> None:
        """Let waiting callers start, urgent ones first, as far as the limits allow; wake up
        again when the next one could."""
        if self._timer is not None:
            self._timer.cancel()
            self._timer = None
        now = self.clock()
        wake: float | None = None
        for waiter in list(self._waiting):
            overall = self._overall_wait(now)
            if overall != 0.0:  # nobody may start: the first in line gets the next place
                if overall is not None:
                    wake = overall if wake is None else min(wake, overall)
                break
            chat = self._chat_wait(waiter.chat_id, now, waiter.urgent)
            if chat > 0.0:  # this chat is not clear yet: the next in line may go
                wake = chat if wake is None else min(wake, chat)
                continue
            self._waiting.remove(waiter)
            self._in_flight += 1
            if waiter.chat_id is not None:  # the other lane's next send there waits too
                self._clear_after(waiter.chat_id, now)
            waiter.granted.set_result(None)
        if self._waiting and wake is not None:
            self._timer = asyncio.get_running_loop().call_later(max(wake, 0.001), self._grant)

    def _release(self, now: float) -> None:
        if self._in_flight:
            self._in_flight -= 1
            self._answered.append(now)

    def _clear_after(self, chat_id: str, now: float) -> None:
        after = now + self.limits.per_chat_interval + MARGIN
        self._chat_next[chat_id] = max(self._chat_next.get(chat_id, 0.0), after)
        self._chat_clear[chat_id] = max(self._chat_clear.get(chat_id, 0.0), after)

    def sent(self, chat_id: str) -> None:
        """A send to this chat just ended (answered or failed): the next one waits a full
        interval from now (the platform counts arrivals, and a slow request arrives late)."""
        now = self.clock()
        self._clear_after(chat_id, now)
        self._release(now)
        self._prune(now)
        if self._waiting:
            self._grant()

    def _prune(self, now: float) -> None:
        """Forget chats whose last send is long over (a broadcast touches thousands)."""
        if len(self._chat_clear) > 4096:
            for table in (self._chat_clear, self._chat_next, self._urgent_next):
                for chat_id in [c for c, t in table.items() if t < now]:
                    del table[chat_id]

    def penalize(self, chat_id: str, seconds: float) -> None:
        """The platform said wait (429): nothing more to this chat until then."""
        until = self.clock() + seconds
        self._chat_next[chat_id] = max(self._chat_next.get(chat_id, 0.0), until)
        self._chat_clear[chat_id] = max(self._chat_clear.get(chat_id, 0.0), until)

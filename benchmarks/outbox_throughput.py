"""Outbox throughput and command latency on the embedded store (SQLite file).

Prints: messages/s through the outbox (enqueue in one transaction, claim, deliver, mark) for a
broadcast of N messages, against a baseline of calling the transport directly in the same run
(the price of durability); and p50/p95/p99 latency of a typed command through the router.

    .venv/bin/python benchmarks/outbox_throughput.py [N]
"""

from __future__ import annotations

import asyncio
import resource
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bot.migrate import upgrade
from bot.outbox import OutboxDispatcher
from bot.pacing import Limits, Pacer
from bot.router import Router
from bot.transports import send_message
from core.clock import SystemClock
from core.config import Settings
from core.messages import ChatRef, Incoming, Outgoing, Part, Sender, Target
from core.outbox import enqueue
from models import seed
from models.db import Database


class NullTransport:
    """A platform that accepts instantly and has no limits: what is measured is the bot's own
    work."""

    platform = "console"
    max_text = 4096

    def __init__(self) -> None:
        self.count = 0
        self.pacer = Pacer(Limits(0.0, 10**9, 10**9), lambda chat_id: False)

    async def send(self, target: Target, message: Outgoing) -> None:
        await send_message(self, target, message)

    async def send_part(self, target: Target, part: Part) -> str | None:
        self.count += 1
        await asyncio.sleep(0)
        return str(self.count)

    async def edit(self, target: Target, message_id: str, message: Outgoing) -> None:
        await asyncio.sleep(0)


async def main(n: int) -> None:
    folder = Path(tempfile.mkdtemp())
    url = f"sqlite:///{folder / 'bench.db'}"
    upgrade(url)
    db, clock = Database(url), SystemClock()
    with db.session() as s:
        seed.seed_demo(s, clock.now())
    message = Outgoing(
        "📣 **Ogłoszenie** — MIASTO CYFROWE\n\nSpotkanie sieci 12 maja.", markdown=True
    )

    baseline = NullTransport()
    started = time.perf_counter()
    for i in range(n):
        await baseline.send(Target("console", str(i)), message)
    direct = time.perf_counter() - started

    transport = NullTransport()
    started = time.perf_counter()
    with db.session() as s:
        for i in range(n):
            enqueue(s, Target("console", str(i)), message, clock.now(), kind="bench")
    queued = time.perf_counter() - started
    delivered = await OutboxDispatcher(db, clock, {"console": transport}).run_once()
    total = time.perf_counter() - started
    assert delivered == n == transport.count

    router = Router(db, clock, Settings(EMPIRIE_DATABASE_URL=url))
    latencies = []
    for _ in range(300):
        incoming = Incoming(
            Sender("console", "3"), ChatRef("console", "cyfrowe", False), text="/pomoc"
        )
        t0 = time.perf_counter()
        await router.handle(incoming)
        latencies.append((time.perf_counter() - t0) * 1000)
    q = statistics.quantiles(latencies, n=100)

    print(f"broadcast of {n} messages on SQLite")
    print(
        f"  outbox: {n / total:,.0f} msg/s (enqueue {queued * 1000:.0f} ms, "
        f"total {total * 1000:.0f} ms)"
    )
    print(f"  baseline (direct send, no durability): {n / direct:,.0f} msg/s")
    print(f"  ratio outbox/baseline throughput: {direct / total:.4f}")
    print(f"  Telegram allows 30 msg/s: outbox headroom x{n / total / 30:,.0f}")
    print(f"/pomoc through the router: p50 {q[49]:.2f} ms, p95 {q[94]:.2f} ms, p99 {q[98]:.2f} ms")
    print(f"peak RSS: {resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024:.0f} MiB")


if __name__ == "__main__":
    asyncio.run(main(int(sys.argv[1]) if len(sys.argv) > 1 else 2000))

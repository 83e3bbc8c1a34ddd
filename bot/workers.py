"""Updates are handled off the transport's event loop.

Handlers are `async def` but their database work is blocking: run on the transport's loop, one
update's queries stall every other chat (and PTB's own network I/O) until they finish. A few
worker threads, each with an event loop of its own, run the updates; the transport awaits the
result (how many threads: bot.router; one for SQLite, which has one writer). Each worker runs
one update to the end before it takes the next, so an update never waits for a database lock
held by another update paused on the same thread.
"""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Awaitable, Callable
from concurrent.futures import ThreadPoolExecutor
from typing import TypeVar

T = TypeVar("T")


class Workers:
    def __init__(self, threads: int, name: str = "update") -> None:
        self.threads = threads
        self._pool = ThreadPoolExecutor(threads, thread_name_prefix=name)
        self._local = threading.local()

    def _loop(self) -> asyncio.AbstractEventLoop:
        loop: asyncio.AbstractEventLoop | None = getattr(self._local, "loop", None)
        if loop is None:
            loop = self._local.loop = asyncio.new_event_loop()
            asyncio.set_event_loop(loop)
        return loop

    def _run(self, work: Callable[[], Awaitable[T]]) -> T:
        async def main() -> T:
            return await work()

        return self._loop().run_until_complete(main())

    async def run(self, work: Callable[[], Awaitable[T]]) -> T:
        """Run `work()` on a worker's loop; the caller's loop stays free meanwhile."""
        return await asyncio.wrap_future(self._pool.submit(self._run, work))

    async def call(self, work: Callable[[], T]) -> T:
        """Run a plain (blocking) function on a worker thread, e.g. a page's reads and its
        rendering; the caller's loop stays free meanwhile."""
        return await asyncio.wrap_future(self._pool.submit(work))


_SHARED: dict[int, Workers] = {}
_SHARED_LOCK = threading.Lock()


def shared(threads: int) -> Workers:
    """The process's pool of this size. A deployed process has one router; tests make
    hundreds, and threads (with their loops) per router would pile up. Idle workers end with
    the interpreter."""
    with _SHARED_LOCK:
        if threads not in _SHARED:
            _SHARED[threads] = Workers(threads, f"update{threads}")
        return _SHARED[threads]


def shared_named(name: str, threads: int) -> Workers:
    """The process's pool of this name and size (e.g. the answer pages' readers)."""
    key = f"{name}{threads}"
    with _SHARED_LOCK:
        if key not in _NAMED:
            _NAMED[key] = Workers(threads, key)
        return _NAMED[key]


_NAMED: dict[str, Workers] = {}

"""Our pacer against Telegram's overall limit (30 messages/s): Telegram counts arrivals, which
fall between a request's start and its answer, so a send still in flight, or answered less than
a second ago, holds the next one back — whatever the plan said."""

from __future__ import annotations

import asyncio

from bot.pacing import Limits, Pacer


async def test_a_send_in_flight_or_answered_within_a_second_holds_the_next_one() -> None:
    now = [100.0]
    pacer = Pacer(Limits(0.0, 20, 3), lambda chat_id: False, clock=lambda: now[0])
    for _ in range(3):
        await pacer.admit()  # three requests under way: the limit
    fourth = asyncio.create_task(pacer.admit())
    await asyncio.sleep(0.01)
    assert not fourth.done()

    pacer.sent("a")  # answered now: it may have arrived just now, so it still counts
    await asyncio.sleep(0.01)
    assert not fourth.done()

    now[0] = 101.0  # a second later the first answer no longer counts
    pacer.sent("b")
    await asyncio.wait_for(fourth, timeout=5)
    fifth = asyncio.create_task(pacer.admit())  # one in flight, two answered this second
    await asyncio.sleep(0.01)
    assert not fifth.done()
    fifth.cancel()


async def test_the_plan_books_a_full_second_of_sends_at_once_without_a_margin() -> None:
    """The plan has no safety margin on the overall limit (admit guards the real arrivals):
    30 sends booked now, the 31st a second later, not 1.1 s."""
    pacer = Pacer(Limits(0.0, 20, 30), lambda chat_id: False, clock=lambda: 0.0)
    delays = [pacer.reserve(str(i)) for i in range(31)]
    assert delays[:30] == [0.0] * 30
    assert delays[30] == 1.0

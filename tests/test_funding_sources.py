"""Fetching: the EU portal's request shape against a local fake (multipart JSON parts,
paging) and RSS/Atom from a local HTTP server (304, broken, huge, slow, missing), through the
poller into the store, with trouble reported to the coordinator once."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import timedelta

import httpx
import pytest
from sqlmodel import select

from bot.sources import eu_portal, feeds
from bot.sources.poll import FundingPoller
from core.clock import FrozenClock
from core.config import Settings
from handlers.funding.feeds import UNREACHABLE
from models.db import Database
from models.funding import FundingCall, FundingFeed
from models.outbox import OutboxMessage
from tests.cast import find_cast
from tests.fakes.feed_server import FeedServer, Served
from tests.fakes.sedia import FakeSedia
from tests.funding_data import result
from tests.test_funding_parse import RSS


@pytest.fixture
async def sedia() -> AsyncIterator[FakeSedia]:
    fake = FakeSedia(
        [
            result(
                f"DIGITAL-2027-X-{i:02d}",
                f"Digital topic {i}",
                deadlines=("2027-04-0" + str(1 + i % 9),),
            )
            for i in range(7)
        ]
    )
    await fake.start()
    yield fake
    await fake.stop()


@pytest.fixture
async def server() -> AsyncIterator[FeedServer]:
    fake = FeedServer()
    await fake.start()
    yield fake
    await fake.stop()


async def test_portal_request_shape_and_paging(sedia: FakeSedia) -> None:
    async with httpx.AsyncClient() as client:
        fetched = await eu_portal.search(client, url=sedia.url, page_size=3)
    assert len(fetched.records) == 7 and fetched.pages == 3 and fetched.total == 7
    assert [r.params["pageNumber"] for r in sedia.requests] == ["1", "2", "3"]
    first = sedia.requests[0]
    assert first.params["apiKey"] == "SEDIA" and first.params["pageSize"] == "3"
    assert "query" not in first.params  # in the URL the portal ignores it
    assert {name: kind for name, (kind, _v) in first.parts.items()} == {
        "query": "application/json",
        "languages": "application/json",
        "sort": "application/json",
    }
    query = first.parts["query"][1]
    assert query["bool"]["must"][1] == {"terms": {"status": ["31094501", "31094502"]}}
    assert first.parts["languages"][1] == ["en"]


async def test_portal_refuses_form_fields_and_we_say_so(sedia: FakeSedia) -> None:
    async with httpx.AsyncClient() as client:
        response = await client.post(sedia.url, params={"apiKey": "SEDIA"}, data={"query": "{}"})
        assert response.status_code == 500  # how the real API treats plain form fields
        sedia.results = []
        fetched = await eu_portal.search(client, url=sedia.url)
    assert fetched.records == [] and fetched.pages == 1


async def test_conditional_get_and_failures(server: FeedServer) -> None:
    server.paths["/rss"] = Served(RSS, etag='"v1"', last_modified="Mon, 16 Nov 2026 09:00:00 GMT")
    server.paths["/huge"] = Served(b"<rss>" + b"x" * 300_000)
    server.paths["/slow"] = Served(RSS, delay=2)
    async with httpx.AsyncClient(timeout=httpx.Timeout(0.5)) as client:
        first = await feeds.fetch(client, server.url("/rss"))
        again = await feeds.fetch(
            client, server.url("/rss"), etag=first.etag, last_modified=first.last_modified
        )
        huge = await feeds.fetch(client, server.url("/huge"), max_bytes=100_000)
        slow = await feeds.fetch(client, server.url("/slow"))
        missing = await feeds.fetch(client, server.url("/nothing"))
        closed = await feeds.fetch(client, "http://127.0.0.1:9/rss")
    assert first.content == RSS and first.etag == '"v1"'
    assert again.not_modified and again.content is None
    assert server.hits[1][1]["If-None-Match"] == '"v1"'
    assert huge.error == "too large"
    assert missing.error == "HTTP 404"
    assert slow.error == closed.error == UNREACHABLE  # a slow server reads like a closed port


async def test_poller_stores_calls_and_reports_a_broken_feed_once(
    server: FeedServer, sedia: FakeSedia, seeded: Database, clock: FrozenClock, settings: Settings
) -> None:
    cast = find_cast(seeded)
    server.paths["/rss"] = Served(RSS, etag='"v1"')
    server.paths["/broken"] = Served(b"<html>Przerwa techniczna</html>", content_type="text/html")
    with seeded.session() as s:
        for path in ("/rss", "/broken"):
            s.add(FundingFeed(url=server.url(path), added_by=cast.expert, added_at=clock.now()))
    config = settings.model_copy(
        update={
            "funding_eu_url": sedia.url,
            "funding_eu_enabled": True,
            "funding_feed_allow_hosts": f"127.0.0.1:{server.port}",  # the fake feed server
        }
    )
    async with httpx.AsyncClient(timeout=2) as client:
        poller = FundingPoller(seeded, clock, config, client)
        assert await poller.run_once() == 8  # 7 from the portal, 1 from the feed
        assert await poller.run_once() == 0  # the same period: nothing is fetched again
        clock.advance(timedelta(hours=config.funding_poll_hours))
        assert await poller.run_once() == 0  # the portal repeats itself; the feed says 304
        await poller.close()
    with seeded.session() as s:
        calls = s.exec(select(FundingCall)).all()
        rss, broken = s.exec(select(FundingFeed).order_by(FundingFeed.id)).all()  # type: ignore[arg-type]
        reports = s.exec(select(OutboxMessage).where(OutboxMessage.kind == "funding_feed")).all()
    assert len(calls) == 8
    assert rss.problem is None and rss.ok_at is not None and rss.etag == '"v1"'
    assert [h[1].get("If-None-Match") for h in server.hits if h[0] == "/rss"] == [None, '"v1"']
    assert broken.problem and "not a valid feed" in broken.problem
    assert [r.person_id for r in reports] == [cast.expert]  # told once, not every poll
    assert "nie udało się odczytać" in reports[0].payload["text"].lower()


async def test_silent_feed_is_reported(
    server: FeedServer, seeded: Database, clock: FrozenClock, settings: Settings
) -> None:
    cast = find_cast(seeded)
    server.paths["/old"] = Served(RSS)  # newest entry: 16.11.2026
    with seeded.session() as s:
        s.add(FundingFeed(url=server.url("/old"), added_by=cast.expert, added_at=clock.now()))
    clock.advance(timedelta(days=settings.funding_feed_silent_days + 5))
    config = settings.model_copy(
        update={"funding_eu_enabled": False, "funding_feed_allow_hosts": f"127.0.0.1:{server.port}"}
    )
    async with httpx.AsyncClient(timeout=2) as client:
        poller = FundingPoller(seeded, clock, config, client)
        await poller.run_once()
        await poller.close()
    with seeded.session() as s:
        [report] = s.exec(select(OutboxMessage).where(OutboxMessage.kind == "funding_feed")).all()
    assert "ucichł" in report.payload["text"]

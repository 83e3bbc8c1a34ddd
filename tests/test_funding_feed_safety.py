"""Feeds that fight back (issue 23, item 6): a server that drips a byte at a time is cut off at
the fetch's deadline and holds no other feed; feeds never reach loopback, private, link-local or
metadata addresses, not by a name, not by a redirect; and a coordinator reads the same reason
for a closed port, a refused address and a stalled server (the details are in the log only)."""

from __future__ import annotations

import asyncio
import logging
import re
import socket
import time
from collections.abc import AsyncIterator
from ipaddress import ip_address

import pytest
from sqlmodel import select

from bot.sources import feeds
from bot.sources.guard import AddressGuard, guarded_client, refusal
from bot.sources.poll import FundingPoller
from core.clock import FrozenClock
from core.config import Settings
from handlers.funding.feeds import UNREACHABLE
from models.db import Database
from models.funding import FundingCall, FundingFeed
from models.outbox import OutboxMessage
from tests.cast import find_cast
from tests.conftest import Chat
from tests.fakes.feed_server import FeedServer, Served
from tests.fakes.sedia import FakeSedia
from tests.funding_data import result
from tests.test_funding_parse import RSS

SHOWN = "nie udało się pobrać (adres niedostępny lub niedozwolony)"


@pytest.fixture
async def server() -> AsyncIterator[FeedServer]:
    fake = FeedServer()
    await fake.start()
    yield fake
    await fake.stop()


@pytest.fixture
async def other() -> AsyncIterator[FeedServer]:
    fake = FeedServer()
    await fake.start()
    yield fake
    await fake.stop()


@pytest.fixture
async def sedia() -> AsyncIterator[FakeSedia]:
    fake = FakeSedia([result("DIGITAL-2027-X-01", "Digital topic")])
    await fake.start()
    yield fake
    await fake.stop()


def closed_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
    return port


def dripping() -> Served:
    return Served(RSS, drip=0.2)  # about 1,000 bytes: minutes, unless the deadline ends it


@pytest.mark.parametrize(
    ("address", "why"),
    [
        ("127.0.0.1", "loopback"),
        ("::1", "loopback"),
        ("10.1.2.3", "private"),
        ("172.16.0.9", "private"),
        ("192.168.1.1", "private"),
        ("fc00::5", "private"),  # unique-local
        ("169.254.10.10", "link-local"),
        ("fe80::1", "link-local"),
        ("169.254.169.254", "metadata"),
        ("fd00:ec2::254", "metadata"),
        ("100.100.100.200", "metadata"),
        ("224.0.0.1", "multicast"),
        ("ff02::1", "multicast"),
        ("0.0.0.0", "unspecified"),
        ("::", "unspecified"),
        ("240.0.0.1", "reserved"),
        ("100.64.0.1", "not global"),  # carrier-grade NAT
        ("::ffff:127.0.0.1", "loopback (127.0.0.1 inside)"),
        ("2002:a9fe:a9fe::1", "metadata (169.254.169.254 inside)"),  # 6to4
        ("64:ff9b::a00:1", "private (10.0.0.1 inside)"),  # NAT64
        ("93.184.215.14", None),
        ("2606:4700:4700::1111", None),
    ],
)
def test_which_addresses_a_feed_may_reach(address: str, why: str | None) -> None:
    assert refusal(ip_address(address)) == why


def test_allowing_private_addresses_never_allows_metadata() -> None:
    for address in ("127.0.0.1", "10.0.0.1", "fd12::1", "169.254.1.1"):
        assert refusal(ip_address(address), internal_ok=True) is None
    for address in ("169.254.169.254", "fd00:ec2::254", "0.0.0.0", "224.0.0.1"):
        assert refusal(ip_address(address), internal_ok=True) is not None


async def test_a_dripping_feed_is_cut_off_at_the_deadline(server: FeedServer) -> None:
    server.paths["/drip"] = dripping()
    guard = AddressGuard.build(allow_hosts=[f"127.0.0.1:{server.port}"])
    async with guarded_client(guard, timeout=10) as client:  # no single read is slow
        started = time.monotonic()
        got = await feeds.fetch(client, server.url("/drip"), deadline=0.8)
        took = time.monotonic() - started
    assert got.error == UNREACHABLE and got.content is None
    assert 0.8 <= took < 5  # cut by the deadline, long before the 10 s read timeout


async def test_by_default_a_feed_on_this_machine_is_refused(
    server: FeedServer, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO, logger="empirie.sources")
    server.paths["/rss"] = Served(RSS)
    async with guarded_client(AddressGuard.build(), timeout=5) as client:
        by_address = await feeds.fetch(client, server.url("/rss"))
        by_name = await feeds.fetch(client, f"http://localhost:{server.port}/rss")
    assert by_address.error == by_name.error == UNREACHABLE
    assert server.hits == []  # not a byte reached the server
    refused = [r.getMessage() for r in caplog.records if "feeds.refused" in r.getMessage()]
    assert len(refused) == 2 and all("why=loopback" in line for line in refused)


async def test_every_redirect_hop_meets_the_guard(
    server: FeedServer, other: FeedServer, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO, logger="empirie.sources")
    here = f"http://127.0.0.1:{server.port}"
    server.paths["/rss"] = Served(RSS)
    server.paths["/moved"] = Served(b"", status=301, location="/rss")
    other.paths["/rss"] = Served(RSS)
    hops = {
        "/to-other-port": other.url("/rss"),
        "/to-metadata": "http://169.254.169.254/latest/meta-data/iam/",
        "/to-metadata-v6": "http://[fd00:ec2::254]/latest/meta-data/",
        "/to-localhost": f"http://localhost:{server.port}/rss",  # not listed by that name
        "/to-file": "file:///etc/passwd",
        "/loop": f"{here}/loop",
    }
    for path, target in hops.items():
        server.paths[path] = Served(b"", status=302, location=target)
    # only the first server is listed, by address and port
    guard = AddressGuard.build(allow_hosts=[f"127.0.0.1:{server.port}"])
    async with guarded_client(guard, timeout=5) as client:
        moved = await feeds.fetch(client, server.url("/moved"))
        started = time.monotonic()
        got = {path: await feeds.fetch(client, server.url(path)) for path in hops}
        took = time.monotonic() - started
    assert moved.content == RSS  # redirects are followed
    assert {path: g.error for path, g in got.items()} == dict.fromkeys(hops, UNREACHABLE)
    assert other.hits == []
    assert took < 4  # refused before connecting: no 5 s connect timeout towards 169.254…
    assert [h[0] for h in server.hits].count("/loop") == 6  # the first try and 5 redirects
    logged = "\n".join(r.getMessage() for r in caplog.records)
    assert "address=169.254.169.254 why=metadata" in logged
    assert "address=fd00:ec2::254 why=metadata" in logged
    assert f"host=127.0.0.1 port={other.port} address=127.0.0.1 why=loopback" in logged
    assert "host=localhost" in logged


async def test_a_name_is_checked_by_every_address_it_resolves_to(
    server: FeedServer, other: FeedServer, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO, logger="empirie.sources")
    server.paths["/rss"] = Served(RSS)
    other.paths["/rss"] = Served(RSS)
    names = {
        "feeds.example": ["127.0.0.1"],  # exists nowhere but here
        "intranet.example": ["192.168.1.20"],
        "mixed.example": ["93.184.215.14", "10.0.0.7"],
        "metadata.example": ["169.254.169.254"],
    }
    asked: list[str] = []

    async def resolve(host: str, port: int) -> list[str]:
        asked.append(host)
        return names[host]

    guard = AddressGuard.build(allow_hosts=[f"feeds.example:{server.port}"], resolve=resolve)
    async with guarded_client(guard, timeout=5) as client:
        listed = await feeds.fetch(client, f"http://feeds.example:{server.port}/rss")
        other_port = await feeds.fetch(client, f"http://feeds.example:{other.port}/rss")
        refused = [
            await feeds.fetch(client, f"http://{name}/rss")
            for name in ("intranet.example", "mixed.example", "metadata.example")
        ]
    # the listed name reached the address the check saw (no second lookup could differ)
    assert listed.content == RSS
    assert server.hits[0][1]["Host"] == f"feeds.example:{server.port}"
    assert other_port.error == UNREACHABLE and other.hits == []
    assert [r.error for r in refused] == [UNREACHABLE] * 3
    assert asked.count("feeds.example") == 2  # once per connection, then the socket
    logged = "\n".join(r.getMessage() for r in caplog.records)
    assert "host=intranet.example port=80 address=192.168.1.20 why=private" in logged
    assert "host=mixed.example port=80 address=10.0.0.7 why=private" in logged
    assert "host=metadata.example port=80 address=169.254.169.254 why=metadata" in logged


def poller_settings(settings: Settings, *hosts: str, **more: object) -> Settings:
    return settings.model_copy(
        update={"funding_eu_enabled": False, "funding_feed_allow_hosts": ",".join(hosts), **more}
    )


async def test_one_slow_feed_holds_no_other(
    server: FeedServer,
    sedia: FakeSedia,
    seeded: Database,
    clock: FrozenClock,
    settings: Settings,
) -> None:
    cast = find_cast(seeded)
    sedia.drip = 0.2  # the EU portal stalls too
    for i in range(3):
        server.paths[f"/drip{i}"] = dripping()
    server.paths["/rss"] = Served(RSS)
    with seeded.session() as s:  # the good feed comes last
        for path in ("/drip0", "/drip1", "/drip2", "/rss"):
            s.add(FundingFeed(url=server.url(path), added_by=cast.expert, added_at=clock.now()))
    deadline = 4.0
    config = poller_settings(
        settings,
        f"127.0.0.1:{server.port}",
        funding_fetch_deadline=deadline,
        funding_http_timeout=10,
        funding_eu_enabled=True,
        funding_eu_url=sedia.url,
    )
    poller = FundingPoller(seeded, clock, config)
    started = time.monotonic()
    polling = asyncio.create_task(poller.run_once())
    stored_after = None
    while not polling.done():
        with seeded.session() as s:
            if stored_after is None and s.exec(select(FundingCall)).first() is not None:
                stored_after = time.monotonic() - started
        await asyncio.sleep(0.02)
    assert await polling == 1
    took = time.monotonic() - started
    await poller.close()
    # order, not a stopwatch: the good feed's call is stored while the dripping ones still
    # hold their connections (before their deadline), and the whole pass takes about one
    # deadline — one after the other it would take four (three feeds and the portal)
    assert stored_after is not None and stored_after < deadline
    assert deadline <= took < 2 * deadline
    with seeded.session() as s:
        rows = s.exec(select(FundingFeed).order_by(FundingFeed.id)).all()  # type: ignore[arg-type]
    assert [f.problem for f in rows] == [UNREACHABLE] * 3 + [None]
    assert len(sedia.requests) == 1  # asked once, given up at the deadline


async def test_feeds_are_fetched_a_few_at_a_time(
    server: FeedServer, seeded: Database, clock: FrozenClock, settings: Settings
) -> None:
    cast = find_cast(seeded)
    with seeded.session() as s:
        for i in range(4):
            server.paths[f"/drip{i}"] = dripping()
            s.add(
                FundingFeed(url=server.url(f"/drip{i}"), added_by=cast.expert, added_at=clock.now())
            )
    config = poller_settings(
        settings,
        f"127.0.0.1:{server.port}",
        funding_fetch_deadline=2.0,
        funding_feed_concurrency=2,
    )
    poller = FundingPoller(seeded, clock, config)
    started = time.monotonic()
    assert await poller.run_once() == 0
    took = time.monotonic() - started
    await poller.close()
    _first, second, third, fourth = (t - started for t in server.arrived)
    assert second < 1.0 and third >= 2.0 and fourth - third < 1.0  # two at once, then two
    assert 4.0 <= took < 7.0  # two rounds of the deadline, not four


async def test_a_coordinator_cannot_tell_a_closed_port_from_a_refused_address(
    server: FeedServer,
    other: FeedServer,
    seeded: Database,
    clock: FrozenClock,
    settings: Settings,
    chat: Chat,
) -> None:
    cast = find_cast(seeded)
    closed = closed_port()
    server.paths["/rss"] = Served(RSS)
    server.paths["/drip"] = dripping()
    server.paths["/elsewhere"] = Served(b"", status=302, location="http://169.254.169.254/")
    other.paths["/rss"] = Served(RSS)  # open and answering, but not allowed
    urls = [
        f"http://127.0.0.1:{closed}/rss",  # allowed, nothing listens
        other.url("/rss"),
        server.url("/elsewhere"),
        server.url("/drip"),
        f"http://localhost:{closed}/rss",  # a name for a refused address
        server.url("/rss"),
    ]
    with seeded.session() as s:
        for url in urls:
            s.add(FundingFeed(url=url, added_by=cast.expert, added_at=clock.now()))
    config = poller_settings(
        settings,
        f"127.0.0.1:{server.port}",
        f"127.0.0.1:{closed}",
        funding_fetch_deadline=0.8,
    )
    poller = FundingPoller(seeded, clock, config)
    assert await poller.run_once() == 1
    await poller.close()
    assert other.hits == []

    listing = await chat.text(cast.expert, "/zrodla")
    states = [line.split(" · ", 1)[1] for line in listing.splitlines()]
    assert states[:5] == [f"problem: {SHOWN}"] * 5
    assert not states[5].startswith("problem")
    with seeded.session() as s:
        reports = s.exec(
            select(OutboxMessage)
            .where(OutboxMessage.kind == "funding_feed")
            .order_by(OutboxMessage.id)  # type: ignore[arg-type]
        ).all()
    texts = [r.payload["text"] for r in reports]
    assert len(texts) == 5 and all(SHOWN in text for text in texts)
    # apart from the feed's number and address, the five reports are one text
    plain = {re.sub(r"\d+", "N", re.sub(r"\(http[^)]*\)", "(…)", text)) for text in texts}
    assert len(plain) == 1
    for word in ("timeout", "refused", "Connect", "metadata", "loopback", "odmow"):
        assert word not in listing and word not in "".join(texts)

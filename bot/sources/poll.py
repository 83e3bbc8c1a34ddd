"""The funding poller: every few hours, read the EU portal and the registered feeds and hand
what they say to handlers.funding.feeds. Woken by the scheduler; safe to run in two processes
(each feed's poll time is claimed in the database before fetching).

Sources are fetched side by side, at most EMPIRIE_FUNDING_FEED_CONCURRENCY feeds at once, and
each fetch ends by EMPIRIE_FUNDING_FETCH_DEADLINE: a feed that drips a byte at a time holds
one slot for that long and never the others. Feeds go through the address guard
(bot/sources/guard.py); the portal's address is the operator's own setting."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable
from datetime import datetime, timedelta

import httpx

from bot.sources import eu_portal, feeds
from bot.sources.guard import AddressGuard, guarded_client
from core.clock import Clock
from core.config import Settings
from handlers.funding.feeds import due_feeds, record_failure, record_portal, record_success
from handlers.funding.parse import parse_feed
from models import funding as store
from models.db import Database
from models.funding import FundingFeed

log = logging.getLogger("empirie.sources.poll")


class FundingPoller:
    def __init__(
        self,
        db: Database,
        clock: Clock,
        settings: Settings,
        client: httpx.AsyncClient | None = None,
        guard: AddressGuard | None = None,
    ) -> None:
        """`client` is for the EU portal; feeds always get a client of their own with `guard`
        (from the settings unless given) on every connection."""
        self.db, self.clock, self.settings = db, clock, settings
        self._client, self._own_client = client, client is None
        self._guard = guard or AddressGuard.from_settings(settings)
        self._feed_client: httpx.AsyncClient | None = None

    def _http(self) -> httpx.AsyncClient:
        if self._client is None:
            self._client = httpx.AsyncClient(
                timeout=httpx.Timeout(self.settings.funding_http_timeout)
            )
        return self._client

    def _feeds_http(self) -> httpx.AsyncClient:
        if self._feed_client is None:
            self._feed_client = guarded_client(self._guard, self.settings.funding_http_timeout)
        return self._feed_client

    async def close(self) -> None:
        if self._own_client and self._client is not None:
            await self._client.aclose()
        if self._feed_client is not None:
            await self._feed_client.aclose()

    async def run_once(self) -> int:
        """Poll whatever is due; returns how many new calls were stored."""
        with self.db.session() as s:
            due = [f.id or 0 for f in due_feeds(s, self.clock.now(), self.settings)]
        slots = asyncio.Semaphore(self.settings.funding_feed_concurrency)

        async def feed(feed_id: int) -> int:
            async with slots:
                return await self._feed(feed_id)

        work: list[Awaitable[int]] = [feed(feed_id) for feed_id in due]
        if self.settings.funding_eu_enabled:
            work.insert(0, self._portal())
        return sum(await asyncio.gather(*(self._safely(w) for w in work)))

    @staticmethod
    async def _safely(work: Awaitable[int]) -> int:
        """One source's bug is logged and costs only that source."""
        try:
            return await work
        except Exception:
            log.exception("funding.source_failed")
            return 0

    def _claim(self, key: str) -> bool:
        """One poll per period across processes (the period's start is the key)."""
        now = self.clock.now()
        period = timedelta(hours=self.settings.funding_poll_hours)
        slot = datetime.fromtimestamp(
            now.timestamp() // period.total_seconds() * period.total_seconds(), tz=now.tzinfo
        )
        with self.db.session() as s:
            return store.claim_once(s, f"poll:{key}:{slot.isoformat()}", now)

    async def _portal(self) -> int:
        if not self._claim("eu"):
            return 0
        try:
            fetched = await eu_portal.search(
                self._http(),
                url=self.settings.funding_eu_url,
                text=self.settings.funding_eu_text,
                max_pages=self.settings.funding_eu_max_pages,
                deadline=self.settings.funding_fetch_deadline,
            )
        except (eu_portal.PortalError, httpx.HTTPError) as error:
            log.warning("funding.eu_failed error=%s", error)
            return 0
        with self.db.session() as s:
            return record_portal(s, self.clock.now(), fetched.records).new

    async def _feed(self, feed_id: int) -> int:
        if not self._claim(f"feed:{feed_id}"):
            return 0
        with self.db.session() as s:
            feed = s.get(FundingFeed, feed_id)
        if feed is None:
            return 0
        got = await feeds.fetch(
            self._feeds_http(),
            feed.url,
            etag=feed.etag,
            last_modified=feed.last_modified,
            max_bytes=self.settings.funding_feed_max_bytes,
            deadline=self.settings.funding_fetch_deadline,
        )
        now = self.clock.now()
        with self.db.session() as s:
            feed = s.get(FundingFeed, feed_id)
            assert feed is not None
            if got.error:
                record_failure(s, feed, now, self.settings, got.error)
                return 0
            parsed = (
                None
                if got.not_modified
                else parse_feed(got.content or b"", f"feed:{feed_id}", feed.funder)
            )
            return record_success(
                s, feed, now, self.settings, parsed, got.etag, got.last_modified
            ).new

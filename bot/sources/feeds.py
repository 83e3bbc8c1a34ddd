"""Fetching RSS/Atom feeds with httpx: timeouts, conditional GET and a size cap.

Never raises for the feed's sake: every failure comes back as a short reason the coordinator
can read ("timeout", "HTTP 404", "too large"), and parsing (handlers.funding.parse) decides
whether the bytes are a feed at all.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass

import httpx

log = logging.getLogger("empirie.sources.feeds")

USER_AGENT = "empirie-bot (funding-call digests; +https://www.miasta.pl)"


@dataclass(frozen=True)
class FeedFetch:
    content: bytes | None  # None: nothing new (304) or a failure
    not_modified: bool = False
    error: str | None = None
    etag: str | None = None
    last_modified: str | None = None


async def fetch(
    client: httpx.AsyncClient,
    url: str,
    *,
    etag: str | None = None,
    last_modified: str | None = None,
    max_bytes: int = 5_000_000,
) -> FeedFetch:
    headers = {
        "User-Agent": USER_AGENT,
        "Accept": "application/rss+xml, application/atom+xml, application/xml;q=0.9, */*;q=0.5",
    }
    if etag:
        headers["If-None-Match"] = etag
    if last_modified:
        headers["If-Modified-Since"] = last_modified
    try:
        async with client.stream("GET", url, headers=headers, follow_redirects=True) as response:
            if response.status_code == 304:
                return FeedFetch(None, not_modified=True, etag=etag, last_modified=last_modified)
            if response.status_code != 200:
                return FeedFetch(None, error=f"HTTP {response.status_code}")
            declared = response.headers.get("Content-Length")
            if declared and declared.isdigit() and int(declared) > max_bytes:
                return FeedFetch(None, error="too large")
            body = bytearray()
            async for chunk in response.aiter_bytes():
                body += chunk
                if len(body) > max_bytes:
                    return FeedFetch(None, error="too large")
            return FeedFetch(
                bytes(body),
                etag=response.headers.get("ETag"),
                last_modified=response.headers.get("Last-Modified"),
            )
    except httpx.TimeoutException:
        return FeedFetch(None, error="timeout")
    except httpx.HTTPError as error:
        log.info("feeds.unreachable error=%s", type(error).__name__)
        return FeedFetch(None, error=f"unreachable ({type(error).__name__})")

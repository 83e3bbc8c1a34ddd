"""Fetching RSS/Atom feeds with httpx: one overall deadline, a size cap, conditional GET and
redirects followed by hand (each hop meets the address guard of bot/sources/guard.py, which
lives in the client's transport).

Never raises for the feed's sake. Whatever goes wrong before a server answers (refused address,
closed port, name not found, TLS, a deadline, a broken redirect) comes back as the one reason
UNREACHABLE, so what a coordinator sees cannot tell an open port from a closed one or a refused
address from a slow one; the detail goes to the log. An answer that is not a feed comes back
as "HTTP 404" or "too large", and parsing (handlers.funding.parse) decides whether the bytes
are a feed at all.
"""

from __future__ import annotations

import asyncio
import logging
from dataclasses import dataclass

import httpx

from handlers.funding.feeds import UNREACHABLE

log = logging.getLogger("empirie.sources.feeds")

USER_AGENT = "empirie-bot (funding-call digests; +https://www.miasta.pl)"
REDIRECTS = frozenset({301, 302, 303, 307, 308})


@dataclass(frozen=True)
class FeedFetch:
    content: bytes | None  # None: nothing new (304) or a failure
    not_modified: bool = False
    error: str | None = None
    etag: str | None = None
    last_modified: str | None = None


class _Unfollowable(Exception):
    """A redirect we do not follow (another scheme, none given, too many)."""


async def fetch(
    client: httpx.AsyncClient,
    url: str,
    *,
    etag: str | None = None,
    last_modified: str | None = None,
    max_bytes: int = 5_000_000,
    deadline: float = 20.0,
    max_redirects: int = 5,
) -> FeedFetch:
    """One feed, all of it (every redirect hop and the whole body) within `deadline` seconds."""
    headers = {
        "User-Agent": USER_AGENT,
        "Accept": "application/rss+xml, application/atom+xml, application/xml;q=0.9, */*;q=0.5",
    }
    if etag:
        headers["If-None-Match"] = etag
    if last_modified:
        headers["If-Modified-Since"] = last_modified
    try:
        async with asyncio.timeout(deadline):
            return await _follow(client, url, headers, max_bytes, max_redirects)
    except TimeoutError:
        detail = f"deadline of {deadline:g} s"
    except (httpx.HTTPError, httpx.InvalidURL, _Unfollowable) as error:
        cause = error.__cause__
        detail = f"{type(error).__name__}: {error}" + (f" ({cause})" if cause else "")
    log.info("feeds.unreachable url=%s detail=%s", url, detail)
    return FeedFetch(None, error=UNREACHABLE)


async def _follow(
    client: httpx.AsyncClient,
    url: str,
    headers: dict[str, str],
    max_bytes: int,
    max_redirects: int,
) -> FeedFetch:
    target = httpx.URL(url)
    for _hop in range(max_redirects + 1):
        if target.scheme not in ("http", "https"):
            raise _Unfollowable(f"scheme {target.scheme!r}")
        async with client.stream(
            "GET", target, headers=headers, follow_redirects=False
        ) as response:
            if response.status_code in REDIRECTS:
                location = response.headers.get("Location")
                if not location:
                    raise _Unfollowable(f"HTTP {response.status_code} without Location")
                target = response.url.join(location)
                continue
            if response.status_code == 304:
                return FeedFetch(
                    None,
                    not_modified=True,
                    etag=headers.get("If-None-Match"),
                    last_modified=headers.get("If-Modified-Since"),
                )
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
    raise _Unfollowable(f"more than {max_redirects} redirects")

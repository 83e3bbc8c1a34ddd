"""The EU Funding & Tenders Portal search API (SEDIA).

Request shape (checked in public clients and by hand): POST with `apiKey=SEDIA`, `text`,
`pageSize` and `pageNumber` in the URL and `query`, `languages` and `sort` as multipart parts
of type application/json (as plain form fields the API answers 500; in the URL `query` is
ignored). Only `bool`/`must`/`terms` filters work, so dates are filtered on our side. There is
no documented rate limit: we poll a few times a day and page politely.
"""

from __future__ import annotations

import asyncio
import json
import logging
from dataclasses import dataclass
from typing import Any

import httpx

from handlers.funding.parse import CallRecord, merge, parse_sedia

log = logging.getLogger("empirie.sources.eu")

SEARCH_URL = "https://api.tech.ec.europa.eu/search-api/prod/rest/search"
# Grants (types 1 and 2: topics and calls for proposals; 8: cascade funding), not closed.
DEFAULT_QUERY: dict[str, Any] = {
    "bool": {
        "must": [
            {"terms": {"type": ["1", "2", "8"]}},
            {"terms": {"status": ["31094501", "31094502"]}},
        ]
    }
}
DEFAULT_SORT = {"field": "sortStatus", "order": "ASC"}


class PortalError(Exception):
    """The portal answered with something we cannot use (status, not JSON)."""


@dataclass(frozen=True)
class PortalFetch:
    records: list[CallRecord]
    pages: int
    total: int | None


def _part(value: Any) -> tuple[str, bytes, str]:
    return ("blob", json.dumps(value).encode(), "application/json")


async def search(
    client: httpx.AsyncClient,
    *,
    url: str = SEARCH_URL,
    text: str = "***",
    query: dict[str, Any] | None = None,
    languages: tuple[str, ...] = ("en",),
    page_size: int = 100,
    max_pages: int = 10,
    deadline: float = 20.0,
) -> PortalFetch:
    """Every page of one search, parsed and merged by identifier; each page within `deadline`
    seconds (a portal that stalls ends the search with PortalError, not a stuck poller)."""
    by_id: dict[str, CallRecord] = {}
    total: int | None = None
    page = 0
    for page in range(1, max_pages + 1):
        try:
            async with asyncio.timeout(deadline):
                response = await client.post(
                    url,
                    params={
                        "apiKey": "SEDIA",
                        "text": text,
                        "pageSize": str(page_size),
                        "pageNumber": str(page),
                    },
                    files={
                        "query": _part(query or DEFAULT_QUERY),
                        "languages": _part(list(languages)),
                        "sort": _part(DEFAULT_SORT),
                    },
                )
        except TimeoutError as error:
            raise PortalError(f"page {page}: no answer within {deadline:g} s") from error
        if response.status_code != 200:
            raise PortalError(f"HTTP {response.status_code}")
        try:
            payload = response.json()
        except ValueError as error:
            raise PortalError("not JSON") from error
        total = int(payload.get("totalResults") or 0)
        for record in parse_sedia(payload):
            assert record.identifier is not None
            known = by_id.get(record.identifier)
            by_id[record.identifier] = merge(known, record) if known else record
        if page * page_size >= total or not payload.get("results"):
            break
    log.info("eu.fetched pages=%s total=%s calls=%s", page, total, len(by_id))
    return PortalFetch(list(by_id.values()), page, total)

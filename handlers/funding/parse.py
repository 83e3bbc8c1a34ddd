"""Payloads -> neutral call records: the EU portal's search results, RSS/Atom, CSV.

Pure functions over bytes and dicts, so jobs and handlers can use them without the fetchers
in bot/sources. The EU portal's quirks (checked on real pages) are handled here:
every metadata value is a list; `deadlineDate` holds several dates for two-stage calls;
`actions`/`budgetOverview` are JSON strings inside lists; `keywords` is sometimes one
JSON-encoded string; one identifier can come in several rows (some nearly empty); statuses
are codes; and a call still marked open whose deadlines have all passed is not open.
"""

from __future__ import annotations

import csv
import html
import io
import json
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field, replace
from datetime import UTC, date, datetime, time
from typing import Any
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit
from zoneinfo import ZoneInfo

from handlers.funding.match import fold
from models.funding import CallStatus

STATUS_CODES = {
    "31094501": CallStatus.FORTHCOMING,
    "31094502": CallStatus.OPEN,
    "31094503": CallStatus.CLOSED,
}
TOPIC_PAGE = (
    "https://ec.europa.eu/info/funding-tenders/opportunities/portal/screen/"
    "opportunities/topic-details/{id}"
)


@dataclass(frozen=True)
class CallRecord:
    """One funding call as a source tells it, before deduplication."""

    source: str  # "eu", "feed:<id>", "manual", "csv"
    title: str
    link: str | None = None
    identifier: str | None = None
    programme: str | None = None  # e.g. DIGITAL, LIFE, CERV; for feeds the funder
    status: CallStatus = CallStatus.OPEN
    opens_at: datetime | None = None
    deadlines: tuple[datetime, ...] = ()
    budget: float | None = None
    currency: str | None = None
    tags: tuple[str, ...] = ()
    summary: str = ""
    published_at: datetime | None = None  # feeds: when the entry was published

    def next_deadline(self, now: datetime) -> datetime | None:
        return next_deadline(self.deadlines, now)

    def effective_status(self, now: datetime) -> CallStatus:
        return effective_status(self.status, self.deadlines, now)


def next_deadline(deadlines: Iterable[datetime], now: datetime) -> datetime | None:
    future = [d for d in deadlines if d >= now]
    return min(future) if future else None


def effective_status(status: str, deadlines: Sequence[datetime], now: datetime) -> CallStatus:
    """ "Open" with every deadline passed is closed; forthcoming past its deadlines too."""
    known = CallStatus(status)
    if (
        known in (CallStatus.OPEN, CallStatus.FORTHCOMING)
        and deadlines
        and next_deadline(deadlines, now) is None
    ):
        return CallStatus.CLOSED
    return known


# --- EU Funding & Tenders Portal -------------------------------------------------------------


def _values(metadata: dict[str, Any], key: str) -> list[str]:
    """A metadata field as a flat list of strings, whatever shape it came in."""
    raw = metadata.get(key)
    if raw is None:
        return []
    items = raw if isinstance(raw, list) else [raw]
    return [str(v).strip() for v in items if v is not None and str(v).strip()]


def _first(metadata: dict[str, Any], key: str) -> str | None:
    values = _values(metadata, key)
    return values[0] if values else None


def _json(value: str | None) -> Any:
    if not value:
        return None
    try:
        return json.loads(value)
    except ValueError:
        return None


def _keywords(metadata: dict[str, Any]) -> list[str]:
    """`keywords` is a list of strings, or a list holding one JSON-encoded list."""
    found: list[str] = []
    for value in _values(metadata, "keywords"):
        decoded = _json(value) if value.startswith("[") else None
        if isinstance(decoded, list):
            found += [str(v).strip() for v in decoded if str(v).strip()]
        else:
            found.append(value)
    return found


def parse_portal_date(value: str) -> datetime | None:
    """`2027-04-08T00:00:00.000+0000` or `2027-04-08` -> aware UTC datetime."""
    value = value.strip()
    for fmt in ("%Y-%m-%dT%H:%M:%S.%f%z", "%Y-%m-%dT%H:%M:%S%z", "%Y-%m-%d"):
        try:
            parsed = datetime.strptime(value, fmt)
        except ValueError:
            continue
        return parsed.astimezone(UTC) if parsed.tzinfo else parsed.replace(tzinfo=UTC)
    return None


def _dates(values: Iterable[str]) -> tuple[datetime, ...]:
    parsed = {d for d in (parse_portal_date(v) for v in values) if d is not None}
    return tuple(sorted(parsed))


BRUSSELS = ZoneInfo("Europe/Brussels")


def _deadlines(values: Iterable[str]) -> tuple[datetime, ...]:
    """The portal gives deadline days (00:00 UTC); calls close at 17:00 Brussels time."""
    return tuple(
        sorted(
            {
                datetime.combine(d.date(), time(17, 0), BRUSSELS).astimezone(UTC)
                if d.time() == time(0, 0)
                else d
                for d in _dates(values)
            }
        )
    )


def _budget(metadata: dict[str, Any], identifier: str) -> float | None:
    """The topic's own budget from `budgetOverview` (its map also lists sibling topics)."""
    total = 0.0
    seen = False
    for value in _values(metadata, "budgetOverview"):
        overview = _json(value)
        if not isinstance(overview, dict):
            continue
        for actions in (overview.get("budgetTopicActionMap") or {}).values():
            for action in actions or []:
                name = str(action.get("action", ""))
                if not (name == identifier or name.startswith(identifier + " ")):
                    continue
                for amount in (action.get("budgetYearMap") or {}).values():
                    try:
                        total += float(amount)
                        seen = True
                    except (TypeError, ValueError):
                        continue
    return total if seen else None


def _actions(metadata: dict[str, Any]) -> tuple[list[str], list[str], str | None]:
    """Deadlines, planned opening dates and a status code from the `actions` JSON."""
    deadlines: list[str] = []
    openings: list[str] = []
    status = None
    for value in _values(metadata, "actions"):
        decoded = _json(value)
        for action in decoded if isinstance(decoded, list) else []:
            if not isinstance(action, dict):
                continue
            deadlines += [str(d) for d in action.get("deadlineDates") or []]
            if action.get("plannedOpeningDate"):
                openings.append(str(action["plannedOpeningDate"]))
            code = (action.get("status") or {}).get("id")
            status = status or (str(code) if code else None)
    return deadlines, openings, status


def programme_of(identifier: str | None) -> str | None:
    """`DIGITAL-2027-AI-05` -> DIGITAL; `HORIZON-CL4-…` -> HORIZON."""
    if not identifier:
        return None
    head = identifier.split("-", 1)[0].strip().upper()
    return head if head.isalpha() else None


def _clean_html(text: str) -> str:
    return re.sub(r"\s+", " ", html.unescape(re.sub(r"<[^>]+>", " ", text))).strip()


def parse_sedia_result(result: dict[str, Any]) -> CallRecord | None:
    """One search result -> a record, or None for a row without an identifier and title."""
    metadata = result.get("metadata") or {}
    identifier = _first(metadata, "identifier")
    title = _first(metadata, "title") or (result.get("summary") or "").strip() or None
    if not identifier or not title:
        return None
    action_deadlines, openings, action_status = _actions(metadata)
    deadlines = _deadlines([*_values(metadata, "deadlineDate"), *action_deadlines])
    opens = _dates([*_values(metadata, "startDate"), *openings])
    code = _first(metadata, "status") or action_status or ""
    link = _first(metadata, "url") or result.get("url") or TOPIC_PAGE.format(id=identifier)
    tags = [
        *_keywords(metadata),
        *_values(metadata, "tags"),
        *_values(metadata, "crossCuttingPriorities"),
    ]
    summary = " ".join(
        [
            *_values(metadata, "callTitle"),
            *_values(metadata, "destinationDescription"),
            *(_clean_html(v) for v in _values(metadata, "descriptionByte")),
        ]
    )
    return CallRecord(
        source="eu",
        title=title,
        link=link,
        identifier=identifier,
        programme=programme_of(identifier),
        status=STATUS_CODES.get(code, CallStatus.OPEN),
        opens_at=opens[0] if opens else None,
        deadlines=deadlines,
        budget=_budget(metadata, identifier),
        currency="EUR",
        tags=tuple(dict.fromkeys(t for t in tags if t != identifier)),
        summary=summary[:4000],
    )


def _richness(record: CallRecord) -> int:
    return (
        len(record.deadlines) * 4
        + bool(record.budget) * 2
        + bool(record.opens_at)
        + bool(record.summary)
        + len(record.tags)
    )


def merge(a: CallRecord, b: CallRecord) -> CallRecord:
    """Two rows of one call: keep the fuller, add the other's deadlines and tags."""
    main, other = (a, b) if _richness(a) >= _richness(b) else (b, a)
    return replace(
        main,
        deadlines=tuple(sorted(set(main.deadlines) | set(other.deadlines))),
        tags=tuple(dict.fromkeys([*main.tags, *other.tags])),
        budget=main.budget if main.budget is not None else other.budget,
        opens_at=main.opens_at or other.opens_at,
        summary=main.summary or other.summary,
    )


def parse_sedia(payload: dict[str, Any]) -> list[CallRecord]:
    """A search page -> one record per identifier (duplicate and empty rows merged)."""
    by_id: dict[str, CallRecord] = {}
    for result in payload.get("results") or []:
        record = parse_sedia_result(result) if isinstance(result, dict) else None
        if record is None or record.identifier is None:
            continue
        known = by_id.get(record.identifier)
        by_id[record.identifier] = merge(known, record) if known else record
    return list(by_id.values())


# --- RSS / Atom --------------------------------------------------------------------------------


@dataclass
class FeedParse:
    records: list[CallRecord] = field(default_factory=list)
    title: str | None = None
    broken: str | None = None  # why the document is not a usable feed
    newest: datetime | None = None  # the newest entry's date, to tell a silent feed


def _entry_date(entry: Any, *keys: str) -> datetime | None:
    for key in keys:
        value = entry.get(key)
        if value:
            return datetime(*value[:6]).replace(tzinfo=UTC)
    return None


def parse_feed(content: bytes, source: str, funder: str | None = None) -> FeedParse:
    """RSS 2.0 or Atom bytes -> records; a broken document says why instead of raising."""
    import feedparser

    try:
        parsed = feedparser.parse(content)
    except Exception as error:  # feedparser is lenient; never let one feed stop the poller
        return FeedParse(broken=type(error).__name__)
    result = FeedParse(title=(parsed.feed.get("title") or None) if parsed.get("feed") else None)
    if parsed.bozo and not parsed.entries:
        result.broken = (
            type(parsed.get("bozo_exception")).__name__
            if parsed.get("bozo_exception")
            else "not a feed"
        )
        return result
    if not parsed.get("version") and not parsed.entries:
        result.broken = "not a feed"
        return result
    for entry in parsed.entries:
        title = _clean_html(entry.get("title") or "")
        if not title:
            continue
        published = _entry_date(entry, "published_parsed", "updated_parsed")
        if published and (result.newest is None or published > result.newest):
            result.newest = published
        summary = _clean_html(entry.get("summary") or "")
        tags = tuple(t.get("term", "") for t in entry.get("tags") or [] if t.get("term"))
        deadline = _deadline_in(f"{title} {summary}")
        result.records.append(
            CallRecord(
                source=source,
                title=title[:300],
                link=entry.get("link") or None,
                identifier=None,
                programme=funder or result.title,
                status=CallStatus.OPEN,
                deadlines=(deadline,) if deadline else (),
                tags=tags,
                summary=summary[:4000],
                published_at=published,
            )
        )
    return result


_DEADLINE = re.compile(
    r"(?:termin|nabor|nabór|wnioski|deadline|do dnia|do)\D{0,40}?"
    r"(\d{1,2})[./-](\d{1,2})[./-](\d{4})",
    re.IGNORECASE,
)


def _deadline_in(text: str) -> datetime | None:
    """Feeds carry no deadline field: take "termin … 15.03.2027" from the text, if any."""
    found = _DEADLINE.search(text)
    if not found:
        return None
    try:
        day = date(int(found.group(3)), int(found.group(2)), int(found.group(1)))
    except ValueError:
        return None
    return end_of_day(day, ZoneInfo("Europe/Warsaw"))


def end_of_day(day: date, tz: ZoneInfo) -> datetime:
    return datetime.combine(day, time(23, 59), tz).astimezone(UTC)


def date_only(when: datetime, tz: ZoneInfo) -> bool:
    """A deadline given as a day only (stored as the end of that day, see end_of_day)."""
    return when.astimezone(tz).time() == time(23, 59)


def keep_precise(new: Iterable[datetime], old: Iterable[datetime], tz: ZoneInfo) -> list[datetime]:
    """`new` deadlines, where a day-only one keeps the more precise time already known for
    that day (12:00 entered by hand is not overwritten by a sheet saying only the date)."""
    known = {d.astimezone(tz).date(): d for d in old if not date_only(d, tz)}
    return [known.get(d.astimezone(tz).date(), d) if date_only(d, tz) else d for d in new]


# --- identity for deduplication ----------------------------------------------------------------

_TRACKING = ("utm_", "fbclid", "gclid")


def canonical_link(url: str | None) -> str | None:
    """Scheme, `www.`, trailing slash, fragment and tracking parameters do not make a new call."""
    if not url:
        return None
    parts = urlsplit(url.strip())
    if not parts.netloc:
        return None
    host = parts.netloc.lower().removeprefix("www.")
    query = urlencode(
        sorted((k, v) for k, v in parse_qsl(parts.query) if not k.lower().startswith(_TRACKING))
    )
    return urlunsplit(("", host, parts.path.rstrip("/") or "/", query, "")).lstrip("/")[:500]


def title_key(title: str) -> str:
    return " ".join(re.findall(r"[a-z0-9]+", fold(title)))[:300]


# --- CSV import ------------------------------------------------------------------------------

CSV_COLUMNS = ("tytul", "grantodawca", "link", "termin", "kwota", "tagi")
_ALIASES = {
    "tytuł": "tytul",
    "title": "tytul",
    "funder": "grantodawca",
    "url": "link",
    "deadline": "termin",
    "amount": "kwota",
    "budzet": "kwota",
    "budżet": "kwota",
    "tags": "tagi",
    "program": "grantodawca",
    "programme": "grantodawca",
}


@dataclass(frozen=True)
class CsvRow:
    line: int
    values: dict[str, str]


def read_csv(content: bytes) -> list[CsvRow]:
    """Rows of a CSV (`,`, `;` or tab; UTF-8 with or without BOM, Excel's cp1250 too).

    Raises ValueError for a file that is not CSV at all."""
    try:
        text = content.decode("utf-8-sig")
    except UnicodeDecodeError:
        text = content.decode("cp1250", errors="replace")
    text = text.replace("\x00", "")
    header = text.splitlines()[0] if text.strip() else ""
    delimiter = max(";,\t", key=header.count)
    reader = csv.DictReader(io.StringIO(text), delimiter=delimiter)
    rows = []
    try:
        for number, raw in enumerate(reader, start=2):
            values = {
                _ALIASES.get(fold(k or "").strip(), fold(k or "").strip()): (v or "").strip()
                if isinstance(v, str)
                else ""
                for k, v in raw.items()
                if k
            }
            if any(values.values()):
                rows.append(CsvRow(number, values))
    except csv.Error as error:
        raise ValueError(str(error)) from error
    return rows

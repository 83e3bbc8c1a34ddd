"""Text from outside is text, and only http(s) is a link (issue 23, items 1 and 3).

A feed or portal title written as markdown reaches the funding digest literally on every
platform; a `javascript:`, `data:`, `file:` or `ftp:` address is refused wherever a link is
typed: a meeting's online and stream links, an office-hours link, a call's address, a feed."""

from __future__ import annotations

from datetime import UTC, datetime
from zoneinfo import ZoneInfo

import pytest
from sqlmodel import select

from bot.transports.teams.render import text_to_html
from core import formatting
from core.clock import FrozenClock
from core.config import Settings
from core.i18n import Translator
from handlers.announcements.render import render
from handlers.funding.parse import CallRecord
from handlers.funding.store import ingest
from handlers.kit.limits import is_link
from jobs.dispatch import DueDispatcher
from models.db import Database
from models.funding import FundingCall, FundingFeed
from models.meetings import Meeting
from models.outbox import OutboxMessage
from tests.cast import find_cast
from tests.conftest import Chat

PHISH = "[Kliknij tutaj…](https://evil.example/phish)"
MONDAY_9 = datetime(2026, 11, 23, 8, 0, tzinfo=UTC)
HOSTILE_LINKS = (
    "javascript:alert(1)",
    "JavaScript:alert(document.cookie)",
    "data:text/html,<script>alert(1)</script>",
    "file:///etc/passwd",
    "ftp://files.example/x",
)
REFUSED = "Link musi zaczynać się od http:// lub https://."


def test_escaped_text_renders_literally_everywhere() -> None:
    hostile = f"{PHISH} **bold** _it_ `code` ~~s~~ a\\b\n- not a list\n* nor this"
    escaped = formatting.escape(hostile)
    assert formatting.to_plain(escaped) == hostile
    html = formatting.to_html(escaped)
    assert "<a " not in html and "<b>" not in html and "<i>" not in html
    assert "<code>" not in html and "<s>" not in html and "•" not in html
    assert "[Kliknij tutaj…](https://evil.example/phish)" in html
    assert "<a " not in text_to_html(escaped, True) and "<li>" not in text_to_html(escaped, True)
    # the bot's own markdown around it still works
    assert formatting.to_html(f"**{formatting.escape(PHISH)}**").startswith("<b>[Kliknij")


def test_only_http_and_https_are_links() -> None:
    assert is_link("https://teams.example/m") and is_link("HTTP://x.example")
    for bad in (*HOSTILE_LINKS, "https://", "https:// x", "http://a b", "www.example.pl"):
        assert not is_link(bad), bad


async def test_feed_title_reaches_the_digest_as_text(
    seeded: Database, clock: FrozenClock, settings: Settings
) -> None:
    record = CallRecord(
        source="feed",
        title=f"{PHISH} cyfryzacja usług",
        identifier="DIGITAL-PHISH-1",
        link="https://ec.europa.eu/topic/DIGITAL-PHISH-1",
        programme="DIGITAL [x](https://evil.example/p)",
        deadlines=(datetime(2027, 3, 1, 16, tzinfo=UTC),),
    )
    with seeded.session() as s:
        ingest(s, [record], clock.now())
    clock.set(MONDAY_9)
    await DueDispatcher(seeded, clock, settings, owner="test").run_once()
    with seeded.session() as s:
        rows = s.exec(select(OutboxMessage).where(OutboxMessage.kind == "funding_digest")).all()
    assert rows
    for row in rows:
        assert row.payload["markdown"] is True
        body = row.payload["text"]
        telegram = formatting.to_html(body)
        teams = text_to_html(body, True)
        plain = formatting.to_plain(body)
        for rendered in (telegram, teams):
            assert 'href="https://evil.example' not in rendered
            assert "https://ec.europa.eu/topic/DIGITAL-PHISH-1" in rendered  # its own link stays
        assert "[Kliknij tutaj…](https://evil.example/phish)" in telegram
        assert "[Kliknij tutaj…](https://evil.example/phish)" in plain
        assert "DIGITAL [x](https://evil.example/p)" in plain


async def test_a_non_http_call_link_from_a_feed_is_never_a_link(
    seeded: Database, clock: FrozenClock, settings: Settings
) -> None:
    record = CallRecord(
        source="feed",
        title="Cyfryzacja usług publicznych",
        identifier="DIGITAL-JS-1",
        link="javascript:alert(1)",
        programme="DIGITAL",
        deadlines=(datetime(2027, 3, 1, 16, tzinfo=UTC),),
    )
    with seeded.session() as s:
        ingest(s, [record], clock.now())
    clock.set(MONDAY_9)
    await DueDispatcher(seeded, clock, settings, owner="test").run_once()
    with seeded.session() as s:
        rows = s.exec(select(OutboxMessage).where(OutboxMessage.kind == "funding_digest")).all()
    assert rows
    for row in rows:
        assert "javascript:" not in row.payload["text"]
        assert "href=" not in formatting.to_html(row.payload["text"]).replace('href="https://', "")


async def test_announcement_network_names_are_text(chat: Chat, seeded: Database) -> None:
    body = render(Translator("pl", ZoneInfo("Europe/Warsaw")), [PHISH], "**Ważne**")
    html = formatting.to_html(body)
    assert 'href="https://evil.example' not in html and "<b>Ważne</b>" in html


@pytest.mark.parametrize("bad", HOSTILE_LINKS)
async def test_meeting_links_must_be_http(chat: Chat, seeded: Database, bad: str) -> None:
    cast = find_cast(seeded)
    new = (
        "/spotkanie_nowe cyfrowe; Spotkanie II; 12.05.2027 10:00; hybrydowe; 6; "
        f"Łomża, ul. Długa 1; {bad}; 40; nie; 5.05.2027 12:00"
    )
    assert REFUSED in await chat.text(cast.coordinator, new, chat="cyfrowe")
    stream = (
        "/spotkanie_nowe cyfrowe; Spotkanie II; 12.05.2027 10:00; hybrydowe; 6; "
        "Łomża, ul. Długa 1; https://teams.example/m; 40; nie; 5.05.2027 12:00; "
        f"10:00-12:00 Wykłady otwarta {bad} | 12:30-16:00 Warsztaty zamknięta"
    )
    assert REFUSED in await chat.text(cast.coordinator, stream, chat="cyfrowe")
    with seeded.session() as s:
        assert s.exec(select(Meeting)).all() == []
    good = (
        "/spotkanie_nowe cyfrowe; Spotkanie II; 12.05.2027 10:00; hybrydowe; 6; "
        "Łomża, ul. Długa 1; https://teams.example/m; 40; nie; 5.05.2027 12:00"
    )
    assert "opublikowane" in await chat.text(cast.coordinator, good, chat="cyfrowe")
    with seeded.session() as s:
        [meeting] = s.exec(select(Meeting)).all()
    edited = await chat.text(cast.coordinator, f"/spotkanie_zmien {meeting.id} link {bad}")
    assert REFUSED in edited
    with seeded.session() as s:
        assert s.get(Meeting, meeting.id).online_link == "https://teams.example/m"  # type: ignore[union-attr]


async def test_office_hours_link_must_be_http(chat: Chat, seeded: Database) -> None:
    cast = find_cast(seeded)
    text = await chat.text(
        cast.expert,
        "/dyzur_seria cyfrowe; 1.12.2026 10:00; 2; 60; 15; javascript:alert(1)",
    )
    assert REFUSED in text


@pytest.mark.parametrize("bad", HOSTILE_LINKS)
async def test_call_and_feed_addresses_must_be_http(chat: Chat, seeded: Database, bad: str) -> None:
    cast = find_cast(seeded)
    added = await chat.text(
        cast.expert, f"/konkurs_dodaj Cyfrowa gmina; CPPC; {bad}; 30.01.2027; 500000; e-usługi"
    )
    assert REFUSED in added
    with seeded.session() as s:
        assert s.exec(select(FundingCall)).all() == []
    ok = await chat.text(
        cast.expert,
        "/konkurs_dodaj Cyfrowa gmina; CPPC; https://cppc.gov.pl/n; 30.01.2027; 500000; e-usługi",
    )
    assert "Dodano konkurs" in ok
    with seeded.session() as s:
        [call] = s.exec(select(FundingCall)).all()
    assert REFUSED in await chat.text(cast.expert, f"/konkurs_zmien {call.id} link {bad}")
    assert REFUSED in await chat.text(cast.coordinator, f"/zrodlo_dodaj {bad} cyfrowe")
    with seeded.session() as s:
        assert s.exec(select(FundingFeed)).all() == []

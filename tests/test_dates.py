"""Polish date input, in Europe/Warsaw, to UTC; a date without a year is its next occurrence
(29.02 included), through a command too, on SQLite and PostgreSQL."""

from __future__ import annotations

from datetime import UTC, datetime
from zoneinfo import ZoneInfo

import pytest
from sqlmodel import select

from core.clock import FrozenClock
from handlers.kit.dates import parse_when, require_future
from models.db import Database
from models.errors import DomainError
from models.meetings import Meeting
from tests.cast import find_cast
from tests.conftest import Chat

WARSAW = ZoneInfo("Europe/Warsaw")
NOW = datetime(2026, 11, 23, 9, 0, tzinfo=UTC)  # Monday 10:00 in Warsaw


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("12.05.2027 10:00", datetime(2027, 5, 12, 8, 0, tzinfo=UTC)),  # CEST
        ("1.12.2026 9.30", datetime(2026, 12, 1, 8, 30, tzinfo=UTC)),  # CET
        ("12 maja 10:00", datetime(2027, 5, 12, 8, 0, tzinfo=UTC)),  # next May
        ("3 grudnia 2026 o 14:15", datetime(2026, 12, 3, 13, 15, tzinfo=UTC)),
        ("3 Grudnia godz. 14:15", datetime(2026, 12, 3, 13, 15, tzinfo=UTC)),
        ("5 października 2027, 10:00", datetime(2027, 10, 5, 8, 0, tzinfo=UTC)),
        ("jutro 10:00", datetime(2026, 11, 24, 9, 0, tzinfo=UTC)),
        ("Pojutrze 8:05", datetime(2026, 11, 25, 7, 5, tzinfo=UTC)),
        ("dziś 18:00", datetime(2026, 11, 23, 17, 0, tzinfo=UTC)),
        ("2026-12-24 12:00", datetime(2026, 12, 24, 11, 0, tzinfo=UTC)),
        ("24.12 12:00", datetime(2026, 12, 24, 11, 0, tzinfo=UTC)),
        ("20.11 12:00", datetime(2027, 11, 20, 11, 0, tzinfo=UTC)),  # passed this year: next year
        # copied from the bot's own messages, weekday and all
        ("wtorek, 1 grudnia 2026, 10:30", datetime(2026, 12, 1, 9, 30, tzinfo=UTC)),
        ("Śr. 2.12.2026 10:30", datetime(2026, 12, 2, 9, 30, tzinfo=UTC)),
    ],
)
def test_accepted_formats(text: str, expected: datetime) -> None:
    assert parse_when(text, NOW, WARSAW) == expected


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("31.02.2027 10:00", "does not exist"),
        ("12.05.2027 25:00", "does not exist"),
        ("32 maja 10:00", "does not exist"),
        ("kiedyś", "could not read"),
        ("12 mojego 10:00", "could not read"),
        ("", "could not read"),
        ("środa, 1 grudnia 2026, 10:30", "weekday"),  # 1 December 2026 is a Tuesday
    ],
)
def test_refused(text: str, message: str) -> None:
    with pytest.raises(DomainError) as caught:
        parse_when(text, NOW, WARSAW)
    assert message in caught.value.msgid


def test_past_is_refused() -> None:
    when = parse_when("dziś 9:00", NOW, WARSAW)
    with pytest.raises(DomainError):
        require_future(when, NOW, "dziś 9:00")


@pytest.mark.parametrize(
    ("today", "text", "expected"),
    [
        # 29 February without a year: the next one, also when this year has none
        ("2027-03-01", "29.02 10:00", datetime(2028, 2, 29, 9, 0, tzinfo=UTC)),
        ("2027-03-01", "29 lutego 10:00", datetime(2028, 2, 29, 9, 0, tzinfo=UTC)),
        ("2027-02-10", "29.02 10:00", datetime(2028, 2, 29, 9, 0, tzinfo=UTC)),
        ("2028-02-10", "29.02 10:00", datetime(2028, 2, 29, 9, 0, tzinfo=UTC)),
        ("2028-03-01", "29/02 10:00", datetime(2032, 2, 29, 9, 0, tzinfo=UTC)),
        ("2028-02-29", "29.02 12:00", datetime(2028, 2, 29, 11, 0, tzinfo=UTC)),  # today
        ("2027-03-01", "wtorek, 29 lutego 10:00", datetime(2028, 2, 29, 9, 0, tzinfo=UTC)),
        ("2099-03-01", "29.02 10:00", datetime(2104, 2, 29, 9, 0, tzinfo=UTC)),  # 2100: none
        ("2027-03-01", "28.02 10:00", datetime(2028, 2, 28, 9, 0, tzinfo=UTC)),
    ],
)
def test_a_date_without_a_year_is_its_next_occurrence(
    today: str, text: str, expected: datetime
) -> None:
    now = datetime.fromisoformat(today).replace(hour=7, tzinfo=UTC)
    if expected.year > 2100:  # beyond the accepted years: refused as such, not "no such date"
        with pytest.raises(DomainError) as caught:
            parse_when(text, now, WARSAW)
        assert "outside the years" in caught.value.msgid
        return
    assert parse_when(text, now, WARSAW) == expected


@pytest.mark.parametrize("text", ["31.02 10:00", "30 lutego 10:00", "31.04 10:00"])
def test_a_date_no_year_has_is_refused(text: str) -> None:
    with pytest.raises(DomainError) as caught:
        parse_when(text, datetime(2027, 3, 1, 7, 0, tzinfo=UTC), WARSAW)
    assert "does not exist" in caught.value.msgid


async def test_a_meeting_on_29_february_without_a_year_in_a_leap_year_ahead(
    chat: Chat, seeded: Database, clock: FrozenClock
) -> None:
    """On 1 March 2027 a coordinator types "29.02": the meeting is on 29 February 2028."""
    cast = find_cast(seeded)
    clock.set(datetime(2027, 3, 1, 9, 0, tzinfo=UTC))
    reply = await chat.text(
        cast.coordinator, "/spotkanie_nowe cyfrowe; Spotkanie przestępne; 29.02 10:00; online"
    )
    assert "opublikowane" in reply, reply
    with seeded.session() as s:
        meeting = s.exec(select(Meeting)).one()
    assert meeting.starts_at == datetime(2028, 2, 29, 9, 0, tzinfo=UTC)

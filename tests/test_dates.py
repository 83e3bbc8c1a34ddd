"""Polish date input, in Europe/Warsaw, to UTC."""

from __future__ import annotations

from datetime import UTC, datetime
from zoneinfo import ZoneInfo

import pytest

from handlers.kit.dates import parse_when, require_future
from models.errors import DomainError

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

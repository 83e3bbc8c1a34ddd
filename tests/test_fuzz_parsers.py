"""Property-based fuzzing of the two parsers every command goes through: the command line
(bot.router.parse_command) and Polish dates (handlers.kit.dates.parse_when). Whatever is typed,
they never fail with anything but a polite DomainError, and what the bot prints as a date
reads back as the same moment. Also: the "is it Polish" check the fuzzers rely on has teeth."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

from hypothesis import given, settings
from hypothesis import strategies as st

from bot.router import parse_command
from core.i18n import Translator
from handlers.kit.dates import FIRST_YEAR, LAST_YEAR, parse_when
from models.errors import DomainError
from tests.polish import polish_problem

WARSAW = ZoneInfo("Europe/Warsaw")
NOW = datetime(2026, 11, 23, 9, 0, tzinfo=UTC)
PL, EN = Translator("pl", WARSAW), Translator("en", WARSAW)
EXAMPLES = settings()  # the profile's bounds (tests/conftest.py: ci, dev, deep)

NAME = st.from_regex(r"[A-Za-z0-9_]{1,32}", fullmatch=True)
# arguments: anything a person could type, including the whitespace and marks that trip regexes
ARGS = st.text(st.characters(codec="utf-8", exclude_categories=("Cs",)), max_size=80)


@EXAMPLES
@given(st.text(max_size=200))
def test_parse_command_never_raises(text: str) -> None:
    parsed = parse_command(text)
    if parsed is not None:
        name, args = parsed
        assert re.fullmatch(r"[a-z0-9_]+", name)
        assert text.strip().startswith("/")
        assert args == args.strip()


@EXAMPLES
@given(
    NAME,
    st.one_of(st.just(""), st.from_regex(r"@[A-Za-z0-9_]{1,20}", fullmatch=True)),
    ARGS,
    st.sampled_from([" ", "  ", "\n", "\t", " \n "]),
)
def test_command_round_trip(name: str, mention: str, args: str, gap: str) -> None:
    """`/Name@bot args` is the command `name` with `args`, however it is spaced."""
    parsed = parse_command(f"{name!s}".join(["/", ""]) + mention + gap + args)
    assert parsed == (name.lower(), args.strip())


@EXAMPLES
@given(st.text(max_size=60))
def test_parse_when_only_refuses_politely(text: str) -> None:
    _check_when(text)


DAY = st.integers(0, 40).map(str)
MONTH = st.one_of(
    st.integers(0, 13).map(str),
    st.sampled_from(
        ["maja", "Grudnia", "pazdziernika", "października", "lut", "may", "xyz", "styczeń"]
    ),
)
YEAR = st.one_of(st.just(""), st.integers(0, 10_000).map(str))
CLOCK = st.tuples(st.integers(0, 30), st.integers(0, 70)).map(lambda hm: f"{hm[0]}:{hm[1]:02}")
SHAPED = st.one_of(
    st.tuples(DAY, st.sampled_from([".", "/"]), st.integers(0, 13).map(str), YEAR, CLOCK).map(
        lambda p: f"{p[0]}{p[1]}{p[2]}{'.' + p[3] if p[3] else ''} {p[4]}"
    ),
    st.tuples(DAY, MONTH, YEAR, st.sampled_from(["", "o ", "godz. ", ", "]), CLOCK).map(
        lambda p: f"{p[0]} {p[1]} {p[2]} {p[3]}{p[4]}"
    ),
    st.tuples(YEAR, st.integers(0, 13), DAY, CLOCK).map(lambda p: f"{p[0]}-{p[1]}-{p[2]} {p[3]}"),
    st.tuples(st.sampled_from(["jutro", "Dziś", "pojutrze", "wczoraj", "today"]), CLOCK).map(
        " ".join
    ),
)


@EXAMPLES
@given(SHAPED)
def test_date_shaped_text_is_read_or_refused(text: str) -> None:
    _check_when(text)


def _check_when(text: str) -> None:
    try:
        when = parse_when(text, NOW, WARSAW)
    except DomainError as refusal:  # the refusal itself must be presentable in Polish
        # what the person typed is quoted back as typed (Hypothesis also tries the code's own
        # string constants, e.g. an English message id): judge the reply around the quote
        params = {
            k: "coś" if isinstance(v, str) and v.strip() == text.strip() else v
            for k, v in refusal.params.items()
        }
        assert polish_problem(PL(refusal.msgid, **params)) is None
        return
    assert when.tzinfo is not None and when.utcoffset() == timedelta(0)
    assert FIRST_YEAR <= when.astimezone(WARSAW).year <= LAST_YEAR


MOMENTS = st.datetimes(
    min_value=datetime(FIRST_YEAR, 1, 2),
    max_value=datetime(LAST_YEAR, 12, 30),
    timezones=st.just(UTC),
).map(lambda d: d.replace(second=0, microsecond=0))


def _unambiguous(when: datetime) -> bool:
    """Local times that exist exactly once (not in the autumn hour that repeats)."""
    local = when.astimezone(WARSAW)
    other = local.replace(fold=1 - local.fold)
    return other.utcoffset() == local.utcoffset()


@EXAMPLES
@given(MOMENTS)
def test_dates_the_bot_prints_read_back_as_the_same_moment(when: datetime) -> None:
    if not _unambiguous(when):
        return
    local = when.astimezone(WARSAW)
    for printed in (
        PL.short_datetime(when),  # 01.12.2026 10:30
        PL.datetime(when),  # wtorek, 1 grudnia 2026, 10:30
        PL.datetime(when).split(", ", 1)[1],  # 1 grudnia 2026, 10:30
        EN.datetime(when),  # Tuesday, 1 December 2026, 10:30
        local.strftime("%Y-%m-%d %H:%M"),
    ):
        assert parse_when(printed, NOW, WARSAW) == when, printed


def test_the_polish_check_has_teeth() -> None:
    assert polish_problem(PL("Cancelled.")) is None
    assert (
        polish_problem(EN("Commands start with a slash. Type /pomoc to see what you can do."))
        is not None
    )
    assert polish_problem('Traceback (most recent call last):\n  File "x.py"') is not None
    assert polish_problem("") is not None
    assert polish_problem("Hello there, something happened") is not None

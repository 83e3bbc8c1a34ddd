"""Defining the expert's series once (/dyzur_seria) and changing it later: a new rule from a
date on (/dyzur_seria_zmien continues it as a new series), or its end (/dyzur_seria_koniec).
Booked cities hear of every change to their session."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlmodel import Session

from core.i18n import Translator
from core.messages import Outgoing
from handlers.kit.args import Arg, BadArgs, Code, Fields, Id, Text, Word, Words
from handlers.kit.context import Context
from handlers.kit.dates import fold, parse_when, require_future
from handlers.kit.limits import LINK, PLACE, check_link, check_text, looks_like_link, parse_count
from handlers.kit.objects import fetch
from handlers.kit.permissions import Action
from handlers.kit.registry import REGISTRY
from handlers.office_hours.render import CANCELLED, notify_change
from models import directory
from models import office_hours as oh
from models.core import Network
from models.enums import Role
from models.errors import N_, DomainError
from models.office_hours import OfficeSeries, OfficeSession

DAY_WORDS = {
    "pon": 0,
    "poniedzialek": 0,
    "wt": 1,
    "wtorek": 1,
    "sr": 2,
    "sroda": 2,
    "czw": 3,
    "czwartek": 3,
    "pt": 4,
    "piatek": 4,
    "sob": 5,
    "sobota": 5,
    "nd": 6,
    "niedziela": 6,
}
SERIES_FIELDS = {
    "godzina": "time",
    "time": "time",
    "dzien": "day",
    "day": "day",
    "dlugosc": "minutes",
    "length": "minutes",
    "link": "link",
    "miejsce": "place",
    "place": "place",
    "limit": "cap",
}
SERIES_USAGE = N_(
    "<network>; <first date and time>; [every N weeks, 2]; [minutes, 60]; "
    "[slot minutes, 15]; [link or place]; [cap per city per quarter]"
)


def near(ctx: Context, when: datetime, text: str) -> datetime:
    """Office hours are planned at most two years ahead (and a typo of a year is caught)."""
    if when > ctx.now + timedelta(days=730):
        raise DomainError(
            N_("“{text}” is more than two years ahead; office hours are planned closer than that."),
            text=text[:40],
        )
    return when


def number(value: str, low: int, high: int) -> int:
    found = parse_count(value, low=low, high=high)
    if found is None:
        raise DomainError(
            N_("“{value}” should be a number from {low} to {high}."),
            value=value[:20],
            low=low,
            high=high,
        )
    return found


@dataclass(frozen=True)
class Number(Arg):
    """A whole number within bounds; out of them, the bounds are explained."""

    low: int = 0
    high: int = 10_000

    def parse(self, text: str) -> int:
        return number(text.strip(), self.low, self.high)


@dataclass(frozen=True)
class SeriesField(Arg):
    """What /dyzur_seria_zmien changes: a word of SERIES_FIELDS (diacritics do not matter).
    (Not kit's Choice: a Choice holding a dict makes the command unhashable.)"""

    def parse(self, text: str) -> str:
        value = SERIES_FIELDS.get(fold(text.strip()))
        if value is None:
            raise BadArgs(self.name)
        return value


@dataclass(frozen=True)
class Where(Arg):
    """A link (http…) or a place, each checked against its column."""

    def parse(self, text: str) -> str:
        value = text.strip()
        if looks_like_link(value):
            return check_link(value, LINK)
        return check_text(value, PLACE, "place")


def _expert_of(s: Session, ctx: Context, network: Network) -> int | None:
    if ctx.person is not None and Role.EXPERT in ctx.actor(network).roles:
        return ctx.person.id
    experts = [p.id for p, role, _c in directory.members(s, network.id or 0) if role == Role.EXPERT]
    return experts[0] if experts else None


def _describe(t: Translator, series: OfficeSeries, sessions: Sequence[OfficeSession]) -> str:
    dates = ", ".join(f"#{x.id} {t.short_datetime(x.starts_at)}" for x in sessions) or "—"
    return t(
        "Office-hours series #{id}: every {weeks} weeks from {start} ({minutes} min, "
        "slots of {slot} min). Booking opens {lead_time} before each session. Sessions: "
        "{dates}",
        id=series.id,
        weeks=series.weeks,
        start=t.datetime(series.dtstart),
        minutes=series.duration_minutes,
        slot=series.slot_minutes,
        lead_time=t.tn("{n} day", "{n} days", series.open_days),
        dates=dates,
    )


@REGISTRY.command(
    "dyzur_seria",
    "office_series",
    summary=N_("define the expert's office-hours series"),
    args=Fields(
        Code("network"),
        Text("when"),
        Number("every", optional=True, default=2, low=1, high=8),
        Number("minutes", optional=True, default=60, low=10, high=480),
        Number("slot", optional=True, default=15, low=5, high=480),
        Where("where", optional=True, default=""),
        Number("cap", optional=True, default=None, low=1, high=50),
    ),
    usage=SERIES_USAGE,
    example="/dyzur_seria cyfrowe; 1.12.2026 10:00; 2; 60; 15; https://teams.example/dyzur; 2",
    action=Action.MANAGE_OFFICE_HOURS,
    private=True,
)
async def define(
    ctx: Context,
    network: str,
    when: str,
    every: int,
    minutes: int,
    slot: int,
    where: str,
    cap: int | None,
) -> list[Outgoing]:
    me = ctx.require_person()
    with ctx.db.session() as s:
        net = directory.require_network(s, network)
    ctx.require(Action.MANAGE_OFFICE_HOURS, net)
    start = near(
        ctx, require_future(parse_when(when, ctx.now, ctx.settings.tz), ctx.now, when), when
    )
    if slot > minutes:
        number(str(slot), 5, minutes)
    series = OfficeSeries(
        network_id=net.id or 0,
        rrule=oh.weekly_rule(every, start.astimezone(ctx.settings.tz).weekday()),
        dtstart=start,
        duration_minutes=minutes,
        slot_minutes=slot,
        link=where if where and looks_like_link(where) else None,
        place=where if where and not looks_like_link(where) else None,
        open_days=ctx.settings.office_open_days,
        cutoff_minutes=ctx.settings.office_cutoff_minutes,
        cap=cap,
        created_by=me.id,
        created_at=ctx.now,
    )
    with ctx.db.session() as s:
        series.expert_id = _expert_of(s, ctx, net)
        s.add(series)
        s.flush()
        sessions = oh.materialise(
            s,
            series,
            ctx.settings.tz,
            ctx.now,
            timedelta(days=ctx.settings.office_horizon_days),
            ctx.settings.workdays,
        )
        return [Outgoing(_describe(ctx.t, series, sessions))]


@REGISTRY.command(
    "dyzur_seria_zmien",
    "office_series_edit",
    summary=N_("change an office-hours series from a date on"),
    args=Words(Id("series"), Word("since"), SeriesField("field"), Text("value")),
    usage=N_("<series> <from date> godzina|dzien|dlugosc|link|miejsce|limit <value>"),
    example="/dyzur_seria_zmien 3 1.02.2027 godzina 12:00",
    action=Action.MANAGE_OFFICE_HOURS,
    private=True,
)
async def edit_series(
    ctx: Context, series: int, since: str, field: str, value: str
) -> list[Outgoing]:
    tz, now = ctx.settings.tz, ctx.now
    horizon = timedelta(days=ctx.settings.office_horizon_days)
    with ctx.db.session() as s:
        old, _network = fetch(
            ctx, s, OfficeSeries, str(series), Action.MANAGE_OFFICE_HOURS, oh.NO_SERIES
        )
        day = near(ctx, parse_when(f"{since} 00:00", now, tz), since)
        first = oh.occurrences(old, tz, day, day + timedelta(days=400), ctx.settings.workdays)
        if not first:
            raise DomainError(N_("The series has no dates after {date}."), date=since)
        local = first[0].astimezone(tz)
        new = oh.successor(old, now, ctx.person.id if ctx.person else None)
        if field == "time":
            local = parse_when(f"{local:%d.%m.%Y} {value}", now, tz).astimezone(tz)
        elif field == "day":
            if fold(value) not in DAY_WORDS:
                raise DomainError(N_("Give a weekday, e.g. wtorek."))
            local = local + timedelta(days=(DAY_WORDS[fold(value)] - local.weekday()) % 7)
        elif field == "minutes":
            new.duration_minutes = number(value, new.slot_minutes, 480)
        elif field == "cap":
            new.cap = number(value, 0, 50) or None
        else:
            if field == "link" and value != "-":
                value = check_link(value, LINK)
            else:
                check_text(value, PLACE, field)
            setattr(new, field, value if value != "-" else None)
        new.dtstart = local.astimezone(tz)
        new.rrule = oh.with_weekday(old.rrule, local.weekday())
        s.add(new)
        s.flush()
        moved, cancelled = oh.continue_series(s, old, new, first[0], tz, now, horizon)
        told = 0
        for session in moved:
            told += notify_change(
                s,
                ctx.settings,
                now,
                session,
                N_(
                    "✏️ Office hours #{id} have changed: now {when}, {where}. The calendar file "
                    "is updated."
                ),
            )
        for session in cancelled:
            told += notify_change(s, ctx.settings, now, session, CANCELLED, cancelled=True)
        old_id, new_id = old.id, new.id
    ctx.wake_outbox()
    return [
        Outgoing(
            ctx.t.tn(
                "Series #{old} ends before {date}; from then on it continues as series #{new}. "
                "{n} city is told.",
                "Series #{old} ends before {date}; from then on it continues as series #{new}. "
                "{n} cities are told.",
                told,
                old=old_id,
                new=new_id,
                date=since,
            )
        )
    ]


@REGISTRY.command(
    "dyzur_seria_koniec",
    "office_series_end",
    summary=N_("end an office-hours series from a date on"),
    args=Words(Id("series"), Text("date")),
    usage=N_("<series> <date>"),
    example="/dyzur_seria_koniec 3 1.06.2027",
    action=Action.MANAGE_OFFICE_HOURS,
    private=True,
)
async def end_series(ctx: Context, series: int, date: str) -> list[Outgoing]:
    with ctx.db.session() as s:
        row, _network = fetch(
            ctx, s, OfficeSeries, str(series), Action.MANAGE_OFFICE_HOURS, oh.NO_SERIES
        )
        since = near(ctx, parse_when(f"{date} 00:00", ctx.now, ctx.settings.tz), date)
        told = 0
        for session in oh.end_series(s, row, since, ctx.now):
            told += notify_change(s, ctx.settings, ctx.now, session, CANCELLED, cancelled=True)
    ctx.wake_outbox()
    return [
        Outgoing(
            ctx.t.tn(
                "Series #{id} has no dates from {date} on. {n} city is told.",
                "Series #{id} has no dates from {date} on. {n} cities are told.",
                told,
                id=series,
                date=date,
            )
        )
    ]

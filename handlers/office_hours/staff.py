"""What the expert and the coordinator do with sessions: the list and the agenda, skipping,
cancelling or moving one date, and during the session calling the next city, marking slots
done or no-show and freeing a slot."""

from __future__ import annotations

from datetime import timedelta

from core.messages import Action as Button
from core.messages import Outgoing
from core.outbox import enqueue_to_person
from handlers.kit.args import Code, Id, Text, Words
from handlers.kit.context import Context
from handlers.kit.dates import parse_when, require_future
from handlers.kit.permissions import Action
from handlers.kit.registry import REGISTRY
from handlers.office_hours.access import staff
from handlers.office_hours.render import (
    CANCELLED,
    after_freed,
    agenda_lines,
    city_label,
    ics_file,
    notify_change,
    where,
)
from handlers.office_hours.series import near
from models import directory
from models import office_hours as oh
from models.errors import N_, DomainError
from models.office_hours import BookingStatus, OfficeSession, SessionStatus


async def _drop_one(ctx: Context, session_id: int, status: SessionStatus) -> list[Outgoing]:
    staff(ctx, session_id)
    with ctx.db.session() as s:
        session = oh.drop_session(s, session_id, status, ctx.now)
        told = notify_change(s, ctx.settings, ctx.now, session, CANCELLED, cancelled=True)
        oh.schedule_session(s, session, ctx.now)
    ctx.wake_outbox()
    return [
        Outgoing(
            ctx.t.tn(
                "Office hours #{id} will not take place; the rest of the series is unchanged. "
                "{n} city is told.",
                "Office hours #{id} will not take place; the rest of the series is unchanged. "
                "{n} cities are told.",
                told,
                id=session_id,
            )
        )
    ]


@REGISTRY.command(
    "dyzur_pomin",
    "office_skip",
    summary=N_("skip one office-hours date (e.g. a holiday)"),
    args=Words(Id("session")),
    usage=N_("<session>"),
    example="/dyzur_pomin 12",
    action=Action.MANAGE_OFFICE_HOURS,
    private=True,
)
async def skip(ctx: Context, session: int) -> list[Outgoing]:
    return await _drop_one(ctx, session, SessionStatus.SKIPPED)


@REGISTRY.command(
    "dyzur_odwolaj_termin",
    "office_cancel_session",
    summary=N_("cancel one office-hours session"),
    args=Words(Id("session")),
    usage=N_("<session>"),
    example="/dyzur_odwolaj_termin 12",
    action=Action.MANAGE_OFFICE_HOURS,
    private=True,
)
async def cancel_session(ctx: Context, session: int) -> list[Outgoing]:
    return await _drop_one(ctx, session, SessionStatus.CANCELLED)


@REGISTRY.command(
    "dyzur_przesun",
    "office_move",
    summary=N_("move one office-hours session"),
    args=Words(Id("session"), Text("when")),
    usage=N_("<session> <new date and time>"),
    example="/dyzur_przesun 12 9.12.2026 12:00",
    action=Action.MANAGE_OFFICE_HOURS,
    private=True,
)
async def move(ctx: Context, session: int, when: str) -> list[Outgoing]:
    now = ctx.now
    starts = near(ctx, require_future(parse_when(when, now, ctx.settings.tz), now, when), when)
    staff(ctx, session)
    with ctx.db.session() as s:
        row = oh.move_session(s, session, starts, now)
        told = notify_change(
            s,
            ctx.settings,
            now,
            row,
            N_(
                "🔁 Office hours #{id} are moved: your slot is now {when}, {where}. The calendar "
                "file is updated."
            ),
        )
    ctx.wake_outbox()
    return [
        Outgoing(
            ctx.t.tn(
                "Office hours #{id} are moved to {when}. {n} city is told.",
                "Office hours #{id} are moved to {when}. {n} cities are told.",
                told,
                id=session,
                when=ctx.t.datetime(starts),
            )
        )
    ]


@REGISTRY.command(
    "dyzur_agenda",
    "office_agenda",
    summary=N_("who comes to office hours, with topics"),
    args=Words(Id("session")),
    usage=N_("<session>"),
    example="/dyzur_agenda 12",
    action=Action.MANAGE_OFFICE_HOURS,
    private=True,
)
async def agenda(ctx: Context, session: int) -> list[Outgoing]:
    staff(ctx, session)
    with ctx.db.session() as s:
        lines = agenda_lines(s, ctx.t, oh.get_session(s, session))
    return [Outgoing("\n".join(lines))]


@REGISTRY.command(
    "dyzur_terminy",
    "office_sessions",
    summary=N_("office-hours sessions of a network, with numbers"),
    args=Words(Code("network", optional=True)),
    usage=N_("[network]"),
    example="/dyzur_terminy cyfrowe",
    action=Action.MANAGE_OFFICE_HOURS,
    private=True,
)
async def sessions(ctx: Context, network: str | None) -> list[Outgoing]:
    net = ctx.target_network(network)
    ctx.require(Action.MANAGE_OFFICE_HOURS, net)
    t = ctx.t
    with ctx.db.session() as s:
        found = oh.sessions_between(
            s,
            [net.id or 0],
            ctx.now - timedelta(days=1),
            ctx.now + timedelta(days=ctx.settings.office_horizon_days),
        )
        lines = [t("Office hours in {network}:", network=net.name)]
        for x in found:
            held = len([b for b in oh.holding(s, x.id or 0) if b.status != BookingStatus.OFFERED])
            states: dict[str, str] = {
                SessionStatus.SKIPPED: t("skipped"),
                SessionStatus.CANCELLED: t("cancelled"),
            }
            state = states.get(x.status, t("{held} of {slots} booked", held=held, slots=x.slots))
            lines.append(f"#{x.id} {t.short_datetime(x.starts_at)} — {state}")
    return [Outgoing("\n".join(lines))]


def _current(ctx: Context, session_id: int | None) -> OfficeSession:
    """The session named, else the one running now (or starting soon) the caller manages."""
    with ctx.db.session() as s:
        if session_id is not None:
            return oh.get_session(s, session_id)
        me = ctx.require_person()
        ids = [n.id or 0 for n in directory.networks_of(s, me.id or 0)]
        for x in oh.sessions_between(
            s, ids, ctx.now - timedelta(hours=8), ctx.now + timedelta(minutes=30)
        ):
            if x.scheduled and x.ends_at > ctx.now:
                return x
    raise DomainError(N_("No office hours are running now. Give the session's number."))


@REGISTRY.command(
    "nastepny",
    "next",
    summary=N_("office hours: call the next city"),
    args=Words(Id("session", optional=True)),
    usage=N_("[session]"),
    example="/nastepny 12",
    action=Action.MANAGE_OFFICE_HOURS,
    private=True,
)
async def call_next(ctx: Context, session: int | None) -> list[Outgoing]:
    t = ctx.t
    session_id = _current(ctx, session).id or 0
    staff(ctx, session_id)
    with ctx.db.session() as s:
        row = oh.get_session(s, session_id)
        booking = oh.call_next(s, session_id, ctx.now)
        if booking is None:
            return [Outgoing(t("Nobody else is booked in office hours #{id}.", id=session_id))]
        enqueue_to_person(
            s,
            booking.person_id,
            ctx.settings,
            ctx.now,
            lambda t: Outgoing(
                t(
                    "📣 Your turn at the expert's office hours #{id}: {where}",
                    id=session_id,
                    where=where(t, row),
                )
            ),
            kind="office_turn",
            dedupe_key=f"office_turn:{booking.id}",
        )
        city = city_label(s, booking.city_id)
    ctx.wake_outbox()
    return [
        Outgoing(
            t(
                "Called: {city}, slot {slot} — {topic}",
                city=city,
                slot=booking.slot,
                topic=booking.topic,
            ),
            actions=(
                Button(t("Done"), f"/dyzur_zrobione {session_id} {booking.slot}"),
                Button(t("No-show"), f"/dyzur_nieobecny {session_id} {booking.slot}"),
                Button(t("Next"), f"/nastepny {session_id}"),
            ),
        )
    ]


async def _mark(ctx: Context, session_id: int, slot: int, status: BookingStatus) -> list[Outgoing]:
    staff(ctx, session_id)
    with ctx.db.session() as s:
        if ctx.now < oh.get_session(s, session_id).starts_at:
            raise DomainError(N_("These office hours have not started yet."))
        booking = oh.mark(s, session_id, slot, status, ctx.now)
        city = city_label(s, booking.city_id)
    label = ctx.t("done") if status == BookingStatus.DONE else ctx.t("no-show")
    return [Outgoing(ctx.t("Slot {slot} ({city}): {state}.", slot=slot, city=city, state=label))]


@REGISTRY.command(
    "dyzur_zrobione",
    "office_done",
    summary=N_("office hours: mark a slot done"),
    args=Words(Id("session"), Id("slot")),
    usage=N_("<session> <slot>"),
    example="/dyzur_zrobione 12 2",
    action=Action.MANAGE_OFFICE_HOURS,
    private=True,
)
async def done(ctx: Context, session: int, slot: int) -> list[Outgoing]:
    return await _mark(ctx, session, slot, BookingStatus.DONE)


@REGISTRY.command(
    "dyzur_nieobecny",
    "office_no_show",
    summary=N_("office hours: mark a city that did not come"),
    args=Words(Id("session"), Id("slot")),
    usage=N_("<session> <slot>"),
    example="/dyzur_nieobecny 12 2",
    action=Action.MANAGE_OFFICE_HOURS,
    private=True,
)
async def no_show(ctx: Context, session: int, slot: int) -> list[Outgoing]:
    return await _mark(ctx, session, slot, BookingStatus.NO_SHOW)


@REGISTRY.command(
    "dyzur_zwolnij",
    "office_release",
    summary=N_("office hours: free a city's slot"),
    args=Words(Id("session"), Id("slot")),
    usage=N_("<session> <slot>"),
    example="/dyzur_zwolnij 12 2",
    action=Action.MANAGE_OFFICE_HOURS,
    private=True,
)
async def release(ctx: Context, session: int, slot: int) -> list[Outgoing]:
    staff(ctx, session)
    settings, now = ctx.settings, ctx.now
    with ctx.db.session() as s:
        freed = oh.release_by_staff(
            s, session, slot, now, settings.tz, settings.office_offer_minutes
        )
        row = oh.get_session(s, session)
        enqueue_to_person(
            s,
            freed.booking.person_id,
            settings,
            now,
            lambda t: Outgoing(
                t(
                    "Your city's slot in office hours #{id} was freed by the network's team.",
                    id=session,
                ),
                files=(ics_file(s, t, row, freed.booking, settings, now, cancelled=True),),
            ),
            kind="office_change",
            dedupe_key=f"office_released:{freed.booking.id}",
        )
        after_freed(s, settings, now, row, freed)
    ctx.wake_outbox()
    return [
        Outgoing(ctx.t("Slot {slot} of office hours #{id} is free again.", slot=slot, id=session))
    ]

"""What cities type: /dyzur (free slots), booking (a slot button asks for the topic, or
/dyzur_rezerwuj at once), cancelling, offers of freed slots and /moje_dyzury. Every answer is
personal: it goes to the person's private chat (`private=True`)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

from core import links
from core.messages import Action as Button
from core.messages import Outgoing
from handlers.kit.args import Arg, BadArgs, Code, Id, Text, Words
from handlers.kit.context import Context
from handlers.kit.limits import parse_id
from handlers.kit.permissions import Action
from handlers.kit.registry import REGISTRY
from handlers.office_hours.access import booker, booker_in, booking_refusal
from handlers.office_hours.render import (
    after_freed,
    booking_message,
    ics_file,
    network_of,
    state_label,
    where,
)
from models import conversations, directory
from models import office_hours as oh
from models.core import Conversation
from models.errors import N_, DomainError


@dataclass(frozen=True)
class SlotOrFirst(Arg):
    """A slot number, or `-` for the first free one (None)."""

    def parse(self, text: str) -> int | None:
        if text.strip() == "-":
            return None
        value = parse_id(text)
        if value is None:
            raise BadArgs(self.name)
        return value


@REGISTRY.command(
    "dyzur",
    "office_hours",
    summary=N_("the expert's office hours: free slots"),
    args=Words(Code("network", optional=True)),
    usage=N_("[network]"),
    example="/dyzur cyfrowe",
    action=Action.READ,
    private=True,
)
async def show(ctx: Context, network: str | None) -> list[Outgoing]:
    net = ctx.target_network(network)
    ctx.require(Action.READ, net)
    t, now = ctx.t, ctx.now
    can_book = ctx.can(Action.BOOK_OFFICE_HOURS, net)
    with ctx.db.session() as s:
        sessions = [
            x
            for x in oh.sessions_between(
                s,
                [net.id or 0],
                now - timedelta(hours=3),
                now + timedelta(days=ctx.settings.office_horizon_days),
            )
            if x.scheduled and x.ends_at > now
        ][:3]
        if not sessions:
            return [Outgoing(t("No office hours are planned in {network} yet.", network=net.name))]
        messages = []
        city = ctx.person.city_id if ctx.person else None
        for session in sessions:
            lines = [
                t(
                    "Office hours #{id} ({network}): {when}, {minutes} min, slots of {slot} min.",
                    id=session.id,
                    network=net.name,
                    when=t.datetime(session.starts_at),
                    minutes=session.duration_minutes,
                    slot=session.slot_minutes,
                )
            ]
            buttons: list[Button] = []
            mine = oh.city_booking(s, session.id or 0, city) if city else None
            free = oh.free_slots(s, session, now)
            if now < session.opens_at:
                lines.append(t("Booking opens on {when}.", when=t.datetime(session.opens_at)))
            elif mine is not None:
                lines.append(
                    t(
                        "Your city has slot {slot} ({time}): {topic}",
                        slot=mine.slot,
                        time=t.time(session.slot_start(mine.slot)),
                        topic=mine.topic,
                    )
                )
            elif free:
                lines.append(
                    t(
                        "Free: {slots}",
                        slots=", ".join(f"{n} ({t.time(session.slot_start(n))})" for n in free),
                    )
                )
                if can_book:
                    lines.append(t("Book: /dyzur_rezerwuj {id} <slot> <topic>", id=session.id))
                    buttons = [
                        Button(t.time(session.slot_start(n)), f"/dyzur_wybierz {session.id} {n}")
                        for n in free
                    ]
            else:
                lines.append(
                    t(
                        "All slots are taken. /dyzur_rezerwuj {id} - <topic> puts your "
                        "city on the waitlist.",
                        id=session.id,
                    )
                )
            if can_book and mine is None and now >= session.opens_at:
                page = ctx.page_button(
                    t("Book on a page"), links.OFFICE_HOURS, session=session.id or 0
                )
                buttons += [page] if page is not None else []
            messages.append(Outgoing("\n".join(lines), actions=tuple(buttons)))
    return messages


@REGISTRY.command(
    "dyzur_wybierz",
    "office_pick",
    summary=N_("pick a free office-hours slot"),
    args=Words(Id("session"), Id("slot")),
    usage=N_("<session> <slot>"),
    example="/dyzur_wybierz 12 2",
    action=Action.BOOK_OFFICE_HOURS,
    private=True,
    hidden=True,
    refusal=booking_refusal("dyzur_wybierz"),
)
async def pick(ctx: Context, session: int, slot: int) -> list[Outgoing]:
    """A slot button: asks for the topic in the private chat, then books (nothing is held)."""
    me, city_id = booker(ctx, session)
    with ctx.db.session() as s:
        row = oh.get_session(s, session)
        mine = oh.city_booking(s, session, city_id)
        if mine is not None:
            raise DomainError(
                N_(
                    "Your city already has slot {slot} in this session: "
                    "“{topic}”. One slot per city; /moje_dyzury shows it."
                ),
                slot=mine.slot,
                topic=mine.topic,
            )
        account = directory.account_of(s, me.id or 0, ctx.incoming.chat.platform)
        chat_id = (
            ctx.incoming.chat.chat_id if ctx.private or account is None else account.external_id
        )
        conversations.start(
            s,
            ctx.incoming.chat.platform,
            chat_id,
            me.id or 0,
            "office_topic",
            "topic",
            {"session": session, "slot": slot},
            ctx.now,
        )
        when = row.slot_start(slot) if 1 <= slot <= row.slots else row.starts_at
    return [
        Outgoing(
            ctx.t.tn(
                "Slot {slot} at {time}, office hours #{id}: what will you ask about? Write the topic "
                "in one line (up to {n} character). /anuluj stops.",
                "Slot {slot} at {time}, office hours #{id}: what will you ask about? Write the topic "
                "in one line (up to {n} characters). /anuluj stops.",
                oh.TOPIC_MAX,
                slot=slot,
                time=ctx.t.time(when),
                id=session,
            )
        )
    ]


@REGISTRY.flow("office_topic")
async def topic_step(ctx: Context, conv: Conversation, text: str) -> list[Outgoing]:
    with ctx.db.session() as s:
        conversations.finish(s, conv.platform, conv.chat_id, conv.person_id)
    return ctx.privately(await _book(ctx, int(conv.data["session"]), int(conv.data["slot"]), text))


@REGISTRY.command(
    "dyzur_rezerwuj",
    "office_book",
    summary=N_("book an office-hours slot"),
    args=Words(Id("session"), SlotOrFirst("slot"), Text("topic", optional=True, default="")),
    usage=N_("<session> <slot or -> <topic>"),
    example="/dyzur_rezerwuj 12 2 dotacje na e-usługi",
    action=Action.BOOK_OFFICE_HOURS,
    private=True,
    refusal=booking_refusal("dyzur_rezerwuj"),
)
async def book(ctx: Context, session: int, slot: int | None, topic: str) -> list[Outgoing]:
    return await _book(ctx, session, slot, topic)


async def _book(ctx: Context, session_id: int, slot: int | None, topic: str) -> list[Outgoing]:
    t = ctx.t
    me, city_id, network = booker_in(ctx, session_id)  # all read before the session's lock
    with ctx.db.session() as s:
        outcome = oh.book(s, session_id, city_id, me.id or 0, topic, slot, ctx.now, ctx.settings.tz)
        session = outcome.session
        if outcome.booking is not None:
            reply = booking_message(
                t,
                session,
                outcome.booking,
                network,
                ics_file(s, t, session, outcome.booking, ctx.settings, ctx.now, network=network),
            )
        elif outcome.waitlisted is not None:
            place = [w.id for w in oh.waiting(s, session_id)].index(outcome.waitlisted.id) + 1
            reply = Outgoing(
                t(
                    "All slots of office hours #{id} are taken: your city is number "
                    "{place} on the waitlist. If a slot frees up I will tell you. "
                    "/dyzur_odwolaj {id} takes you off.",
                    id=session_id,
                    place=place,
                )
            )
        else:
            free = outcome.taken_free or []
            reply = Outgoing(
                t(
                    "Slot {slot} is already taken. Free: {slots}.",
                    slot=slot,
                    slots=", ".join(f"{n} ({t.time(session.slot_start(n))})" for n in free),
                ),
                actions=tuple(
                    Button(t.time(session.slot_start(n)), f"/dyzur_wybierz {session_id} {n}")
                    for n in free
                ),
            )
    return [reply]


@REGISTRY.command(
    "dyzur_odwolaj",
    "office_cancel",
    summary=N_("cancel my city's office-hours booking"),
    args=Words(Id("session")),
    usage=N_("<session>"),
    example="/dyzur_odwolaj 12",
    action=Action.BOOK_OFFICE_HOURS,
    private=True,
    refusal=booking_refusal("dyzur_odwolaj"),
)
async def cancel(ctx: Context, session: int) -> list[Outgoing]:
    _me, city_id = booker(ctx, session)
    settings, now = ctx.settings, ctx.now
    with ctx.db.session() as s:
        freed = oh.cancel(s, session, city_id, now, settings.tz, settings.office_offer_minutes)
        row = oh.get_session(s, session)
        after_freed(s, settings, now, row, freed)
        files = (
            ()
            if freed.left_waitlist
            else (ics_file(s, ctx.t, row, freed.booking, settings, now, cancelled=True),)
        )
    ctx.wake_outbox()
    if freed.left_waitlist:
        text = ctx.t("Your city is off the waitlist of office hours #{id}.", id=session)
    elif freed.late:
        text = ctx.t(
            "Cancelled. It was after the cutoff, so the slot is offered to the "
            "waiting cities; thank you for freeing it."
        )
    else:
        text = ctx.t("Cancelled: your city's slot in office hours #{id}.", id=session)
    return [Outgoing(text, files=files)]


@REGISTRY.command(
    "dyzur_przyjmij",
    "office_accept",
    summary=N_("take an offered slot"),
    args=Words(Id("session")),
    usage=N_("<session>"),
    example="/dyzur_przyjmij 12",
    action=Action.BOOK_OFFICE_HOURS,
    private=True,
    hidden=True,
    refusal=booking_refusal("dyzur_przyjmij"),
)
async def accept(ctx: Context, session: int) -> list[Outgoing]:
    _me, city_id = booker(ctx, session)
    with ctx.db.session() as s:
        booking = oh.accept_offer(s, session, city_id, ctx.now)
        row = oh.get_session(s, session)
        return [
            booking_message(
                ctx.t,
                row,
                booking,
                network_of(s, row),
                ics_file(s, ctx.t, row, booking, ctx.settings, ctx.now),
            )
        ]


@REGISTRY.command(
    "dyzur_odrzuc",
    "office_decline",
    summary=N_("let an offered slot go"),
    args=Words(Id("session")),
    usage=N_("<session>"),
    example="/dyzur_odrzuc 12",
    action=Action.BOOK_OFFICE_HOURS,
    private=True,
    hidden=True,
    refusal=booking_refusal("dyzur_odrzuc"),
)
async def decline(ctx: Context, session: int) -> list[Outgoing]:
    _me, city_id = booker(ctx, session)
    settings, now = ctx.settings, ctx.now
    with ctx.db.session() as s:
        offer = oh.city_booking(s, session, city_id)
        if offer is None or offer.status != oh.BookingStatus.OFFERED:
            raise DomainError(
                N_("There is no open offer for your city in session {id}."), id=session
            )
        row = oh.lock_session(s, session)
        freed = oh.decline_offer(s, row, offer, now, settings.tz, settings.office_offer_minutes)
        after_freed(s, settings, now, row, freed)
    ctx.wake_outbox()
    return [Outgoing(ctx.t("Thank you: the slot goes to the next city."))]


@REGISTRY.command(
    "moje_dyzury",
    "my_office_hours",
    summary=N_("my city's office-hours bookings"),
    action=Action.READ,
    private=True,
    scope="private",
)
async def mine(ctx: Context) -> list[Outgoing]:
    me = ctx.require_person()
    t, now = ctx.t, ctx.now
    if me.city_id is None:
        return [Outgoing(t("Office hours are booked by cities; you have none."))]
    lines = []
    with ctx.db.session() as s:
        for b, session in oh.city_bookings(s, me.city_id, now - timedelta(hours=3)):
            if session.slot_start(b.slot) + timedelta(minutes=session.slot_minutes) < now:
                continue
            lines.append(
                t(
                    "#{id} {when} — slot {slot}: {topic} — {where}{state}",
                    id=session.id,
                    when=t.datetime(session.slot_start(b.slot)),
                    slot=b.slot,
                    topic=b.topic,
                    where=where(t, session),
                    state=state_label(t, b),
                )
            )
        for w, session in oh.city_waiting(s, me.city_id, now):
            lines.append(
                t(
                    "#{id} {when} — waitlist: {topic}",
                    id=session.id,
                    when=t.datetime(session.starts_at),
                    topic=w.topic,
                )
            )
    if not lines:
        return [Outgoing(t("Your city has no office-hours bookings. /dyzur shows free slots."))]
    return [Outgoing("\n".join([t("Your city's office hours:"), *lines]))]

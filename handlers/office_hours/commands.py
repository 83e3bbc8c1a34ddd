"""Expert office hours: the expert defines a series once; cities book slots with a topic.

The rules (open, one slot per city, the cap, the waitlist, cutoff, offers) are in
models.office_hours; here is what people type and read. Personal answers go privately: in a
group chat only the opening notice and "wolny termin" appear.
"""

from __future__ import annotations

import functools
from collections.abc import Sequence
from dataclasses import replace
from datetime import datetime, timedelta

from sqlmodel import Session, col, select

from core import links
from core.config import Settings
from core.i18n import Translator
from core.messages import Action as Button
from core.messages import File, Outgoing, Target
from core.outbox import enqueue, enqueue_to_person
from handlers.kit.context import Context
from handlers.kit.dates import fold, parse_when, require_future
from handlers.kit.limits import LINK, PLACE, check_text, parse_count, parse_id
from handlers.kit.permissions import Action
from handlers.kit.registry import REGISTRY, Handler
from handlers.meetings.calendar import office_ics
from models import conversations, directory
from models import office_hours as oh
from models.core import City, Conversation, Network, Person
from models.enums import Role, Standing
from models.errors import N_, DomainError
from models.office_hours import OfficeBooking, OfficeSeries, OfficeSession

WEEKDAYS = ("MO", "TU", "WE", "TH", "FR", "SA", "SU")
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


# --- shared pieces (jobs use them too) -----------------------------------------------------


def _network(s: Session, session: OfficeSession) -> Network:
    network = s.get(Network, session.network_id)
    assert network is not None
    return network


def _city(s: Session, city_id: int) -> str:
    return directory.city_name(s, city_id) or f"#{city_id}"


def where(t: Translator, session: OfficeSession) -> str:
    return session.link or session.place or t("the link will follow")


def ics_file(
    s: Session,
    session: OfficeSession,
    booking: OfficeBooking,
    settings: Settings,
    now: datetime,
    cancelled: bool = False,
) -> File:
    return File(
        f"dyzur_{session.id}_{booking.slot}.ics",
        office_ics(session, booking, _network(s, session).name, settings.tz, now, cancelled),
        "text/calendar",
    )


def booking_message(
    t: Translator,
    session: OfficeSession,
    booking: OfficeBooking,
    network: Network,
    ics: File,
    headline: str,
) -> Outgoing:
    start = session.slot_start(booking.slot)
    lines = [
        t(headline, id=session.id, network=network.name),
        t(
            "When: {when} (slot {slot}, {minutes} min)",
            when=t.datetime(start),
            slot=booking.slot,
            minutes=session.slot_minutes,
        ),
        t("Topic: {topic}", topic=booking.topic),
        t("Where: {where}", where=where(t, session)),
        t(
            "You can cancel until {when}: /dyzur_odwolaj {id}",
            when=t.datetime(session.cutoff(booking.slot)),
            id=session.id,
        ),
    ]
    return Outgoing(
        "\n".join(lines),
        files=(ics,),
        actions=(Button(t("Cancel the booking"), f"/dyzur_odwolaj {session.id}"),),
    )


def tell_booked(
    s: Session,
    settings: Settings,
    now: datetime,
    session: OfficeSession,
    booking: OfficeBooking,
    headline: str,
    kind: str,
) -> None:
    """A booking given without the city asking right now (promotion): told privately."""
    network = _network(s, session)
    ics = ics_file(s, session, booking, settings, now)
    enqueue_to_person(
        s,
        booking.person_id,
        settings,
        now,
        lambda t: booking_message(t, session, booking, network, ics, headline),
        kind=kind,
        dedupe_key=f"{kind}:{booking.id}",
    )


def tell_offered(
    s: Session, settings: Settings, now: datetime, session: OfficeSession, offer: OfficeBooking
) -> None:
    expires = offer.offer_expires_at or now
    enqueue_to_person(
        s,
        offer.person_id,
        settings,
        now,
        lambda t: Outgoing(
            t(
                "A slot freed up in office hours #{id}: {when}. It is offered to your city until "
                "{until}. Take it: /dyzur_przyjmij {id} — or let it go: /dyzur_odrzuc {id}",
                id=session.id,
                when=t.datetime(session.slot_start(offer.slot)),
                until=t.time(expires),
            ),
            actions=(
                Button(t("Take the slot"), f"/dyzur_przyjmij {session.id}"),
                Button(t("Let it go"), f"/dyzur_odrzuc {session.id}"),
            ),
        ),
        kind="office_offer",
        dedupe_key=f"office_offer:{offer.id}",
    )


def free_slot_notice(
    s: Session, now: datetime, session: OfficeSession, slot: int, settings: Settings
) -> int:
    """The short "wolny termin" notice in the network's chats: the whole group may use it."""
    network = _network(s, session)
    t = Translator(settings.default_language, settings.tz)
    chats = directory.chats_of(s, [network.id or 0])
    for chat in chats:
        enqueue(
            s,
            Target(chat.platform, chat.chat_id),
            Outgoing(
                t(
                    "🟢 Wolny termin: office hours #{id}, {when}. Book it privately: "
                    "/dyzur_rezerwuj {id} {slot} <topic>",
                    id=session.id,
                    when=t.datetime(session.slot_start(slot)),
                    slot=slot,
                )
            ),
            now,
            kind="office_free",
            dedupe_key=f"office_free:{session.id}:{slot}:{now.isoformat()}"
            f":{chat.platform}:{chat.chat_id}",
        )
    return len(chats)


def after_freed(
    s: Session, settings: Settings, now: datetime, session: OfficeSession, freed: oh.Freed
) -> None:
    """Whoever a freed slot went to is told; a slot nobody took is announced as free."""
    if freed.promoted is not None:
        tell_booked(
            s,
            settings,
            now,
            session,
            freed.promoted,
            N_(
                "🎉 A slot freed up and your city moved up from the waitlist: office hours "
                "#{id} ({network})."
            ),
            "office_promoted",
        )
    elif freed.offered is not None:
        tell_offered(s, settings, now, session, freed.offered)
    elif freed.late and not freed.left_waitlist and session.slot_start(freed.booking.slot) > now:
        free_slot_notice(s, now, session, freed.booking.slot, settings)


def notify_change(
    s: Session,
    settings: Settings,
    now: datetime,
    session: OfficeSession,
    text_id: str,
    cancelled: bool = False,
) -> int:
    """Every booked and waiting city of a session hears of a change; bookers get the .ics."""
    told = 0
    for b in oh.holding(s, session.id or 0):
        if b.status not in ("booked", "offered"):
            continue
        ics = ics_file(s, session, b, settings, now, cancelled)
        told += enqueue_to_person(
            s,
            b.person_id,
            settings,
            now,
            lambda t, b=b, ics=ics: Outgoing(
                t(
                    text_id,
                    id=session.id,
                    when=t.datetime(session.slot_start(b.slot)),
                    where=where(t, session),
                ),
                files=(ics,),
            ),
            kind="office_change",
            dedupe_key=f"office_change:{session.id}:{session.sequence}:{b.id}",
        )
        if cancelled:
            b.release("cancelled", now)
            s.add(b)
    for w in oh.waiting(s, session.id or 0):
        told += enqueue_to_person(
            s,
            w.person_id,
            settings,
            now,
            lambda t: Outgoing(
                t(
                    text_id,
                    id=session.id,
                    when=t.datetime(session.starts_at),
                    where=where(t, session),
                )
            ),
            kind="office_change",
            dedupe_key=f"office_change:{session.id}:{session.sequence}:w{w.id}",
        )
        if cancelled:
            w.status = "gone"
            s.add(w)
    return told


def agenda_lines(s: Session, t: Translator, session: OfficeSession) -> list[str]:
    network = _network(s, session)
    lines = [
        t(
            "Office hours #{id} ({network}), {when}:",
            id=session.id,
            network=network.name,
            when=t.datetime(session.starts_at),
        )
    ]
    held = {b.slot: b for b in oh.holding(s, session.id or 0)}
    for n in range(1, session.slots + 1):
        b = held.get(n)
        if b is None:
            lines.append(t("{slot}. {time} — free", slot=n, time=t.time(session.slot_start(n))))
            continue
        person = s.get(Person, b.person_id)
        lines.append(
            t(
                "{slot}. {time} — {city} ({name}): {topic}{state}",
                slot=n,
                time=t.time(session.slot_start(n)),
                city=_city(s, b.city_id),
                name=person.display_name if person else "?",
                topic=b.topic,
                state=_state(t, b),
            )
        )
    queue = oh.waiting(s, session.id or 0)
    if queue:
        lines.append(t("Waitlist: {cities}", cities=", ".join(_city(s, w.city_id) for w in queue)))
    return lines


def _state(t: Translator, b: OfficeBooking) -> str:
    return {
        "offered": t(" (offered, waiting for an answer)"),
        "done": t(" ✔ done"),
        "no_show": t(" ✘ no-show"),
    }.get(b.status, "")


# --- helpers for the commands --------------------------------------------------------------


def _private(ctx: Context, messages: list[Outgoing]) -> list[Outgoing]:
    """Personal answers leave a group chat: they go to the person's private chat."""
    if ctx.private or ctx.person is None:
        return messages
    with ctx.db.session() as s:
        account = directory.account_of(s, ctx.person.id or 0, ctx.incoming.chat.platform)
    if account is None:
        return messages
    to = Target(account.platform, account.external_id)
    return [replace(m, to=m.to or to) for m in messages]


def privately(handler: Handler) -> Handler:
    """Answers and refusals of a command typed in a group go to the person's private chat."""

    @functools.wraps(handler)
    async def wrapper(ctx: Context, args: str) -> list[Outgoing]:
        try:
            return _private(ctx, await handler(ctx, args))
        except DomainError as refusal:
            if ctx.private:  # nothing to move: the router explains it as usual
                raise
            return _private(ctx, [Outgoing(ctx.t(refusal.msgid, **refusal.params))])

    return wrapper


def _numbers(args: str, count: int, usage: str) -> list[int]:
    words = args.split()
    numbers = [parse_id(w) for w in words[:count]]
    if len(words) < count or None in numbers:
        raise DomainError(usage)
    return [n for n in numbers if n is not None]


def _load(s: Session, session_id: int) -> OfficeSession:
    session = s.get(OfficeSession, session_id)
    if session is None:
        raise DomainError(
            N_("There is no office-hours session with the number “{id}”. /dyzur lists them."),
            id=session_id,
        )
    return session


def _network_of(ctx: Context, session_id: int) -> Network:
    with ctx.db.session() as s:
        return _network(s, _load(s, session_id))


def _booker(ctx: Context, session_id: int) -> tuple[Person, int]:
    """The caller as a representative who may book for their city in this network (checked
    before the booking transaction, which then holds no more than its own connection)."""
    me = ctx.require_person()
    network = _network_of(ctx, session_id)
    actor = ctx.actor(network)
    if Role.REPRESENTATIVE in actor.roles and actor.standing is Standing.OBSERVER:
        raise DomainError(
            N_(
                "Observer cities follow the network's open work; the expert's "
                "office hours are for its core cities (laureates, finalists, "
                "change leaders). Your coordinator can tell you more."
            )
        )
    ctx.require(Action.BOOK_OFFICE_HOURS, network)
    if me.city_id is None:
        raise DomainError(N_("Only representatives of the network's cities book office hours."))
    return me, me.city_id


def _staff(ctx: Context, session_id: int) -> Network:
    ctx.require_person()
    network = _network_of(ctx, session_id)
    ctx.require(Action.MANAGE_OFFICE_HOURS, network)
    return network


# --- cities ---------------------------------------------------------------------------------


@REGISTRY.command(
    "dyzur",
    "office_hours",
    summary=N_("the expert's office hours: free slots"),
    usage=N_("[network]"),
    action=Action.READ,
)
@privately
async def show(ctx: Context, args: str) -> list[Outgoing]:
    ctx.require_person()
    network = ctx.target_network(args.strip() or None)
    ctx.require(Action.READ, network)
    t, now = ctx.t, ctx.now
    can_book = ctx.can(Action.BOOK_OFFICE_HOURS, network)
    with ctx.db.session() as s:
        sessions = [
            x
            for x in oh.sessions_between(
                s,
                [network.id or 0],
                now - timedelta(hours=3),
                now + timedelta(days=ctx.settings.office_horizon_days),
            )
            if x.status == "scheduled" and x.ends_at > now
        ][:3]
        if not sessions:
            return _private(
                ctx,
                [
                    Outgoing(
                        t("No office hours are planned in {network} yet.", network=network.name)
                    )
                ],
            )
        messages = []
        city = ctx.person.city_id if ctx.person else None
        for session in sessions:
            lines = [
                t(
                    "Office hours #{id} ({network}): {when}, {minutes} min, slots of {slot} min.",
                    id=session.id,
                    network=network.name,
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
            if can_book and mine is None and now >= session.opens_at:
                page = ctx.page_button(
                    t("Book on a page"), links.OFFICE_HOURS, session=session.id or 0
                )
                buttons += [page] if page is not None else []
            else:
                lines.append(
                    t(
                        "All slots are taken. /dyzur_rezerwuj {id} - <topic> puts your "
                        "city on the waitlist.",
                        id=session.id,
                    )
                )
            messages.append(Outgoing("\n".join(lines), actions=tuple(buttons)))
    return _private(ctx, messages)


@REGISTRY.command(
    "dyzur_wybierz",
    "office_pick",
    summary=N_("pick a free office-hours slot"),
    usage=N_("<session> <slot>"),
    action=Action.BOOK_OFFICE_HOURS,
    hidden=True,
)
@privately
async def pick(ctx: Context, args: str) -> list[Outgoing]:
    """A slot button: asks for the topic in the private chat, then books (nothing is held)."""
    session_id, slot = _numbers(args, 2, N_("Write e.g. /dyzur_wybierz 12 2."))
    me, city_id = _booker(ctx, session_id)
    with ctx.db.session() as s:
        session = _load(s, session_id)
        mine = oh.city_booking(s, session_id, city_id)
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
            {"session": session_id, "slot": slot},
            ctx.now,
        )
        when = session.slot_start(slot) if 1 <= slot <= session.slots else session.starts_at
    return _private(
        ctx,
        [
            Outgoing(
                ctx.t(
                    "Slot {slot} at {time}, office hours #{id}: what will you ask about? Write the topic "
                    "in one line (up to {limit} characters). /anuluj stops.",
                    slot=slot,
                    time=ctx.t.time(when),
                    id=session_id,
                    limit=oh.TOPIC_MAX,
                )
            )
        ],
    )


@REGISTRY.flow("office_topic")
async def topic_step(ctx: Context, conv: Conversation, text: str) -> list[Outgoing]:
    with ctx.db.session() as s:
        conversations.finish(s, conv.platform, conv.chat_id, conv.person_id)
    return await privately(
        lambda c, a: _book(c, int(conv.data["session"]), int(conv.data["slot"]), a)
    )(ctx, text)


@REGISTRY.command(
    "dyzur_rezerwuj",
    "office_book",
    summary=N_("book an office-hours slot"),
    usage=N_("<session> <slot or -> <topic>"),
    action=Action.BOOK_OFFICE_HOURS,
)
@privately
async def book(ctx: Context, args: str) -> list[Outgoing]:
    words = args.split(maxsplit=2)
    session_id = parse_id(words[0]) if words else None
    slot = parse_id(words[1]) if len(words) > 1 else None
    if session_id is None or len(words) < 2 or (slot is None and words[1] != "-"):
        raise DomainError(
            N_(
                "Write e.g. /dyzur_rezerwuj 12 2 dotacje na e-usługi (session, "
                "slot or “-” for the first free one, topic)."
            )
        )
    return await _book(ctx, session_id, slot, words[2] if len(words) > 2 else "")


async def _book(ctx: Context, session_id: int, slot: int | None, topic: str) -> list[Outgoing]:
    t = ctx.t
    me, city_id = _booker(ctx, session_id)
    with ctx.db.session() as s:
        session = _load(s, session_id)
        outcome = oh.book(s, session_id, city_id, me.id or 0, topic, slot, ctx.now, ctx.settings.tz)
        session = _load(s, session_id)
        network = _network(s, session)
        if outcome.booking is not None:
            reply = booking_message(
                t,
                session,
                outcome.booking,
                network,
                ics_file(s, session, outcome.booking, ctx.settings, ctx.now),
                N_("✅ Booked: office hours #{id} ({network})."),
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
    return _private(ctx, [reply])


@REGISTRY.command(
    "dyzur_odwolaj",
    "office_cancel",
    summary=N_("cancel my city's office-hours booking"),
    usage=N_("<session>"),
    action=Action.BOOK_OFFICE_HOURS,
)
@privately
async def cancel(ctx: Context, args: str) -> list[Outgoing]:
    [session_id] = _numbers(args, 1, N_("Write e.g. /dyzur_odwolaj 12."))
    _me, city_id = _booker(ctx, session_id)
    with ctx.db.session() as s:
        session = _load(s, session_id)
        freed = oh.cancel(
            s, session_id, city_id, ctx.now, ctx.settings.tz, ctx.settings.office_offer_minutes
        )
        session = _load(s, session_id)
        after_freed(s, ctx.settings, ctx.now, session, freed)
        files = (
            ()
            if freed.left_waitlist
            else (ics_file(s, session, freed.booking, ctx.settings, ctx.now, cancelled=True),)
        )
    ctx.wake_outbox()
    if freed.left_waitlist:
        text = ctx.t("Your city is off the waitlist of office hours #{id}.", id=session_id)
    elif freed.late:
        text = ctx.t(
            "Cancelled. It was after the cutoff, so the slot is offered to the "
            "waiting cities; thank you for freeing it."
        )
    else:
        text = ctx.t("Cancelled: your city's slot in office hours #{id}.", id=session_id)
    return _private(ctx, [Outgoing(text, files=files)])


@REGISTRY.command(
    "dyzur_przyjmij",
    "office_accept",
    summary=N_("take an offered slot"),
    usage=N_("<session>"),
    action=Action.BOOK_OFFICE_HOURS,
    hidden=True,
)
@privately
async def accept(ctx: Context, args: str) -> list[Outgoing]:
    [session_id] = _numbers(args, 1, N_("Write e.g. /dyzur_przyjmij 12."))
    _me, city_id = _booker(ctx, session_id)
    with ctx.db.session() as s:
        session = _load(s, session_id)
        booking = oh.accept_offer(s, session_id, city_id, ctx.now)
        reply = booking_message(
            ctx.t,
            session,
            booking,
            _network(s, session),
            ics_file(s, session, booking, ctx.settings, ctx.now),
            N_("✅ Booked: office hours #{id} ({network})."),
        )
    return _private(ctx, [reply])


@REGISTRY.command(
    "dyzur_odrzuc",
    "office_decline",
    summary=N_("let an offered slot go"),
    usage=N_("<session>"),
    action=Action.BOOK_OFFICE_HOURS,
    hidden=True,
)
@privately
async def decline(ctx: Context, args: str) -> list[Outgoing]:
    [session_id] = _numbers(args, 1, N_("Write e.g. /dyzur_odrzuc 12."))
    _me, city_id = _booker(ctx, session_id)
    with ctx.db.session() as s:
        session = _load(s, session_id)
        offer = oh.city_booking(s, session_id, city_id)
        if offer is None or offer.status != "offered":
            raise DomainError(
                N_("There is no open offer for your city in session {id}."), id=session_id
            )
        session = oh.lock_session(s, session_id)
        freed = oh.decline_offer(
            s, session, offer, ctx.now, ctx.settings.tz, ctx.settings.office_offer_minutes
        )
        after_freed(s, ctx.settings, ctx.now, session, freed)
    ctx.wake_outbox()
    return _private(ctx, [Outgoing(ctx.t("Thank you: the slot goes to the next city."))])


@REGISTRY.command(
    "moje_dyzury",
    "my_office_hours",
    summary=N_("my city's office-hours bookings"),
    action=Action.READ,
    scope="private",
)
@privately
async def mine(ctx: Context, args: str) -> list[Outgoing]:
    me = ctx.require_person()
    t = ctx.t
    if me.city_id is None:
        return _private(ctx, [Outgoing(t("Office hours are booked by cities; you have none."))])
    with ctx.db.session() as s:
        rows = s.exec(
            select(OfficeBooking, OfficeSession)
            .join(OfficeSession, col(OfficeSession.id) == col(OfficeBooking.session_id))
            .where(
                OfficeBooking.active_city == me.city_id,
                OfficeSession.status == "scheduled",
                OfficeSession.starts_at > ctx.now - timedelta(hours=3),
            )
            .order_by(col(OfficeSession.starts_at))
        ).all()
        queued = s.exec(
            select(oh.OfficeWaitlist, OfficeSession)
            .join(OfficeSession, col(OfficeSession.id) == col(oh.OfficeWaitlist.session_id))
            .where(
                oh.OfficeWaitlist.city_id == me.city_id,
                oh.OfficeWaitlist.status == "waiting",
                OfficeSession.starts_at > ctx.now,
            )
        ).all()
        lines = []
        for b, session in rows:
            if session.slot_start(b.slot) + timedelta(minutes=session.slot_minutes) < ctx.now:
                continue
            lines.append(
                t(
                    "#{id} {when} — slot {slot}: {topic} — {where}{state}",
                    id=session.id,
                    when=t.datetime(session.slot_start(b.slot)),
                    slot=b.slot,
                    topic=b.topic,
                    where=where(t, session),
                    state=_state(t, b),
                )
            )
        for w, session in queued:
            lines.append(
                t(
                    "#{id} {when} — waitlist: {topic}",
                    id=session.id,
                    when=t.datetime(session.starts_at),
                    topic=w.topic,
                )
            )
    if not lines:
        return _private(
            ctx, [Outgoing(t("Your city has no office-hours bookings. /dyzur shows free slots."))]
        )
    return _private(ctx, [Outgoing("\n".join([t("Your city's office hours:"), *lines]))])


# --- the expert and the coordinator ---------------------------------------------------------

SERIES_USAGE = N_(
    "<network>; <first date and time>; [every N weeks, 2]; [minutes, 60]; "
    "[slot minutes, 15]; [link or place]; [cap per city per quarter]"
)


def _near(ctx: Context, when: datetime, text: str) -> datetime:
    """Office hours are planned at most two years ahead (and a typo of a year is caught)."""
    if when > ctx.now + timedelta(days=730):
        raise DomainError(
            N_("“{text}” is more than two years ahead; office hours are planned closer than that."),
            text=text[:40],
        )
    return when


def _positive(value: str, default: int, low: int, high: int) -> int:
    if not value:
        return default
    number = parse_count(value, low=low, high=high)
    if number is None:
        raise DomainError(
            N_("“{value}” should be a number from {low} to {high}."),
            value=value[:20],
            low=low,
            high=high,
        )
    return number


def _expert_of(s: Session, ctx: Context, network: Network) -> int | None:
    if ctx.person is not None and Role.EXPERT in ctx.actor(network).roles:
        return ctx.person.id
    experts = [p.id for p, role, _c in directory.members(s, network.id or 0) if role == Role.EXPERT]
    return experts[0] if experts else None


def _describe(t: Translator, series: OfficeSeries, sessions: Sequence[OfficeSession]) -> str:
    dates = ", ".join(f"#{x.id} {t.short_datetime(x.starts_at)}" for x in sessions) or "—"
    weeks = next(
        (p.split("=")[1] for p in series.rrule.split(";") if p.startswith("INTERVAL=")), "1"
    )
    return t(
        "Office-hours series #{id}: every {weeks} weeks from {start} ({minutes} min, "
        "slots of {slot} min). Booking opens {days} days before each session. Sessions: "
        "{dates}",
        id=series.id,
        weeks=weeks,
        start=t.datetime(series.dtstart),
        minutes=series.duration_minutes,
        slot=series.slot_minutes,
        days=series.open_days,
        dates=dates,
    )


@REGISTRY.command(
    "dyzur_seria",
    "office_series",
    summary=N_("define the expert's office-hours series"),
    usage=SERIES_USAGE,
    action=Action.MANAGE_OFFICE_HOURS,
)
@privately
async def define(ctx: Context, args: str) -> list[Outgoing]:
    me = ctx.require_person()
    parts = [p.strip() for p in args.split(";")]
    if len(parts) < 2 or not all(parts[:2]):
        raise DomainError(
            N_(
                "Write e.g. /dyzur_seria cyfrowe; 1.12.2026 10:00; 2; 60; 15; "
                "https://teams.example/dyzur; 2"
            )
        )
    parts += [""] * (7 - len(parts))
    code, when, every, minutes, slot, where_, cap = parts[:7]
    check_text(
        where_,
        LINK if where_.startswith("http") else PLACE,
        "link" if where_.startswith("http") else "place",
    )
    with ctx.db.session() as s:
        network = directory.require_network(s, code)
    ctx.require(Action.MANAGE_OFFICE_HOURS, network)
    start = _near(
        ctx, require_future(parse_when(when, ctx.now, ctx.settings.tz), ctx.now, when), when
    )
    interval = _positive(every, 2, 1, 8)
    duration = _positive(minutes, 60, 10, 480)
    slot_minutes = _positive(slot, 15, 5, duration)
    limit = _positive(cap, 0, 1, 50) or None
    weekday = WEEKDAYS[start.astimezone(ctx.settings.tz).weekday()]
    series = OfficeSeries(
        network_id=network.id or 0,
        rrule=f"FREQ=WEEKLY;INTERVAL={interval};BYDAY={weekday}",
        dtstart=start,
        duration_minutes=duration,
        slot_minutes=slot_minutes,
        link=where_ if where_.startswith("http") else None,
        place=where_ if where_ and not where_.startswith("http") else None,
        open_days=ctx.settings.office_open_days,
        cutoff_minutes=ctx.settings.office_cutoff_minutes,
        cap=limit,
        created_by=me.id,
        created_at=ctx.now,
    )
    with ctx.db.session() as s:
        series.expert_id = _expert_of(s, ctx, network)
        s.add(series)
        s.flush()
        sessions = oh.materialise(
            s, series, ctx.settings.tz, ctx.now, timedelta(days=ctx.settings.office_horizon_days)
        )
    return _private(ctx, [Outgoing(_describe(ctx.t, series, sessions))])


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


@REGISTRY.command(
    "dyzur_seria_zmien",
    "office_series_edit",
    summary=N_("change an office-hours series from a date on"),
    usage=N_("<series> <from date> godzina|dzien|dlugosc|link|miejsce|limit <value>"),
    action=Action.MANAGE_OFFICE_HOURS,
)
@privately
async def edit_series(ctx: Context, args: str) -> list[Outgoing]:
    words = args.split(maxsplit=3)
    if len(words) < 4 or parse_id(words[0]) is None or words[2].lower() not in SERIES_FIELDS:
        raise DomainError(
            N_(
                "Write e.g. /dyzur_seria_zmien 3 1.02.2027 godzina 12:00 (fields: "
                "godzina, dzien, dlugosc, link, miejsce, limit)."
            )
        )
    field, value = SERIES_FIELDS[words[2].lower()], words[3].strip()
    tz, now = ctx.settings.tz, ctx.now
    with ctx.db.session() as s:
        old = s.get(OfficeSeries, parse_id(words[0]))
        if old is None:
            raise DomainError(
                N_("There is no office-hours series with the number “{id}”."), id=words[0]
            )
        network = s.get(Network, old.network_id)
        assert network is not None
        ctx.require(Action.MANAGE_OFFICE_HOURS, network)
        day = _near(ctx, parse_when(f"{words[1]} 00:00", now, tz), words[1])
        first = oh.occurrences(old, tz, day, day + timedelta(days=400))
        if not first:
            raise DomainError(N_("The series has no dates after {date}."), date=words[1])
        local = first[0].astimezone(tz)
        new = OfficeSeries(**{k: v for k, v in old.model_dump().items() if k != "id"})
        new.created_at, new.created_by = now, ctx.person.id if ctx.person else None
        if field == "time":
            moment = parse_when(f"{local:%d.%m.%Y} {value}", now, tz)
            local = moment.astimezone(tz)
        elif field == "day":
            if fold(value) not in DAY_WORDS:
                raise DomainError(N_("Give a weekday, e.g. wtorek."))
            local = local + timedelta(days=(DAY_WORDS[fold(value)] - local.weekday()) % 7)
        elif field == "minutes":
            new.duration_minutes = _positive(value, 60, new.slot_minutes, 480)
        elif field == "cap":
            new.cap = _positive(value, 0, 0, 50) or None
        else:
            check_text(value, LINK if field == "link" else PLACE, field)
            setattr(new, field, value if value != "-" else None)
        new.dtstart = local.astimezone(tz)
        new.rrule = ";".join(
            p if not p.startswith("BYDAY=") else f"BYDAY={WEEKDAYS[local.weekday()]}"
            for p in old.rrule.split(";")
        )
        s.add(new)
        s.flush()
        told = _split(s, ctx, old, new, first[0])
    ctx.wake_outbox()
    return _private(
        ctx,
        [
            Outgoing(
                ctx.t(
                    "Series #{old} ends before {date}; from then on it "
                    "continues as series #{new}. Cities told: {count}.",
                    old=old.id,
                    new=new.id,
                    date=words[1],
                    count=told,
                )
            )
        ],
    )


def _split(s: Session, ctx: Context, old: OfficeSeries, new: OfficeSeries, since: datetime) -> int:
    """Move the old series' future sessions to the new one (same local date), telling booked
    cities; sessions with no counterpart are cancelled (booked) or dropped (empty)."""
    tz, now = ctx.settings.tz, ctx.now
    future = s.exec(
        select(OfficeSession).where(
            OfficeSession.series_id == old.id,
            OfficeSession.occurrence >= since,
            OfficeSession.status == "scheduled",
        )
    ).all()
    targets = {
        w.astimezone(tz).date(): w
        for w in oh.occurrences(
            new,
            tz,
            since - timedelta(days=7),
            now + timedelta(days=ctx.settings.office_horizon_days + 14),
        )
    }
    told = 0
    moved: dict[int, OfficeSession] = {}
    for session in future:
        target = targets.get(session.occurrence.astimezone(tz).date())
        if target is not None and session.id is not None:
            moved[session.id] = session
            session.series_id, session.occurrence = new.id, target
            session.starts_at, session.duration_minutes = target, new.duration_minutes
            session.link, session.place = new.link, new.place
            session.opens_at = target - timedelta(days=new.open_days)
    old_until = since
    old.until = old_until
    s.add(old)
    cancelled = oh.end_series(s, old, since, now)
    for session in moved.values():
        session.sequence += 1
        s.add(session)
        s.flush()
        oh.schedule_session(s, session, now)
        told += notify_change(
            s,
            ctx.settings,
            now,
            session,
            N_(
                "✏️ Office hours #{id} have changed: now {when}, {where}. The calendar file is "
                "updated."
            ),
        )
    for session in cancelled:
        told += notify_change(
            s,
            ctx.settings,
            now,
            session,
            N_("❌ Office hours #{id} ({when}) are cancelled."),
            cancelled=True,
        )
    oh.materialise(s, new, tz, now, timedelta(days=ctx.settings.office_horizon_days))
    return told


@REGISTRY.command(
    "dyzur_seria_koniec",
    "office_series_end",
    summary=N_("end an office-hours series from a date on"),
    usage=N_("<series> <date>"),
    action=Action.MANAGE_OFFICE_HOURS,
)
@privately
async def end_series(ctx: Context, args: str) -> list[Outgoing]:
    words = args.split(maxsplit=1)
    if len(words) < 2 or parse_id(words[0]) is None:
        raise DomainError(N_("Write e.g. /dyzur_seria_koniec 3 1.06.2027."))
    with ctx.db.session() as s:
        series = s.get(OfficeSeries, parse_id(words[0]))
        if series is None:
            raise DomainError(
                N_("There is no office-hours series with the number “{id}”."), id=words[0]
            )
        network = s.get(Network, series.network_id)
        assert network is not None
        ctx.require(Action.MANAGE_OFFICE_HOURS, network)
        since = _near(ctx, parse_when(f"{words[1]} 00:00", ctx.now, ctx.settings.tz), words[1])
        told = 0
        for session in oh.end_series(s, series, since, ctx.now):
            told += notify_change(
                s,
                ctx.settings,
                ctx.now,
                session,
                N_("❌ Office hours #{id} ({when}) are cancelled."),
                cancelled=True,
            )
    ctx.wake_outbox()
    return _private(
        ctx,
        [
            Outgoing(
                ctx.t(
                    "Series #{id} has no dates from {date} on. Cities told: {count}.",
                    id=series.id,
                    date=words[1],
                    count=told,
                )
            )
        ],
    )


async def _drop_one(ctx: Context, args: str, status: str) -> list[Outgoing]:
    [session_id] = _numbers(args, 1, N_("Write the session's number, e.g. 12."))
    _staff(ctx, session_id)
    with ctx.db.session() as s:
        session = _load(s, session_id)
        session = oh.lock_session(s, session_id)
        if session.status != "scheduled":
            raise DomainError(N_("This office-hours session has been cancelled."))
        session.status, session.sequence = status, session.sequence + 1
        s.add(session)
        told = notify_change(
            s,
            ctx.settings,
            ctx.now,
            session,
            N_("❌ Office hours #{id} ({when}) are cancelled."),
            cancelled=True,
        )
        oh.schedule_session(s, session, ctx.now)
    ctx.wake_outbox()
    return _private(
        ctx,
        [
            Outgoing(
                ctx.t(
                    "Office hours #{id} will not take place; the rest of "
                    "the series is unchanged. Cities told: {count}.",
                    id=session_id,
                    count=told,
                )
            )
        ],
    )


@REGISTRY.command(
    "dyzur_pomin",
    "office_skip",
    summary=N_("skip one office-hours date (e.g. a holiday)"),
    usage=N_("<session>"),
    action=Action.MANAGE_OFFICE_HOURS,
)
@privately
async def skip(ctx: Context, args: str) -> list[Outgoing]:
    return await _drop_one(ctx, args, "skipped")


@REGISTRY.command(
    "dyzur_odwolaj_termin",
    "office_cancel_session",
    summary=N_("cancel one office-hours session"),
    usage=N_("<session>"),
    action=Action.MANAGE_OFFICE_HOURS,
)
@privately
async def cancel_session(ctx: Context, args: str) -> list[Outgoing]:
    return await _drop_one(ctx, args, "cancelled")


@REGISTRY.command(
    "dyzur_przesun",
    "office_move",
    summary=N_("move one office-hours session"),
    usage=N_("<session> <new date and time>"),
    action=Action.MANAGE_OFFICE_HOURS,
)
@privately
async def move(ctx: Context, args: str) -> list[Outgoing]:
    words = args.split(maxsplit=1)
    session_id = parse_id(words[0]) if words else None
    if len(words) < 2 or session_id is None:
        raise DomainError(N_("Write e.g. /dyzur_przesun 12 9.12.2026 12:00."))
    starts = _near(
        ctx,
        require_future(parse_when(words[1], ctx.now, ctx.settings.tz), ctx.now, words[1]),
        words[1],
    )
    _staff(ctx, session_id)
    with ctx.db.session() as s:
        session = oh.lock_session(s, session_id)
        if session.status != "scheduled":
            raise DomainError(N_("This office-hours session has been cancelled."))
        shift = starts - session.starts_at
        session.starts_at, session.opens_at = starts, session.opens_at + shift
        session.sequence += 1
        s.add(session)
        s.flush()
        oh.schedule_session(s, session, ctx.now)
        told = notify_change(
            s,
            ctx.settings,
            ctx.now,
            session,
            N_(
                "🔁 Office hours #{id} are moved: your slot is now {when}, {where}. The calendar "
                "file is updated."
            ),
        )
    ctx.wake_outbox()
    return _private(
        ctx,
        [
            Outgoing(
                ctx.t(
                    "Office hours #{id} are moved to {when}. Cities told: {count}.",
                    id=session.id,
                    when=ctx.t.datetime(starts),
                    count=told,
                )
            )
        ],
    )


@REGISTRY.command(
    "dyzur_agenda",
    "office_agenda",
    summary=N_("who comes to office hours, with topics"),
    usage=N_("<session>"),
    action=Action.MANAGE_OFFICE_HOURS,
)
@privately
async def agenda(ctx: Context, args: str) -> list[Outgoing]:
    [session_id] = _numbers(args, 1, N_("Write the session's number, e.g. 12."))
    _staff(ctx, session_id)
    with ctx.db.session() as s:
        session = _load(s, session_id)
        lines = agenda_lines(s, ctx.t, session)
    return _private(ctx, [Outgoing("\n".join(lines))])


@REGISTRY.command(
    "dyzur_terminy",
    "office_sessions",
    summary=N_("office-hours sessions of a network, with numbers"),
    usage=N_("[network]"),
    action=Action.MANAGE_OFFICE_HOURS,
)
@privately
async def sessions(ctx: Context, args: str) -> list[Outgoing]:
    ctx.require_person()
    network = ctx.target_network(args.strip() or None)
    ctx.require(Action.MANAGE_OFFICE_HOURS, network)
    t = ctx.t
    with ctx.db.session() as s:
        found = oh.sessions_between(
            s,
            [network.id or 0],
            ctx.now - timedelta(days=1),
            ctx.now + timedelta(days=ctx.settings.office_horizon_days),
        )
        lines = [t("Office hours in {network}:", network=network.name)]
        for x in found:
            held = len([b for b in oh.holding(s, x.id or 0) if b.status != "offered"])
            state = {"skipped": t("skipped"), "cancelled": t("cancelled")}.get(
                x.status, t("{held} of {slots} booked", held=held, slots=x.slots)
            )
            lines.append(f"#{x.id} {t.short_datetime(x.starts_at)} — {state}")
    return _private(ctx, [Outgoing("\n".join(lines))])


def _current(s: Session, ctx: Context, args: str) -> OfficeSession:
    """The session named, else the one running now (or starting soon) the caller manages."""
    if args.split():
        number = parse_id(args.split()[0])
        if number is None:
            raise DomainError(N_("Write the session's number, e.g. 12."))
        return _load(s, number)
    me = ctx.require_person()
    ids = [n.id or 0 for n in directory.networks_of(s, me.id or 0)]
    for x in oh.sessions_between(
        s, ids, ctx.now - timedelta(hours=8), ctx.now + timedelta(minutes=30)
    ):
        if x.status == "scheduled" and x.ends_at > ctx.now:
            return x
    raise DomainError(N_("No office hours are running now. Give the session's number."))


@REGISTRY.command(
    "nastepny",
    "next",
    summary=N_("office hours: call the next city"),
    usage=N_("[session]"),
    action=Action.MANAGE_OFFICE_HOURS,
)
@privately
async def call_next(ctx: Context, args: str) -> list[Outgoing]:
    t = ctx.t
    with ctx.db.session() as s:
        session_id = _current(s, ctx, args).id or 0
    _staff(ctx, session_id)
    with ctx.db.session() as s:
        session = _load(s, session_id)
        booking = oh.call_next(s, session.id or 0, ctx.now)
        if booking is None:
            return _private(
                ctx, [Outgoing(t("Nobody else is booked in office hours #{id}.", id=session.id))]
            )
        enqueue_to_person(
            s,
            booking.person_id,
            ctx.settings,
            ctx.now,
            lambda t: Outgoing(
                t(
                    "📣 Your turn at the expert's office hours #{id}: {where}",
                    id=session.id,
                    where=where(t, session),
                )
            ),
            kind="office_turn",
            dedupe_key=f"office_turn:{booking.id}",
        )
        city = _city(s, booking.city_id)
    ctx.wake_outbox()
    return _private(
        ctx,
        [
            Outgoing(
                t(
                    "Called: {city}, slot {slot} — {topic}",
                    city=city,
                    slot=booking.slot,
                    topic=booking.topic,
                ),
                actions=(
                    Button(t("Done"), f"/dyzur_zrobione {session.id} {booking.slot}"),
                    Button(t("No-show"), f"/dyzur_nieobecny {session.id} {booking.slot}"),
                    Button(t("Next"), f"/nastepny {session.id}"),
                ),
            )
        ],
    )


async def _mark(ctx: Context, args: str, status: str) -> list[Outgoing]:
    session_id, slot = _numbers(args, 2, N_("Write the session and the slot, e.g. 12 2."))
    _staff(ctx, session_id)
    with ctx.db.session() as s:
        session = _load(s, session_id)
        if ctx.now < session.starts_at:
            raise DomainError(N_("These office hours have not started yet."))
        booking = oh.mark(s, session_id, slot, status, ctx.now)
        city = _city(s, booking.city_id)
    label = ctx.t("done") if status == "done" else ctx.t("no-show")
    return _private(
        ctx, [Outgoing(ctx.t("Slot {slot} ({city}): {state}.", slot=slot, city=city, state=label))]
    )


@REGISTRY.command(
    "dyzur_zrobione",
    "office_done",
    summary=N_("office hours: mark a slot done"),
    usage=N_("<session> <slot>"),
    action=Action.MANAGE_OFFICE_HOURS,
)
@privately
async def done(ctx: Context, args: str) -> list[Outgoing]:
    return await _mark(ctx, args, "done")


@REGISTRY.command(
    "dyzur_nieobecny",
    "office_no_show",
    summary=N_("office hours: mark a city that did not come"),
    usage=N_("<session> <slot>"),
    action=Action.MANAGE_OFFICE_HOURS,
)
@privately
async def no_show(ctx: Context, args: str) -> list[Outgoing]:
    return await _mark(ctx, args, "no_show")


@REGISTRY.command(
    "dyzur_zwolnij",
    "office_release",
    summary=N_("office hours: free a city's slot"),
    usage=N_("<session> <slot>"),
    action=Action.MANAGE_OFFICE_HOURS,
)
@privately
async def release(ctx: Context, args: str) -> list[Outgoing]:
    session_id, slot = _numbers(args, 2, N_("Write the session and the slot, e.g. 12 2."))
    _staff(ctx, session_id)
    with ctx.db.session() as s:
        session = _load(s, session_id)
        freed = oh.release_by_staff(
            s, session_id, slot, ctx.now, ctx.settings.tz, ctx.settings.office_offer_minutes
        )
        session = _load(s, session_id)
        enqueue_to_person(
            s,
            freed.booking.person_id,
            ctx.settings,
            ctx.now,
            lambda t: Outgoing(
                t(
                    "Your city's slot in office hours #{id} was freed by the network's team.",
                    id=session_id,
                ),
                files=(ics_file(s, session, freed.booking, ctx.settings, ctx.now, cancelled=True),),
            ),
            kind="office_change",
            dedupe_key=f"office_released:{freed.booking.id}",
        )
        after_freed(s, ctx.settings, ctx.now, session, freed)
    ctx.wake_outbox()
    return _private(
        ctx,
        [
            Outgoing(
                ctx.t("Slot {slot} of office hours #{id} is free again.", slot=slot, id=session_id)
            )
        ],
    )


def summary_text(s: Session, t: Translator, session: OfficeSession) -> str:
    """Topics of a session and the network's no-shows per city: for the coordinator's report."""
    network = _network(s, session)
    lines = [
        t(
            "Summary of office hours #{id} ({network}), {when}:",
            id=session.id,
            network=network.name,
            when=t.datetime(session.starts_at),
        )
    ]
    for b in oh.summary(s, session.id or 0):
        lines.append(
            t(
                "– {city}: {topic}{state}",
                city=_city(s, b.city_id),
                topic=b.topic,
                state=_state(t, b),
            )
        )
    if len(lines) == 1:
        lines.append(t("Nobody booked."))
    counts = oh.no_shows(s, network.id or 0)
    if counts:
        names = {
            c.id: c.name for c in s.exec(select(City).where(col(City.id).in_(list(counts)))).all()
        }
        lines.append(
            t(
                "No-shows so far: {cities}",
                cities=", ".join(f"{names.get(c, c)} {n}" for c, n in sorted(counts.items())),
            )
        )
    return "\n".join(lines)


@REGISTRY.command(
    "dyzur_podsumowanie",
    "office_summary",
    summary=N_("office hours: topics and no-shows, for the report"),
    usage=N_("<session>"),
    action=Action.VIEW_REPORTS,
)
@privately
async def report(ctx: Context, args: str) -> list[Outgoing]:
    [session_id] = _numbers(args, 1, N_("Write the session's number, e.g. 12."))
    ctx.require_person()
    ctx.require(Action.VIEW_REPORTS, _network_of(ctx, session_id))
    with ctx.db.session() as s:
        session = _load(s, session_id)
        text = summary_text(s, ctx.t, session)
    return _private(ctx, [Outgoing(text)])

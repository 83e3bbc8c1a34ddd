"""Office-hours messages that commands and jobs both send: a booking with its calendar file,
offers and promotions, the "wolny termin" notice, changes told to booked cities, the expert's
agenda and the summary of a session."""

from __future__ import annotations

from datetime import datetime

from sqlmodel import Session

from core.collation import polish_key
from core.config import Settings
from core.i18n import Translator
from core.messages import Action as Button
from core.messages import File, Outgoing, Target
from core.outbox import enqueue, enqueue_to_person
from handlers.office_hours.calendar import office_ics
from models import directory
from models import office_hours as oh
from models.core import Network, Person
from models.errors import N_
from models.office_hours import BookingStatus, OfficeBooking, OfficeSession

BOOKED = N_("✅ Booked: office hours #{id} ({network}).")
CANCELLED = N_("❌ Office hours #{id} ({when}) are cancelled.")


def network_of(s: Session, session: OfficeSession) -> Network:
    network = s.get(Network, session.network_id)
    assert network is not None
    return network


def city_label(s: Session, city_id: int) -> str:
    return directory.city_name(s, city_id) or f"#{city_id}"


def where(t: Translator, session: OfficeSession) -> str:
    return session.link or session.place or t("the link will follow")


def state_label(t: Translator, b: OfficeBooking) -> str:
    labels: dict[str, str] = {
        BookingStatus.OFFERED: t(" (offered, waiting for an answer)"),
        BookingStatus.DONE: t(" ✔ done"),
        BookingStatus.NO_SHOW: t(" ✘ no-show"),
    }
    return labels.get(b.status, "")


def ics_file(
    s: Session,
    t: Translator,
    session: OfficeSession,
    booking: OfficeBooking,
    settings: Settings,
    now: datetime,
    cancelled: bool = False,
    network: Network | None = None,
) -> File:
    """The booking's .ics, built when the reply is sent or queued (File.later): not inside
    the booking's transaction, which holds the session's lock (`network`: when read already)."""
    name = (network or network_of(s, session)).name
    tz = settings.tz
    return File.later(
        f"dyzur_{session.id}_{booking.slot}.ics",
        lambda: office_ics(t, session, booking, name, tz, now, cancelled),
        "text/calendar",
    )


def booking_message(
    t: Translator,
    session: OfficeSession,
    booking: OfficeBooking,
    network: Network,
    ics: File,
    headline: str = BOOKED,
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
            "You can cancel until {when} with /dyzur_odwolaj {id}.",
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
    network = network_of(s, session)
    enqueue_to_person(
        s,
        booking.person_id,
        settings,
        now,
        lambda t: booking_message(
            t, session, booking, network, ics_file(s, t, session, booking, settings, now), headline
        ),
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
    network = network_of(s, session)
    t = Translator(settings.default_language, settings.tz)
    chats = directory.chats_of(s, [network.id or 0])
    for chat in chats:
        enqueue(
            s,
            Target(chat.platform, chat.chat_id),
            Outgoing(
                t(
                    "🟢 A free slot: office hours #{id}, {when}. Book it privately: "
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
    """Every booked and waiting city of a session hears of a change; bookers get the .ics.
    A cancelled session then lets them all go."""
    told = 0
    for b in oh.holding(s, session.id or 0):
        if b.status not in oh.LETTABLE:
            continue

        def build(t: Translator, b: OfficeBooking = b) -> Outgoing:
            ics = ics_file(s, t, session, b, settings, now, cancelled)
            return Outgoing(
                t(
                    text_id,
                    id=session.id,
                    when=t.datetime(session.slot_start(b.slot)),
                    where=where(t, session),
                ),
                files=(ics,),
            )

        told += enqueue_to_person(
            s,
            b.person_id,
            settings,
            now,
            build,
            kind="office_change",
            dedupe_key=f"office_change:{session.id}:{session.sequence}:{b.id}",
        )
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
        oh.clear_session(s, session.id or 0, now)
    return told


def agenda_lines(s: Session, t: Translator, session: OfficeSession) -> list[str]:
    network = network_of(s, session)
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
                city=city_label(s, b.city_id),
                name=person.display_name if person else "?",
                topic=b.topic,
                state=state_label(t, b),
            )
        )
    queue = oh.waiting(s, session.id or 0)
    if queue:
        lines.append(
            t("Waitlist: {cities}", cities=", ".join(city_label(s, w.city_id) for w in queue))
        )
    return lines


def summary_text(s: Session, t: Translator, session: OfficeSession) -> str:
    """Topics of a session and the network's no-shows per city: for the coordinator's report."""
    network = network_of(s, session)
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
                city=city_label(s, b.city_id),
                topic=b.topic,
                state=state_label(t, b),
            )
        )
    if len(lines) == 1:
        lines.append(t("Nobody booked."))
    counts = oh.no_shows(s, network.id or 0)
    if counts:
        names = oh.city_names(s, list(counts))
        lines.append(
            t(
                "No-shows so far: {cities}",
                cities=", ".join(
                    f"{names.get(c, c)} {n}"
                    for c, n in sorted(counts.items(), key=lambda i: polish_key(names.get(i[0])))
                ),
            )
        )
    return "\n".join(lines)

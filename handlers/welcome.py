"""Nobody left out: a person who links their account, joins a network or is added after things
were sent gets what is still ahead for them — the private invitations they have not answered
(with the calendar file, the answer buttons and their answer page), the feedback polls they are
asked in, and the office hours their city may still book.

`catch_up` is called wherever a person comes in (/start with a code, roster add and import,
an accepted join request); everything goes through the outbox under the same keys as the first
sending, so nobody gets anything twice. Other features add what they have waiting with
`@on_arrival` (the network's contract, open consultations).
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import datetime, timedelta

from sqlmodel import Session

from core.config import Settings
from core.i18n import Translator
from core.messages import Action as Button
from core.messages import Outgoing, Target
from core.outbox import enqueue_once
from handlers.feedback.poll import ask_again
from handlers.kit.feature import Feature
from handlers.kit.permissions import Action, Actor, allowed
from handlers.meetings.invitations import private_invitation
from models import agenda, directory
from models import feedback as polls
from models import office_hours as oh
from models.core import Network, Person
from models.enums import Role, Standing
from models.errors import N_

FEATURE = Feature("welcome")

log = logging.getLogger("empirie.welcome")

# What other features have waiting for a person who comes in (e.g. the network's contract, an
# open consultation): each queues it with the same dedupe key as its first sending and says
# how many messages it queued. Registered with `@on_arrival` when the feature is loaded.
Arrival = Callable[[Session, Person, Target, Translator, Settings, datetime], int]
ARRIVALS: list[Arrival] = []


def on_arrival(fn: Arrival) -> Arrival:
    ARRIVALS.append(fn)
    return fn


OFFICE_HOURS = N_(
    "🗓 Booking is open for the expert's office hours #{id} ({network}), {when}: free slots "
    "{free} of {minutes} min. Book: /dyzur_rezerwuj {id} <slot> <topic>."
)


def _private(s: Session, person_id: int, settings: Settings) -> Target | None:
    for platform in settings.active_platforms:
        account = directory.account_of(s, person_id, platform)
        if account is not None:
            return Target(platform, account.external_id)
    return None


def _actor(s: Session, person: Person, network: Network) -> Actor:
    return Actor(
        directory.roles_of(s, person.id or 0, network.id),
        directory.standing_of(s, person.city_id, network.id),
    )


def _invitations(
    s: Session, person: Person, where: Target, t: Translator, settings: Settings, now: datetime
) -> int:
    """Published meetings still open for answers that the person has not answered, each as
    the private invitation `publish` sends (same dedupe key: never twice)."""
    sent = 0
    for state in agenda.upcoming(s, person.id or 0, now):
        meeting, network = state.meeting, state.network
        if not state.open_for_answers(now) or state.answer is not None or not state.details:
            continue  # answered, closed for answers, or an observer of a meeting without one
        message = private_invitation(s, settings, now, t, meeting, network, person.id or 0)
        sent += enqueue_once(
            s,
            where,
            message,
            now,
            person_id=person.id,
            network_id=network.id,
            kind="meeting",
            dedupe_key=f"meeting:{meeting.id}:{meeting.sequence}:{where.platform}:{where.chat_id}",
        )
    return sent


def _office_hours(
    s: Session, person: Person, where: Target, t: Translator, settings: Settings, now: datetime
) -> int:
    """Sessions open for booking now in networks where the person's city may book and has
    no slot yet."""
    if person.city_id is None:
        return 0
    sent = 0
    for network in directory.networks_of(s, person.id or 0):
        actor = _actor(s, person, network)
        if (
            Role.REPRESENTATIVE not in actor.roles
            or actor.standing is Standing.OBSERVER
            or not allowed(actor, Action.BOOK_OFFICE_HOURS, network_closed=network.closed)
        ):
            continue
        ahead = timedelta(days=settings.office_horizon_days)
        for session in oh.sessions_between(s, [network.id or 0], now, now + ahead):
            if not session.scheduled or not session.opens_at <= now:
                continue
            if oh.city_booking(s, session.id or 0, person.city_id) is not None:
                continue
            free = [n for n in oh.free_slots(s, session, now) if session.cutoff(n) > now]
            if not free:
                continue
            sent += enqueue_once(
                s,
                where,
                Outgoing(
                    t(
                        OFFICE_HOURS,
                        id=session.id,
                        network=network.name,
                        when=t.datetime(session.starts_at),
                        free=len(free),
                        minutes=session.slot_minutes,
                    ),
                    actions=(Button(t("Free slots"), f"/dyzur {network.code}"),),
                ),
                now,
                person_id=person.id,
                network_id=network.id,
                kind="office_open",
                dedupe_key=f"office_open:{session.id}:p{person.id}",
            )
    return sent


def catch_up(session: Session, person_id: int, settings: Settings, now: datetime) -> int:
    """Queue what is still ahead for this person (see the module's docstring); returns how
    many messages were queued. Nothing when they cannot be reached yet."""
    person = session.get(Person, person_id)
    if person is None or person.erased_at is not None:
        return 0
    where = _private(session, person_id, settings)
    if where is None:
        return 0
    t = Translator(person.language or settings.default_language, settings.tz)
    sent = _invitations(session, person, where, t, settings, now)
    for poll in polls.open_polls_for(session, person_id, now):
        sent += ask_again(session, settings, now, poll, person)
    sent += _office_hours(session, person, where, t, settings, now)
    from handlers import load_all  # the features' arrival hooks (also from the office's CLI)

    load_all()
    for arrival in ARRIVALS:
        sent += arrival(session, person, where, t, settings, now)
    if sent:
        log.info("welcome.caught_up person=%s messages=%s", person_id, sent)
    return sent

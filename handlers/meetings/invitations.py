"""Who is invited to a meeting and what they are sent: the invitation (with the calendar file),
the notice of a change, the live counts in group chats and a seat freed from the waitlist."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace
from datetime import datetime
from zoneinfo import ZoneInfo

from sqlmodel import Session

from core import links
from core.config import Settings
from core.i18n import Translator
from core.messages import Action as Button
from core.messages import File, Outgoing, Target
from core.outbox import enqueue, enqueue_to_person, refresh_live, register_live
from handlers.kit.context import Context
from handlers.kit.permissions import Action, Actor, allowed
from handlers.meetings import render
from handlers.meetings.calendar import meeting_ics
from models import agenda, directory
from models.announcements import Recipient, recipients
from models.core import Network, Person
from models.meetings import (
    Answer,
    Meeting,
    MeetingFormat,
    MeetingPart,
    View,
    answer_choices,
    ends_at,
    observer_only,
    parts_of,
    rsvps,
    tally,
    view,
)


def choices_for(actor: Actor, meeting: Meeting, network: Network) -> tuple[str, ...]:
    """The answers this person may give (the rules are models.meetings'; this only offers):
    staff none, observers online or no and only with an open part, core cities all."""
    if not allowed(actor, Action.RSVP_ONLINE, network_closed=network.closed):
        return ()
    if not allowed(actor, Action.RSVP_IN_PERSON, network_closed=network.closed):
        online = meeting.open_part and meeting.format != MeetingFormat.IN_PERSON
        return (Answer.ONLINE, Answer.NO) if online else ()
    return tuple(answer_choices(meeting))


def _actor(s: Session, person_id: int, network: Network) -> Actor:
    person = s.get(Person, person_id)
    return Actor(
        directory.roles_of(s, person_id, network.id),
        directory.standing_of(s, person.city_id if person else None, network.id),
    )


def choices_of(s: Session, person_id: int, meeting: Meeting, network: Network) -> tuple[str, ...]:
    """The answers one person may give (the answer page offers only these)."""
    return choices_for(_actor(s, person_id, network), meeting, network)


def is_observer(actor: Actor) -> bool:
    return observer_only(actor.roles, actor.standing)


def person_view(
    s: Session, person_id: int, meeting: Meeting, network: Network, parts: list[MeetingPart]
) -> tuple[View, bool]:
    """The meeting as this person sees it, and whether they only observe."""
    observer = is_observer(_actor(s, person_id, network))
    return view(meeting, parts, observer=observer), observer


def group_view(meeting: Meeting, parts: list[MeetingPart]) -> View:
    """A group chat holds observers: the open parts only, over the whole meeting's time."""
    seen = view(meeting, parts, observer=True)
    return replace(seen, starts_at=meeting.starts_at, ends_at=ends_at(meeting))


def invited(
    s: Session, ctx: Context, meeting: Meeting, network: Network
) -> tuple[list[Recipient], list[Recipient]]:
    """The network's group chats and the people invited (observers only to an open part)."""
    chats, people = recipients(
        s, [network.id or 0], "all", "private", ctx.settings.active_platforms
    )
    if not meeting.open_part:  # observers take part only in open parts: not invited
        people = [
            r
            for r in people
            if r.person_id is None or not agenda.observes_only(s, r.person_id, network)
        ]
    return list(chats), list(people)


def _ics(ctx: Context, meeting: Meeting, network: Network, seen: View) -> File:
    return ics_file(ctx.settings, ctx.now, meeting, network, seen)


def ics_file(
    settings: Settings, now: datetime, meeting: Meeting, network: Network, seen: View
) -> File:
    return File(
        f"spotkanie_{meeting.id}.ics",
        meeting_ics(meeting, network.name, settings.tz, now, seen),
        "text/calendar",
    )


def private_invitation(
    s: Session,
    settings: Settings,
    now: datetime,
    t: Translator,
    meeting: Meeting,
    network: Network,
    person_id: int,
) -> Outgoing:
    """One person's invitation: what they may see (observers: the open parts only), the
    answers they may give, their own answer page and the calendar file. The one builder, for
    publishing and for people who come in later (handlers/welcome.py)."""
    actor = _actor(s, person_id, network)
    seen = view(meeting, parts_of(s, meeting.id or 0), observer=is_observer(actor))
    choices = choices_for(actor, meeting, network)
    message = render.invitation(
        t, meeting, network.name, seen, choices=choices, observer=not seen.full
    )
    url = links.page_url_in(
        s,
        settings,
        person_id,
        links.RSVP,
        now,
        expires_at=meeting.starts_at,
        meeting=meeting.id or 0,
    )
    page = links.button(t("Answer on a page"), url) if choices else None
    actions = (*message.actions, page) if page is not None else message.actions
    return Outgoing(
        message.text, actions=actions, files=(ics_file(settings, now, meeting, network, seen),)
    )


def publish(s: Session, ctx: Context, meeting: Meeting, network: Network) -> tuple[int, int]:
    """Send the invitation to the network's chats (kept live) and to everyone invited, each
    with the answers they may give and their own answer page. Returns (chats, people)."""
    chats, people = invited(s, ctx, meeting, network)
    parts = parts_of(s, meeting.id or 0)
    for r in [*chats, *people]:
        t = Translator(r.language or ctx.settings.default_language, ctx.settings.tz)
        if r.person_id is None:  # a group: every answer, and counts kept live
            seen = group_view(meeting, parts)
            group = render.invitation(
                t, meeting, network.name, seen, counts=tally(s, meeting.id or 0)
            )
            message = Outgoing(
                group.text, actions=group.actions, files=(_ics(ctx, meeting, network, seen),)
            )
        else:
            message = private_invitation(s, ctx.settings, ctx.now, t, meeting, network, r.person_id)
        enqueue(
            s,
            Target(r.platform, r.chat_id),
            message,
            ctx.now,
            person_id=r.person_id,
            network_id=network.id,
            kind="meeting",
            dedupe_key=f"meeting:{meeting.id}:{meeting.sequence}:{r.platform}:{r.chat_id}",
            live_key=render.live_key(meeting) if r.person_id is None else None,
        )
    return len(chats), len(people)


def refresh_group_invitations(s: Session, ctx: Context, meeting: Meeting, network: Network) -> bool:
    """Edit the invitation in every group that got it: live counts, new details (debounced
    by the outbox: many answers, one edit, rendered when it is sent). Returns whether an
    edit is due now (worth waking the outbox for)."""
    return refresh_live_counts(s, ctx.settings, ctx.now, meeting, network)


def refresh_live_counts(
    s: Session, settings: Settings, now: datetime, meeting: Meeting, network: Network
) -> bool:
    """refresh_group_invitations without a chat update (e.g. an answer from a calendar)."""
    return refresh_live(
        s,
        render.live_key(meeting),
        now,
        lambda: group_invitation(s, settings.default_language, settings.tz, meeting, network),
        settings.default_language,
        settings.tz.key,
    )


def group_invitation(
    s: Session, language: str, tz: ZoneInfo, meeting: Meeting, network: Network
) -> Outgoing:
    """The invitation as a group sees it (its text and buttons), with the live counts."""
    t = Translator(language, tz)
    seen = group_view(meeting, parts_of(s, meeting.id or 0))
    return render.invitation(t, meeting, network.name, seen, counts=tally(s, meeting.id or 0))


def _live_invitation(s: Session, key: str, t: Translator, now: datetime) -> Outgoing | None:
    """A group invitation's edit, rendered when the outbox sends it (core.outbox)."""
    meeting = s.get(Meeting, int(key.split(":", 1)[1]))
    network = s.get(Network, meeting.network_id) if meeting is not None else None
    if meeting is None or network is None:
        return None
    return group_invitation(s, t.language, t.tz, meeting, network)


register_live("meeting", _live_invitation)


def notify_change(
    s: Session,
    ctx: Context,
    meeting: Meeting,
    network: Network,
    say: Callable[[Translator], str],
    *,
    public: Callable[[Translator], str] | None = None,
    confirm: tuple[set[int], Callable[[Translator], Outgoing]] | None = None,
) -> tuple[int, int]:
    """Tell everyone concerned what changed, with the updated calendar file: each group that
    got the invitation (a notice, and the invitation edited in place) and everyone invited,
    answered or not. `public`: the notice for groups and observers when the change concerns
    the closed part's details; `confirm`: those asked to confirm (a moved meeting's in-person
    answers) and what they are asked. Returns (chats, people) told."""
    chats, people = invited(s, ctx, meeting, network)
    parts = parts_of(s, meeting.id or 0)
    answered = {r.person_id for r in rsvps(s, meeting.id or 0)}
    listed = {r.person_id for r in people}
    for person_id in answered - listed:  # e.g. an observer who answered before a change
        enqueue_to_person(
            s,
            person_id,
            ctx.settings,
            ctx.now,
            lambda t: Outgoing((public or say)(t)),
            kind="meeting_change",
            dedupe_key=f"change:{meeting.id}:{meeting.sequence}:p{person_id}",
        )
    asked, question = confirm if confirm is not None else (set(), None)
    for r in [*chats, *people]:
        t = Translator(r.language or ctx.settings.default_language, ctx.settings.tz)
        seen = (
            group_view(meeting, parts)
            if r.person_id is None
            else person_view(s, r.person_id, meeting, network, parts)[0]
        )
        text = (public or say)(t) if not seen.full else say(t)
        actions: tuple[Button, ...] = ()
        if question is not None and r.person_id in asked:
            asking = question(t)
            text, actions = f"{text}\n{asking.text}", asking.actions
        enqueue(
            s,
            Target(r.platform, r.chat_id),
            Outgoing(text, actions=actions, files=(_ics(ctx, meeting, network, seen),)),
            ctx.now,
            person_id=r.person_id,
            network_id=network.id,
            kind="meeting_change",
            dedupe_key=f"change:{meeting.id}:{meeting.sequence}:{r.platform}:{r.chat_id}",
        )
    refresh_group_invitations(s, ctx, meeting, network)
    return len(chats), len(people) + len(answered - listed)


def tell_promoted(
    s: Session, settings: Settings, now: datetime, meeting: Meeting, person_id: int
) -> None:
    """A seat freed up (someone declined, or the limit rose): tell the one who got it."""
    enqueue_to_person(
        s,
        person_id,
        settings,
        now,
        lambda t: render.seat_freed(t, meeting),
        kind="waitlist",
    )

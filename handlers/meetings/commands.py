"""Meetings: a coordinator creates one (and it is published), representatives answer,
everyone sees the overview. Answers follow the rules in models.meetings."""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import replace
from datetime import timedelta

from sqlmodel import Session

from core import links
from core.i18n import Translator
from core.messages import Action as Button
from core.messages import EventKind, File, Outgoing, Target
from core.outbox import enqueue, enqueue_edit, enqueue_to_person, live_targets
from handlers.kit.context import Context
from handlers.kit.dates import parse_when, require_future
from handlers.kit.limits import AGENDA, LINK, NOTE, PLACE, TITLE, check_text, parse_count
from handlers.kit.objects import first_word, hidden_or, shown
from handlers.kit.permissions import Action, Actor, allowed
from handlers.kit.registry import REGISTRY
from handlers.meetings.attendance_sheet import Row, to_csv, to_pdf
from handlers.meetings.calendar import meeting_ics
from models import conversations, directory
from models.announcements import Recipient, recipients
from models.core import Conversation, Network, Person
from models.enums import Role, Standing
from models.errors import N_, DomainError
from models.meetings import (
    ANSWERS,
    FORMATS,
    Meeting,
    answer,
    answers_of,
    cancel_reminders,
    rsvps,
    schedule_reminders,
    set_capacity,
    tally,
    upcoming,
)
from models.meetings import check_in as model_check_in

ANSWER_LABEL = {
    "stacjonarnie": N_("In person"),
    "online": N_("Online"),
    "nie": N_("I won't come"),
    "moze": N_("Maybe"),
}
MAX_SEATS = 10000
USAGE = N_(
    "<network>; <title>; <date and time>; <format>[; <hours>; <place>; <link>; "
    "<in-person seats>; <open part: tak/nie>; <answer by>; <agenda>]"
)


def _label(t: Translator, key: str) -> str:
    return t(ANSWER_LABEL[key])


MISSING = N_("There is no meeting with the number “{id}”. /moje_spotkania lists yours.")


def _load(ctx: Context, s: Session, args: str) -> Meeting:
    """The meeting, if it is in a network the caller may read (else: "no such meeting")."""
    return hidden_or(ctx, s, Meeting, first_word(args), MISSING)


def live_key(meeting: Meeting) -> str:
    """The group invitation's key in the outbox: it is edited in place as answers come."""
    return f"meeting:{meeting.id}"


def choices_for(actor: Actor, meeting: Meeting, network: Network) -> tuple[str, ...]:
    """The answers this person may give (the rules are models.meetings'; this only offers):
    staff none, observers online or no and only with an open part, core cities all."""
    if not allowed(actor, Action.RSVP_ONLINE, network_closed=network.closed):
        return ()
    if not allowed(actor, Action.RSVP_IN_PERSON, network_closed=network.closed):
        online = meeting.open_part and meeting.format != "stacjonarne"
        return ("online", "nie") if online else ()
    return tuple(answer_choices(meeting))


def counts_line(t: Translator, meeting: Meeting, counts: dict[str, int]) -> str:
    seats = (
        f"{counts['stacjonarnie']}/{meeting.capacity}"
        if meeting.capacity
        else str(counts["stacjonarnie"])
    )
    parts = [t("in person {n}", n=seats)] if meeting.format != "online" else []
    if meeting.format != "stacjonarne":
        parts.append(t("online {n}", n=counts["online"]))
    parts += [t("maybe {n}", n=counts["moze"]), t("no {n}", n=counts["nie"])]
    if counts["waitlist"]:
        parts.append(t("waitlist {n}", n=counts["waitlist"]))
    return t("Answers so far: {counts}", counts=" · ".join(parts))


def invitation(
    t: Translator,
    meeting: Meeting,
    network: Network,
    *,
    details: bool = True,
    choices: tuple[str, ...] | None = None,
    counts: dict[str, int] | None = None,
) -> Outgoing:
    """The invitation; without `details` (a group chat, which holds observers, of a meeting
    with no open part) the online link and agenda are left out: they go privately. `choices`:
    the answers offered (None: all the format allows, as in a group, where each press is
    checked); `counts`: the live counts shown in a group's copy."""
    lines = [
        t(
            "📅 Meeting #{id} of the network {network}: {title}",
            id=meeting.id,
            network=network.name,
            title=meeting.title,
        ),
        t(
            "When: {when}, {hours} h",
            when=t.datetime(meeting.starts_at),
            hours=t.number(meeting.duration_minutes / 60),
        ),
        t("Format: {format}", format=meeting.format),
    ]
    if meeting.place:
        lines.append(t("Place: {place}", place=meeting.place))
    if meeting.online_link and details:
        lines.append(t("Online: {link}", link=meeting.online_link))
    if meeting.agenda and details:
        lines.append(t("Agenda: {agenda}", agenda=meeting.agenda))
    if not details and (meeting.online_link or meeting.agenda):
        lines.append(t("A closed meeting: the link and agenda go privately to those invited."))
    if meeting.format != "online":
        lines.append(
            t("In-person seats: {n}", n=meeting.capacity)
            if meeting.capacity
            else t("In-person seats: no limit")
        )
    lines.append(
        t("Open part for observers (online): yes")
        if meeting.open_part
        else t("Open part for observers: none (core cities only)")
    )
    if meeting.status == "cancelled":
        lines.insert(0, t("❌ CANCELLED"))
        return Outgoing("\n".join(lines))
    offered = tuple(answer_choices(meeting)) if choices is None else choices
    if offered:
        lines.append(
            t(
                "Please answer by {when}: /rsvp {id} {choices}",
                when=t.datetime(meeting.rsvp_deadline),
                id=meeting.id,
                choices=" | ".join(offered),
            )
        )
    if counts is not None:
        lines.append(counts_line(t, meeting, counts))
    return Outgoing(
        "\n".join(lines),
        actions=tuple(Button(_label(t, a), f"/rsvp {meeting.id} {a}") for a in offered),
    )


def refresh_group_invitations(s: Session, ctx: Context, meeting: Meeting, network: Network) -> None:
    """Edit the invitation in every group that got it: live counts, new details (debounced
    by the outbox: many answers, one edit)."""
    t = Translator(ctx.settings.default_language, ctx.settings.tz)
    message = invitation(
        t, meeting, network, details=meeting.open_part, counts=tally(s, meeting.id or 0)
    )
    for target in live_targets(s, live_key(meeting)):
        enqueue_edit(s, target, live_key(meeting), message, ctx.now)


def _invited(
    s: Session, ctx: Context, meeting: Meeting, network: Network
) -> tuple[list[Recipient], list[Recipient]]:
    """The network's group chats and the people invited (observers only to an open part)."""
    chats, people = recipients(
        s, [network.id or 0], "all", "private", ctx.settings.active_platforms
    )
    if not meeting.open_part:  # observers take part only in open parts: not invited
        people = [r for r in people if not _observer(s, r.person_id, network)]
    return list(chats), list(people)


def _actor(s: Session, person_id: int, network: Network) -> Actor:
    person = s.get(Person, person_id)
    return Actor(
        directory.roles_of(s, person_id, network.id),
        directory.standing_of(s, person.city_id if person else None, network.id),
    )


def answer_choices(meeting: Meeting) -> list[str]:
    """The answers offered for a meeting's format (buttons, answer page)."""
    return [
        a
        for a in ANSWERS
        if not (
            (a == "stacjonarnie" and meeting.format == "online")
            or (a == "online" and meeting.format == "stacjonarne")
        )
    ]


@REGISTRY.command(
    "spotkanie_nowe",
    "meeting_new",
    summary=N_("create and publish a meeting"),
    usage=USAGE,
    action=Action.MANAGE_MEETINGS,
)
async def create(ctx: Context, args: str) -> list[Outgoing]:
    me = ctx.require_person()
    if not args.strip():
        _may_create_somewhere(ctx)
        return _start_guide(ctx, me.id or 0)
    parts = [p.strip() for p in args.split(";")]
    if len(parts) < 4 or not all(parts[:4]):
        raise DomainError(
            N_(
                "Give at least: network; title; date and time; format. For example: "
                "/spotkanie_nowe cyfrowe; Spotkanie II; 12.05.2027 10:00; "
                "hybrydowe; 6; Łomża, ul. Długa 1; https://…; 40; tak; "
                "5.05.2027 12:00"
            )
        )
    parts += [""] * (11 - len(parts))
    code, title, when, fmt, hours, place, link, seats, open_part, deadline = parts[:10]
    agenda = "; ".join(p for p in parts[10:] if p)  # the agenda may itself contain ";"
    with ctx.db.session() as s:
        network = directory.require_network(s, code)
    ctx.require(Action.MANAGE_MEETINGS, network)
    tz = ctx.settings.tz
    starts = require_future(parse_when(when, ctx.now, tz), ctx.now, when)
    if fmt.lower() not in FORMATS:
        raise DomainError(N_("Format must be stacjonarne, online or hybrydowe."))
    if fmt.lower() != "online" and not place:
        raise DomainError(N_("A meeting in person needs a place."))
    check_text(title, TITLE, "title")
    check_text(place, PLACE, "place")
    check_text(link, LINK, "link")
    check_text(agenda, AGENDA, "agenda")
    hours_text = (hours or "6").replace(",", ".")
    if not re.fullmatch(r"[0-9]{1,2}(\.[0-9]{1,2})?", hours_text):
        raise DomainError(N_("Hours and seats must be numbers."))
    duration = float(hours_text)
    if not 0.5 <= duration <= 12:
        raise DomainError(N_("A meeting lasts between half an hour and 12 hours."))
    capacity = parse_count(seats, low=1, high=MAX_SEATS) if seats else None
    if seats and capacity is None:
        raise DomainError(
            N_("In-person seats: a whole number from 1 to {limit} (leave it empty for no limit)."),
            limit=MAX_SEATS,
        )
    answer_by = (
        parse_when(deadline, ctx.now, tz) if deadline else max(ctx.now, starts - timedelta(days=7))
    )
    if not ctx.now <= answer_by <= starts:
        raise DomainError(N_("The answer deadline must be between now and the meeting."))
    meeting = Meeting(
        network_id=network.id or 0,
        title=title,
        starts_at=starts,
        duration_minutes=round(duration * 60),
        format=fmt.lower(),
        place=place or None,
        online_link=link or None,
        rsvp_deadline=answer_by,
        capacity=capacity,
        open_part=open_part.lower() in ("tak", "yes"),
        agenda=agenda or None,
        created_by=me.id,
        created_at=ctx.now,
    )
    with ctx.db.session() as s:
        s.add(meeting)
        s.flush()
        reached = _publish(s, ctx, meeting, network)
        schedule_reminders(s, meeting, ctx.now, ctx.settings.feedback_delay)
    ctx.wake_outbox()
    # the group sees the invitation itself; the organiser's overview is for the organiser
    return ctx.privately(
        [
            Outgoing(
                ctx.t(
                    "Meeting #{id} is published: {chats} chats, {people} people invited.",
                    id=meeting.id,
                    chats=reached[0],
                    people=reached[1],
                ),
                actions=(Button(ctx.t("Attendance"), f"/obecnosc {meeting.id}"),),
            )
        ],
        say_so=False,
    )


# Guided creation asks for the one-line command's fields one by one, then runs it.
GUIDE = (
    ("network", N_("Which network? Type its code (e.g. cyfrowe).")),
    ("title", N_("Title of the meeting?")),
    ("when", N_("Date and time? E.g. 12.05.2027 10:00 or 12 maja 10:00.")),
    ("format", N_("Format: stacjonarne, online or hybrydowe?")),
    ("hours", N_("How many hours (typically 4–9)? “-” for 6.")),
    ("place", N_("Place (address, host city)? “-” if online only.")),
    ("link", N_("Online link? “-” if none.")),
    ("seats", N_("In-person seats? “-” for no limit.")),
    ("open", N_("Is there an open part observers may watch online? tak / nie")),
    ("deadline", N_("Answers by (date and time)? “-” for a week before.")),
    ("agenda", N_("Agenda (one line; “-” to add it later with /spotkanie_zmien)?")),
)


def _may_create_somewhere(ctx: Context) -> None:
    """The guide asks eleven questions: say no before the first, not after the last."""
    if ctx.network is not None:
        ctx.require(Action.MANAGE_MEETINGS, ctx.network)
        return
    with ctx.db.session() as s:
        every = directory.networks(s)
    if not any(ctx.can(Action.MANAGE_MEETINGS, n) for n in every):
        raise DomainError(N_("Only coordinators and the coordinating team create meetings."))


def _start_guide(ctx: Context, person_id: int) -> list[Outgoing]:
    chat = ctx.incoming.chat
    data = {"network": ctx.network.code} if ctx.network is not None else {}
    step = next(key for key, _q in GUIDE if key not in data)
    with ctx.db.session() as s:
        conversations.start(
            s, chat.platform, chat.chat_id, person_id, "meeting", step, data, ctx.now
        )
    return [Outgoing(ctx.t(dict(GUIDE)[step]) + " " + ctx.t("/anuluj stops."))]


@REGISTRY.flow("meeting")
async def guide_step(ctx: Context, conv: Conversation, text: str) -> list[Outgoing]:
    data = {**conv.data, conv.step: "" if text.strip() == "-" else text.strip()}
    remaining = [key for key, _q in GUIDE if key not in data]
    if remaining:
        with ctx.db.session() as s:
            conversations.advance(s, conv, remaining[0], data, ctx.now)
        return [Outgoing(ctx.t(dict(GUIDE)[remaining[0]]))]
    with ctx.db.session() as s:
        conversations.finish(s, conv.platform, conv.chat_id, conv.person_id)
    try:
        return await create(ctx, "; ".join(data[key] for key, _q in GUIDE))
    except DomainError as error:  # nothing saved: say why and let them start again
        return [
            Outgoing(
                ctx.t(error.msgid, **error.params)
                + "\n"
                + ctx.t("Type /spotkanie_nowe to start again.")
            )
        ]


def _observer(s: Session, person_id: int | None, network: Network) -> bool:
    person = s.get(Person, person_id) if person_id else None
    if person is None:
        return False
    roles = directory.roles_of(s, person.id or 0, network.id)
    standing = directory.standing_of(s, person.city_id, network.id)
    return roles == {Role.REPRESENTATIVE} and standing is Standing.OBSERVER


def _publish(s: Session, ctx: Context, meeting: Meeting, network: Network) -> tuple[int, int]:
    chats, people = _invited(s, ctx, meeting, network)
    for r in [*chats, *people]:
        t = Translator(r.language or ctx.settings.default_language, ctx.settings.tz)
        details = meeting.open_part or r.person_id is not None
        if r.person_id is None:  # a group: every answer, and counts kept live
            message = invitation(
                t, meeting, network, details=details, counts=tally(s, meeting.id or 0)
            )
        else:
            message = invitation(
                t,
                meeting,
                network,
                details=details,
                choices=choices_for(_actor(s, r.person_id, network), meeting, network),
            )
        ics = File(
            f"spotkanie_{meeting.id}.ics",
            meeting_ics(meeting, network.name, ctx.settings.tz, ctx.now, details=details),
            "text/calendar",
        )
        if r.person_id is not None:  # a private invitation: their own answer page
            page = links.button(
                t("Answer on a page"),
                ctx.page_url(
                    links.RSVP, r.person_id, expires_at=meeting.starts_at, meeting=meeting.id or 0
                ),
            )
            if page is not None:
                message = replace(message, actions=(*message.actions, page))
        enqueue(
            s,
            Target(r.platform, r.chat_id),
            Outgoing(message.text, actions=message.actions, files=(ics,)),
            ctx.now,
            person_id=r.person_id,
            network_id=network.id,
            kind="meeting",
            dedupe_key=f"meeting:{meeting.id}:{meeting.sequence}:{r.platform}:{r.chat_id}",
            live_key=live_key(meeting) if r.person_id is None else None,
        )
    return len(chats), len(people)


@REGISTRY.command(
    "rsvp",
    "odpowiedz",
    summary=N_("answer a meeting invitation"),
    usage=N_("<meeting> stacjonarnie|online|nie|moze [notes, e.g. diet]"),
    action=Action.RSVP_ONLINE,
)
async def rsvp(ctx: Context, args: str) -> list[Outgoing]:
    me = ctx.require_person()
    words = args.split(maxsplit=2)
    if not words:
        raise DomainError(
            N_(
                "To answer an invitation write /rsvp <meeting number> and your "
                "answer: stacjonarnie, online, nie or moze, e.g. /rsvp 3 online "
                "(a note for the organisers may follow, e.g. a diet). Your "
                "meetings and their numbers: /moje_spotkania."
            )
        )
    with ctx.db.session() as s:
        meeting = _load(ctx, s, args)
        network = s.get(Network, meeting.network_id)
        assert network is not None
        choice = words[1].lower().replace("ż", "z") if len(words) > 1 else ""
        if not ctx.can(Action.RSVP_ONLINE, network):  # in person: models.meetings decides
            raise DomainError(
                N_("Only representatives of the network's cities answer invitations.")
            )
        standing = ctx.actor(network).standing
        note = check_text(words[2], NOTE, "note") if len(words) > 2 else None
        mine, promoted = answer(s, meeting, me.id or 0, standing, choice, ctx.now, note)
        if promoted is not None:
            _tell_promoted(s, ctx, meeting, promoted)
        refresh_group_invitations(s, ctx, meeting, network)
    ctx.wake_outbox()
    if mine.waitlisted:
        text = ctx.t(
            "All in-person seats are taken: you are on the waitlist. I will tell you "
            "when a seat frees up."
        )
        if ctx.incoming.kind is EventKind.ACTION and not ctx.private:  # toast + privately
            return [
                Outgoing(ctx.t("Waitlist: all in-person seats are taken."), ack=True),
                Outgoing(text),
            ]
    else:
        text = ctx.t(
            "Noted: {answer} for meeting #{id}. You can change it until {when}.",
            answer=_label(ctx.t, mine.answer),
            id=meeting.id,
            when=ctx.t.datetime(meeting.rsvp_deadline),
        )
    # typed in a group (on Teams that is how everyone answers): the group sees the edited
    # invitation's counts, the person alone sees their confirmation
    if ctx.incoming.kind is EventKind.ACTION:
        return [Outgoing(text)]  # a press: the router makes it the presser's toast
    return ctx.privately([Outgoing(text)], say_so=False)


def _tell_promoted(s: Session, ctx: Context, meeting: Meeting, person_id: int) -> None:
    enqueue_to_person(
        s,
        person_id,
        ctx.settings,
        ctx.now,
        lambda t: Outgoing(
            t(
                "A seat freed up: you now have an in-person place at meeting #{id} ({title}).",
                id=meeting.id,
                title=meeting.title,
            )
        ),
        kind="waitlist",
    )


@REGISTRY.command(
    "obecnosc",
    "attendance",
    summary=N_("answers to a meeting, per city"),
    usage=N_("<meeting>"),
    action=Action.VIEW_ATTENDANCE,
)
async def overview(ctx: Context, args: str) -> list[Outgoing]:
    ctx.require_person()
    t = ctx.t
    with ctx.db.session() as s:
        meeting = _load(ctx, s, args)
        network = s.get(Network, meeting.network_id)
        assert network is not None
        ctx.require(Action.VIEW_ATTENDANCE, network)
        answers = {r.person_id: r for r in rsvps(s, meeting.id or 0)}
        expected = [
            (p, c)
            for p, role, c in directory.members(s, network.id or 0)
            if role == "representative"
        ]
        names = directory.display_names(s, list(answers))
    counts = {
        a: sum(1 for r in answers.values() if r.answer == a and not r.waitlisted) for a in ANSWERS
    }
    waiting = [r for r in answers.values() if r.waitlisted]
    lines = [
        t("Meeting #{id}: {title}", id=meeting.id, title=meeting.title),
        " · ".join(f"{_label(t, a)}: {counts[a]}" for a in ANSWERS),
    ]
    if meeting.capacity:
        lines.append(
            t(
                "In-person seats: {taken} of {capacity}; waitlist: {waiting}",
                taken=counts["stacjonarnie"],
                capacity=meeting.capacity,
                waiting=len(waiting),
            )
        )
    per_city: dict[str, int] = {}
    for person, city in expected:
        reply = answers.get(person.id or 0)
        if city and reply and reply.answer in ("stacjonarnie", "online") and not reply.waitlisted:
            per_city[city.name] = per_city.get(city.name, 0) + 1
    lines.append(
        t(
            "Per city: {cities}",
            cities=", ".join(f"{name} {n}" for name, n in sorted(per_city.items())) or "—",
        )
    )
    silent = [p.display_name for p, _c in expected if (p.id or 0) not in answers]
    lines.append(t("Not answered yet: {names}", names=", ".join(silent) or "—"))
    for r in waiting:
        lines.append(t("Waitlist: {name}", name=names.get(r.person_id, f"#{r.person_id}")))
    diets = [f"{names.get(r.person_id)}: {r.note}" for r in answers.values() if r.note]
    if diets:
        lines.append(t("Notes: {notes}", notes="; ".join(diets)))
    return ctx.privately([Outgoing("\n".join(lines))])  # names and notes: not for the group


@REGISTRY.command(
    "moje_spotkania",
    "my_meetings",
    summary=N_("my upcoming meetings"),
    action=Action.READ,
    scope="private",
)
async def mine(ctx: Context, args: str) -> list[Outgoing]:
    me = ctx.require_person()
    with ctx.db.session() as s:
        network_ids = [n.id or 0 for n in directory.networks_of(s, me.id or 0)]
        meetings = upcoming(s, network_ids, ctx.now)
        answers = answers_of(s, me.id or 0, [m.id or 0 for m in meetings])
    page = ctx.page_button(ctx.t("Open as a page"), links.MEETINGS) if ctx.private else None
    links_row = (page,) if page is not None else ()
    if not meetings:
        return [Outgoing(ctx.t("You have no upcoming meetings."), actions=links_row)]
    lines = [ctx.t("Your upcoming meetings:")]
    for m in meetings:
        reply = answers.get(m.id or 0)
        state = ctx.t("no answer yet") if reply is None else _label(ctx.t, reply.answer)
        if reply is not None and reply.waitlisted:
            state += " " + ctx.t("(waitlist)")
        lines.append(f"#{m.id} {ctx.t.datetime(m.starts_at)} — {m.title} — {state}")
    return [Outgoing("\n".join(lines), actions=links_row)]


def _notify_change(
    s: Session, ctx: Context, meeting: Meeting, network: Network, say: Callable[[Translator], str]
) -> tuple[int, int]:
    """Tell everyone concerned what changed, with the updated calendar file: each group that
    got the invitation (a notice, and the invitation edited in place) and everyone invited,
    answered or not. Returns (chats, people) told."""
    chats, people = _invited(s, ctx, meeting, network)
    answered = {r.person_id for r in rsvps(s, meeting.id or 0)}
    listed = {r.person_id for r in people}
    for person_id in answered - listed:  # e.g. an observer who answered before a change
        enqueue_to_person(
            s,
            person_id,
            ctx.settings,
            ctx.now,
            lambda t: Outgoing(say(t)),
            kind="meeting_change",
            dedupe_key=f"change:{meeting.id}:{meeting.sequence}:p{person_id}",
        )
    for r in [*chats, *people]:
        t = Translator(r.language or ctx.settings.default_language, ctx.settings.tz)
        details = meeting.open_part or r.person_id is not None
        ics = File(
            f"spotkanie_{meeting.id}.ics",
            meeting_ics(meeting, network.name, ctx.settings.tz, ctx.now, details=details),
            "text/calendar",
        )
        enqueue(
            s,
            Target(r.platform, r.chat_id),
            Outgoing(say(t), files=(ics,)),
            ctx.now,
            person_id=r.person_id,
            network_id=network.id,
            kind="meeting_change",
            dedupe_key=f"change:{meeting.id}:{meeting.sequence}:{r.platform}:{r.chat_id}",
        )
    refresh_group_invitations(s, ctx, meeting, network)
    return len(chats), len(people) + len(answered - listed)


def _managed(ctx: Context, s: Session, args: str) -> tuple[Meeting, Network]:
    meeting = _load(ctx, s, args)
    network = s.get(Network, meeting.network_id)
    assert network is not None
    ctx.require(Action.MANAGE_MEETINGS, network)
    if meeting.status == "cancelled":
        raise DomainError(N_("This meeting has been cancelled."))
    return meeting, network


@REGISTRY.command(
    "spotkanie_odwolaj",
    "meeting_cancel",
    summary=N_("cancel a meeting"),
    usage=N_("<meeting>"),
    action=Action.MANAGE_MEETINGS,
)
async def cancel(ctx: Context, args: str) -> list[Outgoing]:
    ctx.require_person()
    with ctx.db.session() as s:
        meeting, network = _managed(ctx, s, args)
        meeting.status, meeting.sequence = "cancelled", meeting.sequence + 1
        s.add(meeting)
        cancel_reminders(s, meeting.id or 0)
        chats, people = _notify_change(
            s,
            ctx,
            meeting,
            network,
            lambda t: t(
                "❌ Meeting #{id} “{title}” ({when}) is cancelled.",
                id=meeting.id,
                title=meeting.title,
                when=t.datetime(meeting.starts_at),
            ),
        )
    ctx.wake_outbox()
    return ctx.privately(
        [
            Outgoing(
                ctx.t(
                    "Meeting #{id} is cancelled; told: {chats} group chats and {people} people invited.",
                    id=meeting.id,
                    chats=chats,
                    people=people,
                )
            )
        ],
        say_so=False,
    )


@REGISTRY.command(
    "spotkanie_przesun",
    "meeting_move",
    summary=N_("move a meeting"),
    usage=N_("<meeting> <new date and time>"),
    action=Action.MANAGE_MEETINGS,
)
async def move(ctx: Context, args: str) -> list[Outgoing]:
    ctx.require_person()
    words = args.split(maxsplit=1)
    if len(words) < 2:
        raise DomainError(
            N_("Give the meeting and the new date, e.g. /spotkanie_przesun 3 19.05.2027 10:00.")
        )
    starts = require_future(parse_when(words[1], ctx.now, ctx.settings.tz), ctx.now, words[1])
    with ctx.db.session() as s:
        meeting, network = _managed(ctx, s, args)
        shift, before = starts - meeting.starts_at, meeting.starts_at
        meeting.starts_at, meeting.sequence = starts, meeting.sequence + 1
        meeting.rsvp_deadline = min(max(meeting.rsvp_deadline + shift, ctx.now), starts)
        s.add(meeting)
        schedule_reminders(s, meeting, ctx.now, ctx.settings.feedback_delay)
        chats, people = _notify_change(
            s,
            ctx,
            meeting,
            network,
            lambda t: t(
                "🔁 Meeting #{id} “{title}” is moved: {old} → {new}. The calendar file is updated.",
                id=meeting.id,
                title=meeting.title,
                old=t.datetime(before),
                new=t.datetime(meeting.starts_at),
            ),
        )
    ctx.wake_outbox()
    return ctx.privately(
        [
            Outgoing(
                ctx.t(
                    "Meeting #{id} is moved to {when}; told: {chats} group chats and {people} people "
                    "invited.",
                    id=meeting.id,
                    when=ctx.t.datetime(starts),
                    chats=chats,
                    people=people,
                )
            )
        ],
        say_so=False,
    )


@REGISTRY.command(
    "jestem",
    "here",
    summary=N_("check in at a meeting"),
    usage=N_("<meeting> [person id]"),
    action=Action.CHECK_IN,
)
async def here(ctx: Context, args: str) -> list[Outgoing]:
    me = ctx.require_person()
    words = args.split()
    with ctx.db.session() as s:
        meeting = _load(ctx, s, args)
        network = s.get(Network, meeting.network_id)
        assert network is not None
        if len(words) > 1:  # a coordinator or organiser marks someone else
            ctx.require(Action.MANAGE_ATTENDANCE, network)
            found = directory.find_people(s, words[1])
            if len(found) != 1:
                raise DomainError(
                    N_(
                        "No single person matches “{query}” ({count} found). Use "
                        "the id from /osoby."
                    ),
                    query=shown(words[1]),
                    count=len(found),
                )
            person = found[0]
        else:
            ctx.require(Action.CHECK_IN, network)
            _invited_and_coming(s, meeting, me)
            person = me
        model_check_in(s, meeting, person.id or 0, ctx.now)
    return [
        Outgoing(
            ctx.t("Checked in: {name}, meeting #{id}.", name=person.display_name, id=meeting.id)
        )
    ]


def _invited_and_coming(s: Session, meeting: Meeting, person: Person) -> None:
    """Checking oneself in needs an invitation (a representative of a core city of the
    meeting's network) and no "nie" to it; staff mark anyone else with /jestem <nr> <person>."""
    reply = answers_of(s, person.id or 0, [meeting.id or 0]).get(meeting.id or 0)
    if reply is not None and reply.answer == "nie":
        raise DomainError(
            N_(
                "You declined meeting #{id}. If you came after all, ask the "
                "organiser to mark you present."
            ),
            id=meeting.id,
        )
    if reply is not None and reply.waitlisted:
        raise DomainError(
            N_("You are on the waitlist for meeting #{id}. Ask the organiser to mark you present."),
            id=meeting.id,
        )


def sheet_rows(s: Session, t: Translator, meeting: Meeting) -> list[Row]:
    """Expected participants: core cities' representatives and anyone coming in person; not
    those who declined or wait for a seat."""
    answers = {r.person_id: r for r in rsvps(s, meeting.id or 0)}
    rows = []
    for person, role, city in directory.members(s, meeting.network_id):
        reply = answers.get(person.id or 0)
        core = (
            role == "representative"
            and (
                directory.standing_of(s, person.city_id, meeting.network_id) or Standing.OBSERVER
            ).is_core
        )
        coming = reply is not None and reply.answer == "stacjonarnie" and not reply.waitlisted
        away = reply is not None and (reply.answer == "nie" or reply.waitlisted)
        if (core or coming) and not away:
            rows.append(
                Row(
                    person.display_name,
                    city.name if city else "",
                    person.position or "",
                    _label(t, reply.answer) if reply else t("no answer yet"),
                    t.short_datetime(reply.checked_in_at) if reply and reply.checked_in_at else "",
                )
            )
    return sorted(rows, key=lambda r: (r.city, r.name))


@REGISTRY.command(
    "lista_obecnosci",
    "attendance_list",
    summary=N_("attendance list as CSV and a PDF signing sheet"),
    usage=N_("<meeting>"),
    action=Action.VIEW_ATTENDANCE,
)
async def attendance_list(ctx: Context, args: str) -> list[Outgoing]:
    ctx.require_person()
    with ctx.db.session() as s:
        meeting = _load(ctx, s, args)
        network = s.get(Network, meeting.network_id)
        assert network is not None
        ctx.require(Action.VIEW_ATTENDANCE, network)
        rows = sheet_rows(s, ctx.t, meeting)
    base = f"lista_obecnosci_{meeting.id}"
    return [
        Outgoing(
            ctx.t(
                "Attendance list for meeting #{id}: {count} people.", id=meeting.id, count=len(rows)
            ),
            files=(
                File(f"{base}.csv", to_csv(ctx.t, rows), "text/csv"),
                File(f"{base}.pdf", to_pdf(ctx.t, meeting, network.name, rows), "application/pdf"),
            ),
        )
    ]


FIELD_LIMIT = {"title": TITLE, "place": PLACE, "online_link": LINK, "agenda": AGENDA}
FIELD_LABEL = {
    "title": N_("title"),
    "place": N_("place"),
    "online_link": N_("online link"),
    "agenda": N_("agenda"),
    "capacity": N_("in-person seats"),
}
FIELD_NAME = {"title": "title", "place": "place", "online_link": "link", "agenda": "agenda"}
EDITABLE = {
    "tytul": "title",
    "title": "title",
    "miejsce": "place",
    "place": "place",
    "link": "online_link",
    "program": "agenda",
    "agenda": "agenda",
    "limit": "capacity",
    "seats": "capacity",
}


@REGISTRY.command(
    "spotkanie_zmien",
    "meeting_edit",
    summary=N_("change a meeting's details"),
    usage=N_("<meeting> tytul|miejsce|link|program|limit <new value>"),
    action=Action.MANAGE_MEETINGS,
)
async def edit(ctx: Context, args: str) -> list[Outgoing]:
    ctx.require_person()
    words = args.split(maxsplit=2)
    if len(words) < 3 or words[1].lower() not in EDITABLE:
        raise DomainError(
            N_(
                "Write e.g. /spotkanie_zmien 3 miejsce Łomża, ul. Długa 1 (fields: "
                "tytul, miejsce, link, program, limit; to move it use "
                "/spotkanie_przesun)."
            )
        )
    field, value = EDITABLE[words[1].lower()], words[2].strip()
    promoted: list[int] = []
    with ctx.db.session() as s:
        meeting, network = _managed(ctx, s, args)
        old = getattr(meeting, field)
        if field == "capacity":
            seats = parse_count(value, low=1, high=MAX_SEATS)
            if seats is None:
                raise DomainError(
                    N_(
                        "In-person seats: a whole number from 1 to {limit} (leave "
                        "it empty for no limit)."
                    ),
                    limit=MAX_SEATS,
                )
            promoted = set_capacity(s, meeting, seats)  # refuses fewer than those seated
            for person_id in promoted:
                _tell_promoted(s, ctx, meeting, person_id)
        else:
            setattr(meeting, field, check_text(value, FIELD_LIMIT[field], FIELD_NAME[field]))
        meeting.sequence += 1
        s.add(meeting)
        new = getattr(meeting, field)
        chats, people = _notify_change(
            s,
            ctx,
            meeting,
            network,
            lambda t: t(
                "✏️ Meeting #{id} “{title}” ({when}): {field} changed: {old} → {new}. The calendar "
                "file is updated.",
                id=meeting.id,
                title=meeting.title,
                when=t.datetime(meeting.starts_at),
                field=t(FIELD_LABEL[field]),
                old="—" if old in (None, "") else old,
                new=new,
            ),
        )
    ctx.wake_outbox()
    lines = [
        ctx.t(
            "Meeting #{id} is updated; told: {chats} group chats and {people} people invited.",
            id=meeting.id,
            chats=chats,
            people=people,
        )
    ]
    if promoted:
        lines.append(
            ctx.t(
                "From the waitlist {count} got in-person seats (they are told).",
                count=len(promoted),
            )
        )
    return [Outgoing("\n".join(lines))]

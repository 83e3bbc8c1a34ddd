"""A coordinator's side of a meeting: create and publish it (in one line or step by step),
change its details, move it, cancel it. Everyone invited hears of each change."""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from sqlmodel import Session

from core.messages import Action as Button
from core.messages import Outgoing
from handlers.kit.args import Arg, BadArgs, Code, Fields, Id, Text, WebLink, Words
from handlers.kit.context import Context
from handlers.kit.dates import fold, parse_when, require_future
from handlers.kit.labels import ROLE
from handlers.kit.limits import AGENDA, LINK, PLACE, TITLE, check_link, check_text, parse_count
from handlers.kit.objects import fetch
from handlers.kit.permissions import Action, holders
from handlers.kit.registry import REGISTRY
from handlers.meetings import render
from handlers.meetings.invitations import notify_change, publish, tell_promoted
from handlers.meetings.parts import looks_like_parts, parse_parts
from handlers.meetings.render import MISSING
from models import conversations, directory
from models.core import Conversation, Network
from models.errors import N_, DomainError
from models.meetings import (
    Meeting,
    MeetingFormat,
    MeetingStatus,
    answers_in_person,
    cancel_reminders,
    check_open_part,
    default_deadline,
    moved_deadline,
    schedule_reminders,
    set_capacity,
    set_parts,
    shift_parts,
)

MAX_SEATS = 10000
USAGE = N_(
    "<network>; <title>; <date and time>; <format>[; <hours>; <place>; <link>; "
    "<in-person seats>; <open part: tak/nie>; <answer by>; <agenda>]"
)
AT_LEAST = N_(
    "Give at least: network; title; date and time; format. For example: "
    "/spotkanie_nowe cyfrowe; Spotkanie II; 12.05.2027 10:00; "
    "hybrydowe; 6; Łomża, ul. Długa 1; https://…; 40; tak; "
    "5.05.2027 12:00"
)
EXAMPLE = (
    "/spotkanie_nowe cyfrowe; Spotkanie II; 12.05.2027 10:00; hybrydowe; 6; "
    "Łomża, ul. Długa 1; https://…; 40; tak; 5.05.2027 12:00"
)
SEATS = N_("In-person seats: a whole number from 1 to {limit} (leave it empty for no limit).")


@dataclass(frozen=True)
class Format(Arg):
    """stacjonarne | online | hybrydowe."""

    def parse(self, text: str) -> MeetingFormat:
        try:
            return MeetingFormat(text.strip().lower())
        except ValueError:
            raise DomainError(N_("Format must be stacjonarne, online or hybrydowe.")) from None


@dataclass(frozen=True)
class Hours(Arg):
    """How long: `6`, `4,5` (half an hour to 12 hours)."""

    def parse(self, text: str) -> float:
        value = text.strip().replace(",", ".")
        if not re.fullmatch(r"[0-9]{1,2}(\.[0-9]{1,2})?", value):
            raise DomainError(N_("Hours and seats must be numbers."))
        hours = float(value)
        if not 0.5 <= hours <= 12:
            raise DomainError(N_("A meeting lasts between half an hour and 12 hours."))
        return hours


@dataclass(frozen=True)
class Seats(Arg):
    """In-person seats, 1 to MAX_SEATS."""

    def parse(self, text: str) -> int:
        seats = parse_count(text, low=1, high=MAX_SEATS)
        if seats is None:
            raise DomainError(SEATS, limit=MAX_SEATS)
        return seats


@dataclass(frozen=True)
class YesNo(Arg):
    """tak/yes; anything else is no."""

    def parse(self, text: str) -> bool:
        return text.strip().lower() in ("tak", "yes")


class Form(Fields):
    """The one-line form: `;`-separated fields, of which the last (the agenda) takes the rest
    of the line, `;` and all; a form without the four fields every meeting needs says so."""

    required = 4

    def parse(self, text: str, ctx: Context) -> dict[str, Any]:
        parts = text.split(";", len(self.args) - 1) if text.strip() else []
        return self.read(parts)

    def read(self, parts: list[str]) -> dict[str, Any]:
        """The values of the fields given in order (the guide's answers, or the line's)."""
        parts = [p.strip() for p in parts]
        if len(parts) < self.required or not all(parts[: self.required]):
            raise DomainError(AT_LEAST)
        parts += [""] * (len(self.args) - len(parts))
        return {
            arg.name: arg.parse(part) if part else arg.default
            for arg, part in zip(self.args, parts, strict=True)
        }


FORM = Form(
    Code("network"),
    Text("title", limit=TITLE, field_name="title"),
    Text("when"),
    Format("meeting_format"),
    Hours("hours", optional=True, default=6.0),
    Text("place", optional=True, limit=PLACE, field_name="place"),
    WebLink("link", optional=True, limit=LINK),
    Seats("seats", optional=True),
    YesNo("open_part", optional=True, default=False),
    Text("deadline", optional=True),
    Text("agenda", optional=True, limit=AGENDA, field_name="agenda"),
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
    (
        "agenda",
        N_(
            "Programme? Its parts separated by |, each from–to, title, otwarta or zamknięta "
            "(and an open part's stream link), e.g. 10:00-12:00 Wykłady otwarta https://… | "
            "12:30-16:00 Warsztaty; or a free-text agenda; “-” to add it later with "
            "/spotkanie_zmien."
        ),
    ),
)


def _not_a_coordinator(ctx: Context) -> DomainError:
    """The gate's refusal: in a network's chat, for that network; the guide (nothing typed
    after the command) says who creates meetings, before its first question."""
    if ctx.network is not None:
        return DomainError(
            N_("You may not do this in the network {network}."), network=ctx.network.name
        )
    if not ctx.incoming.text.strip().split(None, 1)[1:]:
        return DomainError(N_("Only coordinators and the coordinating team create meetings."))
    roles = ", ".join(ctx.t(ROLE[role]) for role in holders(Action.MANAGE_MEETINGS))
    return DomainError(
        N_("You have no right to use /{name}: it is for {roles}."),
        name="spotkanie_nowe",
        roles=roles,
    )


async def start_guide(ctx: Context) -> list[Outgoing]:
    """/spotkanie_nowe alone: ask for the fields one by one (in a network's chat, that
    network; the guide asks eleven questions, so a refusal comes before the first)."""
    me = ctx.require_person()
    if ctx.network is not None:
        ctx.require(Action.MANAGE_MEETINGS, ctx.network)
    chat = ctx.incoming.chat
    data = {"network": ctx.network.code} if ctx.network is not None else {}
    step = next(key for key, _q in GUIDE if key not in data)
    with ctx.db.session() as s:
        conversations.start(
            s, chat.platform, chat.chat_id, me.id or 0, "meeting", step, data, ctx.now
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
        try:
            values = FORM.read([data[key] for key, _q in GUIDE])
        except BadArgs:  # a network's code that is not one
            command = REGISTRY.lookup("spotkanie_nowe")
            assert command is not None
            raise command.usage_error(ctx) from None
        return await create(ctx, **values)
    except DomainError as error:  # nothing saved: say why and let them start again
        return [
            Outgoing(
                ctx.t(error.msgid, **error.params)
                + "\n"
                + ctx.t("Type /spotkanie_nowe to start again.")
            )
        ]


@REGISTRY.command(
    "spotkanie_nowe",
    "meeting_new",
    summary=N_("create and publish a meeting"),
    args=FORM,
    usage=USAGE,
    example=EXAMPLE,
    action=Action.MANAGE_MEETINGS,
    when_empty=start_guide,
    refusal=_not_a_coordinator,
)
async def create(
    ctx: Context,
    network: str,
    title: str,
    when: str,
    meeting_format: MeetingFormat,
    hours: float,
    place: str | None,
    link: str | None,
    seats: int | None,
    open_part: bool,
    deadline: str | None,
    agenda: str | None,
) -> list[Outgoing]:
    me = ctx.require_person()
    with ctx.db.session() as s:
        where = directory.require_network(s, network)
    ctx.require(Action.MANAGE_MEETINGS, where)
    tz = ctx.settings.tz
    starts = require_future(parse_when(when, ctx.now, tz), ctx.now, when)
    if meeting_format != MeetingFormat.ONLINE and not place:
        raise DomainError(N_("A meeting in person needs a place."))
    parts = parse_parts(agenda or "", starts, tz) if looks_like_parts(agenda) else None
    if parts is not None:
        agenda = None
    check_open_part(where.closed, open_part if parts is None else any(p.open for p in parts))
    answer_by = (
        parse_when(deadline, ctx.now, tz) if deadline else default_deadline(ctx.now, starts, tz)
    )
    if not ctx.now <= answer_by <= starts:
        raise DomainError(N_("The answer deadline must be between now and the meeting."))
    meeting = Meeting(
        network_id=where.id or 0,
        title=title,
        starts_at=starts,
        duration_minutes=round(hours * 60),
        format=meeting_format,
        place=place,
        online_link=link,
        rsvp_deadline=answer_by,
        capacity=seats,
        open_part=open_part,
        agenda=agenda,
        created_by=me.id,
        created_at=ctx.now,
    )
    with ctx.db.session() as s:
        s.add(meeting)
        s.flush()
        if parts is not None:
            set_parts(s, meeting, parts, where.closed)
        chats, people = publish(s, ctx, meeting, where)
        schedule_reminders(s, meeting, ctx.now, ctx.settings.feedback_delay, ctx.settings.workdays)
    ctx.wake_outbox()
    # the group sees the invitation itself; the organiser's overview is for the organiser
    # (not `private=True`: the guide asks its questions in the chat it was started in)
    return ctx.privately(
        [
            Outgoing(
                ctx.t(
                    "Meeting #{id} is published: the invitation goes to {group_chats} and {recipients}.",
                    id=meeting.id,
                    group_chats=ctx.t.tn("{n} group chat", "{n} group chats", chats),
                    recipients=ctx.t.tn("to {n} person", "to {n} people", people),
                ),
                actions=(Button(ctx.t("Attendance"), f"/obecnosc {meeting.id}"),),
            )
        ]
    )


def _managed(ctx: Context, s: Session, meeting_id: int) -> tuple[Meeting, Network]:
    """A meeting the caller manages, not cancelled."""
    meeting, network = fetch(ctx, s, Meeting, str(meeting_id), Action.MANAGE_MEETINGS, MISSING)
    if meeting.status == MeetingStatus.CANCELLED:
        raise DomainError(N_("This meeting has been cancelled."))
    return meeting, network


@REGISTRY.command(
    "spotkanie_odwolaj",
    "meeting_cancel",
    summary=N_("cancel a meeting"),
    args=Words(Id("meeting")),
    usage=N_("<meeting>"),
    example="/spotkanie_odwolaj 3",
    action=Action.MANAGE_MEETINGS,
    private=True,
)
async def cancel(ctx: Context, meeting: int) -> list[Outgoing]:
    with ctx.db.session() as s:
        found, network = _managed(ctx, s, meeting)
        found.status, found.sequence = MeetingStatus.CANCELLED, found.sequence + 1
        s.add(found)
        cancel_reminders(s, found.id or 0)
        chats, people = notify_change(s, ctx, found, network, lambda t: render.cancelled(t, found))
    ctx.wake_outbox()
    return [
        Outgoing(
            ctx.t(
                "Meeting #{id} is cancelled; I told {group_chats} and {invited}.",
                id=found.id,
                group_chats=ctx.t.tn("{n} group chat", "{n} group chats", chats),
                invited=ctx.t.tn("{n} invited person", "{n} invited people", people),
            )
        )
    ]


@REGISTRY.command(
    "spotkanie_przesun",
    "meeting_move",
    summary=N_("move a meeting"),
    args=Words(Id("meeting"), Text("when")),
    usage=N_("<meeting> <new date and time>"),
    example="/spotkanie_przesun 3 19.05.2027 10:00",
    action=Action.MANAGE_MEETINGS,
    private=True,
)
async def move(ctx: Context, meeting: int, when: str) -> list[Outgoing]:
    starts = require_future(parse_when(when, ctx.now, ctx.settings.tz), ctx.now, when)
    with ctx.db.session() as s:
        found, network = _managed(ctx, s, meeting)
        shift, before = starts - found.starts_at, found.starts_at
        found.starts_at, found.sequence = starts, found.sequence + 1
        found.rsvp_deadline = moved_deadline(
            found.rsvp_deadline, shift, ctx.now, starts, ctx.settings.tz
        )
        s.add(found)
        shift_parts(s, found.id or 0, shift)
        schedule_reminders(s, found, ctx.now, ctx.settings.feedback_delay, ctx.settings.workdays)
        in_person = set(answers_in_person(s, found.id or 0))
        chats, people = notify_change(
            s,
            ctx,
            found,
            network,
            lambda t: render.moved(t, found, before),
            confirm=(in_person, lambda t: render.confirm_moved(t, found)),
        )
    ctx.wake_outbox()
    return [
        Outgoing(
            ctx.t(
                "Meeting #{id} is moved to {when}; I told {group_chats} and {invited}.",
                id=found.id,
                when=ctx.t.datetime(starts),
                group_chats=ctx.t.tn("{n} group chat", "{n} group chats", chats),
                invited=ctx.t.tn("{n} invited person", "{n} invited people", people),
            )
        )
    ]


FIELD_LIMIT = {"title": TITLE, "place": PLACE, "online_link": LINK, "agenda": AGENDA}
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
PROGRAMME = "parts"  # `program` with parts typed (10:00-12:00 …) sets the parts


@dataclass(frozen=True)
class Editable(Arg):
    """Which detail: tytul | miejsce | link | program | limit (or their English names)."""

    def parse(self, text: str) -> str:
        field = EDITABLE.get(fold(text))
        if field is None:
            raise DomainError(
                N_(
                    "Write e.g. /spotkanie_zmien 3 miejsce Łomża, ul. Długa 1 (fields: "
                    "tytul, miejsce, link, program, limit; to move it use "
                    "/spotkanie_przesun)."
                )
            )
        return field


@REGISTRY.command(
    "spotkanie_zmien",
    "meeting_edit",
    summary=N_("change a meeting's details"),
    args=Words(Id("meeting"), Editable("field"), Text("value")),
    usage=N_("<meeting> tytul|miejsce|link|program|limit <new value>"),
    example="/spotkanie_zmien 3 miejsce Łomża, ul. Długa 1",
    action=Action.MANAGE_MEETINGS,
    private=True,
)
async def edit(ctx: Context, meeting: int, field: str, value: str) -> list[Outgoing]:
    promoted: list[int] = []
    with ctx.db.session() as s:
        found, network = _managed(ctx, s, meeting)
        old = getattr(found, field)
        if field == "capacity":
            # refuses fewer than those seated; more seats the waitlist at once
            promoted = set_capacity(s, found, Seats("seats").parse(value))
            for person_id in promoted:
                tell_promoted(s, ctx.settings, ctx.now, found, person_id)
        elif field == "agenda" and looks_like_parts(value):
            set_parts(
                s, found, parse_parts(value, found.starts_at, ctx.settings.tz), network.closed
            )
            old, field = None, PROGRAMME
        elif field == "online_link":
            found.online_link = check_link(value, LINK)
        else:
            setattr(found, field, check_text(value, FIELD_LIMIT[field], FIELD_NAME[field]))
        found.sequence += 1
        s.add(found)
        new = value if field == PROGRAMME else getattr(found, field)
        chats, people = notify_change(
            s,
            ctx,
            found,
            network,
            lambda t: render.edited(t, found, field, old, new),
            public=(
                (lambda t: render.edited_privately(t, found, field))
                if field in render.PRIVATE_FIELDS
                else None
            ),
        )
    ctx.wake_outbox()
    lines = [
        ctx.t(
            "Meeting #{id} is updated; I told {group_chats} and {invited}.",
            id=found.id,
            group_chats=ctx.t.tn("{n} group chat", "{n} group chats", chats),
            invited=ctx.t.tn("{n} invited person", "{n} invited people", people),
        )
    ]
    if promoted:
        lines.append(
            ctx.t.tn(
                "{n} person from the waitlist got an in-person seat; I told them.",
                "{n} people from the waitlist got in-person seats; I told them.",
                len(promoted),
            )
        )
    return [Outgoing("\n".join(lines))]

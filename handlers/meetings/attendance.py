"""Who answered and who came: the organisers' overview per city, checking in on the day, and
the attendance list as CSV and a PDF signing sheet (handlers.meetings.attendance_sheet)."""

from __future__ import annotations

from dataclasses import dataclass

from sqlmodel import Session

from core.collation import polish_key
from core.i18n import Translator
from core.messages import File, Outgoing
from handlers.kit.args import Arg, BadArgs, Id, Word, Words
from handlers.kit.context import Context
from handlers.kit.dates import fold
from handlers.kit.labels import ROLE
from handlers.kit.objects import fetch, hidden_or, shown
from handlers.kit.permissions import Action, Actor, holders
from handlers.kit.registry import REGISTRY
from handlers.meetings import render
from handlers.meetings.attendance_sheet import Heading, Row, to_csv, to_pdf
from handlers.meetings.render import MISSING
from models import attendance, audit, directory
from models.attendance import SECTIONS, Section
from models.core import Network, Person
from models.directory import STAFF_ORDER
from models.enums import Role, Standing
from models.errors import N_, DomainError, Nn_
from models.meetings import ANSWERS, Answer, Meeting, answers_of, check_in, rsvps


@REGISTRY.command(
    "obecnosc",
    "attendance",
    summary=N_("answers to a meeting, per city"),
    args=Words(Id("meeting")),
    usage=N_("<meeting>"),
    example="/obecnosc 3",
    action=Action.VIEW_ATTENDANCE,
    private=True,  # names and notes: not for the group
)
async def overview(ctx: Context, meeting: int) -> list[Outgoing]:
    t = ctx.t
    with ctx.db.session() as s:
        found, _network = fetch(ctx, s, Meeting, str(meeting), Action.VIEW_ATTENDANCE, MISSING)
        answers = {r.person_id: r for r in rsvps(s, found.id or 0)}
        who = attendance.of_meeting(s, found)
        names = directory.display_names(s, list(answers))
    counts = {
        a: sum(1 for r in answers.values() if r.answer == a and not r.waitlisted) for a in ANSWERS
    }
    waiting = [r for r in answers.values() if r.waitlisted]
    lines = [
        t("Meeting #{id}: {title}", id=found.id, title=found.title),
        render.counts_line(
            t, found, {**{str(a): n for a, n in counts.items()}, "waitlist": len(waiting)}
        ),
    ]
    if found.capacity:
        lines.append(
            t.tn(
                "{taken} of {n} in-person seat taken; {waitlist}.",
                "{taken} of {n} in-person seats taken; {waitlist}.",
                found.capacity,
                taken=counts[Answer.IN_PERSON],
                waitlist=t.tn(
                    "{n} person on the waitlist", "{n} people on the waitlist", len(waiting)
                ),
            )
        )
    present = who.present
    in_person = sum(1 for a in present if a.section == Section.IN_PERSON)
    online = sum(1 for a in present if a.section == Section.ONLINE)
    if who.checked:
        staff = sum(1 for a in who.people if a.staff and a.checked_in_at)
        lines.append(
            t.tn(
                "{n} person checked in (in person {in_person}, online {online}).",
                "{n} people checked in (in person {in_person}, online {online}).",
                len(present),
                in_person=in_person,
                online=online,
            )
            + " "
            + t.tn(
                "From the network staff, {n} person is present.",
                "From the network staff, {n} people are present.",
                staff,
            )
        )
    else:
        lines.append(
            t.tn(
                "Nobody checked in yet; {n} person said they are coming (in person {in_person}, "
                "online {online}).",
                "Nobody checked in yet; {n} people said they are coming (in person {in_person}, "
                "online {online}).",
                len(present),
                in_person=in_person,
                online=online,
            )
        )
    per_city: dict[str, int] = {}
    for person in present:
        per_city[person.city or "—"] = per_city.get(person.city or "—", 0) + 1
    lines.append(
        t(
            "Per city: {cities}",
            cities=", ".join(
                f"{name} {n}"
                for name, n in sorted(
                    per_city.items(), key=lambda c: (c[0] == "—", polish_key(c[0]))
                )
            )
            or "—",
        )
    )
    silent = [a.name for a in who.people if a.invited and a.answer is None]
    lines.append(t("Not answered yet: {names}", names=", ".join(silent) or "—"))
    for r in waiting:
        lines.append(t("Waitlist: {name}", name=names.get(r.person_id, f"#{r.person_id}")))
    diets = [f"{names.get(r.person_id)}: {r.note}" for r in answers.values() if r.note]
    if diets:
        lines.append(t("Notes: {notes}", notes="; ".join(diets)))
    return [Outgoing("\n".join(lines))]


OBSERVERS_CHECK_IN = N_(
    "Observer cities follow the open part online; the organiser confirms their participation: "
    "ask the organiser to mark you present."
)


def _observer(actor: Actor) -> bool:
    return actor.roles == {Role.REPRESENTATIVE} and actor.standing is Standing.OBSERVER


def _check_in_refusal(ctx: Context) -> DomainError:
    """The gate's answer to someone who may check in nowhere: an observer city's
    representative (a "przedstawiciel(ka) miasta" like those who may) hears why and whom to
    ask; anyone else the usual refusal."""
    if ctx.person is not None:
        with ctx.db.session() as s:
            everywhere = directory.actors_everywhere(s, ctx.person)
        if any(_observer(Actor(roles, standing)) for roles, standing, _ in everywhere):
            return DomainError(OBSERVERS_CHECK_IN)
    held = dict.fromkeys(
        role for action in (Action.CHECK_IN, Action.MANAGE_ATTENDANCE) for role in holders(action)
    )
    return DomainError(
        N_("You have no right to use /{name}: it is for {roles}."),
        name="jestem",
        roles=", ".join(ctx.t(ROLE[role]) for role in held),
    )


@dataclass(frozen=True)
class GuestWord(Arg):
    """`gość` (`gosc`, `guest`): the person checked in is a guest of the meeting."""

    def parse(self, text: str) -> bool:
        if fold(text) not in ("gosc", "guest"):
            raise BadArgs(self.name)
        return True


STAFF = frozenset(STAFF_ORDER)  # the network's support team and the coordinating team
NOT_A_MEMBER = N_(
    "The person “{query}” is not a member of the network {network}. A guest invited to the "
    "meeting (e.g. an expert) is checked in with the word “gość”: /jestem {id} {query} gość"
)
CLOSED_NETWORK = N_(
    "The person “{query}” is not a member of the network {network}. It is a closed network: "
    "only its members take part in its meetings, guests are not checked in."
)
NO_OPEN_PART = N_("This meeting has no open part, so observers cannot take part.")


def _may_be_marked(s: Session, meeting: Meeting, network: Network, who: Person) -> bool:
    """May staff check `who` in at `meeting`? True for a member of the meeting's network (its
    staff, the coordinating team, a representative of one of its cities: an observer city's
    only when the meeting has an open part), False for a guest (no role in the network),
    whom only an open network's meeting takes, marked as such by the caller."""
    roles = directory.roles_of(s, who.id or 0, network.id)
    if roles & STAFF:
        return True
    if Role.REPRESENTATIVE in roles:
        standing = directory.standing_of(s, who.city_id, network.id)
        if standing is Standing.OBSERVER and not meeting.open_part:
            raise DomainError(NO_OPEN_PART)
        return True
    return False


@REGISTRY.command(
    "jestem",
    "here",
    summary=N_("check in at a meeting"),
    args=Words(Id("meeting"), Word("person", optional=True), GuestWord("guest", optional=True)),
    usage=N_("<meeting> [person id] [gość]"),
    example="/jestem 3",
    # checking oneself in, or marking someone else (the organiser); each is checked again in
    # the meeting's own network below
    action=(Action.CHECK_IN, Action.MANAGE_ATTENDANCE),
    refusal=_check_in_refusal,
)
async def here(
    ctx: Context, meeting: int, person: str | None, guest: bool | None
) -> list[Outgoing]:
    me = ctx.require_person()
    as_guest = False
    with ctx.db.session() as s:
        found = hidden_or(ctx, s, Meeting, str(meeting), MISSING)
        network = s.get(Network, found.network_id)
        assert network is not None
        if person is not None:  # a coordinator or organiser marks someone else
            ctx.require(Action.MANAGE_ATTENDANCE, network)
            people = directory.find_people(s, person)
            if len(people) != 1:
                raise DomainError(
                    N_("{matches} “{query}”, not exactly one. Use the id from /osoby."),
                    query=shown(person),
                    matches=Nn_("{n} person matches", "{n} people match", len(people)),
                )
            who = people[0]
            if not _may_be_marked(s, found, network, who):  # not a member: a guest?
                query = shown(person)
                if network.closed:
                    raise DomainError(CLOSED_NETWORK, query=query, network=network.name)
                if not guest:
                    raise DomainError(NOT_A_MEMBER, id=found.id, query=query, network=network.name)
                as_guest = True
        else:
            if _observer(ctx.actor(network)):
                raise DomainError(OBSERVERS_CHECK_IN)
            ctx.require(Action.CHECK_IN, network)
            _invited_and_coming(s, found, me)
            who = me
        check_in(s, found, who.id or 0, ctx.now)
        if who.id != me.id:  # staff marking someone (at the venue's desk): who did it
            audit.record(
                s,
                ctx.now,
                me.id,
                "attendance.check_in",
                f"meeting:{found.id}",
                person=who.id,
                guest=as_guest,
                network=network.code,
            )
    if as_guest:
        return [
            Outgoing(
                ctx.t(
                    "Checked in as a guest: {name}, meeting #{id}.",
                    name=who.display_name,
                    id=found.id,
                )
            )
        ]
    return [
        Outgoing(ctx.t("Checked in: {name}, meeting #{id}.", name=who.display_name, id=found.id))
    ]


def _invited_and_coming(s: Session, meeting: Meeting, person: Person) -> None:
    """Checking oneself in needs an invitation (a representative of a core city of the
    meeting's network) and no "nie" to it; staff mark anyone else with /jestem <nr> <person>."""
    reply = answers_of(s, person.id or 0, [meeting.id or 0]).get(meeting.id or 0)
    if reply is not None and reply.answer == Answer.NO:
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
    """The signing sheet's rows, section by section (models.attendance decides who)."""
    rows = []
    for section in SECTIONS:
        for person in attendance.of_meeting(s, meeting).listed(section):
            position = person.position
            if section == Section.STAFF:
                position = ", ".join(
                    t(ROLE[r]) for r in STAFF_ORDER if r in person.roles and r in ROLE
                )
            rows.append(
                Row(
                    person.name,
                    person.city,
                    position,
                    render.answer_label(t, person.answer) if person.answer else t("no answer yet"),
                    t.short_datetime(person.checked_in_at) if person.checked_in_at else "",
                    section,
                )
            )
    return rows


@REGISTRY.command(
    "lista_obecnosci",
    "attendance_list",
    summary=N_("attendance list as CSV and a PDF signing sheet"),
    args=Words(Id("meeting")),
    usage=N_("<meeting>"),
    example="/lista_obecnosci 3",
    action=Action.VIEW_ATTENDANCE,
    private=True,  # names and positions: for the organisers' archive
)
async def attendance_list(ctx: Context, meeting: int) -> list[Outgoing]:
    with ctx.db.session() as s:
        found, network = fetch(ctx, s, Meeting, str(meeting), Action.VIEW_ATTENDANCE, MISSING)
        rows = sheet_rows(s, ctx.t, found)
    heading = Heading(
        ctx.settings.programme_name,
        ctx.settings.attendance_header_lines,
        network.name,
        ctx.settings.attendance_blank_rows,
    )
    base = f"lista_obecnosci_{found.id}"
    return [
        Outgoing(
            ctx.t.tn(
                "The attendance list for meeting #{id} has {n} person.",
                "The attendance list for meeting #{id} has {n} people.",
                len(rows),
                id=found.id,
            ),
            files=(
                File(f"{base}.csv", to_csv(ctx.t, rows), "text/csv"),
                File(f"{base}.pdf", to_pdf(ctx.t, found, heading, rows), "application/pdf"),
            ),
        )
    ]

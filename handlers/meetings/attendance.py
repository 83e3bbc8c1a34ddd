"""Who answered and who came: the organisers' overview per city, checking in on the day, and
the attendance list as CSV and a PDF signing sheet (handlers.meetings.attendance_sheet)."""

from __future__ import annotations

from sqlmodel import Session

from core.i18n import Translator
from core.messages import File, Outgoing
from handlers.kit.args import Id, Word, Words
from handlers.kit.context import Context
from handlers.kit.objects import fetch, hidden_or, shown
from handlers.kit.permissions import Action
from handlers.kit.registry import REGISTRY
from handlers.meetings import render
from handlers.meetings.attendance_sheet import Row, to_csv, to_pdf
from handlers.meetings.render import MISSING
from models import directory
from models.core import Network, Person
from models.enums import Role, Standing
from models.errors import N_, DomainError
from models.meetings import ANSWERS, Answer, Meeting, Rsvp, answers_of, check_in, has_seat, rsvps


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
        found, network = fetch(ctx, s, Meeting, str(meeting), Action.VIEW_ATTENDANCE, MISSING)
        answers = {r.person_id: r for r in rsvps(s, found.id or 0)}
        expected = [
            (p, c)
            for p, role, c in directory.members(s, network.id or 0)
            if role == Role.REPRESENTATIVE
        ]
        names = directory.display_names(s, list(answers))
    counts = {
        a: sum(1 for r in answers.values() if r.answer == a and not r.waitlisted) for a in ANSWERS
    }
    waiting = [r for r in answers.values() if r.waitlisted]
    lines = [
        t("Meeting #{id}: {title}", id=found.id, title=found.title),
        " · ".join(f"{render.answer_label(t, a)}: {counts[a]}" for a in ANSWERS),
    ]
    if found.capacity:
        lines.append(
            t(
                "In-person seats: {taken} of {capacity}; waitlist: {waiting}",
                taken=counts[Answer.IN_PERSON],
                capacity=found.capacity,
                waiting=len(waiting),
            )
        )
    per_city: dict[str, int] = {}
    for person, city in expected:
        reply = answers.get(person.id or 0)
        if city and reply and _present_answer(reply):
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
    return [Outgoing("\n".join(lines))]


def _present_answer(reply: Rsvp) -> bool:
    """Coming in person (with a seat) or online."""
    return reply.answer in (Answer.IN_PERSON, Answer.ONLINE) and not reply.waitlisted


@REGISTRY.command(
    "jestem",
    "here",
    summary=N_("check in at a meeting"),
    args=Words(Id("meeting"), Word("person", optional=True)),
    usage=N_("<meeting> [person id]"),
    example="/jestem 3",
    # checking oneself in, or marking someone else (the organiser); each is checked again in
    # the meeting's own network below
    action=(Action.CHECK_IN, Action.MANAGE_ATTENDANCE),
)
async def here(ctx: Context, meeting: int, person: str | None) -> list[Outgoing]:
    me = ctx.require_person()
    with ctx.db.session() as s:
        found = hidden_or(ctx, s, Meeting, str(meeting), MISSING)
        network = s.get(Network, found.network_id)
        assert network is not None
        if person is not None:  # a coordinator or organiser marks someone else
            ctx.require(Action.MANAGE_ATTENDANCE, network)
            people = directory.find_people(s, person)
            if len(people) != 1:
                raise DomainError(
                    N_(
                        "No single person matches “{query}” ({count} found). Use "
                        "the id from /osoby."
                    ),
                    query=shown(person),
                    count=len(people),
                )
            who = people[0]
        else:
            ctx.require(Action.CHECK_IN, network)
            _invited_and_coming(s, found, me)
            who = me
        check_in(s, found, who.id or 0, ctx.now)
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
    """Expected participants: core cities' representatives and anyone coming in person; not
    those who declined or wait for a seat."""
    answers = {r.person_id: r for r in rsvps(s, meeting.id or 0)}
    rows = []
    for person, role, city in directory.members(s, meeting.network_id):
        reply = answers.get(person.id or 0)
        core = (
            role == Role.REPRESENTATIVE
            and (
                directory.standing_of(s, person.city_id, meeting.network_id) or Standing.OBSERVER
            ).is_core
        )
        coming = reply is not None and has_seat(reply)
        away = reply is not None and (reply.answer == Answer.NO or reply.waitlisted)
        if (core or coming) and not away:
            rows.append(
                Row(
                    person.display_name,
                    city.name if city else "",
                    person.position or "",
                    render.answer_label(t, reply.answer) if reply else t("no answer yet"),
                    t.short_datetime(reply.checked_in_at) if reply and reply.checked_in_at else "",
                )
            )
    return sorted(rows, key=lambda r: (r.city, r.name))


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
    base = f"lista_obecnosci_{found.id}"
    return [
        Outgoing(
            ctx.t(
                "Attendance list for meeting #{id}: {count} people.", id=found.id, count=len(rows)
            ),
            files=(
                File(f"{base}.csv", to_csv(ctx.t, rows), "text/csv"),
                File(f"{base}.pdf", to_pdf(ctx.t, found, network.name, rows), "application/pdf"),
            ),
        )
    ]

"""The rules about answers in one place: deadlines, who may come in person, capacity and the
waitlist, reminders, and the queries behind them."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import func
from sqlmodel import Session, col, select

from core.workdays import DEFAULT as WORKDAYS
from core.workdays import Workdays, next_working_morning
from models import due
from models.enums import Role, Standing
from models.errors import N_, DomainError, Nn_
from models.meetings.tables import (
    ANSWERS,
    COMING,
    Answer,
    Meeting,
    MeetingFormat,
    MeetingStatus,
    Rsvp,
)


def default_deadline(now: datetime, starts: datetime, tz: ZoneInfo) -> datetime:
    """Answers by a week before (moved to a working morning), else the day before, else two
    hours before, else until the start: never a deadline already past."""
    for before in (timedelta(days=7), timedelta(days=1), timedelta(hours=2)):
        moment = next_working_morning(starts - before, tz)
        if now < moment < starts:
            return moment
        if now < starts - before:
            return starts - before
    return starts


def moved_deadline(
    deadline: datetime, shift: timedelta, now: datetime, starts: datetime, tz: ZoneInfo
) -> datetime:
    """A moved meeting's answer deadline: shifted with it and kept on a working day; one that
    would be past or after the start falls back to the default."""
    moment = next_working_morning(deadline + shift, tz)
    if now < moment <= starts:
        return moment
    if now < deadline + shift <= starts:
        return deadline + shift
    return default_deadline(now, starts, tz)


def has_seat(reply: Rsvp) -> bool:
    """Coming in person with a seat (not on the waitlist)."""
    return reply.answer == Answer.IN_PERSON and not reply.waitlisted


def answer_choices(meeting: Meeting) -> list[Answer]:
    """The answers a meeting's format allows (buttons, the answer page)."""
    return [
        a
        for a in ANSWERS
        if not (
            (a == Answer.IN_PERSON and meeting.format == MeetingFormat.ONLINE)
            or (a == Answer.ONLINE and meeting.format == MeetingFormat.IN_PERSON)
        )
    ]


def observer_only(roles: frozenset[Role] | set[Role], standing: Standing | None) -> bool:
    """A representative of an observer city and nothing else here: such people take part
    only in a meeting's open part, online."""
    return set(roles) == {Role.REPRESENTATIVE} and standing is Standing.OBSERVER


def rsvps(session: Session, meeting_id: int) -> Sequence[Rsvp]:
    return session.exec(
        select(Rsvp)
        .where(Rsvp.meeting_id == meeting_id)
        .order_by(col(Rsvp.answered_at), col(Rsvp.id))
    ).all()


def seated_count(session: Session, meeting_id: int, but: int | None = None) -> int:
    """In-person seats taken (the waitlist aside), `but` this person's: one aggregate."""
    query = (
        select(func.count())
        .select_from(Rsvp)
        .where(
            Rsvp.meeting_id == meeting_id,
            Rsvp.answer == Answer.IN_PERSON,
            col(Rsvp.waitlisted).is_(False),
        )
    )
    if but is not None:
        query = query.where(Rsvp.person_id != but)
    return int(session.exec(query).one())


def meetings_by_id(session: Session, meeting_ids: Sequence[int]) -> dict[int, Meeting]:
    ids = list(dict.fromkeys(meeting_ids))
    found: dict[int, Meeting] = {}
    for start in range(0, len(ids), 500):
        found.update(
            (m.id or 0, m)
            for m in session.exec(
                select(Meeting).where(col(Meeting.id).in_(ids[start : start + 500]))
            ).all()
        )
    return found


def coming_by_meeting(
    session: Session, meeting_ids: Sequence[int]
) -> dict[int, list[tuple[int, str]]]:
    """(person, answer) of everyone coming — in person, online or maybe, not on the waitlist —
    to each of these meetings, in the order they answered: one query per 500 meetings."""
    ids = list(dict.fromkeys(meeting_ids))
    coming: dict[int, list[tuple[int, str]]] = {i: [] for i in ids}
    for start in range(0, len(ids), 500):
        rows = session.exec(
            select(Rsvp.meeting_id, Rsvp.person_id, Rsvp.answer)
            .where(
                col(Rsvp.meeting_id).in_(ids[start : start + 500]),
                col(Rsvp.answer).in_(COMING),
                col(Rsvp.waitlisted).is_(False),
            )
            .order_by(col(Rsvp.meeting_id), col(Rsvp.answered_at), col(Rsvp.id))
        ).all()
        for meeting_id, person_id, choice in rows:
            coming[meeting_id].append((person_id, choice))
    return coming


def answer(
    session: Session,
    meeting: Meeting,
    person_id: int,
    standing: Standing | None,
    choice: str,
    now: datetime,
    note: str | None = None,
) -> tuple[Rsvp, int | None]:
    """Record an answer; returns it and the person promoted from the waitlist, if any.
    `note`: None keeps the note given before, "" removes it, any other text replaces it.

    The meeting row is locked first (PostgreSQL; SQLite has one writer anyway): answers to one
    meeting are counted against its seats one at a time, also from concurrent updates."""
    session.refresh(meeting, with_for_update=True)
    if meeting.status == MeetingStatus.CANCELLED:
        raise DomainError(N_("This meeting has been cancelled."))
    if now > meeting.rsvp_deadline:
        raise DomainError(N_("The deadline for answers has passed. Write to the coordinator."))
    if choice not in ANSWERS:
        raise DomainError(N_("Answer stacjonarnie, online, nie or może."))
    if standing is Standing.OBSERVER and choice in (Answer.IN_PERSON, Answer.MAYBE):
        raise DomainError(
            N_("Observer cities follow the open part online: answer “online” or “nie”.")
        )
    if standing is Standing.OBSERVER and choice == Answer.ONLINE and not meeting.open_part:
        raise DomainError(N_("This meeting has no open part, so observers cannot take part."))
    if choice == Answer.IN_PERSON and meeting.format == MeetingFormat.ONLINE:
        raise DomainError(N_("This meeting is online only."))
    if choice == Answer.ONLINE and meeting.format == MeetingFormat.IN_PERSON:
        raise DomainError(N_("This meeting is in person only."))
    # One indexed read of this person's answer; the seats are counted (one aggregate on the
    # meeting's answers) only when an in-person seat is asked for under a limit, and the
    # waitlist read (its first row) only when a seat is given up: a press costs the same
    # however many have answered. The meeting's row lock above keeps the count right.
    mine = session.exec(
        select(Rsvp).where(Rsvp.meeting_id == meeting.id, Rsvp.person_id == person_id)
    ).first()
    was_seated = mine is not None and has_seat(mine)
    if mine is None:
        mine = Rsvp(meeting_id=meeting.id or 0, person_id=person_id, answer=choice, answered_at=now)
    elif mine.answer != choice:
        mine.answer, mine.answered_at = choice, now  # a new answer queues anew
    if note is not None:
        mine.note = note or None
    if choice == Answer.IN_PERSON and not was_seated and meeting.capacity is not None:
        mine.waitlisted = seated_count(session, meeting.id or 0, but=person_id) >= meeting.capacity
    else:
        mine.waitlisted = False
    session.add(mine)
    promoted = None
    if was_seated and choice != Answer.IN_PERSON:
        first = session.exec(
            select(Rsvp)
            .where(
                Rsvp.meeting_id == meeting.id,
                col(Rsvp.waitlisted).is_(True),
                Rsvp.person_id != person_id,
            )
            .order_by(col(Rsvp.answered_at), col(Rsvp.id))
            .limit(1)
        ).first()
        if first is not None:
            first.waitlisted = False
            session.add(first)
            promoted = first.person_id
    session.flush()
    return mine, promoted


def check_in_window(meeting: Meeting) -> tuple[datetime, datetime]:
    """When presence can be marked: from two hours before the meeting until its end."""
    return (
        meeting.starts_at - timedelta(hours=2),
        meeting.starts_at + timedelta(minutes=meeting.duration_minutes),
    )


def check_in(session: Session, meeting: Meeting, person_id: int, now: datetime) -> Rsvp:
    """Mark presence on the day; someone who never answered is recorded as in person."""
    if meeting.status == MeetingStatus.CANCELLED:
        raise DomainError(N_("This meeting has been cancelled."))
    opens, closes = check_in_window(meeting)
    if not opens <= now <= closes:
        raise DomainError(N_("Check-in is open from two hours before the meeting until its end."))
    row = session.exec(
        select(Rsvp).where(Rsvp.meeting_id == meeting.id, Rsvp.person_id == person_id)
    ).first()
    if row is None:
        row = Rsvp(
            meeting_id=meeting.id or 0,
            person_id=person_id,
            answer=Answer.IN_PERSON,
            answered_at=now,
        )
    row.checked_in_at = row.checked_in_at or now
    session.add(row)
    return row


# Due work of a meeting (run by jobs.meetings); moving a meeting moves it.
REMINDERS = {
    "reminder_7d": timedelta(days=7),
    "reminder_1d": timedelta(days=1),
    "reminder_1h": timedelta(hours=1),
}
KINDS = (*REMINDERS, "rsvp_nudge", "headcount", "feedback_open")
FEEDBACK_AFTER = timedelta(minutes=30)  # default; the bot passes its configured delay


# Due work that waits for a working day (core/workdays.py); the last reminder and the poll
# after the meeting go with the meeting itself.
ON_WORKING_DAYS = ("reminder_7d", "reminder_1d", "rsvp_nudge", "headcount")


def schedule_reminders(
    s: Session,
    meeting: Meeting,
    now: datetime,
    feedback_after: timedelta = FEEDBACK_AFTER,
    workdays: Workdays = WORKDAYS,
) -> None:
    """(Re)schedule every reminder of a meeting, and the feedback poll after its end; those
    already past are not created. Reminders, the answer nudge and the headcount that would
    fall on a weekend or a public holiday move to a working morning before the meeting."""
    moments = {kind: meeting.starts_at - before for kind, before in REMINDERS.items()}
    moments["feedback_open"] = (
        meeting.starts_at + timedelta(minutes=meeting.duration_minutes) + feedback_after
    )
    moments["rsvp_nudge"] = workdays.before(
        meeting.rsvp_deadline - timedelta(days=2), meeting.rsvp_deadline
    )
    moments["headcount"] = meeting.rsvp_deadline
    last = meeting.starts_at - REMINDERS["reminder_1h"]
    for kind in ON_WORKING_DAYS:
        if kind != "rsvp_nudge":
            moments[kind] = workdays.before(moments[kind], last)
    for kind, when in moments.items():
        if when > now:
            due.schedule(s, kind, meeting.id or 0, f"{kind}:{meeting.id}", when)
        else:
            due.cancel_key(s, f"{kind}:{meeting.id}")


def cancel_reminders(s: Session, meeting_id: int) -> None:
    for kind in KINDS:
        due.cancel(s, kind, meeting_id)


def tally(session: Session, meeting_id: int) -> dict[str, int]:
    """Live counts for the invitation: answers (seated only) and the waitlist, in one query."""
    rows = session.exec(
        select(Rsvp.answer, Rsvp.waitlisted, func.count())
        .where(Rsvp.meeting_id == meeting_id)
        .group_by(col(Rsvp.answer), col(Rsvp.waitlisted))
    ).all()
    counts = dict.fromkeys((*ANSWERS, "waitlist"), 0)
    for choice, waitlisted, n in rows:
        counts["waitlist" if waitlisted else choice] += n
    return counts


def set_capacity(session: Session, meeting: Meeting, capacity: int) -> list[int]:
    """Change the number of in-person seats: never below those seated; a higher limit seats
    the waitlist at once, in the order they answered. Returns who got a seat."""
    answers = list(rsvps(session, meeting.id or 0))
    seated = sum(1 for r in answers if has_seat(r))
    if capacity < seated:
        raise DomainError(
            N_("{holders}; the limit cannot be lower."),
            holders=Nn_(
                "{n} person already has an in-person seat",
                "{n} people already have in-person seats",
                seated,
            ),
        )
    meeting.capacity = capacity
    session.add(meeting)
    promoted = []
    for r in answers:
        if r.waitlisted and seated < capacity:
            r.waitlisted = False
            session.add(r)
            seated += 1
            promoted.append(r.person_id)
    session.flush()
    return promoted


def upcoming(session: Session, network_ids: Sequence[int], now: datetime) -> Sequence[Meeting]:
    """Published meetings still ahead in these networks, soonest first."""
    return session.exec(
        select(Meeting)
        .where(
            col(Meeting.network_id).in_(list(network_ids)),
            Meeting.starts_at > now,
            Meeting.status == MeetingStatus.PUBLISHED,
        )
        .order_by(col(Meeting.starts_at))
    ).all()


def answers_of(session: Session, person_id: int, meeting_ids: Sequence[int]) -> dict[int, Rsvp]:
    """One person's answers to these meetings, by meeting."""
    rows = session.exec(
        select(Rsvp).where(Rsvp.person_id == person_id, col(Rsvp.meeting_id).in_(list(meeting_ids)))
    ).all()
    return {r.meeting_id: r for r in rows}


def silent_representatives(session: Session, meeting: Meeting) -> list[int]:
    """Representatives of the meeting's network (roles held, not erased) who have not
    answered it: one query on indexed columns, however many people the database holds."""
    from models.core import NetworkRole, Person

    answered = select(Rsvp.person_id).where(Rsvp.meeting_id == meeting.id)
    rows = session.exec(
        select(NetworkRole.person_id)
        .join(Person, col(Person.id) == col(NetworkRole.person_id))
        .where(
            NetworkRole.network_id == meeting.network_id,
            NetworkRole.role == Role.REPRESENTATIVE,
            col(NetworkRole.ended_at).is_(None),
            col(Person.erased_at).is_(None),
            col(NetworkRole.person_id).not_in(answered),
        )
        .order_by(col(NetworkRole.person_id))
    ).all()
    return [int(r) for r in dict.fromkeys(rows)]


def previous_published(session: Session, meeting: Meeting) -> Meeting | None:
    """The network's published meeting that started last before this one."""
    return session.exec(
        select(Meeting)
        .where(
            Meeting.network_id == meeting.network_id,
            Meeting.starts_at < meeting.starts_at,
            Meeting.status == "published",
        )
        .order_by(col(Meeting.starts_at).desc())
    ).first()


def answers_in_person(session: Session, meeting_id: int) -> list[int]:
    """Who answered “in person” (seated or waiting)."""
    return [
        int(p)
        for p in session.exec(
            select(Rsvp.person_id).where(
                Rsvp.meeting_id == meeting_id, Rsvp.answer == Answer.IN_PERSON
            )
        ).all()
    ]


def observers_among(session: Session, network_id: int, person_ids: Sequence[int]) -> set[int]:
    """Those of these people who only observe in the network (a representative of an
    observer city and nothing else there)."""
    from models.core import CityStanding, NetworkRole, Person

    ids = list(dict.fromkeys(person_ids))
    if not ids:
        return set()
    roles: dict[int, set[Role]] = {}
    for person_id, role in session.exec(
        select(NetworkRole.person_id, NetworkRole.role).where(
            NetworkRole.network_id == network_id,
            col(NetworkRole.ended_at).is_(None),
            col(NetworkRole.person_id).in_(ids),
        )
    ).all():
        roles.setdefault(person_id, set()).add(Role(role))
    observing = set(
        session.exec(
            select(Person.id)
            .join(CityStanding, col(CityStanding.city_id) == col(Person.city_id))
            .where(
                CityStanding.network_id == network_id,
                CityStanding.standing == Standing.OBSERVER,
                col(Person.id).in_(ids),
            )
        ).all()
    )
    return {p for p in ids if p in observing and roles.get(p) == {Role.REPRESENTATIVE}}


def staff_of(session: Session, network_id: int) -> list[int]:
    """The network's coordinators, experts and organisers: reminded of every meeting."""
    from models.core import NetworkRole, Person

    rows = session.exec(
        select(NetworkRole.person_id)
        .join(Person, col(Person.id) == col(NetworkRole.person_id))
        .where(
            NetworkRole.network_id == network_id,
            col(NetworkRole.role).in_([Role.COORDINATOR, Role.EXPERT, Role.ORGANISER]),
            col(NetworkRole.ended_at).is_(None),
            col(Person.erased_at).is_(None),
        )
        .order_by(col(NetworkRole.person_id))
    ).all()
    return [int(r) for r in dict.fromkeys(rows)]

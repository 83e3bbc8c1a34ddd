"""The plan's queries and the rules that need the database: numbering contract versions, one
acknowledgement per city, the reminders of an action as due tasks, linking planned meetings to
the real ones."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import func
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, col, select

from core.workdays import Workdays
from models import due
from models.core import NetworkRole, Person
from models.enums import Role
from models.meetings import Meeting, MeetingStatus
from models.workplan.tables import (
    OPEN_STATUSES,
    ActionStatus,
    Contract,
    ContractAck,
    PlanAction,
    PlanActionUpdate,
    PlanGoal,
    PlannedMeeting,
)

REMINDER, OVERDUE = "plan_reminder", "plan_overdue"
KINDS = (REMINDER, OVERDUE)


# --- goals and the calendar ----------------------------------------------------------------


def goals(session: Session, network_id: int) -> Sequence[PlanGoal]:
    return session.exec(
        select(PlanGoal)
        .where(PlanGoal.network_id == network_id, col(PlanGoal.removed_at).is_(None))
        .order_by(col(PlanGoal.id))
    ).all()


def planned_meetings(session: Session, network_id: int) -> Sequence[PlannedMeeting]:
    return session.exec(
        select(PlannedMeeting)
        .where(PlannedMeeting.network_id == network_id, col(PlannedMeeting.removed_at).is_(None))
        .order_by(col(PlannedMeeting.starts_on), col(PlannedMeeting.id))
    ).all()


def has_plan(session: Session, network_id: int) -> bool:
    """Does the network keep its plan in the bot (a goal, a planned meeting or an action)?"""
    for model in (PlanGoal, PlannedMeeting, PlanAction):
        if session.exec(select(model.id).where(model.network_id == network_id)).first():
            return True
    return False


def link_meetings(session: Session, tz: ZoneInfo) -> list[tuple[PlannedMeeting, Meeting]]:
    """Link each planned meeting not yet linked to the first published meeting of its network
    held in its period (and linked to no other entry). Returns the links made."""
    waiting = session.exec(
        select(PlannedMeeting)
        .where(col(PlannedMeeting.meeting_id).is_(None), col(PlannedMeeting.removed_at).is_(None))
        .order_by(col(PlannedMeeting.starts_on), col(PlannedMeeting.id))
    ).all()
    if not waiting:
        return []
    networks = {p.network_id for p in waiting}
    taken = set(
        session.exec(
            select(PlannedMeeting.meeting_id).where(
                col(PlannedMeeting.meeting_id).is_not(None),
                col(PlannedMeeting.removed_at).is_(None),
            )
        ).all()
    )
    meetings = session.exec(
        select(Meeting)
        .where(
            col(Meeting.network_id).in_(networks),
            Meeting.status == MeetingStatus.PUBLISHED,
        )
        .order_by(col(Meeting.starts_at))
    ).all()
    made = []
    for entry in waiting:
        for meeting in meetings:
            day = meeting.starts_at.astimezone(tz).date()
            if (
                meeting.network_id == entry.network_id
                and meeting.id not in taken
                and entry.starts_on <= day <= entry.ends_on
            ):
                entry.meeting_id = meeting.id
                taken.add(meeting.id)
                session.add(entry)
                made.append((entry, meeting))
                break
    return made


def ended_meetings(session: Session, since: datetime, now: datetime) -> list[Meeting]:
    """Published meetings that ended between `since` and `now` (a meeting lasts at most
    12 hours)."""
    rows = session.exec(
        select(Meeting).where(
            Meeting.starts_at <= now,
            Meeting.starts_at >= since - timedelta(hours=12),
            Meeting.status == MeetingStatus.PUBLISHED,
        )
    ).all()
    return [m for m in rows if since <= m.starts_at + timedelta(minutes=m.duration_minutes) <= now]


# --- actions -------------------------------------------------------------------------------


def actions(session: Session, network_id: int) -> Sequence[PlanAction]:
    return session.exec(
        select(PlanAction)
        .where(PlanAction.network_id == network_id)
        .order_by(col(PlanAction.due_on), col(PlanAction.id))
    ).all()


def open_actions(session: Session, network_id: int) -> Sequence[PlanAction]:
    return session.exec(
        select(PlanAction)
        .where(
            PlanAction.network_id == network_id,
            col(PlanAction.status).in_([s.value for s in OPEN_STATUSES]),
        )
        .order_by(col(PlanAction.due_on), col(PlanAction.id))
    ).all()


def done_between(
    session: Session, network_id: int, start: datetime, end: datetime
) -> Sequence[PlanAction]:
    return session.exec(
        select(PlanAction)
        .where(
            PlanAction.network_id == network_id,
            PlanAction.status == ActionStatus.DONE,
            col(PlanAction.done_at) >= start,
            col(PlanAction.done_at) < end,
        )
        .order_by(col(PlanAction.done_at))
    ).all()


def of_meeting(session: Session, meeting_id: int) -> Sequence[PlanAction]:
    return session.exec(
        select(PlanAction).where(PlanAction.meeting_id == meeting_id).order_by(col(PlanAction.id))
    ).all()


def owned_by(session: Session, person: Person) -> Sequence[PlanAction]:
    """Open actions the person owns, or their city owns in a network where they represent it."""
    mine = select(PlanAction).where(
        col(PlanAction.status).in_([s.value for s in OPEN_STATUSES]),
        PlanAction.owner_person_id == person.id,
    )
    found = {a.id: a for a in session.exec(mine).all()}
    if person.city_id is not None:
        networks = session.exec(
            select(NetworkRole.network_id).where(
                NetworkRole.person_id == person.id,
                NetworkRole.role == Role.REPRESENTATIVE,
                col(NetworkRole.ended_at).is_(None),
            )
        ).all()
        city = select(PlanAction).where(
            col(PlanAction.status).in_([s.value for s in OPEN_STATUSES]),
            PlanAction.owner_city_id == person.city_id,
            col(PlanAction.network_id).in_([n for n in networks if n is not None]),
        )
        found |= {a.id: a for a in session.exec(city).all()}
    return sorted(found.values(), key=lambda a: (a.due_on, a.id or 0))


def representatives(session: Session, network_id: int, city_id: int | None = None) -> list[int]:
    """The network's current representatives (of one city), not erased, by id."""
    query = (
        select(Person.id)
        .join(NetworkRole, col(NetworkRole.person_id) == col(Person.id))
        .where(
            NetworkRole.network_id == network_id,
            NetworkRole.role == Role.REPRESENTATIVE,
            col(NetworkRole.ended_at).is_(None),
            col(Person.erased_at).is_(None),
        )
    )
    if city_id is not None:
        query = query.where(Person.city_id == city_id)
    return sorted({p for p in session.exec(query).all() if p is not None})


def owner_people(session: Session, action: PlanAction) -> list[int]:
    """Who answers for the action: its person, or its city's representatives in the network."""
    if action.owner_person_id is not None:
        person = session.get(Person, action.owner_person_id)
        return [action.owner_person_id] if person and person.erased_at is None else []
    if action.owner_city_id is not None:
        return representatives(session, action.network_id, action.owner_city_id)
    return []


def set_status(
    session: Session,
    action: PlanAction,
    status: ActionStatus,
    note: str | None,
    person_id: int | None,
    now: datetime,
) -> PlanActionUpdate:
    """Record a status line; done or dropped, the action's reminders are cancelled."""
    action.status, action.status_at = status, now
    if note is not None:
        action.note = note
    action.done_at = now if status is ActionStatus.DONE else None
    session.add(action)
    update = PlanActionUpdate(
        action_id=action.id or 0, person_id=person_id, at=now, status=status, note=note
    )
    session.add(update)
    if status not in OPEN_STATUSES:
        cancel_tasks(session, action.id or 0)
    return update


def updates_of(session: Session, action_id: int) -> Sequence[PlanActionUpdate]:
    return session.exec(
        select(PlanActionUpdate)
        .where(PlanActionUpdate.action_id == action_id)
        .order_by(col(PlanActionUpdate.id))
    ).all()


def due_moment(day: date, workdays: Workdays) -> datetime:
    """The start of the due day (local midnight), UTC: reminders come before it."""
    return datetime.combine(day, time(0, 0), workdays.tz).astimezone(UTC)


def schedule_tasks(
    session: Session,
    action: PlanAction,
    now: datetime,
    days_before: Sequence[int],
    workdays: Workdays,
) -> None:
    """(Re)schedule an open action's reminders `days_before` its due date, each on a working
    morning before that day, and the coordinators' overdue notice on the first working
    morning after it. A new due date makes new reminders (the keys carry the date)."""
    cancel_tasks(session, action.id or 0)
    if action.status not in OPEN_STATUSES:
        return
    limit = due_moment(action.due_on, workdays)
    for days in sorted(set(days_before), reverse=True):
        wanted = datetime.combine(
            action.due_on - timedelta(days=days), workdays.morning, workdays.tz
        ).astimezone(UTC)
        when = workdays.before(wanted, limit)
        if now < when < limit:
            key = f"{REMINDER}:{action.id}:{action.due_on.isoformat()}:{days}"
            due.schedule(session, REMINDER, action.id or 0, key, when)
    after = datetime.combine(
        workdays.next_working_day(action.due_on), workdays.morning, workdays.tz
    ).astimezone(UTC)
    due.schedule(
        session, OVERDUE, action.id or 0, f"{OVERDUE}:{action.id}:{action.due_on}", max(after, now)
    )


def cancel_tasks(session: Session, action_id: int) -> None:
    for kind in KINDS:
        due.cancel(session, kind, action_id)


# --- the contract ------------------------------------------------------------------------


def contract(session: Session, network_id: int) -> Contract | None:
    """The version in force (the newest)."""
    return session.exec(
        select(Contract)
        .where(Contract.network_id == network_id)
        .order_by(col(Contract.version).desc())
    ).first()


def set_contract(
    session: Session, network_id: int, text: str, by: int | None, now: datetime
) -> Contract:
    """A new version of the network's contract (numbered from 1)."""
    newest = session.exec(
        select(func.max(Contract.version)).where(Contract.network_id == network_id)
    ).one()
    row = Contract(
        network_id=network_id, version=(newest or 0) + 1, text=text, set_by=by, set_at=now
    )
    session.add(row)
    session.flush()
    return row


def ack_of(session: Session, network_id: int, city_id: int, version: int) -> ContractAck | None:
    return session.exec(
        select(ContractAck).where(
            ContractAck.network_id == network_id,
            ContractAck.city_id == city_id,
            ContractAck.version == version,
        )
    ).first()


def acknowledge(
    session: Session, network_id: int, city_id: int, version: int, person_id: int, now: datetime
) -> tuple[ContractAck, bool]:
    """The city's acknowledgement of a version: (it, True) when this call gave it; (the one
    given before, False) when someone from the city already had (also at the same moment)."""
    found = ack_of(session, network_id, city_id, version)
    if found is not None:
        return found, False
    row = ContractAck(
        network_id=network_id, city_id=city_id, version=version, person_id=person_id, at=now
    )
    try:
        with session.begin_nested():
            session.add(row)
    except IntegrityError:
        found = ack_of(session, network_id, city_id, version)
        assert found is not None
        return found, False
    return row, True


def acks(session: Session, network_id: int, version: int) -> dict[int, ContractAck]:
    """The acknowledgements of a version, by city."""
    rows = session.exec(
        select(ContractAck).where(
            ContractAck.network_id == network_id, ContractAck.version == version
        )
    ).all()
    return {a.city_id: a for a in rows}

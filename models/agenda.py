"""Read-only views of what is ahead of one person (for the answer pages and the hub)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import Boolean, text
from sqlalchemy.engine import Connection
from sqlmodel import Session

from models import directory, meetings
from models.core import Network, Person
from models.db import detached
from models.enums import Role, Standing
from models.meetings import (
    Answer,
    Meeting,
    MeetingPart,
    MeetingStatus,
    Rsvp,
    View,
    has_seat,
    observer_only,
    parts_of,
    rsvps,
    view,
)
from models.types import UTCDateTime


@dataclass(frozen=True)
class MeetingState:
    """A meeting as one person sees it: their answer, waitlist place and the seats."""

    meeting: Meeting
    network: Network
    answer: Rsvp | None
    waitlist_position: int | None  # 1-based; None when not waiting
    seats_taken: int
    waiting: int
    details: bool = True  # the online link and agenda; never for observers of a closed meeting
    seen: View | None = None  # what this person may see (observers: the open parts only)
    observer: bool = False

    @property
    def shown(self) -> View:
        return self.seen or view(self.meeting, (), observer=False)

    def open_for_answers(self, now: datetime) -> bool:
        return self.meeting.status == MeetingStatus.PUBLISHED and now <= self.meeting.rsvp_deadline


def meeting_state(session: Session, meeting: Meeting, person_id: int) -> MeetingState:
    answers = rsvps(session, meeting.id or 0)  # in answer order: the waitlist's order
    waiting = [r for r in answers if r.waitlisted]
    mine = next((r for r in answers if r.person_id == person_id), None)
    position = next((i for i, r in enumerate(waiting, 1) if r.person_id == person_id), None)
    network = session.get(Network, meeting.network_id)
    assert network is not None
    observer = observes_only(session, person_id, network)
    return MeetingState(
        meeting,
        network,
        mine,
        position,
        sum(1 for r in answers if has_seat(r)),
        len(waiting),
        meeting.open_part or not observer,
        view(meeting, parts_of(session, meeting.id or 0), observer=observer),
        observer,
    )


_PAGE_SQL = """
SELECT m.id, m.network_id, m.title, m.starts_at, m.duration_minutes, m.format, m.place,
  m.online_link, m.agenda, m.rsvp_deadline, m.capacity, m.open_part, m.status, m.sequence,
  m.created_by, m.created_at,
  n.code AS n_code, n.name AS n_name, n.theme AS n_theme, n.closed AS n_closed,
  r.id AS r_id, r.answer AS r_answer, r.waitlisted AS r_waitlisted,
  r.answered_at AS r_answered_at, r.note AS r_note, r.checked_in_at AS r_checked_in_at,
  (SELECT count(*) FROM rsvp x WHERE x.meeting_id = m.id AND x.answer = :in_person
     AND NOT x.waitlisted) AS taken,
  (SELECT count(*) FROM rsvp x WHERE x.meeting_id = m.id AND x.waitlisted) AS waiting,
  (SELECT count(*) FROM rsvp x WHERE x.meeting_id = m.id AND x.waitlisted AND r.waitlisted
     AND (x.answered_at < r.answered_at OR (x.answered_at = r.answered_at AND x.id <= r.id))
  ) AS my_place,
  (SELECT s.standing FROM city_standing s JOIN person p ON p.city_id = s.city_id
     WHERE p.id = :person AND s.network_id = m.network_id) AS standing,
  (SELECT {roles}(o.role, ',') FROM network_role o WHERE o.person_id = :person
     AND o.ended_at IS NULL AND (o.network_id IS NULL OR o.network_id = m.network_id)) AS roles,
  (SELECT count(*) FROM meeting_part q WHERE q.meeting_id = m.id) AS parts
FROM meeting m JOIN network n ON n.id = m.network_id
LEFT JOIN rsvp r ON r.meeting_id = m.id AND r.person_id = :person
WHERE m.id = :meeting
"""
_PAGE_TYPES = {
    "starts_at": UTCDateTime,
    "rsvp_deadline": UTCDateTime,
    "created_at": UTCDateTime,
    "r_answered_at": UTCDateTime,
    "r_checked_in_at": UTCDateTime,
    "open_part": Boolean,
    "n_closed": Boolean,
    "r_waitlisted": Boolean,
}
_PAGE_STATEMENTS = {
    postgres: text(_PAGE_SQL.format(roles="string_agg" if postgres else "group_concat")).columns(
        **{name: kind() for name, kind in _PAGE_TYPES.items()}
    )
    for postgres in (False, True)
}


@dataclass(frozen=True)
class AnswerPage:
    """What one person's answer page shows of a meeting, and who they are in its network."""

    state: MeetingState
    roles: frozenset[Role]
    standing: Standing | None


def answer_page(connection: Connection, meeting_id: int, person_id: int) -> AnswerPage | None:
    """`meeting_state` for one person's answer page in one query (and one more for the
    programme, when it has parts), whatever the number of answers: the meeting, its network,
    the person's own answer and place on the waitlist, the seats counted in SQL, the person's
    roles and their city's standing there. None: no such meeting."""
    postgres = connection.dialect.name == "postgresql"
    row = (
        connection.execute(
            _PAGE_STATEMENTS[postgres],
            {"meeting": meeting_id, "person": person_id, "in_person": str(Answer.IN_PERSON)},
        )
        .mappings()
        .first()
    )
    if row is None:
        return None
    # built as the ORM loads rows (the values are the database's): a tenth of __init__'s cost
    meeting = detached(Meeting, {name: row[name] for name in MEETING_COLUMNS})
    network = detached(
        Network,
        {
            "id": row["network_id"],
            "code": row["n_code"],
            "name": row["n_name"],
            "theme": row["n_theme"],
            "closed": bool(row["n_closed"]),
        },
    )
    mine = None
    if row["r_id"] is not None:
        mine = detached(
            Rsvp,
            {
                "id": row["r_id"],
                "meeting_id": meeting_id,
                "person_id": person_id,
                "answer": row["r_answer"],
                "waitlisted": bool(row["r_waitlisted"]),
                "answered_at": row["r_answered_at"],
                "note": row["r_note"],
                "checked_in_at": row["r_checked_in_at"],
            },
        )
    roles = frozenset(Role(r) for r in (row["roles"] or "").split(",") if r)
    standing = Standing(row["standing"]) if row["standing"] else None
    watching = observer_only(roles, standing)
    parts: list[MeetingPart] = []
    if row["parts"]:
        with Session(bind=connection) as session:
            parts = parts_of(session, meeting_id)
    state = MeetingState(
        meeting,
        network,
        mine,
        int(row["my_place"]) if mine is not None and mine.waitlisted else None,
        int(row["taken"]),
        int(row["waiting"]),
        meeting.open_part or not watching,
        view(meeting, parts, observer=watching),
        watching,
    )
    return AnswerPage(state, roles, standing)


MEETING_COLUMNS = (
    "id",
    "network_id",
    "title",
    "starts_at",
    "duration_minutes",
    "format",
    "place",
    "online_link",
    "agenda",
    "rsvp_deadline",
    "capacity",
    "open_part",
    "status",
    "sequence",
    "created_by",
    "created_at",
)


def observes_only(session: Session, person_id: int, network: Network) -> bool:
    """Only a representative of an observer city here (observers watch open parts only)."""
    person = session.get(Person, person_id)
    if person is None:
        return True
    return observer_only(
        directory.roles_of(session, person_id, network.id),
        directory.standing_of(session, person.city_id, network.id),
    )


def upcoming(session: Session, person_id: int, now: datetime) -> Sequence[MeetingState]:
    """Published meetings still ahead in the person's networks, soonest first."""
    network_ids = [n.id or 0 for n in directory.networks_of(session, person_id)]
    ahead = meetings.upcoming(session, network_ids, now)
    states = [meeting_state(session, m, person_id) for m in ahead]
    return [st for st in states if st.details]  # observers: only meetings with an open part

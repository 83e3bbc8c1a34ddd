"""Read-only views of what is ahead of one person (for the answer pages and the hub)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlmodel import Session

from models import directory, meetings
from models.core import Network, Person
from models.meetings import (
    Meeting,
    MeetingStatus,
    Rsvp,
    View,
    has_seat,
    observer_only,
    parts_of,
    rsvps,
    view,
)


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

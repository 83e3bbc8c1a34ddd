"""What the desk shows, read once per page and transport-neutral: each network's next meeting
with its answers and who has not answered, office-hours use, open polls; a network's roster and
meetings. The rules of who counts come from models.attendance, as in /obecnosc and the sheet."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from sqlmodel import Session

from core.collation import person_key, polish_key
from models import attendance, desk, directory
from models.core import Network
from models.enums import Role, Standing
from models.meetings import Answer, Meeting

OFFICE_WINDOW = timedelta(days=30)  # office-hours use: the sessions of the last 30 days
FAILED_WINDOW = timedelta(days=7)


@dataclass(frozen=True)
class MeetingFigures:
    meeting: Meeting
    answers: dict[str, int]  # Answer -> people (seated), plus "waitlist"
    silent: list[str]  # invited, not answered: names
    checked_in: int
    invited: int


@dataclass(frozen=True)
class NetworkGlance:
    network: Network
    next_meeting: MeetingFigures | None
    office: tuple[int, int, int]  # sessions, slots, slots used
    polls: list[str] = field(default_factory=list)


@dataclass(frozen=True)
class Member:
    person_id: int
    name: str
    city: str
    standing: Standing | None
    roles: list[Role]


def figures(s: Session, meeting: Meeting) -> MeetingFigures:
    who = attendance.of_meeting(s, meeting)
    answers = {str(a): 0 for a in Answer}
    answers["waitlist"] = 0
    for person in who.participants:
        if person.answer is None:
            continue
        answers["waitlist" if person.waitlisted else person.answer] += 1
    silent = [a.name for a in who.people if a.invited and a.answer is None]
    return MeetingFigures(
        meeting,
        answers,
        silent,
        sum(1 for a in who.people if a.checked_in_at is not None),
        sum(1 for a in who.people if a.invited),
    )


def glance(s: Session, networks: Sequence[Network], now: datetime) -> list[NetworkGlance]:
    ids = [n.id or 0 for n in networks]
    upcoming = desk.next_meetings(s, ids, now)
    polls = desk.open_polls(s, ids)
    office = desk.office_use(s, ids, now - OFFICE_WINDOW, now)
    return [
        NetworkGlance(
            n,
            figures(s, upcoming[n.id or 0]) if (n.id or 0) in upcoming else None,
            office.get(n.id or 0, (0, 0, 0)),
            [p.title for p in polls.get(n.id or 0, [])],
        )
        for n in networks
    ]


def failed_lately(s: Session, now: datetime) -> int:
    return desk.failed_messages(s, now - FAILED_WINDOW)


def roster(s: Session, network: Network) -> list[Member]:
    """Everyone with a role in the network (the coordinating team too), with their city's
    standing: by city, then name."""
    standings = directory.standings_in(s, network.id or 0)
    found: dict[int, Member] = {}
    for person, role, city in directory.members(s, network.id or 0):
        pid = person.id or 0
        if pid not in found:
            found[pid] = Member(
                pid,
                person.display_name,
                city.name if city else "",
                standings.get(person.city_id or 0),
                [],
            )
        found[pid].roles.append(Role(role))
    return sorted(
        found.values(),
        key=lambda m: (m.city == "", polish_key(m.city), person_key(m.name), m.person_id),
    )


def meetings(s: Session, network: Network, now: datetime) -> list[MeetingFigures]:
    """The network's meetings of the last 60 days and ahead, with live figures."""
    return [figures(s, m) for m in desk.meetings_of(s, network.id or 0, now - timedelta(days=60))]

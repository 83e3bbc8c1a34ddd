"""Who took part in a meeting: the one source of truth the signing sheet, its CSV, /obecnosc,
the coordinator's report and the feedback poll read.

The rules, in one place:
- Everyone checked in took part, whatever they answered (the organiser may mark a member
  who declined or never answered, and a guest of an open network's meeting, marked as one:
  handlers.meetings.attendance).
- Present: checked in; when nobody was checked in at all (the organiser kept a paper list),
  those who said they would come, in person or online, with a seat.
- The list: everyone checked in; the network's staff (coordinator, expert, organiser); those
  coming in person or online with a seat; representatives of core cities who did not decline
  and do not wait for a seat ("maybe" or no answer: they sign if they come).
- Sections: staff; online (answered online, or an online meeting: participation confirmed,
  no signature); in person (signature) for everyone else.
- Invited: representatives of core cities; of observer cities only when the meeting has an
  open part.
- Feedback goes to the network's people who took part: checked in, or answered in person /
  online (with a seat) even when nobody checked them in. Staff are not asked about their own
  meeting, nor guests (no role in the network: the poll is the network's opinion).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum

from sqlmodel import Session, col, select

from core.collation import person_key, polish_key
from models import directory
from models.core import City, Person
from models.enums import Role, Standing
from models.meetings import Answer, Meeting, MeetingFormat, Rsvp, rsvps

STAFF_ROLES = frozenset({Role.COORDINATOR, Role.EXPERT, Role.ORGANISER})


class Section(StrEnum):
    IN_PERSON = "in_person"  # signs the paper list
    ONLINE = "online"  # participation confirmed, no signature
    STAFF = "staff"  # the network's coordinator, expert, organiser


SECTIONS = (Section.IN_PERSON, Section.ONLINE, Section.STAFF)


@dataclass(frozen=True)
class Attendee:
    person_id: int
    name: str
    city: str
    position: str
    roles: frozenset[Role]
    standing: Standing | None
    answer: str | None  # Answer, or None: not answered
    waitlisted: bool
    checked_in_at: datetime | None
    section: Section
    invited: bool  # the invitation was addressed to them (counted in the report)
    present: bool
    listed: bool  # on the signing sheet and its CSV

    @property
    def staff(self) -> bool:
        return self.section == Section.STAFF


@dataclass(frozen=True)
class Attendance:
    meeting: Meeting
    people: list[Attendee]  # everyone the meeting concerns, sorted by city and name
    checked: bool  # somebody was checked in: "present" means checked in

    def listed(self, section: Section | None = None) -> list[Attendee]:
        return [a for a in self.people if a.listed and (section is None or a.section == section)]

    @property
    def participants(self) -> list[Attendee]:
        """Everyone but the staff (the report's and /obecnosc's figures)."""
        return [a for a in self.people if not a.staff]

    @property
    def present(self) -> list[Attendee]:
        return [a for a in self.participants if a.present]


def _coming(reply: Rsvp | None) -> bool:
    return (
        reply is not None
        and reply.answer in (Answer.IN_PERSON, Answer.ONLINE)
        and not reply.waitlisted
    )


def _section(meeting: Meeting, roles: frozenset[Role], reply: Rsvp | None) -> Section:
    if roles & STAFF_ROLES and Role.REPRESENTATIVE not in roles:
        return Section.STAFF
    if meeting.format == MeetingFormat.ONLINE or (
        reply is not None and reply.answer == Answer.ONLINE
    ):
        return Section.ONLINE
    return Section.IN_PERSON


def of_meeting(s: Session, meeting: Meeting) -> Attendance:
    """Everyone a meeting concerns — its network's people and anyone who answered or was
    checked in — with their section, whether they were invited, present and listed."""
    replies = {r.person_id: r for r in rsvps(s, meeting.id or 0)}
    checked = any(r.checked_in_at is not None for r in replies.values())
    people: dict[int, Person] = {}
    roles: dict[int, set[Role]] = {}
    cities: dict[int, str] = {}
    for person, role, city in directory.members(s, meeting.network_id):
        pid = person.id or 0
        people[pid] = person
        roles.setdefault(pid, set()).add(Role(role))
        cities[pid] = city.name if city else ""
    strangers = [pid for pid in replies if pid not in people]
    for pid, person in directory.people_by_id(s, strangers).items():
        if person.erased_at is None:
            people[pid] = person
            roles[pid] = set()
    city_names = _city_names(s, [p.city_id for p in people.values()])
    standings = directory.standings_in(s, meeting.network_id)
    found = []
    for pid, person in people.items():
        reply = replies.get(pid)
        held = frozenset(roles[pid])
        if held == {Role.COORDINATING_TEAM} and reply is None:
            continue  # the team above all networks: only when they answered or came
        standing = standings.get(person.city_id) if person.city_id else None
        representative = Role.REPRESENTATIVE in held
        core = standing is not None and standing.is_core
        section = _section(meeting, held, reply)
        checked_in = reply is not None and reply.checked_in_at is not None
        away = reply is not None and (reply.answer == Answer.NO or reply.waitlisted)
        invited = representative and (core or meeting.open_part)
        if not (invited or reply is not None or section == Section.STAFF):
            continue
        listed = (
            checked_in
            or (section == Section.STAFF and bool(held & STAFF_ROLES))
            or _coming(reply)
            or (representative and core and not away)
        )
        found.append(
            Attendee(
                person_id=pid,
                name=person.display_name,
                city=cities.get(pid) or city_names.get(person.city_id or 0, ""),
                position=person.position or "",
                roles=held,
                standing=standing,
                answer=reply.answer if reply else None,
                waitlisted=bool(reply and reply.waitlisted),
                checked_in_at=reply.checked_in_at if reply else None,
                section=section,
                invited=invited,
                present=checked_in if checked else _coming(reply),
                listed=listed,
            )
        )
    found.sort(key=lambda a: (not a.city, polish_key(a.city), person_key(a.name)))
    return Attendance(meeting, found, checked)


def _city_names(s: Session, city_ids: Sequence[int | None]) -> dict[int, str]:
    ids = sorted({c for c in city_ids if c})
    if not ids:
        return {}
    return {c.id or 0: c.name for c in s.exec(select(City).where(col(City.id).in_(ids))).all()}


def took_part(s: Session, meeting: Meeting) -> list[int]:
    """Who is asked for feedback: checked in, or answered in person / online (with a seat)
    though nobody checked them in; not the staff, not guests from outside the network."""
    replies = rsvps(s, meeting.id or 0)
    members = directory.members(s, meeting.network_id)
    everyone = {person.id or 0 for person, _role, _city in members}
    staff = {person.id or 0 for person, role, _city in members if role in STAFF_ROLES}
    representatives = {
        person.id or 0 for person, role, _city in members if role == Role.REPRESENTATIVE
    }
    return sorted(
        r.person_id
        for r in replies
        if (r.checked_in_at is not None or _coming(r))
        and r.person_id in everyone
        and (r.person_id not in staff or r.person_id in representatives)
    )

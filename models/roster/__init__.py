"""The roster: cities and their standings, people and their roles, changed as one unit.

Used by the file import (the office's Excel sheet) and by the coordinators' chat commands, so
the handbook's limits (leaders' network, representatives per city) hold in one place.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlmodel import Session, col, select

from core.collation import person_key, polish_key
from models import audit, directory
from models.core import City, CityStanding, Network, NetworkRole, Person
from models.enums import Office, Role, Standing
from models.errors import N_, DomainError, Nn_
from models.meetings import Meeting, Rsvp

MAX_REPRESENTATIVES = 3  # per city and network (the handbook: 2–3 permanent representatives)
NO_OBSERVERS = N_(
    "The network {network} is closed (the leaders' platform): it has no observer cities."
)


def new_city_standing(network: Network) -> Standing:
    """A city joining without a standing said: an observer, except in the closed leaders'
    network, which has none."""
    return Standing.LAUREATE if network.closed else Standing.OBSERVER


@dataclass(frozen=True)
class RosterRow:
    """One row of the roster file, already checked: a person's role in a network, or (no
    name) just a city's standing in a network."""

    line: int
    network: str | None  # code; None for the coordinating team (global)
    city: str | None
    voivodeship: str | None
    standing: Standing | None
    name: str | None
    position: str | None
    office: Office
    email: str | None
    role: Role | None
    language: str | None
    office_title: str | None = None  # the sheet's "Funkcja" as written


@dataclass
class Change:
    """One thing the import adds, changes or ends (a catalogue id and its parameters)."""

    msgid: str
    params: dict[str, Any]


@dataclass
class Changes:
    items: list[Change] = field(default_factory=list)
    released: list[tuple[int, int]] = field(default_factory=list)  # (meeting, promoted person)
    granted: set[int] = field(default_factory=set)  # people given a new role (to catch up)

    def add(self, msgid: str, **params: Any) -> None:
        self.items.append(Change(msgid, params))


def _key(text: str | None) -> str:
    return " ".join((text or "").split()).casefold()


def city_by_name(session: Session, name: str) -> City | None:
    """Case and spacing do not matter ("łomża " is Łomża); a few hundred cities at most."""
    wanted = _key(name)
    return next((c for c in session.exec(select(City)).all() if _key(c.name) == wanted), None)


def ensure_city(session: Session, name: str, voivodeship: str | None, changes: Changes) -> City:
    city = city_by_name(session, name)
    if city is None:
        city = City(name=" ".join(name.split()), voivodeship=voivodeship)
        session.add(city)
        session.flush()
        changes.add(N_("city added: {city}"), city=city.name)
    elif voivodeship and city.voivodeship != voivodeship:
        city.voivodeship = voivodeship
        session.add(city)
        changes.add(N_("voivodeship of {city}: {value}"), city=city.name, value=voivodeship)
    return city


def set_standing(
    session: Session,
    network: Network,
    city: City,
    standing: Standing,
    changes: Changes,
    by: int | None,
    now: datetime,
) -> None:
    if network.closed and standing is Standing.OBSERVER:
        raise DomainError(NO_OBSERVERS, network=network.code)
    row = session.exec(
        select(CityStanding).where(
            CityStanding.network_id == network.id, CityStanding.city_id == city.id
        )
    ).first()
    if row is not None and row.standing == standing:
        return
    old = row.standing if row else None
    if row is None:
        row = CityStanding(network_id=network.id or 0, city_id=city.id or 0, standing=standing)
        changes.add(
            N_("{city} joins {network} as {standing}"),
            city=city.name,
            network=network.name,
            standing=standing.value,
        )
    else:
        row.standing = standing
        changes.add(
            N_("standing of {city} in {network}: {old} → {standing}"),
            city=city.name,
            network=network.name,
            old=old,
            standing=standing.value,
        )
    session.add(row)
    session.flush()
    audit.record(
        session,
        now,
        by,
        "standing.set",
        f"city:{city.id}",
        network=network.code,
        old=old,
        new=standing.value,
    )


def find_person(
    session: Session, name: str | None, email: str | None, city_id: int | None
) -> Person | None:
    """The same person: by e-mail, else by name and city."""
    people = session.exec(select(Person).where(col(Person.erased_at).is_(None))).all()
    if email:
        found = next((p for p in people if p.email and p.email.lower() == email.lower()), None)
        if found is not None:
            return found
    if name:
        return next(
            (p for p in people if _key(p.name) == _key(name) and p.city_id == city_id), None
        )
    return None


def upsert_person(
    session: Session, row: RosterRow, city: City | None, changes: Changes, now: datetime
) -> Person:
    person = find_person(session, row.name, row.email, city.id if city else None)
    if person is None:
        person = Person(
            name=row.name,
            city_id=city.id if city else None,
            position=row.position,
            office=row.office,
            office_title=row.office_title,
            email=row.email,
            language=row.language,
            created_at=now,
        )
        session.add(person)
        session.flush()
        if city is None:
            changes.add(N_("person added: {name}"), name=person.name)
        else:
            changes.add(N_("person added: {name} ({city})"), name=person.name, city=city.name)
        return person
    wanted = {
        "name": row.name,
        "position": row.position,
        "office": row.office.value,
        "office_title": row.office_title,
        "email": row.email,
        "city_id": city.id if city else person.city_id,
    }
    if row.language:
        wanted["language"] = row.language
    changed = [k for k, v in wanted.items() if v is not None and getattr(person, k) != v]
    for k in changed:
        setattr(person, k, wanted[k])
    if changed:
        session.add(person)
        changes.add(
            N_("person changed: {name} ({fields})"), name=person.name, fields=", ".join(changed)
        )
    return person


def representatives(session: Session, network_id: int, city_id: int) -> Sequence[Person]:
    """The city's current representatives in the network."""
    return session.exec(
        select(Person)
        .join(NetworkRole, col(NetworkRole.person_id) == col(Person.id))
        .where(
            NetworkRole.network_id == network_id,
            NetworkRole.role == Role.REPRESENTATIVE,
            col(NetworkRole.ended_at).is_(None),
            Person.city_id == city_id,
            col(Person.erased_at).is_(None),
        )
        .order_by(col(Person.id))
    ).all()


def check_seat(session: Session, network: Network, person: Person) -> None:
    """A representative needs a city in the network, with a free seat (at most 3)."""
    if person.city_id is None:
        raise DomainError(N_("A representative needs a city."))
    if directory.standing_of(session, person.city_id, network.id) is None:
        raise DomainError(
            N_("The city is not in the network {network} yet: add it first."), network=network.code
        )
    taken = [
        p for p in representatives(session, network.id or 0, person.city_id) if p.id != person.id
    ]
    if len(taken) >= MAX_REPRESENTATIVES:
        raise DomainError(
            N_(
                "The city already has {representatives} in the network {network}: replace one "
                "of them instead."
            ),
            representatives=Nn_("{n} representative", "{n} representatives", len(taken)),
            network=network.code,
        )


def release_answers(
    session: Session, person_id: int, network_id: int, now: datetime
) -> list[tuple[int, int]]:
    """Free the person's answers to the network's future meetings; returns (meeting id,
    promoted person id) for every waitlisted person who got the freed seat."""
    promoted: list[tuple[int, int]] = []
    meetings = session.exec(
        select(Meeting).where(
            Meeting.network_id == network_id, Meeting.starts_at > now, Meeting.status == "published"
        )
    ).all()
    for meeting in meetings:
        answers = session.exec(
            select(Rsvp)
            .where(Rsvp.meeting_id == meeting.id)
            .order_by(col(Rsvp.answered_at), col(Rsvp.id))
        ).all()
        mine = next((r for r in answers if r.person_id == person_id), None)
        if mine is None or mine.answer == "nie":
            continue
        seated = mine.answer == "stacjonarnie" and not mine.waitlisted
        mine.answer, mine.waitlisted, mine.answered_at = "nie", False, now
        session.add(mine)
        if seated:
            waiting = next((r for r in answers if r.waitlisted and r.person_id != person_id), None)
            if waiting is not None:
                waiting.waitlisted = False
                session.add(waiting)
                promoted.append((meeting.id or 0, waiting.person_id))
    session.flush()
    return promoted


def end_in_network(
    session: Session,
    person: Person,
    network: Network,
    by: int | None,
    now: datetime,
    changes: Changes,
    roles: frozenset[Role] | None = None,
) -> list[Role]:
    ended = directory.end_roles(session, person.id or 0, network, by, now, roles)
    for role in ended:
        changes.add(
            N_("role ended: {name} — {role} in {network}"),
            name=person.display_name,
            role=role.value,
            network=network.name,
        )
    if Role.REPRESENTATIVE in ended:
        changes.released += release_answers(session, person.id or 0, network.id or 0, now)
    return ended


def grant(
    session: Session,
    person: Person,
    network: Network | None,
    role: Role,
    by: int | None,
    now: datetime,
    changes: Changes,
) -> None:
    before = directory.roles_of(session, person.id or 0, network.id if network else None)
    if network is not None:
        held = (
            session.exec(
                select(NetworkRole).where(
                    NetworkRole.person_id == person.id,
                    NetworkRole.network_id == network.id,
                    NetworkRole.role == role,
                    col(NetworkRole.ended_at).is_(None),
                )
            ).first()
            is not None
        )
    else:
        held = role in before
    if held:
        return
    directory.grant_role(session, person, network, role, by, now)
    changes.granted.add(person.id or 0)
    if network is None:
        changes.add(N_("role added: {name} — {role}"), name=person.display_name, role=role.value)
    else:
        changes.add(
            N_("role added: {name} — {role} in {network}"),
            name=person.display_name,
            role=role.value,
            network=network.name,
        )


def export_rows(session: Session) -> list[RosterRow]:
    """The current roster as file rows: every held role, then standings without people."""
    out: list[RosterRow] = []
    networks = {n.id: n for n in directory.networks(session)}
    cities = {c.id: c for c in session.exec(select(City)).all()}
    standings = {
        (s.network_id, s.city_id): Standing(s.standing)
        for s in session.exec(select(CityStanding)).all()
    }
    seated: set[tuple[int, int]] = set()
    people = {p.id: p for p in session.exec(select(Person)).all()}
    held = [
        (role, person)
        for role in directory.active_roles(session)
        if (person := people.get(role.person_id)) is not None and person.erased_at is None
    ]

    def city_of(person: Person) -> str | None:
        city = cities.get(person.city_id) if person.city_id else None
        return city.name if city else None

    # network, role, then city and person in Polish alphabetical order (surname first)
    held.sort(
        key=lambda rp: (
            rp[0].network_id or 0,
            rp[0].role,
            polish_key(city_of(rp[1])),
            person_key(rp[1].name),
            rp[1].id or 0,
        )
    )
    for role, person in held:
        network = networks.get(role.network_id) if role.network_id else None
        city = cities.get(person.city_id) if person.city_id else None
        standing = standings.get((network.id or 0, city.id or 0)) if network and city else None
        if network and city:
            seated.add((network.id or 0, city.id or 0))
        out.append(
            RosterRow(
                0,
                network.code if network else None,
                city.name if city else None,
                city.voivodeship if city else None,
                standing,
                person.name,
                person.position,
                Office(person.office),
                person.email,
                Role(role.role),
                person.language,
                person.office_title,
            )
        )
    by_city = sorted(standings.items(), key=lambda i: (i[0][0], polish_key(cities[i[0][1]].name)))
    for (network_id, city_id), standing in by_city:
        if (network_id, city_id) in seated:
            continue
        city = cities[city_id]
        out.append(
            RosterRow(
                0,
                networks[network_id].code,
                city.name,
                city.voivodeship,
                standing,
                None,
                None,
                Office.OFFICIAL,
                None,
                None,
                None,
            )
        )
    return out

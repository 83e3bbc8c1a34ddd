"""Making the store match the office's roster file, in time linear in the file.

The rules are those of models.roster (one city per name whatever its case and spacing, a person
found by e-mail and else by name and city, roles ended and never deleted, the closed network's
limits), applied to every row in memory: what is already stored is read in a few queries up
front and what changes is written in a few batched flushes (cities, then standings and people,
then roles and the audit), so the number of statements does not grow with the rows (beyond
the driver's batches of many rows each).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from functools import partial
from typing import Any

from sqlalchemy import insert
from sqlmodel import Session, col, select

from models import audit, directory
from models.core import City, CityStanding, Network, NetworkRole, Person
from models.enums import Office, Role, Standing
from models.errors import N_, DomainError
from models.meetings import Meeting, Rsvp
from models.roster import NO_OBSERVERS, Changes, RosterRow, _key

LEADERS_ONLY = N_("The leaders' network admits only mayors, city presidents and their deputies.")
RoleKey = tuple[int, int | None, str]  # (id() of the Person object, network id, role)


@dataclass
class _New:
    """A standing or a role the file adds: written in one batch, with no ORM object."""

    values: dict[str, Any]
    id: None = None
    ended_at: None = None

    @property
    def standing(self) -> str:
        return str(self.values["standing"])


def _first(candidates: list[Person], matches: Callable[[Person], bool]) -> Person | None:
    for person in candidates:
        if matches(person):
            return person
    return None


def _append(people: list[Person], person: Person) -> None:
    """Once (by identity: a table model's == compares every field)."""
    if not any(p is person for p in people):
        people.append(person)


@dataclass
class _Roster:
    """The stored roster, indexed the way the file's rows look things up."""

    session: Session
    now: datetime
    by: int | None
    changes: Changes
    networks: dict[str, Network] = field(default_factory=dict)
    cities: dict[str, City] = field(default_factory=dict)  # by _key(name)
    city_key_of: dict[int, str] = field(default_factory=dict)  # city id -> key
    standings: dict[tuple[int, str], CityStanding | _New] = field(default_factory=dict)
    people: dict[int, Person] = field(default_factory=dict)  # by id, erased ones too
    by_email: dict[str, list[Person]] = field(default_factory=dict)
    by_name: dict[tuple[str, str | None], list[Person]] = field(default_factory=dict)
    city_of: dict[int, str | None] = field(default_factory=dict)  # id(person) -> city key
    roles: dict[RoleKey, list[NetworkRole | _New]] = field(default_factory=dict)
    owner: dict[int, Person] = field(default_factory=dict)  # id(role row) -> its person
    # what needs the new ids: after the cities are written, then after the people are
    after_cities: list[Callable[[], None]] = field(default_factory=list)
    after_people: list[Callable[[], None]] = field(default_factory=list)
    new_rows: list[tuple[type[CityStanding] | type[NetworkRole], _New]] = field(
        default_factory=list
    )
    audit: list[dict[str, Any]] = field(default_factory=list)

    def load(self) -> None:
        s = self.session
        self.networks = {n.code: n for n in directory.networks(s)}
        for city in s.exec(select(City).order_by(col(City.id))).all():
            key = _key(city.name)
            self.cities.setdefault(key, city)
            self.city_key_of[city.id or 0] = key
        for standing in s.exec(select(CityStanding)).all():
            if standing.city_id in self.city_key_of:
                self.standings[(standing.network_id, self.city_key_of[standing.city_id])] = standing
        for person in s.exec(select(Person).order_by(col(Person.id))).all():
            self.people[person.id or 0] = person
            self.city_of[id(person)] = self.city_key_of.get(person.city_id or 0)
            if person.erased_at is None:
                self._index(person)
        for role in s.exec(select(NetworkRole).order_by(col(NetworkRole.id))).all():
            holder = self.people.get(role.person_id)
            if holder is not None:
                self.roles.setdefault((id(holder), role.network_id, role.role), []).append(role)
                self.owner[id(role)] = holder

    def _index(self, person: Person) -> None:
        if person.email:
            _append(self.by_email.setdefault(person.email.lower(), []), person)
        if person.name:
            key = (_key(person.name), self.city_of.get(id(person)))
            _append(self.by_name.setdefault(key, []), person)

    # cities and standings

    def city(self, row: RosterRow) -> City:
        name = row.city or ""
        key = _key(name)
        city = self.cities.get(key)
        if city is None:
            city = City(name=" ".join(name.split()), voivodeship=row.voivodeship)
            self.session.add(city)
            self.cities[key] = city
            self.changes.add(N_("city added: {city}"), city=city.name)
        elif row.voivodeship and city.voivodeship != row.voivodeship:
            city.voivodeship = row.voivodeship
            self.session.add(city)
            self.changes.add(
                N_("voivodeship of {city}: {value}"), city=city.name, value=row.voivodeship
            )
        return city

    def standing(self, network: Network, city: City, standing: Standing) -> None:
        if network.closed and standing is Standing.OBSERVER:
            raise DomainError(NO_OBSERVERS, network=network.code)
        key = (network.id or 0, _key(city.name))
        row = self.standings.get(key)
        if row is not None and row.standing == standing:
            return
        old = row.standing if row is not None else None
        if row is None:
            row = _New({"network_id": network.id, "standing": standing.value})
            self.standings[key] = row
            self.new_rows.append((CityStanding, row))
            self.changes.add(
                N_("{city} joins {network} as {standing}"),
                city=city.name,
                network=network.name,
                standing=standing.value,
            )
        else:
            if isinstance(row, _New):
                row.values["standing"] = standing.value
            else:
                row.standing = standing
            self.changes.add(
                N_("standing of {city} in {network}: {old} → {standing}"),
                city=city.name,
                network=network.name,
                old=old,
                standing=standing.value,
            )

        def written(r: CityStanding | _New = row, c: City = city) -> None:
            if isinstance(r, _New):
                r.values["city_id"] = c.id
            self.audit.append(
                audit.entry(
                    self.now,
                    self.by,
                    "standing.set",
                    f"city:{c.id}",
                    network=network.code,
                    old=old,
                    new=standing.value,
                )
            )

        self.after_cities.append(written)

    # people

    def find(self, name: str | None, email: str | None, city: str | None) -> Person | None:
        if email:
            wanted = email.lower()
            found = _first(
                self.by_email.get(wanted, []),
                lambda p: (p.email or "").lower() == wanted and p.erased_at is None,
            )
            if found is not None:
                return found
        if name:
            key = (_key(name), city)
            return _first(
                self.by_name.get(key, []),
                lambda p: _key(p.name) == key[0] and self.city_of.get(id(p)) == city,
            )
        return None

    def person(self, row: RosterRow, city: City | None) -> Person:
        city_key = _key(city.name) if city else None
        person = self.find(row.name, row.email, city_key)
        if person is None:
            person = Person(
                name=row.name,
                position=row.position,
                office=row.office,
                office_title=row.office_title,
                email=row.email,
                language=row.language,
                created_at=self.now,
            )
            self.city_of[id(person)] = city_key
            self._index(person)
            self.after_cities.append(partial(self._place, person, city))
            self.changes.add(
                N_("person added: {name} ({city})"),
                name=person.name,
                city=city.name if city else "—",
            )
            return person
        wanted: dict[str, str | None] = {
            "name": row.name,
            "position": row.position,
            "office": row.office.value,
            "office_title": row.office_title,
            "email": row.email,
        }
        if row.language:
            wanted["language"] = row.language
        changed = [k for k, v in wanted.items() if v is not None and getattr(person, k) != v]
        for k in changed:
            setattr(person, k, wanted[k])
        if city is not None and self.city_of.get(id(person)) != city_key:
            changed.append("city_id")
            self.city_of[id(person)] = city_key
            self.after_cities.append(partial(self._place, person, city))
        if changed:
            self.session.add(person)
            self._index(person)
            self.changes.add(
                N_("person changed: {name} ({fields})"),
                name=person.name,
                fields=", ".join(changed),
            )
        return person

    def _place(self, person: Person, city: City | None) -> None:
        person.city_id = city.id if city else None
        self.session.add(person)

    # roles

    def grant(self, person: Person, network: Network | None, role: Role) -> RoleKey:
        key = (id(person), network.id if network else None, role.value)
        rows = self.roles.setdefault(key, [])
        if any(r.ended_at is None for r in rows):
            return key
        if (
            network is not None
            and network.closed
            and role is Role.REPRESENTATIVE
            and not Office(person.office).may_lead
        ):
            raise DomainError(LEADERS_ONLY)
        if network is None and role is not Role.COORDINATING_TEAM:
            raise DomainError(N_("Only the coordinating team works across all networks."))
        row: NetworkRole | _New
        if rows and isinstance(rows[0], NetworkRole):  # an ended role comes back: the same row
            row = rows[0]
            row.started_at, row.ended_at = self.now, None
        else:
            row = _New({"network_id": key[1], "role": role.value, "started_at": self.now})
            rows.append(row)
            self.new_rows.append((NetworkRole, row))

        def written(r: NetworkRole | _New = row, p: Person = person) -> None:
            if isinstance(r, _New):
                r.values["person_id"] = p.id
            self.changes.granted.add(p.id or 0)
            self.audit.append(
                audit.entry(
                    self.now,
                    self.by,
                    "role.grant",
                    f"person:{p.id}",
                    role=role.value,
                    network=network.code if network else None,
                )
            )

        self.after_people.append(written)
        if network is None:
            self.changes.add(
                N_("role added: {name} — {role}"), name=person.display_name, role=role.value
            )
        else:
            self.changes.add(
                N_("role added: {name} — {role} in {network}"),
                name=person.display_name,
                role=role.value,
                network=network.name,
            )
        return key

    def end_missing(self, kept: set[RoleKey], covered: set[int | None]) -> list[tuple[int, int]]:
        """End the roles of the covered networks that the file no longer lists; returns the
        (person, network) pairs whose representative role ended."""
        codes = {n.id: n.code for n in self.networks.values()}
        names = {n.id: n.name for n in self.networks.values()}
        ended_reps: list[tuple[int, int]] = []
        active = sorted(
            (
                r
                for rows in self.roles.values()
                for r in rows
                if isinstance(r, NetworkRole) and r.ended_at is None
            ),
            key=lambda r: r.id or 0,
        )
        for role in active:
            holder = self.owner[id(role)]
            key = (id(holder), role.network_id, role.role)
            if role.network_id not in covered or key in kept or role.ended_at is not None:
                continue
            for row in self.roles[key]:
                if not isinstance(row, NetworkRole) or row.ended_at is not None:
                    continue
                row.ended_at = self.now
                self.session.add(row)
                self.audit.append(
                    audit.entry(
                        self.now,
                        self.by,
                        "role.end",
                        f"person:{holder.id}",
                        role=row.role,
                        network=codes.get(role.network_id) if role.network_id else None,
                    )
                )
            if role.network_id is None:
                self.changes.add(
                    N_("role ended: {name} — {role}"), name=holder.display_name, role=role.role
                )
                continue
            self.changes.add(
                N_("role ended: {name} — {role} in {network}"),
                name=holder.display_name,
                role=role.role,
                network=names.get(role.network_id),
            )
            if role.role == Role.REPRESENTATIVE:
                ended_reps.append((holder.id or 0, role.network_id))
        return ended_reps

    def written(self) -> None:
        """Flush what is pending and write what needed the new ids (standings, people's
        cities, roles, their audit)."""
        self.session.flush()  # the new cities get their ids
        for step in self.after_cities:
            step()
        self.session.flush()  # standings and the new people get theirs
        for step in self.after_people:
            step()
        for table in (CityStanding, NetworkRole):
            batch = [new.values for kind, new in self.new_rows if kind is table]
            if batch:
                self.session.execute(insert(table), batch)
        self.new_rows = []
        self.session.flush()  # roles changed


def release_answers_of(
    session: Session, ended: Sequence[tuple[int, int]], now: datetime
) -> list[tuple[int, int]]:
    """Free the answers of people whose representative role ended (person, network) to the
    network's future meetings; returns (meeting id, promoted person id) for every waitlisted
    person who got a freed seat. Two queries for any number of people."""
    if not ended:
        return []
    network_ids = sorted({network_id for _person, network_id in ended})
    meetings = session.exec(
        select(Meeting)
        .where(
            col(Meeting.network_id).in_(network_ids),
            Meeting.starts_at > now,
            Meeting.status == "published",
        )
        .order_by(col(Meeting.id))
    ).all()
    if not meetings:
        return []
    answers: dict[int, list[Rsvp]] = {}
    for rsvp in session.exec(
        select(Rsvp)
        .where(col(Rsvp.meeting_id).in_([m.id for m in meetings]))
        .order_by(col(Rsvp.answered_at), col(Rsvp.id))
    ).all():
        answers.setdefault(rsvp.meeting_id, []).append(rsvp)
    promoted: list[tuple[int, int]] = []
    for person_id, network_id in ended:
        for meeting in (m for m in meetings if m.network_id == network_id):
            rows = answers.get(meeting.id or 0, [])
            mine = next((r for r in rows if r.person_id == person_id), None)
            if mine is None or mine.answer == "nie":
                continue
            seated = mine.answer == "stacjonarnie" and not mine.waitlisted
            mine.answer, mine.waitlisted, mine.answered_at = "nie", False, now
            session.add(mine)
            rows[:] = [*(r for r in rows if r is not mine), mine]  # answered last now
            if seated:
                waiting = next((r for r in rows if r.waitlisted and r.person_id != person_id), None)
                if waiting is not None:
                    waiting.waitlisted = False
                    session.add(waiting)
                    promoted.append((meeting.id or 0, waiting.person_id))
    session.flush()
    return promoted


def apply(
    session: Session, rows: Sequence[RosterRow], now: datetime, by: int | None = None
) -> Changes:
    """Make the store match the file. The file speaks for the networks it names (and for the
    coordinating team if it lists any): roles there that the file no longer lists are ended,
    never deleted. Applying the same file twice changes nothing the second time."""
    changes = Changes()
    with session.no_autoflush:
        roster = _Roster(session, now, by, changes)
        roster.load()
        kept: set[RoleKey] = set()
        covered: set[int | None] = set()
        for row in rows:
            network = roster.networks[row.network] if row.network else None
            covered.add(network.id if network else None)
            city = roster.city(row) if row.city else None
            if network is not None and city is not None and row.standing is not None:
                roster.standing(network, city, row.standing)
            if row.name is None or row.role is None:
                continue
            person = roster.person(row, city)
            kept.add(roster.grant(person, network, row.role))
        roster.written()
        ended = roster.end_missing(kept, covered)
        audit.record_many(session, roster.audit)
    changes.released += release_answers_of(session, ended, now)
    if changes.items:
        audit.record(session, now, by, "roster.import", "roster", changes=len(changes.items))
    session.flush()
    return changes

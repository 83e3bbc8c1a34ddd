"""Queries about who is who: networks, cities, people, their roles and platform accounts."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import bindparam
from sqlalchemy.engine import Connection
from sqlmodel import Session, col, or_, select

from core.collation import person_key
from models import audit
from models.core import Account, ChatBinding, City, CityStanding, Network, NetworkRole, Person
from models.db import detached
from models.enums import Office, Role, Standing
from models.errors import N_, DomainError

_PERSON_BY_ID = select(*Person.__table__.columns).where(  # type: ignore[attr-defined]
    col(Person.id) == bindparam("person")
)


def person_by_id(connection: Connection, person_id: int) -> Person | None:
    """`session.get(Person, id)` without a session (the answer pages read the person of every
    link; `Database.reading`): given back detached, as a loaded person is after its session
    (adding it to a session updates, never inserts)."""
    row = connection.execute(_PERSON_BY_ID, {"person": person_id}).mappings().first()
    if row is None:
        return None
    return detached(Person, dict(row))


def networks(session: Session) -> Sequence[Network]:
    return session.exec(select(Network).order_by(col(Network.id))).all()


def network_by_code(session: Session, code: str) -> Network | None:
    return session.exec(select(Network).where(Network.code == code.strip().lower())).first()


def require_network(session: Session, code: str) -> Network:
    network = network_by_code(session, code)
    if network is None:
        raise DomainError(
            N_("Unknown network “{code}”. Known codes: {codes}."),
            code=code,
            codes=", ".join(n.code for n in networks(session)),
        )
    return network


def person_by_account(session: Session, platform: str, external_id: str) -> Person | None:
    return session.exec(
        select(Person)
        .join(Account, col(Account.person_id) == col(Person.id))
        .where(Account.platform == platform, Account.external_id == external_id)
    ).first()


def account_of(session: Session, person_id: int, platform: str) -> Account | None:
    return session.exec(
        select(Account).where(Account.person_id == person_id, Account.platform == platform)
    ).first()


def link_account(
    session: Session,
    person_id: int,
    platform: str,
    external_id: str,
    username: str | None,
    now: datetime,
) -> Account:
    """Link a platform account to a person; a person keeps one account per platform."""
    taken = session.exec(
        select(Account).where(Account.platform == platform, Account.external_id == external_id)
    ).first()
    if taken is not None and taken.person_id != person_id:
        raise DomainError(
            N_("This account is already linked to another person. Ask your coordinator for help.")
        )
    existing = account_of(session, person_id, platform)
    if existing is not None and taken is None:
        session.delete(existing)
        session.flush()
    if taken is not None:
        taken.username = username
        return taken
    account = Account(
        person_id=person_id,
        platform=platform,
        external_id=external_id,
        username=username,
        linked_at=now,
    )
    session.add(account)
    session.flush()
    return account


def chat_network(session: Session, platform: str, chat_id: str) -> Network | None:
    return session.exec(
        select(Network)
        .join(ChatBinding, col(ChatBinding.network_id) == col(Network.id))
        .where(ChatBinding.platform == platform, ChatBinding.chat_id == chat_id)
    ).first()


def chats_of(session: Session, network_ids: Sequence[int]) -> Sequence[ChatBinding]:
    return session.exec(
        select(ChatBinding)
        .where(col(ChatBinding.network_id).in_(network_ids))
        .order_by(col(ChatBinding.network_id), col(ChatBinding.id))
    ).all()


def bind_chat(
    session: Session,
    network: Network,
    platform: str,
    chat_id: str,
    title: str | None,
    by: int | None,
    now: datetime,
) -> ChatBinding:
    binding = session.exec(
        select(ChatBinding).where(ChatBinding.platform == platform, ChatBinding.chat_id == chat_id)
    ).first()
    if binding is None:
        binding = ChatBinding(
            network_id=network.id or 0,
            platform=platform,
            chat_id=chat_id,
            title=title,
            bound_by=by,
            bound_at=now,
        )
    else:
        binding.network_id, binding.title = network.id or 0, title
        binding.bound_by, binding.bound_at = by, now
    session.add(binding)
    audit.record(session, now, by, "chat.bind", f"chat:{platform}:{chat_id}", network=network.code)
    return binding


def unbind_chat(
    session: Session, platform: str, chat_id: str, by: int | None, now: datetime
) -> Network | None:
    binding = session.exec(
        select(ChatBinding).where(ChatBinding.platform == platform, ChatBinding.chat_id == chat_id)
    ).first()
    if binding is None:
        return None
    network = session.get(Network, binding.network_id)
    session.delete(binding)
    audit.record(
        session,
        now,
        by,
        "chat.unbind",
        f"chat:{platform}:{chat_id}",
        network=network.code if network else None,
    )
    return network


def _active() -> Any:
    """Roles still held: an ended role is history, never a right."""
    return col(NetworkRole.ended_at).is_(None)


def networks_of(session: Session, person_id: int) -> Sequence[Network]:
    """Networks where the person holds a role of their own (global roles excluded)."""
    return session.exec(
        select(Network)
        .join(NetworkRole, col(NetworkRole.network_id) == col(Network.id))
        .where(NetworkRole.person_id == person_id, _active())
        .distinct()
        .order_by(col(Network.id))
    ).all()


def roles_of(session: Session, person_id: int, network_id: int | None) -> frozenset[Role]:
    """Roles a person holds in a network, plus global ones (coordinating team)."""
    rows = session.exec(
        select(NetworkRole.role).where(
            NetworkRole.person_id == person_id,
            _active(),
            or_(col(NetworkRole.network_id).is_(None), NetworkRole.network_id == network_id),
        )
    ).all()
    return frozenset(Role(r) for r in rows)


def actors_by_network(
    session: Session, person: Person
) -> dict[int, tuple[frozenset[Role], Standing | None, bool]]:
    """For each network, by its id: the person's roles there (global ones included, as
    `roles_of`), their city's standing (as `standing_of`) and whether the network is closed;
    three queries, whatever the number of networks."""
    roles: dict[int | None, set[Role]] = {}
    for network_id, role in session.exec(
        select(NetworkRole.network_id, NetworkRole.role).where(
            NetworkRole.person_id == (person.id or 0), _active()
        )
    ).all():
        roles.setdefault(network_id, set()).add(Role(role))
    standings: dict[int, Standing] = {}
    if person.city_id is not None:
        standings = {
            network_id: Standing(standing)
            for network_id, standing in session.exec(
                select(CityStanding.network_id, CityStanding.standing).where(
                    CityStanding.city_id == person.city_id
                )
            ).all()
        }
    everywhere = roles.get(None, set())
    return {
        n.id or 0: (
            frozenset(roles.get(n.id, set()) | everywhere),
            standings.get(n.id or 0),
            n.closed,
        )
        for n in networks(session)
    }


def actors_everywhere(
    session: Session, person: Person
) -> list[tuple[frozenset[Role], Standing | None, bool]]:
    """`actors_by_network` without the networks' ids."""
    return list(actors_by_network(session, person).values())


def standing_of(session: Session, city_id: int | None, network_id: int | None) -> Standing | None:
    if city_id is None or network_id is None:
        return None
    value = session.exec(
        select(CityStanding.standing).where(
            CityStanding.city_id == city_id, CityStanding.network_id == network_id
        )
    ).first()
    return Standing(value) if value else None


def grant_role(
    session: Session,
    person: Person,
    network: Network | None,
    role: Role,
    by: int | None,
    now: datetime,
) -> NetworkRole:
    """Give a person a role; the leaders' network admits only mayors, presidents and deputies."""
    if (
        network is not None
        and network.closed
        and role is Role.REPRESENTATIVE
        and not Office(person.office).may_lead
    ):
        raise DomainError(
            N_("The leaders' network admits only mayors, city presidents and their deputies.")
        )
    if network is None and role is not Role.COORDINATING_TEAM:
        raise DomainError(N_("Only the coordinating team works across all networks."))
    network_id = network.id if network else None
    existing = session.exec(
        select(NetworkRole).where(
            NetworkRole.person_id == person.id,
            NetworkRole.role == role,
            NetworkRole.network_id == network_id
            if network_id is not None
            else col(NetworkRole.network_id).is_(None),
        )
    ).first()
    if existing is not None and existing.ended_at is None:
        return existing
    row = existing or NetworkRole(person_id=person.id or 0, network_id=network_id, role=role)
    row.started_at, row.ended_at = now, None
    session.add(row)
    session.flush()
    audit.record(
        session,
        now,
        by,
        "role.grant",
        f"person:{person.id}",
        role=role.value,
        network=network.code if network else None,
    )
    return row


def end_roles(
    session: Session,
    person_id: int,
    network: Network | None,
    by: int | None,
    now: datetime,
    roles: frozenset[Role] | None = None,
) -> list[Role]:
    """Close the person's roles in a network (or their global ones): the rows stay."""
    network_id = network.id if network else None
    rows = session.exec(
        select(NetworkRole).where(
            NetworkRole.person_id == person_id,
            _active(),
            NetworkRole.network_id == network_id
            if network_id is not None
            else col(NetworkRole.network_id).is_(None),
        )
    ).all()
    ended = []
    for row in rows:
        if roles is not None and Role(row.role) not in roles:
            continue
        row.ended_at = now
        session.add(row)
        ended.append(Role(row.role))
        audit.record(
            session,
            now,
            by,
            "role.end",
            f"person:{person_id}",
            role=row.role,
            network=network.code if network else None,
        )
    session.flush()
    return ended


def active_roles(session: Session, network_id: int | None = None) -> Sequence[NetworkRole]:
    """Every role still held (in one network, or everywhere)."""
    query = select(NetworkRole).where(_active())
    if network_id is not None:
        query = query.where(NetworkRole.network_id == network_id)
    return session.exec(query.order_by(col(NetworkRole.id))).all()


def members(session: Session, network_id: int) -> Sequence[tuple[Person, str, City | None]]:
    """Everyone with a role in the network (and the coordinating team), with the role: by
    role, then by surname and first name in Polish order."""
    rows = session.exec(
        select(Person, NetworkRole.role, City)
        .join(NetworkRole, col(NetworkRole.person_id) == col(Person.id))
        .join(City, col(City.id) == col(Person.city_id), isouter=True)
        .where(or_(NetworkRole.network_id == network_id, col(NetworkRole.network_id).is_(None)))
        .where(col(Person.erased_at).is_(None), _active())
    ).all()
    return sorted(rows, key=lambda r: (r[1], person_key(r[0].name), r[0].id or 0))


STAFF_ORDER = (Role.COORDINATOR, Role.EXPERT, Role.ORGANISER, Role.COORDINATING_TEAM)


def support_team(session: Session, network_id: int) -> list[tuple[Person, Role]]:
    """The network's coordinator(s), expert(s) and organiser(s), then the coordinating team:
    the people a city turns to, in that order."""
    rows = session.exec(
        select(Person, NetworkRole.role)
        .join(NetworkRole, col(NetworkRole.person_id) == col(Person.id))
        .where(
            or_(NetworkRole.network_id == network_id, col(NetworkRole.network_id).is_(None)),
            col(NetworkRole.role).in_([r.value for r in STAFF_ORDER]),
            col(Person.erased_at).is_(None),
            _active(),
        )
    ).all()
    staff = [(person, Role(role)) for person, role in rows]
    return sorted(staff, key=lambda row: (STAFF_ORDER.index(row[1]), person_key(row[0].name)))


def coordinators_of(session: Session, network_ids: Sequence[int]) -> dict[int, list[int]]:
    """Each network's coordinators; for a network without one, the coordinating team (the
    same people `support_team` puts first), for many networks in two queries."""
    found: dict[int, list[int]] = {n: [] for n in network_ids}
    for start in range(0, len(network_ids), 500):
        rows = session.exec(
            select(NetworkRole.network_id, NetworkRole.person_id)
            .join(Person, col(Person.id) == col(NetworkRole.person_id))
            .where(
                col(NetworkRole.network_id).in_(list(network_ids[start : start + 500])),
                NetworkRole.role == Role.COORDINATOR,
                col(Person.erased_at).is_(None),
                _active(),
            )
            .order_by(col(NetworkRole.person_id))
        ).all()
        for network_id, person_id in rows:
            if network_id is not None and person_id not in found[network_id]:
                found[network_id].append(person_id)
    if any(not people for people in found.values()):
        team = [p.id or 0 for p in coordinating_team(session)]
        for people in found.values():
            people.extend(team if not people else [])
    return found


def coordinating_team(session: Session) -> Sequence[Person]:
    return session.exec(
        select(Person)
        .join(NetworkRole, col(NetworkRole.person_id) == col(Person.id))
        .where(
            col(NetworkRole.network_id).is_(None),
            NetworkRole.role == Role.COORDINATING_TEAM,
            col(Person.erased_at).is_(None),
            _active(),
        )
        .distinct()
        .order_by(col(Person.id))
    ).all()


def find_people(session: Session, query: str) -> Sequence[Person]:
    """People by id or by a fragment of their name (case-insensitive)."""
    query = query.strip().lstrip("#")
    if query.isascii() and query.isdigit():
        person = session.get(Person, int(query)) if len(query) <= 9 else None
        return [person] if person and person.erased_at is None else []
    return session.exec(
        select(Person)
        .where(col(Person.name).ilike(f"%{query}%"), col(Person.erased_at).is_(None))
        .order_by(col(Person.id))
    ).all()


def city_name(session: Session, city_id: int | None) -> str | None:
    city = session.get(City, city_id) if city_id else None
    return city.name if city else None


def display_names(session: Session, person_ids: Sequence[int]) -> dict[int, str]:
    """People's display names by id, in one query."""
    rows = session.exec(select(Person).where(col(Person.id).in_(list(person_ids)))).all()
    return {p.id or 0: p.display_name for p in rows}


def people_by_id(session: Session, person_ids: Sequence[int]) -> dict[int, Person]:
    rows = session.exec(select(Person).where(col(Person.id).in_(list(person_ids)))).all()
    return {p.id or 0: p for p in rows}


def all_chats(session: Session) -> Sequence[ChatBinding]:
    return session.exec(select(ChatBinding)).all()


def platforms_of(session: Session, person_id: int) -> list[str]:
    """The platforms a person has linked accounts on."""
    return [
        a.platform
        for a in session.exec(select(Account).where(Account.person_id == person_id)).all()
    ]


def reachable(
    session: Session, person_ids: Sequence[int], platforms: Sequence[str]
) -> dict[int, tuple[str | None, str, str]]:
    """For each person (not erased): (language, platform, account id) on the first of the
    running `platforms` where they have an account. A few queries for any number of people."""
    ids = list(dict.fromkeys(person_ids))
    order = {p: i for i, p in enumerate(platforms)}
    found: dict[int, tuple[str | None, str, str]] = {}
    for start in range(0, len(ids), 500):
        rows = session.exec(
            select(Person.id, Person.language, Account.platform, Account.external_id)
            .join(Account, col(Account.person_id) == col(Person.id))
            # the ids on both sides: each database then probes the account index too
            .where(
                col(Person.id).in_(ids[start : start + 500]),
                col(Account.person_id).in_(ids[start : start + 500]),
                col(Person.erased_at).is_(None),
                col(Account.platform).in_(list(platforms)),
            )
        ).all()
        for person_id, language, platform, external_id in rows:
            best = found.get(person_id or 0)
            if best is None or order[platform] < order[best[1]]:
                found[person_id or 0] = (language, platform, external_id)
    return found


def standings_in(session: Session, network_id: int) -> dict[int, Standing]:
    """Each city's standing in one network, by city id, in one query."""
    rows = session.exec(
        select(CityStanding.city_id, CityStanding.standing).where(
            CityStanding.network_id == network_id
        )
    ).all()
    return {city_id: Standing(standing) for city_id, standing in rows}

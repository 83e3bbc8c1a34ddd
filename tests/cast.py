"""Finds the demo people a test needs by what they are, not by hard-coded ids."""

from __future__ import annotations

from dataclasses import dataclass

from models import directory
from models.db import Database
from models.enums import Role, Standing


@dataclass(frozen=True)
class Cast:
    team: int  # coordinating team
    coordinator: int  # of cyfrowe
    other_coordinator: int  # of zielone
    expert: int  # of cyfrowe
    organiser: int
    laureate_rep: int  # representative of a laureate city in cyfrowe
    laureate_rep2: int  # another person from a core city in cyfrowe
    observer_rep: int  # representative of an observer city in cyfrowe
    mayor: int  # representative in the leaders' network


def find_cast(db: Database) -> Cast:
    with db.session() as s:

        def by_role(code: str, role: Role, standing: Standing | None = None) -> list[int]:
            network = directory.require_network(s, code)
            found = []
            for person, r, _city in directory.members(s, network.id or 0):
                if r != role:
                    continue
                if standing and directory.standing_of(s, person.city_id, network.id) != standing:
                    continue
                found.append(person.id or 0)
            return sorted(found)

        laureates = by_role("cyfrowe", Role.REPRESENTATIVE, Standing.LAUREATE)
        return Cast(
            team=by_role("cyfrowe", Role.COORDINATING_TEAM)[0],
            coordinator=by_role("cyfrowe", Role.COORDINATOR)[0],
            other_coordinator=by_role("zielone", Role.COORDINATOR)[0],
            expert=by_role("cyfrowe", Role.EXPERT)[0],
            organiser=by_role("cyfrowe", Role.ORGANISER)[0],
            laureate_rep=laureates[0],
            laureate_rep2=laureates[1],
            observer_rep=by_role("cyfrowe", Role.REPRESENTATIVE, Standing.OBSERVER)[0],
            mayor=by_role("liderzy", Role.REPRESENTATIVE)[0],
        )

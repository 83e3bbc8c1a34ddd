"""The rule table, checked for every role × standing × action, open and closed networks.

The expectations are written from DESIGN.md's prose, independently of the table's layout.
"""

from __future__ import annotations

import itertools

import pytest

from handlers.permissions import Action, Actor, allowed
from models.enums import Role, Standing

STAFF_ACTIONS = {
    Role.COORDINATOR: {Action.READ, Action.MANAGE_MEETINGS, Action.VIEW_ATTENDANCE,
                       Action.MANAGE_ATTENDANCE, Action.MANAGE_OFFICE_HOURS,
                       Action.MANAGE_FUNDING, Action.VIEW_REPORTS, Action.ANNOUNCE,
                       Action.BIND_CHAT, Action.INVITE, Action.MANAGE_MEMBERS,
                       Action.MANAGE_POLLS},
    Role.EXPERT: {Action.READ, Action.VIEW_ATTENDANCE, Action.MANAGE_OFFICE_HOURS,
                  Action.MANAGE_FUNDING, Action.VIEW_REPORTS},
    Role.ORGANISER: {Action.READ, Action.VIEW_ATTENDANCE, Action.MANAGE_ATTENDANCE},
}
# Observers watch open parts online, read results, give opinions — nothing closed or in person.
OBSERVER_ACTIONS = {Action.READ, Action.GIVE_OPINION, Action.RSVP_ONLINE}
CORE_ACTIONS = OBSERVER_ACTIONS | {Action.RSVP_IN_PERSON, Action.CHECK_IN,
                                   Action.BOOK_OFFICE_HOURS}


def expected(role: Role | None, standing: Standing | None, action: Action, closed: bool) -> bool:
    if role is Role.COORDINATING_TEAM:  # monitors and steers every network
        return action not in CORE_ACTIONS - {Action.READ}
    if role is None:  # a known person without a role in this network
        return not closed and action is Action.READ
    if role is Role.REPRESENTATIVE:
        if standing is None:
            return False
        return action in (CORE_ACTIONS if standing.is_core else OBSERVER_ACTIONS)
    return action in STAFF_ACTIONS[role]


CASES = [
    (role, standing, action, closed)
    for role, standing, action, closed in itertools.product(
        [*Role, None], [*Standing, None], Action, (False, True))
    if role is Role.REPRESENTATIVE or standing is None
]


@pytest.mark.parametrize(("role", "standing", "action", "closed"), CASES)
def test_rule_table(role: Role | None, standing: Standing | None, action: Action,
                    closed: bool) -> None:
    actor = Actor(frozenset({role}) if role else frozenset(), standing)
    assert allowed(actor, action, network_closed=closed) is expected(role, standing, action,
                                                                       closed)


def test_every_action_has_a_rule_and_someone_who_may_do_it() -> None:
    for action in Action:
        assert any(allowed(Actor(frozenset({r}), Standing.LAUREATE), action,
                           network_closed=False) for r in Role)


def test_two_roles_add_up() -> None:
    both = Actor(frozenset({Role.EXPERT, Role.ORGANISER}))
    assert allowed(both, Action.MANAGE_FUNDING, network_closed=False)
    assert allowed(both, Action.MANAGE_ATTENDANCE, network_closed=False)
    assert not allowed(both, Action.ANNOUNCE, network_closed=False)

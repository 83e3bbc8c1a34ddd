"""The rule table, checked for every role × standing × action, open and closed networks.

The expectations are written from DESIGN.md's prose, independently of the table's layout.
"""

from __future__ import annotations

import itertools

import pytest

from handlers.kit.permissions import Action, Actor, allowed
from models.enums import Role, Standing

STAFF_ACTIONS = {
    Role.COORDINATOR: {
        Action.READ,
        Action.MANAGE_MEETINGS,
        Action.VIEW_ATTENDANCE,
        Action.MANAGE_ATTENDANCE,
        Action.MANAGE_OFFICE_HOURS,
        Action.MANAGE_FUNDING,
        Action.VIEW_REPORTS,
        Action.ANNOUNCE,
        Action.BIND_CHAT,
        Action.INVITE,
        Action.MANAGE_MEMBERS,
        Action.MANAGE_POLLS,
        Action.MANAGE_PLAN,
        Action.SHARE_MATERIALS,  # the meeting's note and materials: the coordinator or expert
        Action.READ_MATERIALS,
        Action.WRITE_REPORT,  # the coordinator's report after each meeting
        Action.VIEW_AUDIT,  # who changed what in the network (the staff desk's audit log)
    },
    Role.EXPERT: {
        Action.READ,
        Action.VIEW_ATTENDANCE,
        Action.MANAGE_OFFICE_HOURS,
        Action.MANAGE_FUNDING,
        Action.VIEW_REPORTS,
        Action.SHARE_MATERIALS,
        Action.READ_MATERIALS,
    },
    Role.ORGANISER: {
        Action.READ,
        Action.VIEW_ATTENDANCE,
        Action.MANAGE_ATTENDANCE,
        Action.READ_MATERIALS,
    },
}
# Observers watch open parts online, read results, give opinions — nothing closed or in person.
# Every member city acknowledges the network's contract (the rules of cooperation).
OBSERVER_ACTIONS = {
    Action.READ,
    Action.GIVE_OPINION,
    Action.RSVP_ONLINE,
    Action.ACCEPT_CONTRACT,
    Action.READ_MATERIALS,  # the archive of the network's meetings (observers: open parts')
}
CORE_ACTIONS = OBSERVER_ACTIONS | {Action.RSVP_IN_PERSON, Action.CHECK_IN, Action.BOOK_OFFICE_HOURS}


def expected(role: Role | None, standing: Standing | None, action: Action, closed: bool) -> bool:
    if role is Role.COORDINATING_TEAM:  # monitors and steers every network
        return action not in CORE_ACTIONS - {Action.READ, Action.READ_MATERIALS}
    if role is None:  # a known person without a role in this network
        return not closed and action is Action.READ
    if role is Role.REPRESENTATIVE:
        if standing is None:
            return False
        if closed and not standing.is_core:  # the leaders' network has no observer cities
            return False
        return action in (CORE_ACTIONS if standing.is_core else OBSERVER_ACTIONS)
    return action in STAFF_ACTIONS[role]


CASES = [
    (role, standing, action, closed)
    for role, standing, action, closed in itertools.product(
        [*Role, None], [*Standing, None], Action, (False, True)
    )
    if role is Role.REPRESENTATIVE or standing is None
]


@pytest.mark.parametrize(("role", "standing", "action", "closed"), CASES)
def test_rule_table(
    role: Role | None, standing: Standing | None, action: Action, closed: bool
) -> None:
    actor = Actor(frozenset({role}) if role else frozenset(), standing)
    assert allowed(actor, action, network_closed=closed) is expected(role, standing, action, closed)


def test_every_action_has_a_rule_and_someone_who_may_do_it() -> None:
    for action in Action:
        assert any(
            allowed(Actor(frozenset({r}), Standing.LAUREATE), action, network_closed=False)
            for r in Role
        )


def test_two_roles_add_up() -> None:
    both = Actor(frozenset({Role.EXPERT, Role.ORGANISER}))
    assert allowed(both, Action.MANAGE_FUNDING, network_closed=False)
    assert allowed(both, Action.MANAGE_ATTENDANCE, network_closed=False)
    assert not allowed(both, Action.ANNOUNCE, network_closed=False)


# --- the rules applied to real commands: object numbers, first steps, buttons ---------------
# (issue #9: each was once a hole; these walk every registered command, so a new command that
# forgets the rule fails here.)

from sqlmodel import select  # noqa: E402

from handlers.kit.context import Context  # noqa: E402
from handlers.kit.registry import REGISTRY  # noqa: E402
from models import directory  # noqa: E402
from models.core import Conversation  # noqa: E402
from models.db import Database  # noqa: E402
from tests.cast import find_cast  # noqa: E402
from tests.conftest import Chat  # noqa: E402

# Commands that take an object number say so in their usage: "<meeting> …", "<number>", …
OBJECT_USAGES = (
    "<meeting",
    "<number",
    "<request",
    "<announcement",
    "<booking",
    "<poll",
    "<call",
    "<slot",
)


def _object_commands() -> list[str]:
    return [c.name for c in REGISTRY.commands() if c.usage.startswith(OBJECT_USAGES)]


async def test_object_numbers_in_a_closed_network_answer_like_missing_ones(
    chat: Chat, seeded: Database
) -> None:
    cast = find_cast(seeded)
    await chat.say(
        cast.team,
        "/spotkanie_nowe liderzy; Tajne; 12.12.2026 10:00; online; 4; ; https://meet.example/l",
    )
    await chat.say(cast.team, "/ogloszenie")
    for step in ("Tylko dla liderów", "bez", "liderzy", "wszyscy", "czaty", "nie", "teraz"):
        await chat.say(cast.team, step)
    assert _object_commands(), "no command takes an object number?"
    for name in _object_commands():
        for who in (cast.laureate_rep, cast.other_coordinator, cast.observer_rep):
            real = await chat.text(who, f"/{name} 1 online")
            fake = await chat.text(who, f"/{name} 987 online")
            assert real == fake.replace("987", "1"), (name, who, real, fake)


async def test_guided_commands_refuse_before_the_first_question(
    chat: Chat, seeded: Database
) -> None:
    cast = find_cast(seeded)
    people = [
        cast.laureate_rep,
        cast.observer_rep,
        cast.coordinator,
        cast.expert,
        cast.organiser,
        cast.mayor,
    ]
    with seeded.session() as s:
        networks = list(directory.networks(s))
    for command in REGISTRY.commands():
        if not command.actions:
            continue
        for who in people:
            ctx = Context(
                seeded,
                chat.router.clock,
                chat.router.settings,
                None,
                None,
                None,
                chat.router.translator(None),
            )  # type: ignore[arg-type]
            with seeded.session() as s:
                ctx.person = s.get(directory.Person, who)
            if command.usable(ctx, networks):
                continue  # may do it somewhere: a question is fine
            for room in (None, "cyfrowe"):
                await chat.say(who, f"/{command.name}", chat=room)
                with seeded.session() as s:
                    started = s.exec(
                        select(Conversation).where(Conversation.person_id == who)
                    ).all()
                assert started == [], (command.name, who, room)


async def test_buttons_in_replies_belong_to_the_person_who_asked(
    chat: Chat, seeded: Database
) -> None:
    cast = find_cast(seeded)
    for command in REGISTRY.commands():
        for who in (cast.coordinator, cast.laureate_rep, cast.team):
            for message in await chat.say(who, f"/{command.name}", chat="cyfrowe"):
                for action in message.actions:
                    if not action.is_link:
                        assert action.owner == who, (command.name, action)

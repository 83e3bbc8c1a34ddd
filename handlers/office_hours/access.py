"""Who may act on an office-hours session: a core city's representative books, the expert and
the coordinator manage. The router's gate proves the right somewhere; these check it in the
session's own network."""

from __future__ import annotations

from collections.abc import Callable

from handlers.kit.context import Context
from handlers.kit.labels import ROLE
from handlers.kit.objects import hidden_or
from handlers.kit.permissions import Action, Actor, holders
from models import directory
from models import office_hours as oh
from models.core import Network, Person
from models.enums import Role, Standing
from models.errors import N_, DomainError

OBSERVERS = N_(
    "Observer cities follow the network's open work; the expert's "
    "office hours are for its core cities (laureates, finalists, "
    "change leaders). Your coordinator can tell you more."
)


def _observer(actor: Actor) -> bool:
    return Role.REPRESENTATIVE in actor.roles and actor.standing is Standing.OBSERVER


def booking_refusal(name: str) -> Callable[[Context], DomainError]:
    """The gate's answer to someone who may book nowhere: an observer city's representative
    hears why office hours are not for their city; anyone else the usual refusal."""

    def refuse(ctx: Context) -> DomainError:
        if ctx.person is not None:
            with ctx.db.session() as s:
                everywhere = directory.actors_everywhere(s, ctx.person)
            if any(_observer(Actor(roles, standing)) for roles, standing, _ in everywhere):
                return DomainError(OBSERVERS)
        if ctx.network is not None:
            return DomainError(
                N_("You may not do this in the network {network}."), network=ctx.network.name
            )
        roles = ", ".join(ctx.t(ROLE[role]) for role in holders(Action.BOOK_OFFICE_HOURS))
        return DomainError(
            N_("You have no right to use /{name}: it is for {roles}."), name=name, roles=roles
        )

    return refuse


def session_network(ctx: Context, session_id: int) -> Network:
    """The session's network; a session in a network the caller may not read answers as a
    missing number does, so numbers cannot be probed."""
    with ctx.db.session() as s:
        session = hidden_or(ctx, s, oh.OfficeSession, str(session_id), oh.NO_SESSION)
        network = s.get(Network, session.network_id)
    assert network is not None
    return network


def booker(ctx: Context, session_id: int) -> tuple[Person, int]:
    """The caller as a representative who may book for their city in this session's network
    (checked before the booking transaction, which then holds no more than its own
    connection), and their city."""
    me, city_id, _network = booker_in(ctx, session_id)
    return me, city_id


def booker_in(ctx: Context, session_id: int) -> tuple[Person, int, Network]:
    """`booker`, with the session's network (read once, before any lock)."""
    me = ctx.require_person()
    network = session_network(ctx, session_id)
    if _observer(ctx.actor(network)):
        raise DomainError(OBSERVERS)
    ctx.require(Action.BOOK_OFFICE_HOURS, network)
    if me.city_id is None:
        raise DomainError(N_("Only representatives of the network's cities book office hours."))
    return me, me.city_id, network


def staff(ctx: Context, session_id: int, action: Action = Action.MANAGE_OFFICE_HOURS) -> Network:
    """The session's network, if the caller may manage (or, for the summary, read) it there."""
    network = session_network(ctx, session_id)
    ctx.require(action, network)
    return network

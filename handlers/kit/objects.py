"""Permissions by object: a command that takes an object number checks that object's network.

Use `fetch` for anything that belongs to one network (meetings, bookings, polls, calls): the
caller's right is checked in the object's own network, not the chat's, and a caller who may
not even read that network (a closed one) gets the same answer as for a number that does not
exist, so numbers cannot be probed to learn what the leaders' network plans.
"""

from __future__ import annotations

from typing import Any, TypeVar

from sqlmodel import Session

from handlers.kit.context import Context
from handlers.kit.limits import parse_id
from handlers.kit.permissions import Action
from models.core import Network
from models.errors import DomainError

T = TypeVar("T")


def first_word(args: str) -> str:
    words = args.split()
    return words[0] if words else ""


def shown(word: str) -> str:
    """The number as typed, short enough to quote back."""
    return word if len(word) <= 20 else word[:19] + "…"


def fetch(
    ctx: Context, s: Session, model: type[T], word: str, action: Action, missing: str
) -> tuple[T, Network]:
    """The object numbered `word` and its network, if the caller may do `action` there.

    `missing` is the msgid for "no such object" with an `{id}` placeholder; it is also the
    answer when the object is in a network the caller may not read."""
    obj, network = readable(ctx, s, model, word, missing)
    ctx.require(action, network)
    return obj, network


def hidden_or(ctx: Context, s: Session, model: type[T], word: str, missing: str) -> T:
    """The object if it exists in a network the caller may read; else `missing`."""
    return readable(ctx, s, model, word, missing)[0]


def readable(
    ctx: Context, s: Session, model: type[T], word: str, missing: str
) -> tuple[T, Network]:
    """`hidden_or` and the network it checked (read once: the session keeps no object
    nobody holds, so asking it again would read the row again)."""
    object_id = parse_id(word)
    obj: Any = s.get(model, object_id) if object_id is not None else None
    network = s.get(Network, obj.network_id) if obj is not None else None
    if obj is None or network is None or not ctx.can(Action.READ, network):
        raise DomainError(missing, id=shown(word))
    return obj, network

"""A network's group chat: binding it (/powiaz), unbinding it, the bot removed from it."""

from __future__ import annotations

import logging

from sqlmodel import Session

from core.messages import Outgoing
from core.outbox import enqueue_to_person
from handlers.kit.args import Code, Words
from handlers.kit.context import Context
from handlers.kit.permissions import Action
from handlers.kit.registry import REGISTRY
from models import directory
from models.core import Network, Person
from models.enums import Role
from models.errors import N_, DomainError

log = logging.getLogger("empirie.membership")


def _in_a_group(ctx: Context) -> None:
    if ctx.private:
        raise DomainError(
            N_(
                "Binding works in a group chat: add me to the network's group and "
                "type the command there."
            )
        )


async def which_network(ctx: Context) -> list[Outgoing]:
    _in_a_group(ctx)
    raise DomainError(N_("Which network? For example: /polacz cyfrowe (codes: /sieci)."))


@REGISTRY.command(
    "polacz",
    "bind",
    summary=N_("bind this group chat to a network"),
    args=Words(Code("network")),
    usage=N_("<network code>"),
    example="/polacz cyfrowe",
    action=Action.BIND_CHAT,
    scope="group",
    when_empty=which_network,
)
async def bind(ctx: Context, network: str) -> list[Outgoing]:
    me = ctx.require_person()
    _in_a_group(ctx)
    return _bind(ctx, me, network)


def _bind(ctx: Context, me: Person, code: str) -> list[Outgoing]:
    chat = ctx.incoming.chat
    with ctx.db.session() as s:
        network = directory.require_network(s, code)
    ctx.require(Action.BIND_CHAT, network)
    former = ctx.network if ctx.network is not None and ctx.network.id != network.id else None
    if former is not None and not ctx.can(Action.BIND_CHAT, former):
        # taking another network's group would reroute its announcements and invitations
        raise DomainError(
            N_(
                "This chat is bound to the network {network}. Only someone who "
                "manages both networks may move it (ask the coordinating team)."
            ),
            network=former.name,
        )
    with ctx.db.session() as s:
        directory.bind_chat(s, network, chat.platform, chat.chat_id, chat.title, me.id, ctx.now)
        if former is not None:
            _tell_former(s, ctx, former, network, me)
    if former is not None:
        ctx.wake_outbox()
    log.info(
        "chat.bound platform=%s chat=%s network=%s from=%s",
        chat.platform,
        chat.chat_id,
        network.code,
        former.code if former else None,
    )
    return [
        Outgoing(
            ctx.t(
                "This chat is now bound to the network {network} ({code}).",
                network=network.name,
                code=network.code,
            )
        )
    ]


def _tell_former(s: Session, ctx: Context, former: Network, network: Network, me: Person) -> None:
    """The former network's coordinators hear that their group now serves another network."""
    title = ctx.incoming.chat.title or ctx.incoming.chat.chat_id
    for person, role, _city in directory.members(s, former.id or 0):
        if role == Role.COORDINATOR and person.id != me.id:
            enqueue_to_person(
                s,
                person.id or 0,
                ctx.settings,
                ctx.now,
                lambda t: Outgoing(
                    t(
                        "The group chat “{chat}” is no longer bound to your network {former}: {name} "
                        "bound it to the network {network}.",
                        chat=title,
                        former=former.name,
                        name=me.display_name,
                        network=network.name,
                    )
                ),
                kind="chat_rebound",
            )


@REGISTRY.command(
    "odlacz",
    "unbind",
    summary=N_("unbind this group chat from its network"),
    action=Action.BIND_CHAT,
    scope="group",
)
async def unbind(ctx: Context) -> list[Outgoing]:
    me = ctx.require_person()
    if ctx.network is None:
        raise DomainError(N_("This chat is not bound to any network."))
    ctx.require(Action.BIND_CHAT, ctx.network)
    chat = ctx.incoming.chat
    with ctx.db.session() as s:
        directory.unbind_chat(s, chat.platform, chat.chat_id, me.id, ctx.now)
    return [
        Outgoing(
            ctx.t(
                "This chat is no longer bound to the network {network}.", network=ctx.network.name
            )
        )
    ]


async def bot_removed(ctx: Context) -> list[Outgoing]:
    chat = ctx.incoming.chat
    with ctx.db.session() as s:
        network = directory.unbind_chat(s, chat.platform, chat.chat_id, None, ctx.now)
    log.info(
        "chat.removed platform=%s chat=%s network=%s",
        chat.platform,
        chat.chat_id,
        network.code if network else None,
    )
    return []

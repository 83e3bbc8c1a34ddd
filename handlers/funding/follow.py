"""Following a call (reminders before its deadline) and hiding it from a network's digests."""

from __future__ import annotations

from core.messages import Action as Button
from core.messages import Outgoing
from handlers.funding.parse import next_deadline
from handlers.kit.args import Code, Id, Words
from handlers.kit.context import Context
from handlers.kit.permissions import Action
from handlers.kit.registry import REGISTRY
from models import audit
from models import funding as store
from models.errors import N_, DomainError


@REGISTRY.command(
    "obserwuj",
    "follow",
    summary=N_("reminders 7 and 1 days before a call's deadline"),
    args=Words(Id("call")),
    usage=N_("<nr>"),
    example="/obserwuj 12",
    action=Action.READ,
    private=True,
)
async def follow(ctx: Context, call: int) -> list[Outgoing]:
    me = ctx.require_person()
    with ctx.db.session() as s:
        found = store.require_call(s, call)
        store.follow(s, me.id or 0, call, ctx.now)
    text = ctx.t(
        "You follow #{id} “{title}”: I will remind you 7 days and 1 day before the deadline.",
        id=call,
        title=found.title,
    )
    if next_deadline(found.deadline_list, ctx.now) is None:
        text += " " + ctx.t("It has no upcoming deadline now.")
    return [Outgoing(text, actions=(Button(ctx.t("Stop following"), f"/nie_obserwuj {call}"),))]


@REGISTRY.command(
    "nie_obserwuj",
    "unfollow",
    summary=N_("stop following a call"),
    args=Words(Id("call")),
    usage=N_("<nr>"),
    example="/nie_obserwuj 12",
    action=Action.READ,
    private=True,
)
async def unfollow(ctx: Context, call: int) -> list[Outgoing]:
    me = ctx.require_person()
    with ctx.db.session() as s:
        store.require_call(s, call)
        store.unfollow(s, me.id or 0, call)
    return [Outgoing(ctx.t("You no longer follow #{id}.", id=call))]


@REGISTRY.command(
    "ukryj",
    "hide",
    summary=N_("hide a call from a network's digests"),
    args=Words(Id("call"), Code("network", optional=True)),
    usage=N_("<nr> [network]"),
    example="/ukryj 12 cyfrowe",
    action=Action.READ,
)
async def hide(ctx: Context, call: int, network: str | None) -> list[Outgoing]:
    """Answered where it was asked: the network's chat sees the call go."""
    me = ctx.require_person()
    chosen = ctx.target_network(network)
    if not ctx.actor(chosen).roles:
        raise DomainError(
            N_("Only members of the network {network} can hide calls for it."), network=chosen.name
        )
    with ctx.db.session() as s:
        store.require_call(s, call)
        store.mute(s, chosen.id or 0, call, me.id, ctx.now)
        audit.record(s, ctx.now, me.id, "funding.mute", f"call:{call}", network=chosen.code)
    return [
        Outgoing(
            ctx.t(
                "#{id} will not appear in the digests of {network} any more.",
                id=call,
                network=chosen.name,
            )
        )
    ]

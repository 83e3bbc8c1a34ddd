"""`/kontakt`: who runs the network (coordinator, expert, organiser, the coordinating team)
and how to reach them — what a city official asks before anything else."""

from __future__ import annotations

from core.messages import Outgoing
from handlers.kit.args import Code, Words
from handlers.kit.context import Context
from handlers.kit.feature import Feature
from handlers.kit.labels import ROLE
from handlers.kit.permissions import Action
from handlers.kit.registry import REGISTRY
from models import directory
from models.errors import N_

FEATURE = Feature("contacts")


@REGISTRY.command(
    "kontakt",
    "contacts",
    summary=N_("who runs the network and how to reach them"),
    args=Words(Code("network", optional=True)),
    example="/kontakt cyfrowe",
    action=Action.READ,
    private=True,
)
async def contacts(ctx: Context, network: str | None) -> list[Outgoing]:
    chosen = ctx.target_network(network)
    ctx.require(Action.READ, chosen)
    with ctx.db.session() as s:
        staff = directory.support_team(s, chosen.id or 0)
    if not staff:
        return [
            Outgoing(ctx.t("The network {network} has no support team yet.", network=chosen.name))
        ]
    lines = [ctx.t("Who runs the network {network}:", network=chosen.name)]
    for person, role in staff:
        email = f" — {person.email}" if person.email else ""
        lines.append(f"• {ctx.t(ROLE[role])}: {person.display_name}{email}")
    return [Outgoing("\n".join(lines))]

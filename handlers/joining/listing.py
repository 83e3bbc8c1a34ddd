"""`/zgloszenia`: the join requests waiting for the caller's decision, a phone screen at a time,
each with the commands that decide it (what the coordinators' summary points to)."""

from __future__ import annotations

from core.messages import Action as Button
from core.messages import Outgoing
from handlers.kit.args import Code, Count, Words
from handlers.kit.context import Context
from handlers.kit.permissions import Action
from handlers.kit.registry import REGISTRY
from models import directory, joins
from models.core import Network
from models.errors import N_
from models.joins import JoinRequest

PAGE = 8  # requests per message: about 1,200 characters, one phone screen or two


@REGISTRY.command(
    "zgloszenia",
    "join_requests",
    summary=N_("join requests waiting for your decision"),
    args=Words(Code("network", optional=True), Count("page", optional=True, low=1)),
    usage=N_("[network] [page]"),
    example="/zgloszenia cyfrowe 2",
    action=Action.MANAGE_MEMBERS,
    private=True,
)
async def waiting(ctx: Context, network: str | None, page: int | None) -> list[Outgoing]:
    if network is not None:
        chosen = [ctx.target_network(network)]
        ctx.require(Action.MANAGE_MEMBERS, chosen[0])
    else:
        with ctx.db.session() as s:
            everywhere = directory.networks(s)
        chosen = [n for n in everywhere if ctx.can(Action.MANAGE_MEMBERS, n)]
    with ctx.db.session() as s:
        entries = [
            (where, request)
            for where in chosen
            for request in joins.waiting_for(s, where.code, ctx.now)
        ]
    if not entries:
        return [Outgoing(ctx.t("No join request is waiting for your decision."))]
    pages = (len(entries) + PAGE - 1) // PAGE
    number = min(page or 1, pages)
    shown = entries[(number - 1) * PAGE : number * PAGE]
    lines = [
        ctx.t.tn(
            "{n} join request is waiting for a decision (page {page} of {pages}).",
            "{n} join requests are waiting for a decision (page {page} of {pages}).",
            len(entries),
            page=number,
            pages=pages,
        )
    ]
    heading: int | None = None
    for where, request in shown:
        if len(chosen) > 1 and where.id != heading:
            heading = where.id
            lines += ["", f"— {where.name} —"]
        lines += ["", _entry(ctx, where, request)]
    code = f" {network}" if network else ""
    actions = []
    if number > 1:
        actions.append(Button(ctx.t("Previous page"), f"/zgloszenia{code} {number - 1}"))
    if number < pages:
        lines += ["", ctx.t("Next page: /zgloszenia{code} {page}", code=code, page=number + 1)]
        actions.append(Button(ctx.t("Next page"), f"/zgloszenia{code} {number + 1}"))
    return [Outgoing("\n".join(lines), actions=tuple(actions))]


def _entry(ctx: Context, network: Network, request: JoinRequest) -> str:
    return ctx.t(
        "#{id} · {name}, {position}\n{city} · {email} · {when}\n"
        "/przyjmij {id} {code} · /odrzuc {id} {code}",
        id=request.id,
        name=request.name or "—",
        position=request.position or "—",
        city=request.city_name or "—",
        email=request.email or "—",
        when=ctx.t.short_datetime(request.submitted_at or request.created_at),
        code=network.code,
    )

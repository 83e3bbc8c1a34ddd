"""`/podsumowanie [okres]`: the programme's summary for ZMP's leadership as PDF and XLSX, for
the coordinating team, privately. Without a period: the last full quarter (or month:
`EMPIRIE_SUMMARY_PERIOD`), the one the scheduled summary covers. The closed leaders' network is
in it only for those who may see it (the permission table, network by network)."""

from __future__ import annotations

from core.messages import Outgoing
from handlers.kit.args import Text, Words
from handlers.kit.context import Context
from handlers.kit.permissions import Action
from handlers.kit.registry import REGISTRY
from handlers.summary.period import last_full, parse
from handlers.summary.render import make
from models import directory
from models.errors import N_, DomainError

PERIOD_MAX = 60


@REGISTRY.command(
    "podsumowanie",
    "summary",
    summary=N_("the networks' summary for ZMP's leadership (PDF and XLSX) for a period"),
    args=Words(Text("period", optional=True, limit=PERIOD_MAX, label=N_("period"))),
    usage=N_("[quarter, month, or from to]"),
    example="/podsumowanie II kw. 2026",
    action=Action.VIEW_SUMMARY,
    private=True,
)
async def summary(ctx: Context, period: str | None) -> list[Outgoing]:
    with ctx.db.session() as s:
        networks = [n for n in directory.networks(s) if ctx.can(Action.VIEW_SUMMARY, n)]
    if not networks:
        raise DomainError(N_("You may not see the networks' summary."))
    tz = ctx.settings.tz
    chosen = (
        parse(period, ctx.now, tz)
        if period
        else last_full(ctx.settings.summary_period, ctx.now, tz)
    )
    with ctx.db.session() as s:
        made = make(s, ctx.t, networks, chosen, ctx.now, ctx.settings.summary_missed_in_row)
    return [made]

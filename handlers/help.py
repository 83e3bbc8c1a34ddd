"""/pomoc: the commands this caller may use here."""

from __future__ import annotations

from core.messages import Outgoing
from handlers.kit.context import Context
from handlers.kit.feature import Feature
from handlers.kit.registry import REGISTRY, Command
from models import directory
from models.core import Network
from models.errors import N_

FEATURE = Feature("help")


def _networks_in_view(ctx: Context) -> list[Network]:
    if ctx.network is not None:
        return [ctx.network]
    if ctx.person is None:
        return []
    with ctx.db.session() as s:
        return list(directory.networks(s))


def _visible(ctx: Context, cmd: Command, networks: list[Network]) -> bool:
    if cmd.hidden or cmd.scope == ("group" if ctx.private else "private"):
        return False  # only what works in this chat
    return cmd.usable(ctx, networks)


def _line(ctx: Context, cmd: Command) -> str:
    name = cmd.aliases[0] if ctx.t.language == "en" and cmd.aliases else cmd.name
    usage = cmd.usage_text(ctx.t)
    usage = f" {usage}" if usage else ""
    return f"/{name}{usage} — {ctx.t(cmd.summary)}"


@REGISTRY.command("pomoc", "help", summary=N_("what I can do for you here"))
async def help_command(ctx: Context) -> list[Outgoing]:
    networks = _networks_in_view(ctx)
    lines = [_line(ctx, c) for c in REGISTRY.commands() if _visible(ctx, c, networks)]
    if ctx.person is None:
        header = ctx.t(
            N_(
                "EMPIRIE networks bot. To start, type /start followed by the invitation "
                "code from your coordinator."
            )
            if ctx.private
            else N_(
                "EMPIRIE networks bot. To start, type /start followed by the invitation "
                "code from your coordinator in a private chat with me."
            )
        )
    elif ctx.network is not None:
        header = ctx.t(
            "Commands available to you in the network {network}:", network=ctx.network.name
        )
    else:
        header = ctx.t("Commands available to you:")
    return [Outgoing("\n".join([header, "", *lines]))]

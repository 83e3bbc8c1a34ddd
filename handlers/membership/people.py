"""The networks and their people (/sieci, /osoby), one's language (/jezyk), /anuluj."""

from __future__ import annotations

from dataclasses import dataclass

from core.messages import Outgoing
from handlers.kit.args import Arg, Code, Words
from handlers.kit.context import Context
from handlers.kit.labels import ROLE, STANDING
from handlers.kit.permissions import Action
from handlers.kit.registry import REGISTRY
from models import conversations, directory
from models.core import Person
from models.enums import Role
from models.errors import N_, DomainError


@REGISTRY.command("sieci", "networks", summary=N_("the EMPIRIE networks and their codes"))
async def list_networks(ctx: Context) -> list[Outgoing]:
    with ctx.db.session() as s:
        rows = directory.networks(s)
    lines = [ctx.t("EMPIRIE networks:")]
    closed_label = ctx.t("closed network")
    for n in rows:
        closed = f" — {closed_label}" if n.closed else ""
        lines.append(f"• {n.code}: {n.name} ({n.theme}){closed}")
    return [Outgoing("\n".join(lines))]


@REGISTRY.command(
    "osoby",
    "people",
    summary=N_("people in the network and their roles"),
    args=Words(Code("network", optional=True)),
    usage=N_("[network code]"),
    example="/osoby cyfrowe",
    action=Action.READ,
)
async def people(ctx: Context, network: str | None) -> list[Outgoing]:
    where = ctx.target_network(network)
    ctx.require(Action.READ, where)
    with ctx.db.session() as s:
        rows = directory.members(s, where.id or 0)
        standings = directory.standings_in(s, where.id or 0)
    lines = [ctx.t("People in the network {network}:", network=where.name)]
    for person, role, city in rows:
        place = f", {city.name}" if city else ""
        standing = standings.get(city.id or 0) if city else None
        place += f" ({ctx.t(STANDING[standing])})" if standing else ""
        lines.append(f"#{person.id} {person.display_name}{place} — {ctx.t(ROLE[Role(role)])}")
    return [Outgoing("\n".join(lines))]


@dataclass(frozen=True)
class Language(Arg):
    """pl or en (anything else is answered with the choice, as before)."""

    def parse(self, text: str) -> str:
        choice = text.strip().lower()
        if choice not in ("pl", "en"):
            raise DomainError(CHOOSE_LANGUAGE)
        return choice


CHOOSE_LANGUAGE = N_("Choose pl or en, e.g. /jezyk en.")


async def choose_language(ctx: Context) -> list[Outgoing]:
    raise DomainError(CHOOSE_LANGUAGE)


@REGISTRY.command(
    "jezyk",
    "language",
    summary=N_("change my language (pl or en)"),
    args=Words(Language("choice")),
    usage="pl|en",
    example="/jezyk en",
    private=True,
    scope="private",
    when_empty=choose_language,
)
async def language(ctx: Context, choice: str) -> list[Outgoing]:
    me = ctx.require_person()
    with ctx.db.session() as s:
        person = s.get(Person, me.id)
        assert person is not None
        person.language = choice
        s.add(person)
    ctx.t = ctx.t.__class__(choice, ctx.settings.tz)
    return [Outgoing(ctx.t("I will write to you in English."))]


@REGISTRY.command("anuluj", "cancel", summary=N_("stop the command in progress"))
async def cancel(ctx: Context) -> list[Outgoing]:
    if ctx.person is None:
        from handlers.joining.flow import cancel_draft

        return [Outgoing(ctx.t("Cancelled.") if cancel_draft(ctx) else ctx.t("Nothing to cancel."))]
    with ctx.db.session() as s:
        stopped = conversations.finish(
            s, ctx.incoming.chat.platform, ctx.incoming.chat.chat_id, ctx.person.id or 0
        )
    return [Outgoing(ctx.t("Cancelled.") if stopped else ctx.t("Nothing to cancel."))]

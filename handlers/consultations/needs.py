"""Needs and observations from the cities: any representative (observers too) reports one at
any time with /potrzeba; the coordinator and the expert read them with /potrzeby when they
prepare the next meeting's programme (those since the last meeting, and the whole list as a
CSV), and they are told of them when a meeting is published (jobs/consultations.py)."""

from __future__ import annotations

import io

from core.cells import SafeWriter
from core.i18n import Translator
from core.messages import File, Outgoing
from handlers.kit.args import Code, Text, Words
from handlers.kit.context import Context
from handlers.kit.limits import check_text
from handlers.kit.permissions import Action
from handlers.kit.registry import REGISTRY
from models import consultations as store
from models import conversations
from models.consultations import NEED_MAX, Need
from models.core import City, Conversation, Network, Person
from models.errors import N_, DomainError

FLOW = "need"


def record(ctx: Context, network: Network, text: str) -> list[Outgoing]:
    me = ctx.require_person()
    ctx.require(Action.GIVE_OPINION, network)
    with ctx.db.session() as s:
        need = store.add_need(s, network, me, text, ctx.now)
    return [
        Outgoing(
            ctx.t(
                "Thank you: need #{id} is noted for the network {network}. The coordinator and "
                "the expert see it when they prepare the next meeting's programme.",
                id=need.id,
                network=network.name,
            )
        )
    ]


async def _ask(ctx: Context) -> list[Outgoing]:
    me = ctx.require_person()
    where = ctx.target_network(None)
    ctx.require(Action.GIVE_OPINION, where)
    if not ctx.private:
        return [Outgoing(ctx.t("Write it after the command: /potrzeba <your need>"))]
    chat = ctx.incoming.chat
    with ctx.db.session() as s:
        conversations.start(
            s,
            chat.platform,
            chat.chat_id,
            me.id or 0,
            FLOW,
            "text",
            {"network": where.code},
            ctx.now,
        )
    return [
        Outgoing(
            ctx.t(
                "Describe the need or the observation for the network {network} in one "
                "message. /anuluj stops.",
                network=where.name,
            )
        )
    ]


@REGISTRY.command(
    "potrzeba",
    "need",
    summary=N_("report a need or an observation for the network's work"),
    args=Words(Code("network", optional=True), Text("text", limit=NEED_MAX)),
    usage=N_("[network] <your need or observation>"),
    example="/potrzeba cyfrowe Potrzebujemy wzoru umowy na utrzymanie e-usług.",
    action=Action.GIVE_OPINION,
    private=True,
    when_empty=_ask,
    refusal=N_("Needs are reported by representatives of the network's cities."),
)
async def need(ctx: Context, network: str | None, text: str) -> list[Outgoing]:
    return record(ctx, ctx.target_network(network), text)


@REGISTRY.flow(FLOW)
async def written(ctx: Context, conv: Conversation, text: str) -> list[Outgoing]:
    if not text.strip():
        return [Outgoing(ctx.t("Describe the need in one message."))]
    with ctx.db.session() as s:
        conversations.finish(s, conv.platform, conv.chat_id, conv.person_id)
    try:
        return record(
            ctx, ctx.target_network(str(conv.data["network"])), check_text(text, NEED_MAX, "text")
        )
    except DomainError as error:  # what was written comes back
        return [Outgoing(ctx.t(error.msgid, **error.params)), Outgoing(f"/potrzeba {text.strip()}")]


def need_line(
    t: Translator, row: tuple[Need, Person | None, City | None], short: bool = False
) -> str:
    """`#7 12.01 Łomża (Anna Nowak): …` (shortened in a notice)."""
    need, person, city = row
    who = person.display_name if person else "—"
    text = need.text if not short or len(need.text) <= 160 else need.text[:159] + "…"
    when = t.local(need.created_at).strftime("%d.%m")
    return f"#{need.id} {when} {city.name if city else '—'} ({who}): {text}"


@REGISTRY.command(
    "potrzeby",
    "needs",
    summary=N_("needs and observations reported by the cities (for the next programme)"),
    args=Words(Code("network", optional=True)),
    example="/potrzeby cyfrowe",
    action=(Action.VIEW_REPORTS, Action.MANAGE_PLAN),
    private=True,
)
async def needs(ctx: Context, network: str | None) -> list[Outgoing]:
    where = ctx.target_network(network)
    if not (ctx.can(Action.VIEW_REPORTS, where) or ctx.can(Action.MANAGE_PLAN, where)):
        raise DomainError(N_("You may not do this in the network {network}."), network=where.name)
    t = ctx.t
    with ctx.db.session() as s:
        since = store.last_meeting_start(s, where.id or 0, ctx.now)
        every = store.needs(s, where.id or 0)
    recent = [r for r in every if since is None or r[0].created_at >= since]
    head = (
        t(
            "Needs and observations in {network} since the last meeting ({when}):",
            network=where.name,
            when=t.short_datetime(since),
        )
        if since
        else t("Needs and observations in {network}:", network=where.name)
    )
    lines = [head, *(need_line(t, r) for r in recent)] if recent else [head, t("none")]
    earlier = len(every) - len(recent)
    if earlier:
        lines.append(
            t.tn(
                "{n} earlier one (all are in the attached file).",
                "{n} earlier ones (all are in the attached file).",
                earlier,
            )
        )
    files: tuple[File, ...] = ()
    if every:
        buffer = io.StringIO()
        writer = SafeWriter(buffer, delimiter=";")
        writer.writerow([t("Number"), t("Date"), t("City"), t("Person"), t("Need or observation")])
        for n, person, city in every:
            writer.writerow(
                [
                    n.id,
                    t.short_datetime(n.created_at),
                    city.name if city else "",
                    person.display_name if person else "",
                    n.text,
                ]
            )
        content = ("\ufeff" + buffer.getvalue()).encode("utf-8")
        files = (File(f"potrzeby_{where.code}.csv", content, "text/csv"),)
    return [Outgoing("\n".join(lines), files=files)]

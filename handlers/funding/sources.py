"""The feeds polled for calls: add one, list them with their state, stop one."""

from __future__ import annotations

from core.messages import Outgoing
from handlers.funding.args import Link
from handlers.funding.calls import MANAGERS_ONLY
from handlers.funding.feeds import problem_text
from handlers.kit.args import Code, Id, Text, Words
from handlers.kit.context import Context
from handlers.kit.permissions import Action
from handlers.kit.registry import REGISTRY
from models import audit
from models import funding as store
from models.errors import N_, DomainError


@REGISTRY.command(
    "zrodlo_dodaj",
    "source_add",
    summary=N_("poll an RSS/Atom feed for calls"),
    args=Words(
        Link("url"),
        Code("network", optional=True),
        Text("funder", optional=True, field_name="funder"),
    ),
    usage=N_("<feed address> [network] [funder name]"),
    example="/zrodlo_dodaj https://www.nfosigw.gov.pl/rss zielone NFOŚiGW",
    action=Action.MANAGE_FUNDING,
    private=True,
)
async def feed_add(
    ctx: Context, url: str, network: str | None, funder: str | None
) -> list[Outgoing]:
    me = ctx.require_person()
    chosen = ctx.target_network(network)
    ctx.require(Action.MANAGE_FUNDING, chosen)
    with ctx.db.session() as s:
        if store.feed_by_url(s, url) is not None:
            raise DomainError(N_("This feed is already polled."))
        feed = store.add_feed(
            s,
            url,
            network_id=chosen.id,
            added_by=me.id,
            funder=funder[:120] if funder else None,
            now=ctx.now,
        )
        audit.record(s, ctx.now, me.id, "funding.feed_add", f"feed:{feed.id}")
    return [
        Outgoing(
            ctx.t(
                "Feed #{id} added. I will read it a few times a day "
                "and tell you if it breaks or goes silent.",
                id=feed.id,
            )
        )
    ]


@REGISTRY.command(
    "zrodla",
    "sources",
    summary=N_("the feeds polled for calls"),
    action=Action.MANAGE_FUNDING,
    refusal=MANAGERS_ONLY,
    private=True,
)
async def feeds(ctx: Context) -> list[Outgoing]:
    t = ctx.t
    with ctx.db.session() as s:
        rows = store.feeds(s)
    if not rows:
        return [Outgoing(t("No feeds yet. Add one: /zrodlo_dodaj <address>"))]
    lines = []
    for f in rows:
        if f.problem:
            state = t("problem: {why}", why=problem_text(t, f.problem))
        elif f.ok_at:
            state = t("read {when}", when=t.short_datetime(f.ok_at))
        else:
            state = t("not read yet")
        lines.append(f"#{f.id} {f.title or f.url} · {state}")
    return [Outgoing("\n".join(lines))]


@REGISTRY.command(
    "zrodlo_usun",
    "source_remove",
    summary=N_("stop polling a feed"),
    args=Words(Id("feed")),
    usage=N_("<nr>"),
    example="/zrodlo_usun 3",
    action=Action.MANAGE_FUNDING,
    refusal=MANAGERS_ONLY,
    private=True,
)
async def feed_remove(ctx: Context, feed: int) -> list[Outgoing]:
    with ctx.db.session() as s:
        store.stop_feed(s, store.require_feed(s, feed))
    return [Outgoing(ctx.t("Feed #{id} will not be read any more.", id=feed))]

"""`/strona`: the person's own page (the hub of everything waiting for them), as a link."""

from __future__ import annotations

from core import links
from core.i18n import Translator
from core.messages import Outgoing
from core.outbox import enqueue_to_person
from handlers.kit.context import Context
from handlers.kit.feature import Feature
from handlers.kit.permissions import Action
from handlers.kit.registry import REGISTRY
from models.errors import N_

FEATURE = Feature("hub", pages=True)


@REGISTRY.command(
    "strona", "my_page", summary=N_("your own page: everything waiting for you"), action=Action.READ
)
async def my_page(ctx: Context) -> list[Outgoing]:
    me = ctx.require_person()
    url = ctx.page_url(links.HUB)
    if url is None:
        return [
            Outgoing(
                ctx.t(
                    "Answer pages are not switched on here. Everything works with "
                    "commands: {help} lists them.",
                    help=REGISTRY.called("pomoc", ctx.t.language),
                )
            )
        ]
    meetings = ctx.page_url(links.MEETINGS)
    days = ctx.settings.page_link_days

    def build(t: Translator) -> Outgoing:
        return Outgoing(
            t(
                "Your page with everything waiting for you. The link is only for you "
                "and works for {period}; for a new one, type {command}.",
                period=t.tn("{n} day", "{n} days", days),
                command=REGISTRY.called("strona", t.language),
            ),
            actions=tuple(
                b
                for b in (
                    links.button(t("Waiting for you"), url),
                    links.button(t("My upcoming meetings"), meetings),
                )
                if b
            ),
        )

    if ctx.private:
        return [build(ctx.t)]
    with ctx.db.session() as s:  # a group is a shared room: the personal link goes privately
        sent = enqueue_to_person(s, me.id or 0, ctx.settings, ctx.now, build, kind="page_link")
    if not sent:
        return [
            Outgoing(
                ctx.t(
                    "Write {command} to me in a private chat to get your page.",
                    command=REGISTRY.called("strona", ctx.t.language),
                )
            )
        ]
    ctx.wake_outbox()
    return []

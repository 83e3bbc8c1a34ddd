"""`/panel`: a one-time link to the staff desk; `/panel wyloguj` signs out every browser."""

from __future__ import annotations

from core.i18n import Translator
from core.messages import Outgoing
from handlers.kit.args import Word, Words
from handlers.kit.context import Context
from handlers.kit.dates import fold
from handlers.kit.permissions import Action
from handlers.kit.registry import REGISTRY
from models import desk
from models.errors import N_, DomainError

# the desk is for the people who run a network: each of these roles holds one of them
STAFF_ACTIONS = (Action.VIEW_ATTENDANCE, Action.MANAGE_ATTENDANCE, Action.VIEW_REPORTS)
SIGN_OUT = ("wyloguj", "logout")
LOGIN_PATH = "/desk/login/"


def login_url(public_url: str, token: str) -> str:
    return f"{public_url.rstrip('/')}{LOGIN_PATH}{token}"


@REGISTRY.command(
    "panel",
    "desk",
    summary=N_("the staff desk in a browser: a one-time sign-in link"),
    args=Words(Word("what", optional=True, label=N_("wyloguj"))),
    example="/panel",
    action=STAFF_ACTIONS,
    private=True,
    scope="private",
)
async def panel(ctx: Context, what: str | None) -> list[Outgoing]:
    me = ctx.require_person()
    t: Translator = ctx.t
    if what is not None:
        if fold(what) not in SIGN_OUT:
            raise ctx_usage(ctx)
        with ctx.db.session() as s:
            ended = desk.end_all(s, me.id or 0, ctx.now)
        return [
            Outgoing(
                t.tn(
                    "Signed out: {n} desk session ended. Unused sign-in links no longer work.",
                    "Signed out: {n} desk sessions ended. Unused sign-in links no longer work.",
                    ended,
                )
            )
        ]
    if not ctx.private:
        raise DomainError(
            N_("The sign-in link is personal: write {command} to me in a private chat."),
            command=REGISTRY.called("panel", t.language),
        )
    if not ctx.settings.public_url:
        raise DomainError(
            N_(
                "The staff desk is not switched on here (the bot has no public address). "
                "Everything works with commands: {help} lists them."
            ),
            help=REGISTRY.called("pomoc", t.language),
        )
    with ctx.db.session() as s:
        token = desk.issue_login(s, me.id or 0, ctx.now)
    minutes = int(desk.LOGIN_TTL.total_seconds() // 60)
    url = login_url(ctx.settings.public_url, token)
    return [
        Outgoing(
            t(
                "Your sign-in link to the staff desk: {url}\nIt works once, only for you, "
                "for {period}. Do not forward it. To sign out of every browser, type "
                "{command}.",
                url=url,
                period=t.tn("{n} minute", "{n} minutes", minutes),
                command=f"{REGISTRY.called('panel', t.language)} {SIGN_OUT[0]}",
            )
        )
    ]


def ctx_usage(ctx: Context) -> DomainError:
    cmd = REGISTRY.lookup("panel")
    assert cmd is not None
    return cmd.usage_error(ctx)

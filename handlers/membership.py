"""Who belongs where: joining with an invitation code, binding chats, listing people."""

from __future__ import annotations

import logging
from datetime import timedelta

from sqlmodel import Session

from core.i18n import Translator
from core.messages import Action as Button
from core.messages import Outgoing, Target
from core.outbox import enqueue, enqueue_to_person
from handlers.kit.context import Context
from handlers.kit.feature import Feature
from handlers.kit.labels import ROLE
from handlers.kit.limits import NAME, check_text, parse_id
from handlers.kit.objects import shown
from handlers.kit.permissions import Action
from handlers.kit.registry import REGISTRY
from models import conversations, directory, invitations
from models.core import Network, Person
from models.enums import Role
from models.errors import N_, DomainError

FEATURE = Feature("membership")

log = logging.getLogger("empirie.membership")

# Filled by transports that can open a chat from a link (Telegram deep links).
INVITE_LINKS: dict[str, str] = {}


def private_target(ctx: Context, person: Person) -> Target | None:
    """The caller's private chat on this platform, if the bot can write there."""
    with ctx.db.session() as s:
        account = directory.account_of(s, person.id or 0, ctx.incoming.chat.platform)
    return Target(account.platform, account.external_id) if account else None


@REGISTRY.command(
    "start",
    "kod",
    "code",
    summary=N_("join with your invitation code"),
    usage=N_("<code>"),
    scope="private",
)
async def start(ctx: Context, args: str) -> list[Outgoing]:
    if not args:
        if ctx.person is not None:
            return [
                Outgoing(
                    ctx.t(
                        "Hello, {name}! Type /pomoc to see what you can do.",
                        name=ctx.person.display_name,
                    )
                )
            ]
        return [
            Outgoing(
                ctx.t(
                    "Hello! I am the bot of the EMPIRIE experience-exchange networks. "
                    "To join, type /start followed by the invitation code from your "
                    "coordinator."
                )
                + "\n"
                + ctx.t("No code? Ask to join a network with /zglos.")
            )
        ]
    if not ctx.private:
        with ctx.db.session() as s:
            exposed = invitations.void_exposed(
                s, args.split()[0], ctx.person.id if ctx.person else None, ctx.now
            )
        if exposed:
            log.info("invitation.exposed platform=%s", ctx.incoming.chat.platform)
            return [
                Outgoing(
                    ctx.t(
                        "This code was visible to everyone in this chat, so I have "
                        "cancelled it. Ask your coordinator for a new one and send "
                        "it to me in a private chat."
                    )
                )
            ]
        return [
            Outgoing(
                ctx.t(
                    "Please send the invitation code to me in a private chat, not in "
                    "the group: a code works only once."
                )
            )
        ]
    sender = ctx.incoming.sender
    with ctx.db.session() as s:
        done = invitations.redeem(
            s, args.split()[0], sender.platform, sender.user_id, sender.username, ctx.now
        )
        person = done.person
        if done.request is not None:
            _ask_to_confirm(s, ctx, done)
            networks = []
        else:
            networks = [n.name for n in directory.networks_of(s, person.id or 0)]
    if done.request is not None:
        ctx.wake_outbox()
        log.info("account.relink_requested person=%s platform=%s", person.id, sender.platform)
        return [
            Outgoing(
                ctx.t(
                    "This person already has a linked account. I have asked them to "
                    "confirm the new one from their current account (the "
                    "coordinating team can confirm it too). I will tell you when it "
                    "is done."
                )
            )
        ]
    log.info("account.linked person=%s platform=%s", person.id, sender.platform)
    return [
        Outgoing(
            ctx.t(
                "Welcome, {name}! Your account is now linked. Your networks: "
                "{networks}. Type /pomoc to see what you can do.",
                name=person.display_name,
                networks=", ".join(networks) or "—",
            )
        )
    ]


def _ask_to_confirm(s: Session, ctx: Context, done: invitations.Redeemed) -> None:
    """The person hears about the new account on their old one; the team may decide too."""
    request = done.request
    assert request is not None
    whose = request.person_id
    for account in done.old_accounts:
        t = Translator(done.person.language or ctx.settings.default_language, ctx.settings.tz)
        enqueue(
            s,
            Target(account.platform, account.external_id),
            Outgoing(
                t(
                    "Someone redeemed an invitation code for you from another {platform} account. "
                    "If that was you, confirm: /potwierdz_konto {id}. If not, refuse it: "
                    "/odrzuc_konto {id} — and tell your coordinator.",
                    platform=request.platform,
                    id=request.id,
                ),
                actions=(
                    Button(t("Yes, it's me"), f"/potwierdz_konto {request.id}", owner=whose),
                    Button(t("No, refuse"), f"/odrzuc_konto {request.id}", owner=whose),
                ),
            ),
            ctx.now,
            person_id=request.person_id,
            kind="relink",
        )
    for member in directory.coordinating_team(s):
        enqueue_to_person(
            s,
            member.id or 0,
            ctx.settings,
            ctx.now,
            lambda t: Outgoing(
                t(
                    "Request #{id}: a second account ({platform}) for {name} is waiting for "
                    "confirmation. If you have checked with the person: /potwierdz_konto {id}.",
                    id=request.id,
                    platform=request.platform,
                    name=done.person.display_name,
                )
            ),
            kind="relink",
        )


@REGISTRY.command(
    "potwierdz_konto",
    "confirm_account",
    summary=N_("confirm a new account linked to you"),
    usage=N_("<request>"),
    hidden=True,
    scope="private",
)
async def confirm_account(ctx: Context, args: str) -> list[Outgoing]:
    return await _decide(ctx, args, confirm=True)


@REGISTRY.command(
    "odrzuc_konto",
    "refuse_account",
    summary=N_("refuse a new account linked to you"),
    usage=N_("<request>"),
    hidden=True,
    scope="private",
)
async def refuse_account(ctx: Context, args: str) -> list[Outgoing]:
    return await _decide(ctx, args, confirm=False)


async def _decide(ctx: Context, args: str, *, confirm: bool) -> list[Outgoing]:
    me = ctx.require_person()
    number = parse_id(args.split()[0]) if args.split() else None
    with ctx.db.session() as s:
        request = invitations.pending_request(s, number, ctx.now) if number else None
        team = Role.COORDINATING_TEAM in directory.roles_of(s, me.id or 0, None)
        if request is None or (request.person_id != me.id and not team):
            raise DomainError(
                N_("There is no pending account request with the number “{id}”."),
                id=args.split()[0][:20] if args.split() else "",
            )
        old = invitations.decide(s, request, confirm, me.id or 0, ctx.now)
        person = s.get(Person, request.person_id)
        assert person is not None
        t = Translator(person.language or ctx.settings.default_language, ctx.settings.tz)
        if confirm:
            for account in old:  # announced to the person, also where they no longer are
                enqueue(
                    s,
                    Target(account.platform, account.external_id),
                    Outgoing(
                        t(
                            "A new {platform} account is now linked to you (request #{id}). If this "
                            "was not you, tell your coordinator at once.",
                            platform=request.platform,
                            id=request.id,
                        )
                    ),
                    ctx.now,
                    person_id=person.id,
                    kind="relink",
                )
            enqueue(
                s,
                Target(request.platform, request.external_id or ""),
                Outgoing(t("Your account is now linked. Type /pomoc to see what you can do.")),
                ctx.now,
                person_id=person.id,
                kind="relink",
            )
    ctx.wake_outbox()
    log.info(
        "account.relink_decided person=%s confirmed=%s by=%s", request.person_id, confirm, me.id
    )
    if confirm:
        return [
            Outgoing(ctx.t("Confirmed: the new account is linked (request #{id}).", id=request.id))
        ]
    return [
        Outgoing(
            ctx.t(
                "Refused: the new account is not linked (request #{id}). Tell your "
                "coordinator if someone else tried to use your invitation.",
                id=request.id,
            )
        )
    ]


@REGISTRY.command(
    "zaproszenie",
    "invite",
    summary=N_("issue an invitation code for a person"),
    usage=N_("<person id or name>"),
    action=Action.INVITE,
    refusal=N_("You may invite only people from the networks you coordinate."),
)
async def invite(ctx: Context, args: str) -> list[Outgoing]:
    me = ctx.require_person()
    if not args:
        raise DomainError(
            N_(
                "Whom to invite? Give the person's id or name, e.g. /zaproszenie 12 "
                "(ids are listed by /osoby)."
            )
        )
    with ctx.db.session() as s:
        found = directory.find_people(s, check_text(args, NAME, "name"))
        if len(found) != 1:
            raise DomainError(
                N_("No single person matches “{query}” ({count} found). Use the id from /osoby."),
                query=shown(args),
                count=len(found),
            )
        person = found[0]
        their_networks = directory.networks_of(s, person.id or 0)
        team = Role.COORDINATING_TEAM in directory.roles_of(s, me.id or 0, None)
        # A code reads everything its person may read: so only someone who manages every
        # network of that person (or the coordinating team) may issue one.
        if not team and not (
            their_networks and all(ctx.can(Action.INVITE, n) for n in their_networks)
        ):
            raise DomainError(
                N_(
                    "You may invite only people from the networks you coordinate "
                    "(for someone who is also in other networks, ask the "
                    "coordinating team)."
                )
            )
        code = invitations.issue(
            s, person, me.id, ctx.now, timedelta(days=ctx.settings.invitation_days)
        )
        expires = ctx.now + timedelta(days=ctx.settings.invitation_days)
    lines = [
        ctx.t("Invitation code for {name}: {code}", name=person.display_name, code=code),
        ctx.t(
            "It works once and expires on {when}. The person types /start {code} in a "
            "private chat with me.",
            when=ctx.t.datetime(expires),
            code=code,
        ),
    ]
    lines += [
        f"{platform}: {template.format(code=code)}"
        for platform, template in sorted(INVITE_LINKS.items())
    ]
    text = "\n".join(lines)
    if ctx.private:
        return [Outgoing(text)]
    target = private_target(ctx, me)
    if target is None:
        return [
            Outgoing(
                ctx.t(
                    "I can send the code only in a private chat. Write to me "
                    "privately and repeat the command there."
                )
            )
        ]
    return [
        Outgoing(text, to=target),
        Outgoing(ctx.t("I sent the invitation code to you in a private message.")),
    ]


@REGISTRY.command(
    "polacz",
    "bind",
    summary=N_("bind this group chat to a network"),
    usage=N_("<network code>"),
    action=Action.BIND_CHAT,
    scope="group",
)
async def bind(ctx: Context, args: str) -> list[Outgoing]:
    me = ctx.require_person()
    if ctx.private:
        raise DomainError(
            N_(
                "Binding works in a group chat: add me to the network's group and "
                "type the command there."
            )
        )
    if not args:
        raise DomainError(N_("Which network? For example: /polacz cyfrowe (codes: /sieci)."))
    chat = ctx.incoming.chat
    with ctx.db.session() as s:
        network = directory.require_network(s, args.split()[0])
    ctx.require(Action.BIND_CHAT, network)
    former = ctx.network if ctx.network is not None and ctx.network.id != network.id else None
    if former is not None and not ctx.can(Action.BIND_CHAT, former):
        # taking another network's group would reroute its announcements and invitations
        raise DomainError(
            N_(
                "This chat is bound to the network {network}. Only someone who "
                "manages both networks may move it (ask the coordinating team)."
            ),
            network=former.name,
        )
    with ctx.db.session() as s:
        directory.bind_chat(s, network, chat.platform, chat.chat_id, chat.title, me.id, ctx.now)
        if former is not None:
            _tell_former(s, ctx, former, network, me)
    if former is not None:
        ctx.wake_outbox()
    log.info(
        "chat.bound platform=%s chat=%s network=%s from=%s",
        chat.platform,
        chat.chat_id,
        network.code,
        former.code if former else None,
    )
    return [
        Outgoing(
            ctx.t(
                "This chat is now bound to the network {network} ({code}).",
                network=network.name,
                code=network.code,
            )
        )
    ]


def _tell_former(s: Session, ctx: Context, former: Network, network: Network, me: Person) -> None:
    """The former network's coordinators hear that their group now serves another network."""
    title = ctx.incoming.chat.title or ctx.incoming.chat.chat_id
    for person, role, _city in directory.members(s, former.id or 0):
        if role == Role.COORDINATOR and person.id != me.id:
            enqueue_to_person(
                s,
                person.id or 0,
                ctx.settings,
                ctx.now,
                lambda t: Outgoing(
                    t(
                        "The group chat “{chat}” is no longer bound to your network {former}: {name} "
                        "bound it to the network {network}.",
                        chat=title,
                        former=former.name,
                        name=me.display_name,
                        network=network.name,
                    )
                ),
                kind="chat_rebound",
            )


@REGISTRY.command(
    "odlacz",
    "unbind",
    summary=N_("unbind this group chat from its network"),
    action=Action.BIND_CHAT,
    scope="group",
)
async def unbind(ctx: Context, args: str) -> list[Outgoing]:
    me = ctx.require_person()
    if ctx.network is None:
        raise DomainError(N_("This chat is not bound to any network."))
    ctx.require(Action.BIND_CHAT, ctx.network)
    chat = ctx.incoming.chat
    with ctx.db.session() as s:
        directory.unbind_chat(s, chat.platform, chat.chat_id, me.id, ctx.now)
    return [
        Outgoing(
            ctx.t(
                "This chat is no longer bound to the network {network}.", network=ctx.network.name
            )
        )
    ]


async def bot_removed(ctx: Context) -> list[Outgoing]:
    chat = ctx.incoming.chat
    with ctx.db.session() as s:
        network = directory.unbind_chat(s, chat.platform, chat.chat_id, None, ctx.now)
    log.info(
        "chat.removed platform=%s chat=%s network=%s",
        chat.platform,
        chat.chat_id,
        network.code if network else None,
    )
    return []


@REGISTRY.command("sieci", "networks", summary=N_("the EMPIRIE networks and their codes"))
async def list_networks(ctx: Context, args: str) -> list[Outgoing]:
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
    usage=N_("[network code]"),
    action=Action.READ,
)
async def people(ctx: Context, args: str) -> list[Outgoing]:
    ctx.require_person()
    network = ctx.target_network(args or None)
    ctx.require(Action.READ, network)
    with ctx.db.session() as s:
        rows = directory.members(s, network.id or 0)
    lines = [ctx.t("People in the network {network}:", network=network.name)]
    for person, role, city in rows:
        where = f", {city.name}" if city else ""
        lines.append(f"#{person.id} {person.display_name}{where} — {ctx.t(ROLE[Role(role)])}")
    return [Outgoing("\n".join(lines))]


@REGISTRY.command(
    "jezyk", "language", summary=N_("change my language (pl or en)"), usage="pl|en", scope="private"
)
async def language(ctx: Context, args: str) -> list[Outgoing]:
    me = ctx.require_person()
    choice = args.strip().lower()
    if choice not in ("pl", "en"):
        raise DomainError(N_("Choose pl or en, e.g. /jezyk en."))
    with ctx.db.session() as s:
        person = s.get(Person, me.id)
        assert person is not None
        person.language = choice
        s.add(person)
    ctx.t = ctx.t.__class__(choice, ctx.settings.tz)
    return [Outgoing(ctx.t("I will write to you in English."))]


@REGISTRY.command("anuluj", "cancel", summary=N_("stop the command in progress"))
async def cancel(ctx: Context, args: str) -> list[Outgoing]:
    if ctx.person is None:
        from handlers.joining import cancel_draft

        return [Outgoing(ctx.t("Cancelled.") if cancel_draft(ctx) else ctx.t("Nothing to cancel."))]
    with ctx.db.session() as s:
        stopped = conversations.finish(
            s, ctx.incoming.chat.platform, ctx.incoming.chat.chat_id, ctx.person.id or 0
        )
    return [Outgoing(ctx.t("Cancelled.") if stopped else ctx.t("Nothing to cancel."))]

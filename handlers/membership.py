"""Who belongs where: joining with an invitation code, binding chats, listing people."""

from __future__ import annotations

import logging
from datetime import timedelta

from core.messages import Outgoing, Target
from handlers.context import Context
from handlers.labels import ROLE
from handlers.permissions import Action
from handlers.registry import REGISTRY
from models import conversations, directory, invitations
from models.core import Person
from models.enums import Role
from models.errors import N_, DomainError

log = logging.getLogger("empirie.membership")

# Filled by transports that can open a chat from a link (Telegram deep links).
INVITE_LINKS: dict[str, str] = {}


def private_target(ctx: Context, person: Person) -> Target | None:
    """The caller's private chat on this platform, if the bot can write there."""
    with ctx.db.session() as s:
        account = directory.account_of(s, person.id or 0, ctx.incoming.chat.platform)
    return Target(account.platform, account.external_id) if account else None


@REGISTRY.command("start", "kod", "code", summary=N_("join with your invitation code"),
                  usage=N_("<code>"), scope="private")
async def start(ctx: Context, args: str) -> list[Outgoing]:
    if not args:
        if ctx.person is not None:
            return [Outgoing(ctx.t("Hello, {name}! Type /pomoc to see what you can do.",
                                   name=ctx.person.display_name))]
        return [Outgoing(ctx.t("Hello! I am the bot of the EMPIRIE experience-exchange networks. "
                               "To join, type /start followed by the invitation code from your "
                               "coordinator.") + "\n" + ctx.t("No code? Ask to join a network "
                                                                "with /zglos."))]
    if not ctx.private:
        return [Outgoing(ctx.t("Please send the invitation code to me in a private chat, not in "
                               "the group: a code works only once."))]
    sender = ctx.incoming.sender
    with ctx.db.session() as s:
        person = invitations.redeem(s, args.split()[0], sender.platform, sender.user_id,
                                    sender.username, ctx.now)
        networks = [n.name for n in directory.networks_of(s, person.id or 0)]
    log.info("account.linked person=%s platform=%s", person.id, sender.platform)
    return [Outgoing(ctx.t("Welcome, {name}! Your account is now linked. Your networks: "
                           "{networks}. Type /pomoc to see what you can do.",
                           name=person.display_name,
                           networks=", ".join(networks) or "—"))]


@REGISTRY.command("zaproszenie", "invite", summary=N_("issue an invitation code for a person"),
                  usage=N_("<person id or name>"), action=Action.INVITE)
async def invite(ctx: Context, args: str) -> list[Outgoing]:
    me = ctx.require_person()
    if not args:
        raise DomainError(N_("Whom to invite? Give the person's id or name, e.g. /zaproszenie 12 "
                             "(ids are listed by /osoby)."))
    with ctx.db.session() as s:
        found = directory.find_people(s, args)
        if len(found) != 1:
            raise DomainError(N_("No single person matches “{query}” ({count} found). Use the id "
                                 "from /osoby."), query=args, count=len(found))
        person = found[0]
        their_networks = directory.networks_of(s, person.id or 0)
        team = Role.COORDINATING_TEAM in directory.roles_of(s, me.id or 0, None)
        if not team and not any(ctx.can(Action.INVITE, n) for n in their_networks):
            raise DomainError(N_("You may invite only people from the networks you coordinate."))
        code = invitations.issue(s, person, me.id, ctx.now,
                                 timedelta(days=ctx.settings.invitation_days))
        expires = ctx.now + timedelta(days=ctx.settings.invitation_days)
    lines = [ctx.t("Invitation code for {name}: {code}", name=person.display_name, code=code),
             ctx.t("It works once and expires on {when}. The person types /start {code} in a "
                   "private chat with me.", when=ctx.t.datetime(expires), code=code)]
    lines += [f"{platform}: {template.format(code=code)}"
              for platform, template in sorted(INVITE_LINKS.items())]
    text = "\n".join(lines)
    if ctx.private:
        return [Outgoing(text)]
    target = private_target(ctx, me)
    if target is None:
        return [Outgoing(ctx.t("I can send the code only in a private chat. Write to me "
                               "privately and repeat the command there."))]
    return [Outgoing(text, to=target),
            Outgoing(ctx.t("I sent the invitation code to you in a private message."))]


@REGISTRY.command("polacz", "bind", summary=N_("bind this group chat to a network"),
                  usage=N_("<network code>"), action=Action.BIND_CHAT, scope="group")
async def bind(ctx: Context, args: str) -> list[Outgoing]:
    me = ctx.require_person()
    if ctx.private:
        raise DomainError(N_("Binding works in a group chat: add me to the network's group and "
                             "type the command there."))
    if not args:
        raise DomainError(N_("Which network? For example: /polacz cyfrowe (codes: /sieci)."))
    chat = ctx.incoming.chat
    with ctx.db.session() as s:
        network = directory.require_network(s, args.split()[0])
    ctx.require(Action.BIND_CHAT, network)
    with ctx.db.session() as s:
        directory.bind_chat(s, network, chat.platform, chat.chat_id, chat.title, me.id, ctx.now)
    log.info("chat.bound platform=%s chat=%s network=%s", chat.platform, chat.chat_id,
             network.code)
    return [Outgoing(ctx.t("This chat is now bound to the network {network} ({code}).",
                           network=network.name, code=network.code))]


@REGISTRY.command("odlacz", "unbind", summary=N_("unbind this group chat from its network"),
                  action=Action.BIND_CHAT, scope="group")
async def unbind(ctx: Context, args: str) -> list[Outgoing]:
    me = ctx.require_person()
    if ctx.network is None:
        raise DomainError(N_("This chat is not bound to any network."))
    ctx.require(Action.BIND_CHAT, ctx.network)
    chat = ctx.incoming.chat
    with ctx.db.session() as s:
        directory.unbind_chat(s, chat.platform, chat.chat_id, me.id, ctx.now)
    return [Outgoing(ctx.t("This chat is no longer bound to the network {network}.",
                           network=ctx.network.name))]


async def bot_removed(ctx: Context) -> list[Outgoing]:
    chat = ctx.incoming.chat
    with ctx.db.session() as s:
        network = directory.unbind_chat(s, chat.platform, chat.chat_id, None, ctx.now)
    log.info("chat.removed platform=%s chat=%s network=%s", chat.platform, chat.chat_id,
             network.code if network else None)
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


@REGISTRY.command("osoby", "people", summary=N_("people in the network and their roles"),
                  usage=N_("[network code]"), action=Action.READ)
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


@REGISTRY.command("jezyk", "language", summary=N_("change my language (pl or en)"),
                  usage="pl|en")
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
        stopped = conversations.finish(s, ctx.incoming.chat.platform, ctx.incoming.chat.chat_id,
                                       ctx.person.id or 0)
    return [Outgoing(ctx.t("Cancelled.") if stopped else ctx.t("Nothing to cancel."))]

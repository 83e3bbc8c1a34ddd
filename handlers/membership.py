"""Who belongs where: joining with an invitation code, binding chats, listing people."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import timedelta

from sqlmodel import Session

from core.i18n import Translator
from core.messages import Action as Button
from core.messages import Outgoing, Target
from core.outbox import enqueue, enqueue_to_person
from handlers.kit.args import Arg, Code, Id, Text, Word, Words
from handlers.kit.context import Context
from handlers.kit.feature import Feature
from handlers.kit.labels import ROLE, STANDING
from handlers.kit.limits import NAME
from handlers.kit.objects import shown
from handlers.kit.permissions import Action
from handlers.kit.registry import REGISTRY
from handlers.roster.office import invitation_text
from handlers.welcome import catch_up
from models import conversations, directory, invitations
from models.core import Network, Person
from models.enums import Role
from models.errors import N_, DomainError, Nn_

FEATURE = Feature("membership")

log = logging.getLogger("empirie.membership")

# Filled by transports that can open a chat from a link (Telegram deep links).
INVITE_LINKS: dict[str, str] = {}


def private_target(ctx: Context, person: Person) -> Target | None:
    """The caller's private chat on this platform, if the bot can write there."""
    with ctx.db.session() as s:
        account = directory.account_of(s, person.id or 0, ctx.incoming.chat.platform)
    return Target(account.platform, account.external_id) if account else None


async def greet(ctx: Context) -> list[Outgoing]:
    """/start without a code: hello, and how to join."""
    if ctx.person is not None:
        return [
            Outgoing(
                ctx.t(
                    "Hello, {name}! Type /pomoc to see what you can do.",
                    name=ctx.person.display_name,
                )
            )
        ]
    how = (
        N_(
            "Hello! I am the bot of the EMPIRIE experience-exchange networks. "
            "To join, type /start followed by the invitation code from your "
            "coordinator."
        )
        if ctx.private
        else N_(
            "Hello! I am the bot of the EMPIRIE experience-exchange networks. "
            "To join, open a private chat with me and type /start followed by the "
            "invitation code from your coordinator there — not here, where everyone "
            "can read it."
        )
    )
    return [Outgoing(ctx.t(how) + "\n" + ctx.t("No code? Ask to join a network with /zglos."))]


@REGISTRY.command(
    "start",
    "kod",
    "code",
    summary=N_("join with your invitation code"),
    args=Words(Word("code")),
    usage=N_("<code>"),
    example="/start ABCDEFGHJK",
    scope="private",
    when_empty=greet,
    english="start",
    newcomers=True,
)
async def start(ctx: Context, code: str) -> list[Outgoing]:
    if not ctx.private:
        with ctx.db.session() as s:
            exposed = invitations.void_exposed(
                s, code, ctx.person.id if ctx.person else None, ctx.now
            )
        if exposed:
            log.info("invitation.exposed platform=%s", ctx.incoming.chat.platform)
            explained = Outgoing(
                ctx.t(
                    "This code was visible to everyone in this chat, so I have "
                    "cancelled it. Ask your coordinator for a new one and send "
                    "it to me in a private chat."
                )
            )
            if ctx.person is None:  # no private chat to speak of yet: here, without the code
                return [explained]
            return [
                *ctx.privately([explained]),
                Outgoing(
                    ctx.t(
                        "I have cancelled the invitation code typed here: everyone in "
                        "this chat could read it."
                    )
                ),
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
            s, code, sender.platform, sender.user_id, sender.username, ctx.now
        )
        person = done.person
        if done.request is not None:
            _ask_to_confirm(s, ctx, done)
            networks = []
        else:
            networks = [n.name for n in directory.networks_of(s, person.id or 0)]
            if catch_up(s, person.id or 0, ctx.settings, ctx.now):  # invitations sent before
                ctx.wake_outbox()
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


REQUEST = Words(Id("request"))


@REGISTRY.command(
    "potwierdz_konto",
    "confirm_account",
    summary=N_("confirm a new account linked to you"),
    args=REQUEST,
    usage=N_("<request>"),
    example="/potwierdz_konto 3",
    hidden=True,
    private=True,
    scope="private",
)
async def confirm_account(ctx: Context, request: int) -> list[Outgoing]:
    return await _decide(ctx, request, confirm=True)


@REGISTRY.command(
    "odrzuc_konto",
    "refuse_account",
    summary=N_("refuse a new account linked to you"),
    args=REQUEST,
    usage=N_("<request>"),
    example="/odrzuc_konto 3",
    hidden=True,
    private=True,
    scope="private",
)
async def refuse_account(ctx: Context, request: int) -> list[Outgoing]:
    return await _decide(ctx, request, confirm=False)


async def _decide(ctx: Context, number: int, *, confirm: bool) -> list[Outgoing]:
    me = ctx.require_person()
    with ctx.db.session() as s:
        request = invitations.pending_request(s, number, ctx.now)
        team = Role.COORDINATING_TEAM in directory.roles_of(s, me.id or 0, None)
        if request is None or (request.person_id != me.id and not team):
            raise DomainError(
                N_("There is no pending account request with the number “{id}”."), id=number
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


async def whom_to_invite(ctx: Context) -> list[Outgoing]:
    raise DomainError(
        N_(
            "Whom to invite? Give the person's id or name, e.g. /zaproszenie 12 "
            "(ids are listed by /osoby)."
        )
    )


@REGISTRY.command(
    "zaproszenie",
    "invite",
    summary=N_("issue an invitation code for a person"),
    args=Words(Text("who", limit=NAME, field_name="name")),
    usage=N_("<person id or name>"),
    example="/zaproszenie 12",
    action=Action.INVITE,
    when_empty=whom_to_invite,
    refusal=N_("You may invite only people from the networks you coordinate."),
)
async def invite(ctx: Context, who: str) -> list[Outgoing]:
    me = ctx.require_person()
    with ctx.db.session() as s:
        found = directory.find_people(s, who)
        if len(found) != 1:
            raise DomainError(
                N_("{matches} “{query}”, not exactly one. Use the id from /osoby."),
                query=shown(who),
                matches=Nn_("{n} person matches", "{n} people match", len(found)),
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
    text = invitation_text(ctx.t, person.display_name, code, expires, INVITE_LINKS)
    # a code is personal: privately, with a line in the group saying where it went
    return ctx.privately([Outgoing(text)], say_so=True)


def _in_a_group(ctx: Context) -> None:
    if ctx.private:
        raise DomainError(
            N_(
                "Binding works in a group chat: add me to the network's group and "
                "type the command there."
            )
        )


async def which_network(ctx: Context) -> list[Outgoing]:
    _in_a_group(ctx)
    raise DomainError(N_("Which network? For example: /polacz cyfrowe (codes: /sieci)."))


@REGISTRY.command(
    "polacz",
    "bind",
    summary=N_("bind this group chat to a network"),
    args=Words(Code("network")),
    usage=N_("<network code>"),
    example="/polacz cyfrowe",
    action=Action.BIND_CHAT,
    scope="group",
    when_empty=which_network,
)
async def bind(ctx: Context, network: str) -> list[Outgoing]:
    me = ctx.require_person()
    _in_a_group(ctx)
    return _bind(ctx, me, network)


def _bind(ctx: Context, me: Person, code: str) -> list[Outgoing]:
    chat = ctx.incoming.chat
    with ctx.db.session() as s:
        network = directory.require_network(s, code)
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
async def unbind(ctx: Context) -> list[Outgoing]:
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

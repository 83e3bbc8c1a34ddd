"""Joining: /start with an invitation code, a new account confirmed by the staff, /zapros."""

from __future__ import annotations

import logging
from datetime import timedelta

from sqlmodel import Session

from core.i18n import Translator
from core.messages import Action as Button
from core.messages import Outgoing, Target
from core.outbox import enqueue, enqueue_to_person
from handlers.kit.args import Id, Text, Word, Words
from handlers.kit.context import Context
from handlers.kit.limits import NAME
from handlers.kit.objects import shown
from handlers.kit.permissions import Action
from handlers.kit.registry import REGISTRY
from handlers.membership import INVITE_LINKS
from handlers.roster.office import invitation_text
from handlers.welcome import catch_up
from models import directory, invitations
from models.core import Person
from models.enums import Role
from models.errors import N_, DomainError, Nn_

log = logging.getLogger("empirie.membership")


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

"""Join requests (the handbook's "nabór"): someone the bot does not know asks, privately, to
join; the network's coordinator accepts (the person is added and the asking account linked)
or rejects (the person is told politely). Buttons and typed commands do the same.

Filing a request writes to nobody: it is noted for the network's next summary (render.py,
jobs/joining.py), and a network takes at most `join_requests_per_hour` new undecided requests
an hour (more are refused with "try again later"; the answers given so far are kept)."""

from __future__ import annotations

import logging
import re
from collections.abc import Callable
from datetime import timedelta

from sqlmodel import Session

from core.i18n import Translator
from core.messages import Outgoing, Target
from core.outbox import enqueue
from handlers.kit.args import Code, Id, Text, Words
from handlers.kit.context import Context
from handlers.kit.limits import check_text
from handlers.kit.permissions import Action
from handlers.kit.registry import REGISTRY
from handlers.roster import sheet as roster_file
from handlers.roster.chat import StandingArg
from handlers.welcome import catch_up
from models import audit, directory, joins, roster
from models.core import Network, Person
from models.enums import Office, Role, Standing
from models.errors import N_, DomainError
from models.joins import JoinRequest, JoinStatus

log = logging.getLogger("empirie.joining")

STEPS = ("city", "name", "position", "email", "networks")
QUESTION = {
    "city": N_("Which city do you represent? (e.g. Łomża)"),
    "name": N_("Your first name and surname?"),
    "position": N_(
        "Your position in the city office? (e.g. Naczelnik Wydziału Cyfryzacji, Burmistrz)"
    ),
    "email": N_("Your work e-mail address?"),
    "networks": N_(
        "Which network or networks do you want to join? Give the codes separated by commas: {codes}"
    ),
}
# each answer ends in a column of JoinRequest: its field of models.fields bounds it
FIELD_OF = {"city": "city", "name": "name", "position": "position", "email": "email"}


def _ask(ctx: Context, step: str) -> Outgoing:
    with ctx.db.session() as s:
        codes = ", ".join(n.code for n in directory.networks(s))
    return Outgoing(
        ctx.t(QUESTION[step], codes=codes) if step == "networks" else ctx.t(QUESTION[step])
    )


@REGISTRY.command(
    "zglos",
    "join",
    summary=N_("ask to join a network (for new people)"),
    scope="private",
    newcomers=True,
)
async def join(ctx: Context) -> list[Outgoing]:
    if not ctx.private:
        return [Outgoing(ctx.t("Please write /zglos to me in a private chat."))]
    if ctx.person is not None:
        return [
            Outgoing(
                ctx.t(
                    "You are already in the roster as {name}. To join another "
                    "network, ask its coordinator.",
                    name=ctx.person.display_name,
                )
            )
        ]
    sender = ctx.incoming.sender
    hint = (sender.language_hint or "").lower()
    with ctx.db.session() as s:
        joins.start(
            s,
            sender.platform,
            sender.user_id,
            sender.username,
            "en" if hint.startswith("en") else None,
            ctx.now,
        )
    return [
        Outgoing(
            ctx.t(
                "I will ask you five short questions; the network's coordinator "
                "then decides. /anuluj stops."
            )
        ),
        _ask(ctx, "city"),
    ]


@REGISTRY.stranger
async def answer(ctx: Context, text: str) -> list[Outgoing] | None:
    """The next answer to the join questions, if this stranger is filling them in."""
    sender = ctx.incoming.sender
    with ctx.db.session() as s:
        request = joins.current(s, sender.platform, sender.user_id, ctx.now)
        if request is None or request.status != JoinStatus.DRAFT or request.step not in STEPS:
            return None
        step = request.step
        value = " ".join(text.split())
        if not value:
            return [_ask(ctx, step)]
        try:  # a NUL, or longer than its column: said with the field and its limit
            value = check_text(value, None, FIELD_OF.get(step, "text"))
        except DomainError as refusal:
            return [Outgoing(ctx.t(refusal.msgid, **refusal.params)), _ask(ctx, step)]
        if step == "email" and not roster_file.valid_email(value):
            return [
                Outgoing(ctx.t("“{value}” is not an e-mail address.", value=value)),
                _ask(ctx, step),
            ]
        if step == "networks":
            problem = _networks(s, request, value)
            if problem is not None:
                return [Outgoing(ctx.t(problem.msgid, **problem.params)), _ask(ctx, step)]
            full = _over_the_cap(s, ctx, request)
            if full is not None:
                log.warning("join.refused_cap network=%s", full.code)
                return [
                    Outgoing(
                        ctx.t(
                            "The network {network} has received very many join requests in "
                            "the last hour, so I cannot take yours right now. Please try again "
                            "in an hour: just write the network's code to me again (your "
                            "answers so far are kept), or /anuluj to stop.",
                            network=full.name,
                        )
                    )
                ]
            joins.submit(s, request, ctx.now)
            names = ", ".join(directory.require_network(s, c).name for c in request.networks)
            for code in request.networks:
                network = directory.require_network(s, code)
                joins.note(s, joins.digest(s, network.id or 0), request.id or 0)
            log.info(
                "join.submitted request=%s networks=%s", request.id, ",".join(request.networks)
            )
        else:
            setattr(request, "city_name" if step == "city" else step, value)
            if step == "position":
                request.office = roster_file.office_of(value).value
            request.step = STEPS[STEPS.index(step) + 1]
            s.add(request)
            return [_ask(ctx, request.step)]
    ctx.wake_outbox()
    return [
        Outgoing(
            ctx.t(
                "Thank you! Your request #{id} went to the coordinators of: "
                "{networks}. I will write to you here when they decide (at the "
                "latest in 14 days).",
                id=request.id,
                networks=names,
            )
        )
    ]


def _over_the_cap(s: Session, ctx: Context, request: JoinRequest) -> Network | None:
    """The first requested network that already took its hourly share of new requests still
    waiting for a decision. Each network's digest row is locked first (in id order), so two
    requests filed at once are counted one after the other, also across processes."""
    networks = sorted(
        (directory.require_network(s, code) for code in request.networks), key=lambda n: n.id or 0
    )
    for network in networks:
        joins.digest(s, network.id or 0)
    since = ctx.now - timedelta(hours=1)
    cap = ctx.settings.join_requests_per_hour
    return next((n for n in networks if joins.filed_since(s, n.code, since) >= cap), None)


def _networks(s: Session, request: JoinRequest, value: str) -> DomainError | None:
    codes: list[str] = []
    for word in re.split(r"[,;\s]+", value):
        if not word:
            continue
        network = directory.network_by_code(s, roster_file.fold(word))
        if network is None:
            return DomainError(
                N_("Unknown network “{code}”. Known codes: {codes}."),
                code=word,
                codes=", ".join(n.code for n in directory.networks(s)),
            )
        if network.closed and not Office(request.office).may_lead:
            return DomainError(
                N_("The leaders' network admits only mayors, city presidents and their deputies.")
            )
        if network.code not in codes:
            codes.append(network.code)
    request.networks = codes
    return None


def _target_networks(
    ctx: Context, s: Session, request: JoinRequest, code: str | None
) -> list[Network]:
    """The request's undecided network named (else all of them) that this caller may decide."""
    pending = [directory.require_network(s, c) for c in request.pending]
    if code is not None and code in request.networks:
        chosen = [n for n in pending if n.code == code]
        if not chosen:
            raise DomainError(N_("Join request #{id} has already been decided."), id=request.id)
    elif code is not None:
        chosen = []  # a network this request did not ask for
    else:
        chosen = pending
    mine = [n for n in chosen if ctx.can(Action.MANAGE_MEMBERS, n)]
    if not mine:
        raise DomainError(
            N_("Only a coordinator of the requested network may decide this request.")
        )
    return mine


def _visible(ctx: Context, s: Session) -> Callable[[JoinRequest], bool]:
    """A request is seen by whoever may read one of the networks it asks for; to anyone else
    its number answers as a missing one (a closed network's requests cannot be probed)."""

    def visible(request: JoinRequest) -> bool:
        networks = (directory.network_by_code(s, code) for code in request.networks)
        return any(n is not None and ctx.can(Action.READ, n) for n in networks)

    return visible


def _in_private(ctx: Context) -> None:
    if not ctx.private:
        raise DomainError(N_("Join requests are decided in a private chat with me."))


async def which_request(ctx: Context) -> list[Outgoing]:
    _in_private(ctx)
    raise DomainError(N_("Which request? For example: /przyjmij 3 cyfrowe"))


def _tell_asker(
    s: Session, ctx: Context, request: JoinRequest, build: Callable[[Translator], Outgoing]
) -> None:
    if request.external_id is None:
        return
    t = Translator(request.language or ctx.settings.default_language, ctx.settings.tz)
    enqueue(
        s,
        Target(request.platform, request.external_id),
        build(t),
        ctx.now,
        kind="join_decision",
    )


@REGISTRY.command(
    "przyjmij",
    "accept",
    summary=N_("accept a join request"),
    args=Words(
        Id("number"),
        Code("network", optional=True),
        StandingArg("standing", optional=True),
    ),
    usage=N_("<request> [network] [standing of a new city]"),
    example="/przyjmij 3 cyfrowe",
    action=Action.MANAGE_MEMBERS,
    scope="private",
    when_empty=which_request,
)
async def accept(
    ctx: Context, number: int, network: str | None, standing: Standing | None
) -> list[Outgoing]:
    _in_private(ctx)
    me = ctx.require_person()
    changes = roster.Changes()
    with ctx.db.session() as s:
        request = joins.load_open(s, number, ctx.now, _visible(ctx, s))
        networks = _target_networks(ctx, s, request, network)
        city = roster.ensure_city(s, request.city_name or "", None, changes)
        person = s.get(Person, request.person_id) if request.person_id else None
        if person is None:
            known = roster.find_person(s, request.name, request.email, city.id)
            if known is not None:
                raise DomainError(
                    N_(
                        "{name} (#{id}) is already in the roster: send them an "
                        "invitation (/zaproszenie {id}) instead, and reject this "
                        "request."
                    ),
                    name=known.display_name,
                    id=known.id,
                )
            row = roster.RosterRow(
                0,
                None,
                city.name,
                None,
                None,
                request.name,
                request.position,
                Office(request.office),
                request.email,
                Role.REPRESENTATIVE,
                request.language,
            )
            person = roster.upsert_person(s, row, city, changes, ctx.now)
            directory.link_account(
                s,
                person.id or 0,
                request.platform,
                request.external_id or "",
                request.username,
                ctx.now,
            )
            request.person_id = person.id
        for where in networks:
            if directory.standing_of(s, city.id, where.id) is None:
                joins_as = standing or roster.new_city_standing(where)
                roster.set_standing(s, where, city, joins_as, changes, me.id, ctx.now)
            roster.check_seat(s, where, person)
            roster.grant(s, person, where, Role.REPRESENTATIVE, me.id, ctx.now, changes)
        joins.decide(s, request, [n.code for n in networks], JoinStatus.ACCEPTED, ctx.now)
        audit.record(
            s,
            ctx.now,
            me.id,
            "join.accept",
            f"join_request:{request.id}",
            networks=[n.code for n in networks],
            person=person.id,
        )
        names = ", ".join(n.name for n in networks)
        _tell_asker(
            s,
            ctx,
            request,
            lambda t: Outgoing(
                t(
                    "Welcome! Your request has been accepted: you are now in the network {networks}. "
                    "Your account is linked. Type /pomoc to see what you can do.",
                    networks=names,
                )
            ),
        )
        catch_up(s, person.id or 0, ctx.settings, ctx.now)  # what is still ahead in the network
    ctx.wake_outbox()
    return [
        Outgoing(
            ctx.t(
                "Accepted: {name} ({city}) joins {networks}. I told them and linked their account.",
                name=person.display_name,
                city=city.name,
                networks=names,
            )
            + "\n"
            + "\n".join(f"• {roster_file.describe_change(ctx.t, c)}" for c in changes.items)
        )
    ]


@REGISTRY.command(
    "odrzuc",
    "reject",
    summary=N_("reject a join request"),
    args=Words(Id("number"), Code("network", optional=True), Text("reason", optional=True)),
    usage=N_("<request> [network] [reason]"),
    example="/odrzuc 3 cyfrowe",
    action=Action.MANAGE_MEMBERS,
    scope="private",
    when_empty=which_request,
)
async def reject(
    ctx: Context, number: int, network: str | None, reason: str | None
) -> list[Outgoing]:
    _in_private(ctx)
    me = ctx.require_person()
    with ctx.db.session() as s:
        request = joins.load_open(s, number, ctx.now, _visible(ctx, s))
        networks = _target_networks(ctx, s, request, network)
        reason = " ".join((reason or "").split())[:300]
        joins.decide(s, request, [n.code for n in networks], JoinStatus.REJECTED, ctx.now)
        audit.record(
            s,
            ctx.now,
            me.id,
            "join.reject",
            f"join_request:{request.id}",
            networks=[n.code for n in networks],
        )
        names = ", ".join(n.name for n in networks)

        def build(t: Translator) -> Outgoing:
            text = t(
                "Thank you for your interest in the network {networks}. This time the "
                "coordinator could not accept your request.",
                networks=names,
            )
            if reason:
                text += "\n" + t("The coordinator's note: {reason}", reason=reason)
            return Outgoing(
                text
                + "\n"
                + t("If you have questions, write to the Association of Polish Cities (ZMP).")
            )

        _tell_asker(s, ctx, request, build)
    ctx.wake_outbox()
    return [
        Outgoing(
            ctx.t(
                "Rejected: request #{id} for {networks}. I told the person politely.",
                id=request.id,
                networks=names,
            )
        )
    ]


def cancel_draft(ctx: Context) -> bool:
    """/anuluj from a stranger stops their unfinished join request."""
    sender = ctx.incoming.sender
    with ctx.db.session() as s:
        return joins.cancel_draft(s, sender.platform, sender.user_id, ctx.now)

"""Join requests (the handbook's "nabór"): someone the bot does not know asks, privately, to
join; the network's coordinator accepts (the person is added and the asking account linked)
or rejects (the person is told politely). Buttons and typed commands do the same."""

from __future__ import annotations

import logging
import re
from collections.abc import Callable

from sqlmodel import Session

from core.i18n import Translator
from core.messages import Action as Button
from core.messages import Outgoing, Target
from core.outbox import enqueue, enqueue_to_person
from handlers.kit.args import Code, Id, Text, Words
from handlers.kit.context import Context
from handlers.kit.feature import Feature
from handlers.kit.labels import STANDING
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

FEATURE = Feature("joining", jobs=True)

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
LIMITS = {"city": 120, "name": 200, "position": 200, "email": 200}


def _ask(ctx: Context, step: str) -> Outgoing:
    with ctx.db.session() as s:
        codes = ", ".join(n.code for n in directory.networks(s))
    return Outgoing(
        ctx.t(QUESTION[step], codes=codes) if step == "networks" else ctx.t(QUESTION[step])
    )


@REGISTRY.command(
    "zglos", "join", summary=N_("ask to join a network (for new people)"), scope="private"
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
        if step in LIMITS and len(value) > LIMITS[step]:
            return [
                Outgoing(
                    ctx.t(
                        "That is too long (at most {most}). Please shorten it.",
                        most=ctx.t.tn("{n} character", "{n} characters", LIMITS[step]),
                    )
                ),
                _ask(ctx, step),
            ]
        if step == "email" and not roster_file.valid_email(value):
            return [
                Outgoing(ctx.t("“{value}” is not an e-mail address.", value=value)),
                _ask(ctx, step),
            ]
        if step == "networks":
            problem = _networks(s, request, value)
            if problem is not None:
                return [Outgoing(ctx.t(problem.msgid, **problem.params)), _ask(ctx, step)]
            joins.submit(s, request, ctx.now)
            names = ", ".join(directory.require_network(s, c).name for c in request.networks)
            offered = _offer(s, ctx, request)
            log.info(
                "join.submitted request=%s networks=%s offered=%s",
                request.id,
                ",".join(request.networks),
                offered,
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


def _describe(t: Translator, s: Session, request: JoinRequest, network: Network) -> str:
    city = roster.city_by_name(s, request.city_name or "")
    standing = directory.standing_of(s, city.id, network.id) if city else None
    where = (
        t("already in the network as {standing}", standing=t(STANDING[standing]))
        if standing
        else t("not in the network yet: joins as a laureate (the network is closed)")
        if network.closed
        else t("not in the network yet: joins as an observer unless you say otherwise")
    )
    return t(
        "Join request #{id} for the network {network}:\n{name}, {position}\n{city} "
        "({where})\n{email}",
        id=request.id,
        network=network.name,
        name=request.name,
        position=request.position,
        city=request.city_name,
        where=where,
        email=request.email,
    )


def _offer(s: Session, ctx: Context, request: JoinRequest) -> int:
    """Each network's coordinators get the request privately, with the two buttons; with no
    coordinator reachable, the coordinating team does."""
    offered = 0
    for code in request.networks:
        network = directory.require_network(s, code)
        staff = directory.members(s, network.id or 0)
        reached = 0
        for wanted in (Role.COORDINATOR, Role.COORDINATING_TEAM):
            for person, role, _city in staff:
                if role != wanted:
                    continue

                def build(t: Translator, n: Network = network) -> Outgoing:
                    return Outgoing(
                        _describe(t, s, request, n)
                        + "\n"
                        + t(
                            "Typed: /przyjmij {id} {code} [standing] or /odrzuc {id} {code} "
                            "[reason]",
                            id=request.id,
                            code=n.code,
                        ),
                        actions=(
                            Button(t("Accept"), f"/przyjmij {request.id} {n.code}"),
                            Button(t("Reject"), f"/odrzuc {request.id} {n.code}"),
                        ),
                    )

                reached += enqueue_to_person(
                    s,
                    person.id or 0,
                    ctx.settings,
                    ctx.now,
                    build,
                    kind="join_request",
                    dedupe_key=f"join:{request.id}:{code}:{person.id}",
                )
            if reached:
                break
        offered += reached
    return offered


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

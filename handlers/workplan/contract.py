"""The network's "kontrakt" — its rules of cooperation. The coordinator sets it (each time a
new version); every representative gets it privately, and so does each new member on joining;
one representative acknowledges it on behalf of their city, once per version; the coordinator
sees which cities have not."""

from __future__ import annotations

from datetime import datetime

from sqlmodel import Session

from core.config import Settings
from core.i18n import Translator
from core.messages import Outgoing, Target
from core.outbox import enqueue_once, enqueue_to_people
from handlers.kit.args import Code, Text, Words
from handlers.kit.context import Context
from handlers.kit.permissions import Action
from handlers.kit.registry import REGISTRY
from handlers.welcome import on_arrival
from handlers.workplan import render
from models import audit, directory
from models.core import Network, Person
from models.enums import Role
from models.errors import N_, DomainError
from models.workplan import CONTRACT_MAX, Contract
from models.workplan import queries as plan

NO_CONTRACT = N_("The network {network} has no contract yet.")


def _key(contract: Contract, person_id: int) -> str:
    return f"contract:{contract.network_id}:{contract.version}:p{person_id}"


@REGISTRY.command(
    "kontrakt_ustaw",
    "contract_set",
    summary=N_("set the network's contract (its rules of cooperation): a new version"),
    args=Words(Code("network"), Text("text", limit=CONTRACT_MAX, field_name="text")),
    usage=N_("<network> <the contract's text, several lines allowed>"),
    example="/kontrakt_ustaw cyfrowe 1. Spotykamy się raz na kwartał. 2. Dzielimy się danymi.",
    action=Action.MANAGE_PLAN,
    private=True,
    refusal=N_("Only coordinators and the coordinating team set the network's contract."),
)
async def set_contract(ctx: Context, network: str, text: str) -> list[Outgoing]:
    me = ctx.require_person()
    with ctx.db.session() as s:
        where = directory.require_network(s, network)
        ctx.require(Action.MANAGE_PLAN, where)
        contract = plan.set_contract(s, where.id or 0, text, me.id, ctx.now)
        audit.record(
            s,
            ctx.now,
            me.id,
            "plan.contract_set",
            f"network:{where.code}",
            version=contract.version,
        )
        people = plan.representatives(s, where.id or 0)
        sent = enqueue_to_people(
            s,
            people,
            ctx.settings,
            ctx.now,
            lambda t: render.contract_message(t, where, contract, acknowledged=False),
            kind="contract",
            dedupe=lambda p: _key(contract, p),
        )
        cities = len(directory.standings_in(s, where.id or 0))
    ctx.wake_outbox()
    return [
        Outgoing(
            ctx.t(
                "Version {version} of the contract of the network {network} is set; I sent it "
                "privately {to_people}. Each of the {cities} cities acknowledges it "
                "once; /kontrakt {code} shows which have.",
                version=contract.version,
                network=where.name,
                to_people=ctx.t.tn("to {n} person", "to {n} people", sent),
                cities=cities,
                code=where.code,
            )
        )
    ]


def _acknowledgements(s: Session, t: Translator, network: Network, contract: Contract) -> str:
    cities = directory.standings_in(s, network.id or 0)
    given = plan.acks(s, network.id or 0, contract.version)
    names = directory.display_names(s, [a.person_id for a in given.values() if a.person_id])
    done = sorted(
        (directory.city_name(s, c) or "—", names.get(a.person_id or 0, "—"), a.at)
        for c, a in given.items()
        if c in cities
    )
    missing = render.city_names(s, [c for c in cities if c not in given])
    lines = [
        t(
            "Acknowledged by {done} {of_cities}.",
            done=len(done),
            of_cities=t.tn("of {n} city", "of {n} cities", len(cities)),
        )
    ]
    lines += [f"✅ {city} — {who}, {t.short_datetime(at)}" for city, who, at in done]
    if missing:
        lines.append(t("Not yet: {cities}", cities=", ".join(missing)))
    return "\n".join(lines)


@REGISTRY.command(
    "kontrakt",
    "contract",
    summary=N_("the network's contract (rules of cooperation) and who acknowledged it"),
    args=Words(Code("network", optional=True)),
    example="/kontrakt cyfrowe",
    action=Action.READ,
    private=True,
)
async def show(ctx: Context, network: str | None) -> list[Outgoing]:
    where = ctx.target_network(network)
    ctx.require(Action.READ, where)
    with ctx.db.session() as s:
        contract = plan.contract(s, where.id or 0)
        if contract is None:
            raise DomainError(NO_CONTRACT, network=where.name)
        me = ctx.person
        city = me.city_id if me else None
        acknowledged = (
            city is not None and plan.ack_of(s, where.id or 0, city, contract.version) is not None
        )
        member = ctx.can(Action.ACCEPT_CONTRACT, where)
        message = render.contract_message(ctx.t, where, contract, acknowledged or not member)
        if not member:  # staff and guests: no acknowledgement of their own
            message = Outgoing(message.text.rsplit("\n\n", 1)[0])
        replies = [message]
        if ctx.can(Action.MANAGE_PLAN, where) or ctx.can(Action.VIEW_REPORTS, where):
            replies.append(Outgoing(_acknowledgements(s, ctx.t, where, contract)))
    return replies


@REGISTRY.command(
    "kontrakt_akceptuje",
    "contract_accept",
    summary=N_("acknowledge the network's contract on behalf of your city"),
    args=Words(Code("network", optional=True)),
    example="/kontrakt_akceptuje cyfrowe",
    action=Action.ACCEPT_CONTRACT,
    private=True,
    refusal=N_("The contract is acknowledged by a representative of a city of the network."),
)
async def accept(ctx: Context, network: str | None) -> list[Outgoing]:
    me = ctx.require_person()
    where = ctx.target_network(network)
    ctx.require(Action.ACCEPT_CONTRACT, where)
    if me.city_id is None:
        raise DomainError(N_("You represent no city, so there is nothing to acknowledge."))
    with ctx.db.session() as s:
        contract = plan.contract(s, where.id or 0)
        if contract is None:
            raise DomainError(NO_CONTRACT, network=where.name)
        city = directory.city_name(s, me.city_id) or "—"
        ack, new = plan.acknowledge(
            s, where.id or 0, me.city_id, contract.version, me.id or 0, ctx.now
        )
        if new:
            audit.record(
                s,
                ctx.now,
                me.id,
                "plan.contract_ack",
                f"network:{where.code}",
                version=contract.version,
            )
            return [
                Outgoing(
                    ctx.t(
                        "Thank you: {city} has acknowledged version {version} of the contract "
                        "of the network {network}.",
                        city=city,
                        version=contract.version,
                        network=where.name,
                    )
                )
            ]
        who = directory.display_names(s, [ack.person_id or 0]).get(ack.person_id or 0, "—")
        return [
            Outgoing(
                ctx.t(
                    "{city} already acknowledged version {version} of the contract "
                    "({who}, {when}).",
                    city=city,
                    version=contract.version,
                    who=who,
                    when=ctx.t.short_datetime(ack.at),
                )
            )
        ]


@on_arrival
def show_on_joining(
    s: Session, person: Person, where: Target, t: Translator, settings: Settings, now: datetime
) -> int:
    """A new member gets each of their networks' contract in force (the same message as when
    it was set: never twice), with the button while their city has not acknowledged it."""
    sent = 0
    for network in directory.networks_of(s, person.id or 0):
        if Role.REPRESENTATIVE not in directory.roles_of(s, person.id or 0, network.id):
            continue
        contract = plan.contract(s, network.id or 0)
        if contract is None:
            continue
        acknowledged = (
            person.city_id is not None
            and plan.ack_of(s, network.id or 0, person.city_id, contract.version) is not None
        )
        sent += enqueue_once(
            s,
            where,
            render.contract_message(t, network, contract, acknowledged),
            now,
            dedupe_key=_key(contract, person.id or 0),
            person_id=person.id,
            network_id=network.id,
            kind="contract",
        )
    return sent

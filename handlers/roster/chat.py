"""The coordinators' chat commands on the roster: add a city, change a standing, add, replace
or end a person, give or take a staff role. Typed with nothing after them, each asks its
fields one at a time (handlers.roster.guide)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlmodel import Session

from core.messages import Outgoing
from core.outbox import enqueue_to_person
from handlers.kit.args import Arg, Code, Fields, Text, Word
from handlers.kit.context import Context
from handlers.kit.labels import STANDING
from handlers.kit.limits import EMAIL, check_text
from handlers.kit.permissions import Action
from handlers.kit.registry import REGISTRY
from handlers.roster import sheet as roster_file
from handlers.roster.guide import asking, private_only
from handlers.roster.office import find_one, tell_promoted
from handlers.welcome import catch_up
from models import audit, directory, roster
from models.core import City, Network, Person
from models.enums import Role, Standing
from models.errors import N_, DomainError

STAFF_ROLES = {
    "koordynator": Role.COORDINATOR,
    "coordinator": Role.COORDINATOR,
    "ekspert": Role.EXPERT,
    "expert": Role.EXPERT,
    "opiekun": Role.ORGANISER,
    "organiser": Role.ORGANISER,
    "zespol": Role.COORDINATING_TEAM,
    "zespol koordynujacy": Role.COORDINATING_TEAM,
    "team": Role.COORDINATING_TEAM,
}
EVERY_NETWORK = ("wszystkie", "all", "*")
ADD_CITY = N_("<network>; <city>; <standing>[; <voivodeship>]")
STATUS = N_("<network>; <city>; <standing>")
ADD_PERSON = N_("<network>; <city>; <full name>; <position>[; <e-mail>]")
REPLACE = N_("<network>; <person no.>; <new person's full name or no.>[; <position>; <e-mail>]")
END = N_("<network>; <person no.>")
STAFF = N_("<network or “wszystkie”>; <person no.>; <role: koordynator, ekspert, opiekun, zespół>")


def _refusal(ctx: Context) -> DomainError:
    """Whoever coordinates nothing: the one-line command is refused in their own network (as
    the handler would), the guided form in general."""
    typed = len(ctx.incoming.text.split(None, 1)) > 1
    try:
        network = ctx.target_network(None)
    except DomainError:
        typed = False
    if not typed:
        return DomainError(N_("Only coordinators and the coordinating team change the roster."))
    return DomainError(N_("You may not do this in the network {network}."), network=network.name)


class RosterFields(Fields):
    """`;`-separated fields, read only in a private chat (roster changes are not made where a
    group watches)."""

    def read_parts(self, parts: list[str], ctx: Context) -> dict[str, Any]:
        private_only(ctx)
        return super().read_parts(parts, ctx)


@dataclass(frozen=True)
class StandingArg(Text):
    """laureat, finalista, lider zmian or obserwator (the rest of the line, in `Words`)."""

    def parse(self, text: str) -> Standing:
        standing = roster_file.STANDINGS.get(roster_file.fold(text))
        if standing is None:
            raise DomainError(
                N_("Unknown standing “{value}”: laureat, finalista, lider zmian or obserwator."),
                value=text,
            )
        return standing


@dataclass(frozen=True)
class Email(Arg):
    def parse(self, text: str) -> str:
        text = check_text(text, EMAIL, "email")
        if not roster_file.valid_email(text):
            raise DomainError(N_("“{value}” is not an e-mail address."), value=text)
        return text


@dataclass(frozen=True)
class StaffRole(Arg):
    """koordynator, ekspert, opiekun or zespół."""

    def parse(self, text: str) -> Role:
        role = STAFF_ROLES.get(roster_file.fold(text))
        if role is None:
            raise DomainError(
                N_(
                    "Staff roles are: koordynator, ekspert, opiekun, zespół (the "
                    "coordinating team). Representatives are added with "
                    "/osoba_dodaj."
                )
            )
        return role


NETWORK = Code("network")
CITY = Text("city", field_name="city")
PERSON = Word("person")


def _me(ctx: Context) -> int | None:
    return ctx.person.id if ctx.person else None


def _managed_network(ctx: Context, s: Session, code: str) -> Network:
    network = directory.require_network(s, code)
    ctx.require(Action.MANAGE_MEMBERS, network)
    return network


def _city_in(s: Session, network: Network, name: str) -> City:
    city = roster.city_by_name(s, name)
    if city is None or directory.standing_of(s, city.id, network.id) is None:
        raise DomainError(
            N_("{city} is not in the network {network}. Add it with /miasto_dodaj."),
            city=name,
            network=network.code,
        )
    return city


def _changed(ctx: Context, changes: roster.Changes) -> str:
    """What changed: one change as a sentence, several as a list."""
    described = [roster_file.describe_change(ctx.t, c) for c in changes.items]
    if not described:
        return ctx.t("Nothing to change: the roster already says so.")
    if len(described) == 1:
        text = described[0][:1].upper() + described[0][1:]
        return text if text.endswith((".", "!", "?")) else text + "."
    return "\n".join(f"• {line}" for line in described)


def _tell_coordinators(
    s: Session, ctx: Context, where: Network, msgid: str, **params: object
) -> None:
    """The network's coordinators (but the one acting) hear of a change privately."""
    me = _me(ctx)
    for person, role, _city in directory.members(s, where.id or 0):
        if role == Role.COORDINATOR and person.id != me:
            enqueue_to_person(
                s,
                person.id or 0,
                ctx.settings,
                ctx.now,
                lambda t: Outgoing(t(msgid, **params)),
                kind="roster",
            )


@REGISTRY.command(
    "miasto_dodaj",
    "city_add",
    summary=N_("add a city to a network"),
    args=RosterFields(
        NETWORK,
        CITY,
        StandingArg("standing"),
        Text("voivodeship", optional=True, field_name="voivodeship"),
    ),
    usage=ADD_CITY,
    example="/miasto_dodaj cyfrowe; Łomża; obserwator",
    action=Action.MANAGE_MEMBERS,
    scope="private",
    when_empty=asking("miasto_dodaj"),
    refusal=_refusal,
)
async def add_city(
    ctx: Context, network: str, city: str, standing: Standing, voivodeship: str | None
) -> list[Outgoing]:
    changes = roster.Changes()
    with ctx.db.session() as s:
        where = _managed_network(ctx, s, network)
        existing = roster.city_by_name(s, city)
        current = directory.standing_of(s, existing.id, where.id) if existing else None
        if current is not None:
            raise DomainError(
                N_(
                    "{city} is already in the network {network} ({standing}). "
                    "Change its standing with /status."
                ),
                city=city,
                network=where.code,
                standing=ctx.t(STANDING[current]),
            )
        added = roster.ensure_city(s, city, voivodeship, changes)
        roster.set_standing(s, where, added, standing, changes, _me(ctx), ctx.now)
    return [Outgoing(_changed(ctx, changes))]


@REGISTRY.command(
    "status",
    "standing",
    summary=N_("change a city's standing in a network"),
    args=RosterFields(NETWORK, CITY, StandingArg("standing")),
    usage=STATUS,
    example="/status cyfrowe; Świdnik; laureat",
    action=Action.MANAGE_MEMBERS,
    scope="private",
    when_empty=asking("status"),
    refusal=_refusal,
)
async def change_standing(
    ctx: Context, network: str, city: str, standing: Standing
) -> list[Outgoing]:
    changes = roster.Changes()
    with ctx.db.session() as s:
        where = _managed_network(ctx, s, network)
        found = _city_in(s, where, city)
        roster.set_standing(s, where, found, standing, changes, _me(ctx), ctx.now)
    return [Outgoing(_changed(ctx, changes))]


def _new_person(
    s: Session,
    ctx: Context,
    network: Network,
    city: City,
    name: str,
    position: str | None,
    email: str | None,
    changes: roster.Changes,
) -> Person:
    row = roster.RosterRow(
        0,
        network.code,
        city.name,
        None,
        None,
        name,
        position or None,
        roster_file.office_of(position),
        email,
        Role.REPRESENTATIVE,
        None,
    )
    person = roster.upsert_person(s, row, city, changes, ctx.now)
    audit.record(s, ctx.now, _me(ctx), "person.add", f"person:{person.id}", network=network.code)
    return person


def _invite_hint(ctx: Context, person: Person) -> str:
    return ctx.t("To link their account, send them an invitation: /zaproszenie {id}", id=person.id)


@REGISTRY.command(
    "osoba_dodaj",
    "person_add",
    summary=N_("add a representative of a city"),
    args=RosterFields(
        NETWORK,
        CITY,
        Text("name", field_name="name"),
        Text("position", field_name="position"),
        Email("email", optional=True),
    ),
    usage=ADD_PERSON,
    example="/osoba_dodaj cyfrowe; Łomża; Anna Kowalska; Naczelniczka Wydziału IT; "
    "a.kowalska@um.lomza.pl",
    action=Action.MANAGE_MEMBERS,
    scope="private",
    when_empty=asking("osoba_dodaj"),
    refusal=_refusal,
)
async def add_person(
    ctx: Context, network: str, city: str, name: str, position: str, email: str | None
) -> list[Outgoing]:
    changes = roster.Changes()
    with ctx.db.session() as s:
        where = _managed_network(ctx, s, network)
        found = _city_in(s, where, city)
        person = _new_person(s, ctx, where, found, name, position, email, changes)
        roster.check_seat(s, where, person)
        roster.grant(s, person, where, Role.REPRESENTATIVE, _me(ctx), ctx.now, changes)
        for granted in changes.granted:
            catch_up(s, granted, ctx.settings, ctx.now)
    return [Outgoing(_changed(ctx, changes) + "\n" + _invite_hint(ctx, person))]


@REGISTRY.command(
    "zastap",
    "replace",
    summary=N_("replace a city's representative"),
    args=RosterFields(
        NETWORK,
        PERSON,
        Text("new", field_name="name"),
        Text("position", optional=True, field_name="position"),
        Email("email", optional=True),
    ),
    usage=REPLACE,
    example="/zastap cyfrowe; 12; Jan Nowak; Specjalista ds. e-usług; j.nowak@um.lomza.pl",
    action=Action.MANAGE_MEMBERS,
    scope="private",
    when_empty=asking("zastap"),
    refusal=_refusal,
)
async def replace(
    ctx: Context,
    network: str,
    person: str,
    new: str,
    position: str | None,
    email: str | None,
) -> list[Outgoing]:
    changes = roster.Changes()
    with ctx.db.session() as s:
        where = _managed_network(ctx, s, network)
        old = find_one(s, person)
        if (
            Role.REPRESENTATIVE not in directory.roles_of(s, old.id or 0, where.id)
            or old.city_id is None
        ):
            raise DomainError(
                N_("{name} is not a representative in the network {network}."),
                name=old.display_name,
                network=where.code,
            )
        city = s.get(City, old.city_id)
        assert city is not None
        if new.lstrip("#").isdigit():
            successor = find_one(s, new)
            if successor.city_id != old.city_id:
                raise DomainError(
                    N_(
                        "{name} is from another city: a replacement takes over "
                        "the same city's seat."
                    ),
                    name=successor.display_name,
                )
        else:
            successor = _new_person(s, ctx, where, city, new, position, email, changes)
        if successor.id == old.id:
            raise DomainError(N_("That is the same person."))
        roster.end_in_network(
            s, old, where, _me(ctx), ctx.now, changes, frozenset({Role.REPRESENTATIVE})
        )
        roster.grant(s, successor, where, Role.REPRESENTATIVE, _me(ctx), ctx.now, changes)
        audit.record(
            s,
            ctx.now,
            _me(ctx),
            "person.replace",
            f"person:{old.id}",
            by_person=successor.id,
            network=where.code,
        )
        tell_promoted(s, ctx.settings, ctx.now, changes.released)
        _tell_coordinators(
            s,
            ctx,
            where,
            N_(
                "Roster change in {network}: {new} replaces {old} ({city}). Their answers to "
                "upcoming meetings were released."
            ),
            network=where.code,
            new=successor.display_name,
            old=old.display_name,
            city=city.name,
        )
    ctx.wake_outbox()
    released = (
        ctx.t.tn(
            "Answers released for {n} upcoming meeting.",
            "Answers released for {n} upcoming meetings.",
            len({m for m, _p in changes.released}),
        )
        if changes.released
        else ""
    )
    lines = [_changed(ctx, changes), released, _invite_hint(ctx, successor)]
    return [Outgoing("\n".join(filter(None, lines)))]


@REGISTRY.command(
    "zakoncz",
    "end",
    summary=N_("end a person's membership in a network"),
    args=RosterFields(NETWORK, PERSON),
    usage=END,
    example="/zakoncz cyfrowe; 12",
    action=Action.MANAGE_MEMBERS,
    scope="private",
    when_empty=asking("zakoncz"),
    refusal=_refusal,
)
async def end(ctx: Context, network: str, person: str) -> list[Outgoing]:
    changes = roster.Changes()
    with ctx.db.session() as s:
        where = _managed_network(ctx, s, network)
        found = find_one(s, person)
        if not roster.end_in_network(s, found, where, _me(ctx), ctx.now, changes):
            raise DomainError(
                N_("{name} has no role in the network {network}."),
                name=found.display_name,
                network=where.code,
            )
        tell_promoted(s, ctx.settings, ctx.now, changes.released)
        _tell_coordinators(
            s,
            ctx,
            where,
            N_("Roster change in {network}: {name}'s membership has ended."),
            network=where.code,
            name=found.display_name,
        )
    ctx.wake_outbox()
    return [Outgoing(_changed(ctx, changes))]


def _staff_change(
    ctx: Context, network: str, person: str, role: Role, *, grant: bool
) -> list[Outgoing]:
    changes = roster.Changes()
    with ctx.db.session() as s:
        found = find_one(s, person)
        everywhere = roster_file.fold(network) in EVERY_NETWORK
        if (role is Role.COORDINATING_TEAM) != everywhere:
            raise DomainError(
                N_(
                    "The coordinating team works across all networks (write "
                    "“wszystkie”); other roles belong to one network."
                )
            )
        if everywhere:
            if Role.COORDINATING_TEAM not in directory.roles_of(s, _me(ctx) or 0, None):
                raise DomainError(N_("Only the coordinating team may change its own members."))
            where = None
        else:
            where = _managed_network(ctx, s, network)
        if grant:
            roster.grant(s, found, where, role, _me(ctx), ctx.now, changes)
        elif where is None:
            for ended in directory.end_roles(
                s, found.id or 0, None, _me(ctx), ctx.now, frozenset({role})
            ):
                changes.add(
                    N_("role ended: {name} — {role}"), name=found.display_name, role=ended.value
                )
        else:
            roster.end_in_network(s, found, where, _me(ctx), ctx.now, changes, frozenset({role}))
    return [Outgoing(_changed(ctx, changes))]


STAFF_ARGS = RosterFields(Word("network"), PERSON, StaffRole("role"))


@REGISTRY.command(
    "rola_nadaj",
    "role_grant",
    summary=N_("give someone a staff role"),
    args=STAFF_ARGS,
    usage=STAFF,
    example="/rola_nadaj cyfrowe; 12; ekspert",
    action=Action.MANAGE_MEMBERS,
    scope="private",
    when_empty=asking("rola_nadaj"),
    refusal=_refusal,
)
async def grant_role(ctx: Context, network: str, person: str, role: Role) -> list[Outgoing]:
    return _staff_change(ctx, network, person, role, grant=True)


@REGISTRY.command(
    "rola_odbierz",
    "role_revoke",
    summary=N_("take a staff role away"),
    args=STAFF_ARGS,
    usage=STAFF,
    example="/rola_odbierz cyfrowe; 12; ekspert",
    action=Action.MANAGE_MEMBERS,
    scope="private",
    when_empty=asking("rola_odbierz"),
    refusal=_refusal,
)
async def revoke_role(ctx: Context, network: str, person: str, role: Role) -> list[Outgoing]:
    return _staff_change(ctx, network, person, role, grant=False)

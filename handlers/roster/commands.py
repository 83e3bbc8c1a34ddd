"""Keeping the roster: the office's file (import, export) and the coordinators' chat commands
(add a city, change a standing, add, replace or end a person, give or take a staff role).

Every change goes through models.roster, so the handbook's limits hold the same way for the
file and the chat, and every change is audited with who made it.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path

from sqlmodel import Session

from core.clock import Clock
from core.config import Settings
from core.i18n import Translator
from core.messages import Outgoing
from core.outbox import enqueue_to_person
from handlers.kit.context import Context
from handlers.kit.labels import ROLE, STANDING
from handlers.kit.limits import parse_id
from handlers.kit.permissions import Action
from handlers.kit.registry import REGISTRY
from handlers.roster import sheet as roster_file
from models import audit, conversations, directory, invitations, roster
from models.core import City, Conversation, Network, Person
from models.db import Database
from models.enums import Role, Standing
from models.errors import N_, DomainError
from models.meetings import Meeting

log = logging.getLogger("empirie.roster")


@dataclass
class ImportResult:
    ok: bool
    lines: list[str]
    changes: int = 0


class _DryRun(Exception):
    """Rolls the dry run's transaction back after it has shown its changes."""


def tell_promoted(
    s: Session, settings: Settings, now: datetime, released: list[tuple[int, int]]
) -> None:
    """Whoever got a freed seat hears it privately (through the outbox)."""
    for meeting_id, person_id in released:
        meeting = s.get(Meeting, meeting_id)
        if meeting is None:
            continue
        enqueue_to_person(
            s,
            person_id,
            settings,
            now,
            lambda t, m=meeting: Outgoing(
                t(
                    "A seat freed up: you now have an in-person place at meeting #{id} ({title}).",
                    id=m.id,
                    title=m.title,
                )
            ),
            kind="waitlist",
        )


def import_file(
    db: Database,
    clock: Clock,
    settings: Settings,
    path: Path,
    t: Translator,
    dry_run: bool = False,
    by: int | None = None,
) -> ImportResult:
    """Check the whole file; apply it in one transaction, or nothing if any row is wrong."""
    with db.session() as s:
        codes = [n.code for n in directory.networks(s)]
    try:
        rows, problems = roster_file.read(path, codes)
    except roster_file.UnreadableFile as error:
        return ImportResult(False, [t(error.msgid, **error.params)])
    lines = [roster_file.describe_problem(t, p) for p in problems]
    if any(not p.warning for p in problems):
        errors = len({p.line for p in problems if not p.warning})
        return ImportResult(
            False,
            [
                t(
                    "Wrong rows in the file: {count}; nothing was changed. "
                    "Correct them and import again:",
                    count=errors,
                ),
                *lines,
            ],
        )
    now = clock.now()
    changes = roster.Changes()
    try:
        with db.session() as s:
            changes = roster.apply(s, rows, now, by)
            if dry_run:
                raise _DryRun
            tell_promoted(s, settings, now, changes.released)
    except _DryRun:
        pass
    described = [roster_file.describe_change(t, c) for c in changes.items]
    if not described:
        summary = t("The roster already matches the file: nothing to change.")
    elif dry_run:
        summary = t(
            "Dry run: importing the file would make these changes ({count}); nothing was written:",
            count=len(described),
        )
    else:
        summary = t("Imported; changes: {count}.", count=len(described))
    if not dry_run:
        log.info("roster.imported rows=%s changes=%s", len(rows), len(described))
    return ImportResult(True, [*lines, summary, *(f"• {d}" for d in described)], len(described))


def export_file(db: Database, path: Path) -> int:
    with db.session() as s:
        rows = roster.export_rows(s)
    roster_file.write(path, rows)
    return len(rows)


def find_one(s: Session, who: str) -> Person:
    """A person by id (12 or #12) or e-mail; names are ambiguous, so not accepted here."""
    who = who.strip().lstrip("#")
    person = None
    if who.isdigit():
        number = parse_id(who)  # "²" and 2⁶³ are digits to str.isdigit, not ids
        person = s.get(Person, number) if number is not None else None
    elif "@" in who:
        person = roster.find_person(s, None, who, None)
    if person is None or person.erased_at is not None:
        raise DomainError(
            N_("There is nobody with the id or e-mail “{who}” in the roster."), who=who
        )
    return person


def issue_invitation(
    db: Database, clock: Clock, who: str, days: int, by: int | None = None
) -> tuple[Person, str]:
    with db.session() as s:
        person = find_one(s, who)
        code = invitations.issue(s, person, by, clock.now(), timedelta(days=days))
    return person, code


def people_lines(db: Database, t: Translator, code: str | None) -> list[str]:
    """The roster as the office reads it: who, where, in which role, and linked or not."""
    with db.session() as s:
        chosen = [directory.require_network(s, code)] if code else list(directory.networks(s))
        lines: list[str] = []
        for network in chosen:
            rows = directory.members(s, network.id or 0)
            lines.append(
                t(
                    "{network} ({code}): {count} people",
                    network=network.name,
                    code=network.code,
                    count=len(rows),
                )
            )
            for person, role, city in rows:
                accounts = [p for p in directory.platforms_of(s, person.id or 0) if p != "console"]
                standing = directory.standing_of(s, person.city_id, network.id)
                where = f", {city.name}" if city else ""
                where += f" ({t(STANDING[standing])})" if standing else ""
                linked = (
                    t("linked: {platforms}", platforms=", ".join(accounts))
                    if accounts
                    else t("not linked")
                )
                email = f" <{person.email}>" if person.email else ""
                lines.append(
                    f"  #{person.id} {person.display_name}{email}{where} — "
                    f"{t(ROLE[Role(role)])} — {linked}"
                )
    return lines


# --- the coordinators' chat commands ------------------------------------------------------

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


def _me(ctx: Context) -> int | None:
    return ctx.person.id if ctx.person else None


def _fields(
    ctx: Context, args: str, needed: int, command: str, usage: str, example: str
) -> list[str]:
    """The `;`-separated fields of a one-line command (refused outside a private chat)."""
    if not ctx.private:
        raise DomainError(
            N_("Roster changes are made in a private chat with me: write to me privately.")
        )
    ctx.require_person()
    fields = [f.strip() for f in args.split(";")] if args.strip() else []
    if len(fields) < needed or not all(fields[:needed]):
        raise DomainError(
            N_("Usage: {usage}\nFor example: {example}"),
            usage=f"{command} {ctx.t(usage)}",
            example=example,
        )
    return fields


def _managed_network(ctx: Context, s: Session, code: str) -> Network:
    network = directory.require_network(s, code)
    ctx.require(Action.MANAGE_MEMBERS, network)
    return network


def _standing(text: str) -> Standing:
    standing = roster_file.STANDINGS.get(roster_file.fold(text))
    if standing is None:
        raise DomainError(
            N_("Unknown standing “{value}”: laureat, finalista, lider zmian or obserwator."),
            value=text,
        )
    return standing


def _city_in(s: Session, network: Network, name: str) -> City:
    city = roster.city_by_name(s, name)
    if city is None or directory.standing_of(s, city.id, network.id) is None:
        raise DomainError(
            N_("{city} is not in the network {network}. Add it with /miasto_dodaj."),
            city=name,
            network=network.code,
        )
    return city


def _email(text: str | None) -> str | None:
    if not text:
        return None
    if not roster_file.valid_email(text):
        raise DomainError(N_("“{value}” is not an e-mail address."), value=text)
    return text


def _changed(ctx: Context, changes: roster.Changes) -> str:
    return "\n".join(f"• {roster_file.describe_change(ctx.t, c)}" for c in changes.items) or ctx.t(
        "Nothing to change: the roster already says so."
    )


def _tell_coordinators(
    s: Session, ctx: Context, where: Network, msgid: str, **params: object
) -> None:
    """The network's coordinators (but the one acting) hear of a change privately."""
    me = ctx.person.id if ctx.person else None
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
    usage=ADD_CITY,
    action=Action.MANAGE_MEMBERS,
    scope="private",
)
async def add_city(ctx: Context, args: str) -> list[Outgoing]:
    guided = _guide_or_fields(ctx, "miasto_dodaj", args)
    if guided is not None:
        return guided
    f = _fields(ctx, args, 3, "/miasto_dodaj", ADD_CITY, "/miasto_dodaj cyfrowe; Łomża; obserwator")
    standing = _standing(f[2])
    changes = roster.Changes()
    with ctx.db.session() as s:
        network = _managed_network(ctx, s, f[0])
        existing = roster.city_by_name(s, f[1])
        current = directory.standing_of(s, existing.id, network.id) if existing else None
        if current is not None:
            raise DomainError(
                N_(
                    "{city} is already in the network {network} ({standing}). "
                    "Change its standing with /status."
                ),
                city=f[1],
                network=network.code,
                standing=ctx.t(STANDING[current]),
            )
        city = roster.ensure_city(s, f[1], f[3] if len(f) > 3 and f[3] else None, changes)
        roster.set_standing(s, network, city, standing, changes, _me(ctx), ctx.now)
    return [Outgoing(_changed(ctx, changes))]


@REGISTRY.command(
    "status",
    "standing",
    summary=N_("change a city's standing in a network"),
    usage=STATUS,
    action=Action.MANAGE_MEMBERS,
    scope="private",
)
async def change_standing(ctx: Context, args: str) -> list[Outgoing]:
    guided = _guide_or_fields(ctx, "status", args)
    if guided is not None:
        return guided
    f = _fields(ctx, args, 3, "/status", STATUS, "/status cyfrowe; Świdnik; laureat")
    standing = _standing(f[2])
    changes = roster.Changes()
    with ctx.db.session() as s:
        network = _managed_network(ctx, s, f[0])
        city = _city_in(s, network, f[1])
        roster.set_standing(s, network, city, standing, changes, _me(ctx), ctx.now)
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


@REGISTRY.command(
    "osoba_dodaj",
    "person_add",
    summary=N_("add a representative of a city"),
    usage=ADD_PERSON,
    action=Action.MANAGE_MEMBERS,
    scope="private",
)
async def add_person(ctx: Context, args: str) -> list[Outgoing]:
    guided = _guide_or_fields(ctx, "osoba_dodaj", args)
    if guided is not None:
        return guided
    f = _fields(
        ctx,
        args,
        4,
        "/osoba_dodaj",
        ADD_PERSON,
        "/osoba_dodaj cyfrowe; Łomża; Anna Kowalska; Naczelniczka Wydziału IT; "
        "a.kowalska@um.lomza.pl",
    )
    email = _email(f[4] if len(f) > 4 else None)
    changes = roster.Changes()
    with ctx.db.session() as s:
        network = _managed_network(ctx, s, f[0])
        city = _city_in(s, network, f[1])
        person = _new_person(s, ctx, network, city, f[2], f[3], email, changes)
        roster.check_seat(s, network, person)
        roster.grant(s, person, network, Role.REPRESENTATIVE, _me(ctx), ctx.now, changes)
    return [
        Outgoing(
            _changed(ctx, changes)
            + "\n"
            + ctx.t(
                "To link their account, send them an invitation: /zaproszenie {id}", id=person.id
            )
        )
    ]


@REGISTRY.command(
    "zastap",
    "replace",
    summary=N_("replace a city's representative"),
    usage=REPLACE,
    action=Action.MANAGE_MEMBERS,
    scope="private",
)
async def replace(ctx: Context, args: str) -> list[Outgoing]:
    guided = _guide_or_fields(ctx, "zastap", args)
    if guided is not None:
        return guided
    f = _fields(
        ctx,
        args,
        3,
        "/zastap",
        REPLACE,
        "/zastap cyfrowe; 12; Jan Nowak; Specjalista ds. e-usług; j.nowak@um.lomza.pl",
    )
    email = _email(f[4] if len(f) > 4 else None)
    changes = roster.Changes()
    with ctx.db.session() as s:
        network = _managed_network(ctx, s, f[0])
        old = find_one(s, f[1])
        if (
            Role.REPRESENTATIVE not in directory.roles_of(s, old.id or 0, network.id)
            or old.city_id is None
        ):
            raise DomainError(
                N_("{name} is not a representative in the network {network}."),
                name=old.display_name,
                network=network.code,
            )
        city = s.get(City, old.city_id)
        assert city is not None
        if f[2].lstrip("#").isdigit():
            new = find_one(s, f[2])
            if new.city_id != old.city_id:
                raise DomainError(
                    N_(
                        "{name} is from another city: a replacement takes over "
                        "the same city's seat."
                    ),
                    name=new.display_name,
                )
        else:
            new = _new_person(
                s, ctx, network, city, f[2], f[3] if len(f) > 3 else None, email, changes
            )
        if new.id == old.id:
            raise DomainError(N_("That is the same person."))
        roster.end_in_network(
            s, old, network, _me(ctx), ctx.now, changes, frozenset({Role.REPRESENTATIVE})
        )
        roster.grant(s, new, network, Role.REPRESENTATIVE, _me(ctx), ctx.now, changes)
        audit.record(
            s,
            ctx.now,
            _me(ctx),
            "person.replace",
            f"person:{old.id}",
            by_person=new.id,
            network=network.code,
        )
        tell_promoted(s, ctx.settings, ctx.now, changes.released)
        _tell_coordinators(
            s,
            ctx,
            network,
            N_(
                "Roster change in {network}: {new} replaces {old} ({city}). Their answers to "
                "upcoming meetings were released."
            ),
            network=network.code,
            new=new.display_name,
            old=old.display_name,
            city=city.name,
        )
    ctx.wake_outbox()
    released = (
        ctx.t(
            "Answers released: {count} upcoming meetings.",
            count=len({m for m, _p in changes.released}),
        )
        if changes.released
        else ""
    )
    return [
        Outgoing(
            "\n".join(
                filter(
                    None,
                    [
                        _changed(ctx, changes),
                        released,
                        ctx.t(
                            "To link their account, send them an invitation: /zaproszenie {id}",
                            id=new.id,
                        ),
                    ],
                )
            )
        )
    ]


@REGISTRY.command(
    "zakoncz",
    "end",
    summary=N_("end a person's membership in a network"),
    usage=END,
    action=Action.MANAGE_MEMBERS,
    scope="private",
)
async def end(ctx: Context, args: str) -> list[Outgoing]:
    guided = _guide_or_fields(ctx, "zakoncz", args)
    if guided is not None:
        return guided
    f = _fields(ctx, args, 2, "/zakoncz", END, "/zakoncz cyfrowe; 12")
    changes = roster.Changes()
    with ctx.db.session() as s:
        network = _managed_network(ctx, s, f[0])
        person = find_one(s, f[1])
        if not roster.end_in_network(s, person, network, _me(ctx), ctx.now, changes):
            raise DomainError(
                N_("{name} has no role in the network {network}."),
                name=person.display_name,
                network=network.code,
            )
        tell_promoted(s, ctx.settings, ctx.now, changes.released)
        _tell_coordinators(
            s,
            ctx,
            network,
            N_("Roster change in {network}: {name}'s membership has ended."),
            network=network.code,
            name=person.display_name,
        )
    ctx.wake_outbox()
    return [Outgoing(_changed(ctx, changes))]


def _staff_change(ctx: Context, args: str, grant: bool) -> list[Outgoing]:
    name = "/rola_nadaj" if grant else "/rola_odbierz"
    guided = _guide_or_fields(ctx, name[1:], args)
    if guided is not None:
        return guided
    f = _fields(ctx, args, 3, name, STAFF, f"{name} cyfrowe; 12; ekspert")
    role = STAFF_ROLES.get(roster_file.fold(f[2]))
    if role is None:
        raise DomainError(
            N_(
                "Staff roles are: koordynator, ekspert, opiekun, zespół (the "
                "coordinating team). Representatives are added with "
                "/osoba_dodaj."
            )
        )
    changes = roster.Changes()
    with ctx.db.session() as s:
        person = find_one(s, f[1])
        everywhere = roster_file.fold(f[0]) in EVERY_NETWORK
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
            network = None
        else:
            network = _managed_network(ctx, s, f[0])
        if grant:
            roster.grant(s, person, network, role, _me(ctx), ctx.now, changes)
        elif network is None:
            for ended in directory.end_roles(
                s, person.id or 0, None, _me(ctx), ctx.now, frozenset({role})
            ):
                changes.add(
                    N_("role ended: {name} — {role}"), name=person.display_name, role=ended.value
                )
        else:
            roster.end_in_network(s, person, network, _me(ctx), ctx.now, changes, frozenset({role}))
    return [Outgoing(_changed(ctx, changes))]


@REGISTRY.command(
    "rola_nadaj",
    "role_grant",
    summary=N_("give someone a staff role"),
    usage=STAFF,
    action=Action.MANAGE_MEMBERS,
    scope="private",
)
async def grant_role(ctx: Context, args: str) -> list[Outgoing]:
    return _staff_change(ctx, args, grant=True)


@REGISTRY.command(
    "rola_odbierz",
    "role_revoke",
    summary=N_("take a staff role away"),
    usage=STAFF,
    action=Action.MANAGE_MEMBERS,
    scope="private",
)
async def revoke_role(ctx: Context, args: str) -> list[Outgoing]:
    return _staff_change(ctx, args, grant=False)


# --- guided versions: the same commands, one question at a time ---------------------------

NETWORK_Q = N_("Network code? (e.g. cyfrowe; /sieci lists them)")
CITY_Q = N_("City?")
STANDING_Q = N_("Standing? laureat, finalista, lider zmian or obserwator")
PERSON_Q = N_("Person's number? (/osoby <network> lists them)")
OPTIONAL = N_("“-” skips.")
GUIDES: dict[str, tuple[tuple[str, bool], ...]] = {
    "miasto_dodaj": (
        (NETWORK_Q, False),
        (CITY_Q, False),
        (STANDING_Q, False),
        (N_("Voivodeship?"), True),
    ),
    "status": ((NETWORK_Q, False), (CITY_Q, False), (STANDING_Q, False)),
    "osoba_dodaj": (
        (NETWORK_Q, False),
        (CITY_Q, False),
        (N_("Full name?"), False),
        (N_("Position?"), False),
        (N_("E-mail?"), True),
    ),
    "zastap": (
        (NETWORK_Q, False),
        (N_("Number of the person being replaced?"), False),
        (N_("The new person: full name, or their number if already in the roster?"), False),
        (N_("Position?"), True),
        (N_("E-mail?"), True),
    ),
    "zakoncz": ((NETWORK_Q, False), (PERSON_Q, False)),
    "rola_nadaj": (
        (N_("Network code, or “wszystkie” for the coordinating team?"), False),
        (PERSON_Q, False),
        (N_("Role? koordynator, ekspert, opiekun or zespół"), False),
    ),
}
GUIDES["rola_odbierz"] = GUIDES["rola_nadaj"]


def _question(ctx: Context, command: str, index: int) -> Outgoing:
    msgid, optional = GUIDES[command][index]
    return Outgoing(ctx.t(msgid) + (" " + ctx.t(OPTIONAL) if optional else ""))


def _guide_or_fields(ctx: Context, command: str, args: str) -> list[Outgoing] | None:
    """No arguments in a private chat: start asking (None: run the one-line command)."""
    if args.strip() or not ctx.private or ctx.person is None:
        return None
    with ctx.db.session() as s:
        mine = [n for n in directory.networks(s) if ctx.can(Action.MANAGE_MEMBERS, n)]
    if not mine:
        raise DomainError(N_("Only coordinators and the coordinating team change the roster."))
    chat = ctx.incoming.chat
    with ctx.db.session() as s:
        conversations.start(
            s,
            chat.platform,
            chat.chat_id,
            ctx.person.id or 0,
            "roster",
            "0",
            {"command": command, "answers": []},
            ctx.now,
        )
    return [Outgoing(ctx.t("/anuluj stops.")), _question(ctx, command, 0)]


@REGISTRY.flow("roster")
async def guide_step(ctx: Context, conv: Conversation, text: str) -> list[Outgoing]:
    command = str(conv.data["command"])
    answers = [*conv.data["answers"], "" if text.strip() == "-" else text.strip()]
    steps = GUIDES[command]
    if not answers[-1] and not steps[len(answers) - 1][1]:
        return [_question(ctx, command, len(answers) - 1)]
    if len(answers) < len(steps):
        with ctx.db.session() as s:
            conversations.advance(
                s, conv, str(len(answers)), {"command": command, "answers": answers}, ctx.now
            )
        return [_question(ctx, command, len(answers))]
    with ctx.db.session() as s:
        conversations.finish(s, conv.platform, conv.chat_id, conv.person_id)
    handler = REGISTRY.lookup(command)
    assert handler is not None
    try:
        return await handler.run(ctx, "; ".join(answers))
    except DomainError as error:  # nothing saved: say why and how to start again
        return [
            Outgoing(
                ctx.t(error.msgid, **error.params)
                + "\n"
                + ctx.t("Type /{command} to start again.", command=command)
            )
        ]

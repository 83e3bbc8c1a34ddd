"""The office's side of the roster (what `empirie-bot roster|people|invite` calls): import and
export the sheet, list the people, issue an invitation code.

Every change goes through models.roster, so the handbook's limits hold the same way for the
file and the chat (handlers.roster.chat), and every change is audited with who made it.
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
from handlers.kit.labels import ROLE, STANDING
from handlers.kit.limits import parse_id
from handlers.roster import sheet as roster_file
from handlers.welcome import catch_up
from models import directory, invitations, roster
from models.core import Person
from models.db import Database
from models.enums import Role
from models.errors import N_, DomainError
from models.roster import sync as roster_sync

__all__ = [
    "DomainError",
    "ImportResult",
    "export_file",
    "find_one",
    "import_file",
    "issue_invitation",
    "people_lines",
    "tell_promoted",
]
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

        def build(t: Translator, m: Meeting = meeting) -> Outgoing:
            return Outgoing(
                t(
                    "A seat freed up: you now have an in-person place at meeting #{id} ({title}).",
                    id=m.id,
                    title=m.title,
                )
            )

        enqueue_to_person(s, person_id, settings, now, build, kind="waitlist")


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
        networks = directory.networks(s)
        codes = [n.code for n in networks]
        names = {n.name: n.code for n in networks}
    try:
        rows, problems = roster_file.read(path, codes, names)
    except roster_file.UnreadableFile as error:
        return ImportResult(False, [t(error.msgid, **error.params)])
    lines = [roster_file.describe_problem(t, p) for p in problems]
    if any(not p.warning for p in problems):
        errors = len({p.line for p in problems if not p.warning})
        return ImportResult(
            False,
            [
                t.tn(
                    "{n} wrong row in the file; nothing was changed. Correct it and import again:",
                    "{n} wrong rows in the file; nothing was changed. Correct them and import "
                    "again:",
                    errors,
                ),
                *lines,
            ],
        )
    now = clock.now()
    changes = roster.Changes()
    try:
        with db.session() as s:
            changes = roster_sync.apply(s, rows, now, by)
            if dry_run:
                raise _DryRun
            tell_promoted(s, settings, now, changes.released)
            # those already linked hear what is ahead (one query finds them among thousands)
            linked = directory.reachable(s, sorted(changes.granted), settings.active_platforms)
            for person_id in sorted(linked):
                catch_up(s, person_id, settings, now)
    except _DryRun:
        pass
    described = [roster_file.describe_change(t, c) for c in changes.items]
    if not described:
        summary = t("The roster already matches the file: nothing to change.")
    elif dry_run:
        summary = t.tn(
            "Dry run — importing the file would make {n} change; nothing was written:",
            "Dry run — importing the file would make {n} changes; nothing was written:",
            len(described),
        )
    else:
        summary = t.tn("Imported; {n} change made.", "Imported; {n} changes made.", len(described))
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
                    "{network} ({code}) — {people}",
                    network=network.name,
                    code=network.code,
                    people=t.tn("{n} person", "{n} people", len(rows)),
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


PLATFORM_NAMES = {"telegram": "Telegram", "teams": "Microsoft Teams"}


def invitation_text(
    t: Translator,
    name: str,
    code: str,
    expires: datetime,
    links: dict[str, str],
    from_the_bot: bool = True,
) -> str:
    """A new invitation code, told to whoever passes it on: in chat the bot speaks ("write to
    me"), on the command line it is "the bot"; links that open the chat with the code typed in
    follow as a labelled list."""
    lines = [
        t("{name} can join with the invitation code {code}.", name=name, code=code),
        t(
            N_(
                "The code works once, until {when}. The person sends me /start {code} in a "
                "private chat."
            )
            if from_the_bot
            else N_(
                "The code works once, until {when}. The person sends the bot /start {code} "
                "in a private chat."
            ),
            when=t.short_datetime(expires),
            code=code,
        ),
    ]
    if links:
        lines.append(t("Or a link that opens the chat with the code already typed in:"))
        lines += [
            f"• {PLATFORM_NAMES.get(platform, platform)}: {template.format(code=code)}"
            for platform, template in sorted(links.items())
        ]
    return "\n".join(lines)

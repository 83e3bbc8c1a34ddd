"""Reading the audit log (models.audit writes it): a network's entries, newest first, a page at
a time, optionally of one kind.

An entry belongs to a network when its details name the network (`network=<code>`, as roster
changes do), when its subject is the network itself, or when its subject is one of the
network's own things (a meeting, a material, a consultation, an item of its work plan).
Entries of no network (a desk sign-in, the whole office roster's import) are the programme's."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy import ColumnElement, String, cast, func, literal, or_
from sqlmodel import Session, col, select

from models.consultations import Consultation
from models.core import AuditEntry, Network
from models.materials import Material
from models.meetings import Meeting
from models.workplan.tables import PlanAction, PlanGoal, PlannedMeeting

# subject prefix -> the table whose rows belong to one network
OWNED: dict[str, Any] = {
    "meeting": Meeting,
    "material": Material,
    "consultation": Consultation,
    "plan_goal": PlanGoal,
    "plan_action": PlanAction,
    "plan_meeting": PlannedMeeting,
}


@dataclass(frozen=True)
class LogPage:
    entries: list[AuditEntry]
    total: int  # entries matching, on every page


def _of_network(network: Network) -> ColumnElement[bool]:
    named = col(AuditEntry.details)["network"].as_string() == network.code
    itself = col(AuditEntry.subject).in_([f"network:{network.code}", f"network:{network.id}"])
    owned = [
        col(AuditEntry.subject).in_(
            select(literal(f"{prefix}:", String) + cast(table.id, String)).where(
                table.network_id == network.id
            )
        )
        for prefix, table in OWNED.items()
    ]
    return or_(named, itself, *owned)


def entries(
    session: Session,
    network: Network | None,
    kind: str | None = None,
    offset: int = 0,
    limit: int = 50,
) -> LogPage:
    """A page of the entries of `network` (None: every entry, the whole programme's log),
    newest first; `kind` keeps one action (e.g. `role.end`)."""
    where: list[ColumnElement[bool]] = []
    if network is not None:
        where.append(_of_network(network))
    if kind:
        where.append(col(AuditEntry.action) == kind)
    total = session.exec(select(func.count()).select_from(AuditEntry).where(*where)).one()
    rows = session.exec(
        select(AuditEntry)
        .where(*where)
        .order_by(col(AuditEntry.at).desc(), col(AuditEntry.id).desc())
        .offset(offset)
        .limit(limit)
    ).all()
    return LogPage(list(rows), int(total))


def kinds(session: Session, network: Network | None) -> list[str]:
    """The kinds (actions) of the entries there are, for the filter."""
    query = select(AuditEntry.action).distinct()
    if network is not None:
        query = query.where(_of_network(network))
    return sorted(str(a) for a in session.exec(query).all())

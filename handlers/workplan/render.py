"""What the plan's messages say (commands and jobs both send them): an action's line, the
owner's reminder with its status buttons, the contract as a member receives it."""

from __future__ import annotations

from datetime import date, datetime

from babel.dates import format_date
from sqlmodel import Session

from core.i18n import Translator
from core.messages import Action as Button
from core.messages import Outgoing
from handlers.workplan.parse import STATUS_LABEL, STATUS_TYPED
from models import directory
from models.core import City, Network, Person
from models.workplan import OPEN_STATUSES, ActionStatus, Contract, PeriodKind, PlanAction
from models.workplan import PlannedMeeting as Planned

ROMAN = ("I", "II", "III", "IV")


def day(t: Translator, value: date) -> str:
    """`30.01.2027`: short, as people type it back."""
    return value.strftime("%d.%m.%Y")


def long_day(t: Translator, value: date) -> str:
    return format_date(value, "EEEE, d MMMM y", locale=t.language)


def period(t: Translator, entry: Planned) -> str:
    if entry.kind == PeriodKind.DAY:
        return long_day(t, entry.starts_on)
    if entry.kind == PeriodKind.MONTH:
        return format_date(entry.starts_on, "LLLL y", locale=t.language)
    quarter = ROMAN[(entry.starts_on.month - 1) // 3]
    return t("quarter {quarter} of {year}", quarter=quarter, year=entry.starts_on.year)


def status_label(t: Translator, status: str) -> str:
    return t(STATUS_LABEL[ActionStatus(status)])


def owner_label(s: Session, action: PlanAction) -> str:
    if action.owner_city_id is not None:
        city = s.get(City, action.owner_city_id)
        return city.name if city else "—"
    if action.owner_person_id is not None:
        person = s.get(Person, action.owner_person_id)
        return person.display_name if person else "—"
    return "—"


def overdue(action: PlanAction, today: date) -> bool:
    return action.status in OPEN_STATUSES and action.due_on < today


def action_line(s: Session, t: Translator, action: PlanAction, today: date) -> str:
    """`#5 Ankieta o e-usługach — Łomża — do 30.01.2027 — w toku: wysłana do 3 wydziałów`"""
    late = " ⚠️ " + t("overdue") if overdue(action, today) else ""
    note = f": {action.note}" if action.note and action.status in OPEN_STATUSES else ""
    return (
        f"#{action.id} {action.description} — {owner_label(s, action)} — "
        + t("due {date}", date=day(t, action.due_on))
        + f" — {status_label(t, action.status)}{note}{late}"
    )


def status_buttons(t: Translator, action_id: int) -> tuple[Button, ...]:
    return (
        Button(
            t(STATUS_LABEL[ActionStatus.IN_PROGRESS]).capitalize(),
            f"/dzialanie_status {action_id} {STATUS_TYPED[ActionStatus.IN_PROGRESS]}",
        ),
        Button(
            t(STATUS_LABEL[ActionStatus.DONE]).capitalize(),
            f"/dzialanie_status {action_id} {STATUS_TYPED[ActionStatus.DONE]}",
        ),
        Button(t("Write a status line"), f"/dzialanie_status {action_id}"),
    )


def reminder(
    s: Session, t: Translator, action: PlanAction, network: Network, now: datetime
) -> Outgoing:
    today = t.local(now).date()
    days = (action.due_on - today).days
    return Outgoing(
        t(
            "⏰ Action #{id} of the network {network} is due {when} ({left}): {text}\n"
            "Owner: {owner}. Status: {status}.\n"
            "How is it going? Answer in one line: /dzialanie_status {id} <status words or "
            "a line>, e.g. /dzialanie_status {id} w toku: ankieta wysłana.",
            id=action.id,
            network=network.name,
            when=long_day(t, action.due_on),
            left=t.tn("in {n} day", "in {n} days", days),
            text=action.description,
            owner=owner_label(s, action),
            status=status_label(t, action.status),
        ),
        actions=status_buttons(t, action.id or 0),
    )


def overdue_notice(
    s: Session, t: Translator, action: PlanAction, network: Network, now: datetime
) -> Outgoing:
    return Outgoing(
        t(
            "⚠️ Action #{id} of the network {network} is overdue (it was due {when}): {text}\n"
            "Owner: {owner}. Status: {status}.",
            id=action.id,
            network=network.name,
            when=day(t, action.due_on),
            text=action.description,
            owner=owner_label(s, action),
            status=status_label(t, action.status) + (f": {action.note}" if action.note else ""),
        ),
        actions=(Button(t("The plan"), f"/plan {network.code}"),),
    )


def contract_message(
    t: Translator, network: Network, contract: Contract, acknowledged: bool
) -> Outgoing:
    """The contract as a member reads it: on joining, when a new version is set, on /kontrakt."""
    head = t(
        "🤝 The contract of the network {network} (rules of cooperation, version {version}):",
        network=network.name,
        version=contract.version,
    )
    tail = (
        t("Your city has acknowledged this version.")
        if acknowledged
        else t(
            "Please acknowledge it on behalf of your city (once per city): "
            "/kontrakt_akceptuje {code}",
            code=network.code,
        )
    )
    buttons = (
        ()
        if acknowledged
        else (Button(t("I acknowledge it for my city"), f"/kontrakt_akceptuje {network.code}"),)
    )
    return Outgoing(f"{head}\n\n{contract.text}\n\n{tail}", actions=buttons)


def city_names(s: Session, city_ids: list[int]) -> list[str]:
    return sorted(directory.city_name(s, c) or f"#{c}" for c in city_ids)

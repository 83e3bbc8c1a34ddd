"""Actions of the plan: added by the coordinator (one line, or asked field by field), changed,
and given a one-line status by their owner (a city's representative or the person) — typed,
or by the buttons under a reminder. Owners hear of a new action privately at once."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from zoneinfo import ZoneInfo

from sqlmodel import Session

from core.i18n import Translator
from core.messages import Outgoing
from core.outbox import enqueue_to_people
from handlers.kit.args import Arg, Code, Fields, Id, Text, Words
from handlers.kit.context import Context
from handlers.kit.dates import fold
from handlers.kit.limits import check_text
from handlers.kit.objects import hidden_or
from handlers.kit.permissions import Action
from handlers.kit.registry import REGISTRY
from handlers.workplan import render
from handlers.workplan.parse import (
    Owner,
    due_day,
    resolve_owner,
    split_status,
)
from models import audit, conversations, directory
from models.core import Conversation, Network, Person
from models.errors import N_, DomainError
from models.workplan import ACTION_MAX, NOTE_MAX, OPEN_STATUSES, ActionStatus, PlanAction
from models.workplan import queries as plan

NO_ACTION = N_("There is no action with the number “{id}”.")
REFUSAL = N_("Only coordinators and the coordinating team keep the network's work plan.")
ADD = Fields(
    Code("network"),
    Text("description", limit=ACTION_MAX, field_name="text", label=N_("what is to be done")),
    Text("owner", limit=200, label=N_("owner: a city or a person")),
    Text("due", limit=40, label=N_("due date")),
)
GUIDE_FLOW, STATUS_FLOW = "plan_action", "plan_status"
QUESTIONS = (
    N_("Which network? Its code, e.g. cyfrowe."),
    N_("What is to be done? Describe the action in one message."),
    N_("Who owns it: a city of the network (e.g. Łomża) or a person (a name or #number)?"),
    N_("By when? A date, e.g. 30.01.2027 or 30 stycznia."),
)


@dataclass(frozen=True)
class Draft:
    description: str
    owner: Owner
    due_on: date


def check(
    s: Session, network: Network, text: str, who: str, due: str, now: datetime, tz: ZoneInfo
) -> Draft:
    """An action's fields read and checked (a DomainError says what is wrong)."""
    description = check_text(text.strip(), ACTION_MAX, "text")
    if not description:
        raise DomainError(N_("Describe the action."))
    owner = resolve_owner(s, network, who)
    return Draft(description, owner, due_day(due, now, tz))


def create(
    s: Session, ctx: Context, network: Network, draft: Draft, meeting_id: int | None = None
) -> PlanAction:
    """Store the action, schedule its reminders and tell its owners (not the author)."""
    me = ctx.require_person()
    action = PlanAction(
        network_id=network.id or 0,
        description=draft.description,
        owner_city_id=draft.owner.city_id,
        owner_person_id=draft.owner.person_id,
        due_on=draft.due_on,
        meeting_id=meeting_id,
        created_by=me.id,
        created_at=ctx.now,
    )
    s.add(action)
    s.flush()
    plan.schedule_tasks(
        s, action, ctx.now, ctx.settings.plan_reminder_offsets, ctx.settings.workdays
    )
    audit.record(s, ctx.now, me.id, "plan.action_add", f"plan_action:{action.id}")
    tell_owners(s, ctx, action, network)
    return action


def tell_owners(s: Session, ctx: Context, action: PlanAction, network: Network) -> int:
    owners = [p for p in plan.owner_people(s, action) if p != (ctx.person.id if ctx.person else 0)]
    owner = render.owner_label(s, action)

    def build(t: Translator) -> Outgoing:
        return Outgoing(
            t(
                "📌 A new action in the work plan of the network {network}, owned by {owner}: "
                "{text}\nDue: {when}. I will remind you before then; tell me how it goes "
                "with /dzialanie_status {id}.",
                network=network.name,
                owner=owner,
                text=action.description,
                when=render.long_day(t, action.due_on),
                id=action.id,
            ),
            actions=render.status_buttons(t, action.id or 0),
        )

    sent = enqueue_to_people(
        s,
        owners,
        ctx.settings,
        ctx.now,
        build,
        kind="plan_assigned",
        dedupe=lambda p: (
            f"plan_assigned:{action.id}:{action.owner_city_id}:{action.owner_person_id}:p{p}"
        ),
    )
    if sent:
        ctx.wake_outbox()
    return sent


def added_text(ctx: Context, s: Session, action: PlanAction, network: Network) -> str:
    days = ", ".join(str(d) for d in sorted(ctx.settings.plan_reminder_offsets, reverse=True))
    return ctx.t(
        "Action #{id} is in the plan of the network {network}: {text}\nOwner: {owner}. "
        "Due: {when}. The owner is reminded this many working days before: {offsets}.",
        id=action.id,
        network=network.name,
        text=action.description,
        owner=render.owner_label(s, action),
        when=render.long_day(ctx.t, action.due_on),
        offsets=days,
    )


async def _guide(ctx: Context) -> list[Outgoing]:
    """/dzialanie_dodaj alone, privately: the fields one by one (in a network's chat, the
    network is that one; the questions come privately)."""
    if not ctx.private:
        raise DomainError(
            N_("Write /dzialanie_dodaj to me in a private chat: I will ask step by step.")
        )
    me = ctx.require_person()
    chat = ctx.incoming.chat
    with ctx.db.session() as s:
        conversations.start(
            s, chat.platform, chat.chat_id, me.id or 0, GUIDE_FLOW, "0", {"answers": []}, ctx.now
        )
    return [Outgoing(ctx.t(QUESTIONS[0]) + " " + ctx.t("/anuluj stops."))]


@REGISTRY.command(
    "dzialanie_dodaj",
    "action_add",
    summary=N_("add an action to the network's work plan"),
    args=ADD,
    example="/dzialanie_dodaj cyfrowe; Ankieta o e-usługach w urzędach; Łomża; 29.01.2027",
    action=Action.MANAGE_PLAN,
    private=True,
    when_empty=_guide,
    refusal=REFUSAL,
)
async def add(ctx: Context, network: str, description: str, owner: str, due: str) -> list[Outgoing]:
    with ctx.db.session() as s:
        where = directory.require_network(s, network)
        ctx.require(Action.MANAGE_PLAN, where)
        draft = check(s, where, description, owner, due, ctx.now, ctx.settings.tz)
        action = create(s, ctx, where, draft)
        return [Outgoing(added_text(ctx, s, action, where))]


@REGISTRY.flow(GUIDE_FLOW)
async def guide_step(ctx: Context, conv: Conversation, text: str) -> list[Outgoing]:
    answers = [*conv.data["answers"], text.strip()]
    if not answers[-1]:
        return [Outgoing(ctx.t(QUESTIONS[len(answers) - 1]))]
    if len(answers) < len(QUESTIONS):
        with ctx.db.session() as s:
            conversations.advance(s, conv, str(len(answers)), {"answers": answers}, ctx.now)
        return [Outgoing(ctx.t(QUESTIONS[len(answers)]))]
    with ctx.db.session() as s:
        conversations.finish(s, conv.platform, conv.chat_id, conv.person_id)
    command = REGISTRY.lookup("dzialanie_dodaj")
    assert command is not None
    try:
        return await command.run_fields(ctx, answers)
    except DomainError as error:  # nothing saved: what was written comes back, to resend
        return [
            Outgoing(
                ctx.t(error.msgid, **error.params)
                + "\n"
                + ctx.t("Nothing was saved. Your answers as one line, to correct and send:")
            ),
            Outgoing("/dzialanie_dodaj " + "; ".join(answers)),
        ]


# --- status ------------------------------------------------------------------------------


def may_report(s: Session, ctx: Context, action: PlanAction, network: Network) -> bool:
    """The owner (the person, or a representative of the owning city) or the plan's keepers."""
    if ctx.can(Action.MANAGE_PLAN, network):
        return True
    me = ctx.person
    return me is not None and (me.id or 0) in plan.owner_people(s, action)


def report(ctx: Context, number: int, line: str) -> list[Outgoing]:
    status, note = split_status(line)
    note = check_text(note, NOTE_MAX, "text") if note else ""
    me = ctx.require_person()
    with ctx.db.session() as s:
        action = hidden_or(ctx, s, PlanAction, str(number), NO_ACTION)
        network = s.get(Network, action.network_id)
        assert network is not None
        if not may_report(s, ctx, action, network):
            raise DomainError(
                N_(
                    "Action #{id} belongs to {owner}: its status is given by the owner or the "
                    "coordinator."
                ),
                id=number,
                owner=render.owner_label(s, action),
            )
        if status is None:
            if not note:
                raise DomainError(N_("Write the status in one line."))
            status = (
                ActionStatus.IN_PROGRESS
                if action.status == ActionStatus.PLANNED
                else ActionStatus(action.status)
            )
        reopening = action.status not in OPEN_STATUSES and status in OPEN_STATUSES
        if reopening and not ctx.can(Action.MANAGE_PLAN, network):
            raise DomainError(
                N_("Action #{id} is already {status}; the coordinator can reopen it."),
                id=number,
                status=render.status_label(ctx.t, action.status),
            )
        plan.set_status(s, action, status, note or None, me.id, ctx.now)
        if status in OPEN_STATUSES:
            plan.schedule_tasks(
                s, action, ctx.now, ctx.settings.plan_reminder_offsets, ctx.settings.workdays
            )
        said = render.status_label(ctx.t, status) + (f": {note}" if note else "")
    return [
        Outgoing(
            ctx.t(
                "Action #{id} — {status}. Thank you: the coordinator sees it in the plan.",
                id=number,
                status=said,
            )
        )
    ]


async def _ask_status(ctx: Context, number: int) -> list[Outgoing]:
    me = ctx.require_person()
    with ctx.db.session() as s:
        action = hidden_or(ctx, s, PlanAction, str(number), NO_ACTION)
        network = s.get(Network, action.network_id)
        assert network is not None
        if not may_report(s, ctx, action, network):
            raise DomainError(
                N_(
                    "Action #{id} belongs to {owner}: its status is given by the owner or the "
                    "coordinator."
                ),
                id=number,
                owner=render.owner_label(s, action),
            )
        chat = ctx.incoming.chat
        conversations.start(
            s, chat.platform, chat.chat_id, me.id or 0, STATUS_FLOW, "line", {"id": number}, ctx.now
        )
        text = action.description
    return [
        Outgoing(
            ctx.t(
                "Action #{id}: {text}\nWrite its status in one line. You may start with "
                "w toku, zrobione or porzucone. /anuluj stops.",
                id=number,
                text=text,
            )
        )
    ]


@REGISTRY.command(
    "dzialanie_status",
    "action_status",
    summary=N_("give an action of the plan a one-line status"),
    args=Words(Id("action"), Text("line", optional=True, limit=NOTE_MAX + 40, field_name="text")),
    usage=N_("<action> [w toku|zrobione|porzucone] [a line]"),
    example="/dzialanie_status 5 w toku: ankieta wysłana do trzech wydziałów",
    action=Action.READ,
    private=True,
)
async def status(ctx: Context, action: int, line: str | None) -> list[Outgoing]:
    if line is None:
        return await _ask_status(ctx, action)
    return report(ctx, action, line)


@REGISTRY.flow(STATUS_FLOW)
async def status_step(ctx: Context, conv: Conversation, text: str) -> list[Outgoing]:
    if not text.strip():
        return [Outgoing(ctx.t("Write the status in one line."))]
    with ctx.db.session() as s:
        conversations.finish(s, conv.platform, conv.chat_id, conv.person_id)
    try:
        return report(ctx, int(conv.data["id"]), text)
    except DomainError as error:  # what was written comes back, to resend
        return [
            Outgoing(ctx.t(error.msgid, **error.params)),
            Outgoing(f"/dzialanie_status {conv.data['id']} {text.strip()}"),
        ]


# --- changes -----------------------------------------------------------------------------

EDITABLE = {
    "opis": "description",
    "description": "description",
    "wlasciciel": "owner",
    "owner": "owner",
    "termin": "due",
    "due": "due",
    "status": "status",
}


@dataclass(frozen=True)
class Field(Arg):
    """opis | właściciel (`wlasciciel` too) | termin | status."""

    def parse(self, text: str) -> str:
        found = EDITABLE.get(fold(text))
        if found is None:
            raise DomainError(
                N_(
                    "Write e.g. /dzialanie_zmien 5 termin 12.02.2027 (fields: opis, właściciel, "
                    "termin, status)."
                )
            )
        return found


@REGISTRY.command(
    "dzialanie_zmien",
    "action_edit",
    summary=N_("change an action of the plan: its description, owner, due date or status"),
    args=Words(Id("action"), Field("field"), Text("value", limit=ACTION_MAX)),
    usage=N_("<action> opis|właściciel|termin|status <new value>"),
    example="/dzialanie_zmien 5 termin 12.02.2027",
    action=Action.MANAGE_PLAN,
    private=True,
    refusal=REFUSAL,
)
async def edit(ctx: Context, action: int, field: str, value: str) -> list[Outgoing]:
    if field == "status":
        if split_status(value)[0] is None:
            raise DomainError(N_("Status: planowane, w toku, zrobione or porzucone."))
        with ctx.db.session() as s:
            found = hidden_or(ctx, s, PlanAction, str(action), NO_ACTION)
            network = s.get(Network, found.network_id)
            assert network is not None
            ctx.require(Action.MANAGE_PLAN, network)
        return report(ctx, action, value)
    me = ctx.require_person()
    with ctx.db.session() as s:
        found = hidden_or(ctx, s, PlanAction, str(action), NO_ACTION)
        network = s.get(Network, found.network_id)
        assert network is not None
        ctx.require(Action.MANAGE_PLAN, network)
        if field == "description":
            found.description = check_text(value, ACTION_MAX, "text")
        elif field == "owner":
            owner = resolve_owner(s, network, value)
            found.owner_city_id, found.owner_person_id = owner.city_id, owner.person_id
        else:
            found.due_on = due_day(value, ctx.now, ctx.settings.tz)
        s.add(found)
        s.flush()
        plan.schedule_tasks(
            s, found, ctx.now, ctx.settings.plan_reminder_offsets, ctx.settings.workdays
        )
        if field == "owner":
            tell_owners(s, ctx, found, network)
        audit.record(s, ctx.now, me.id, "plan.action_edit", f"plan_action:{found.id}", field=field)
        line = render.action_line(s, ctx.t, found, ctx.t.local(ctx.now).date())
    return [Outgoing(ctx.t("Action changed: {line}", line=line))]


@REGISTRY.command(
    "moje_dzialania",
    "my_actions",
    summary=N_("the plan's actions you or your city own"),
    action=Action.READ,
    private=True,
)
async def mine(ctx: Context) -> list[Outgoing]:
    me: Person = ctx.require_person()
    today = ctx.t.local(ctx.now).date()
    with ctx.db.session() as s:
        rows = plan.owned_by(s, me)
        lines = [render.action_line(s, ctx.t, a, today) for a in rows]
    if not rows:
        return [Outgoing(ctx.t("Neither you nor your city owns an open action of a work plan."))]
    return [
        Outgoing(
            "\n".join([ctx.t("Actions you or your city own:"), *lines]),
            actions=tuple(b for a in rows[:3] for b in render.status_buttons(ctx.t, a.id or 0)[:2]),
        )
    ]

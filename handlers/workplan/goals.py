"""The plan's goals and its calendar of meetings, kept by the coordinator in chat."""

from __future__ import annotations

from sqlmodel import Session

from core.messages import Outgoing
from handlers.kit.args import Code, Fields, Id, Text, Words
from handlers.kit.context import Context
from handlers.kit.objects import fetch
from handlers.kit.permissions import Action
from handlers.kit.registry import REGISTRY
from handlers.workplan import render
from handlers.workplan.parse import parse_period
from models import audit, directory
from models.errors import N_, DomainError
from models.workplan import GOAL_MAX, TOPIC_MAX, PlanGoal, PlannedMeeting

NO_GOAL = N_("There is no goal with the number “{id}”.")
NO_PLANNED = N_("There is no planned meeting with the number “{id}”.")
REFUSAL = N_("Only coordinators and the coordinating team keep the network's work plan.")


def _me(ctx: Context) -> int:
    return ctx.require_person().id or 0


@REGISTRY.command(
    "cel_dodaj",
    "goal_add",
    summary=N_("add a goal to the network's work plan"),
    args=Fields(Code("network"), Text("goal", limit=GOAL_MAX, field_name="text", label=N_("goal"))),
    example="/cel_dodaj cyfrowe; Wspólny standard e-usług dla małych miast",
    action=Action.MANAGE_PLAN,
    private=True,
    refusal=REFUSAL,
)
async def add_goal(ctx: Context, network: str, goal: str) -> list[Outgoing]:
    with ctx.db.session() as s:
        where = directory.require_network(s, network)
        ctx.require(Action.MANAGE_PLAN, where)
        row = PlanGoal(network_id=where.id or 0, text=goal, created_by=_me(ctx), created_at=ctx.now)
        s.add(row)
        s.flush()
        audit.record(s, ctx.now, _me(ctx), "plan.goal_add", f"plan_goal:{row.id}")
    return [
        Outgoing(
            ctx.t(
                "Goal #{id} is in the plan of the network {network}. /plan {code} shows the plan.",
                id=row.id,
                network=where.name,
                code=where.code,
            )
        )
    ]


def _goal(ctx: Context, s: Session, number: int) -> PlanGoal:
    goal, _network = fetch(ctx, s, PlanGoal, str(number), Action.MANAGE_PLAN, NO_GOAL)
    if goal.removed_at is not None:
        raise DomainError(NO_GOAL, id=number)
    return goal


@REGISTRY.command(
    "cel_zmien",
    "goal_edit",
    summary=N_("reword a goal of the work plan"),
    args=Words(Id("goal"), Text("text", limit=GOAL_MAX, field_name="text")),
    usage=N_("<goal> <new wording>"),
    example="/cel_zmien 3 Wspólny standard e-usług i dostępności",
    action=Action.MANAGE_PLAN,
    private=True,
    refusal=REFUSAL,
)
async def edit_goal(ctx: Context, goal: int, text: str) -> list[Outgoing]:
    with ctx.db.session() as s:
        row = _goal(ctx, s, goal)
        row.text = text
        s.add(row)
        audit.record(s, ctx.now, _me(ctx), "plan.goal_edit", f"plan_goal:{row.id}")
    return [Outgoing(ctx.t("Goal #{id} now reads: {text}", id=goal, text=text))]


@REGISTRY.command(
    "cel_usun",
    "goal_remove",
    summary=N_("remove a goal from the work plan"),
    args=Words(Id("goal")),
    usage=N_("<goal>"),
    example="/cel_usun 3",
    action=Action.MANAGE_PLAN,
    private=True,
    refusal=REFUSAL,
)
async def remove_goal(ctx: Context, goal: int) -> list[Outgoing]:
    with ctx.db.session() as s:
        row = _goal(ctx, s, goal)
        row.removed_at = ctx.now
        s.add(row)
        audit.record(s, ctx.now, _me(ctx), "plan.goal_remove", f"plan_goal:{row.id}")
    return [Outgoing(ctx.t("Goal #{id} is removed from the plan.", id=goal))]


@REGISTRY.command(
    "plan_spotkanie",
    "plan_meeting",
    summary=N_("put a meeting in the plan's calendar (a day, a month or a quarter)"),
    args=Fields(
        Code("network"),
        Text("when", limit=40),
        Text("topic", optional=True, limit=TOPIC_MAX, field_name="title"),
    ),
    usage=N_("<network>; <date, month or quarter>[; <topic>]"),
    example="/plan_spotkanie cyfrowe; II kw. 2027; Dostępność cyfrowa",
    action=Action.MANAGE_PLAN,
    private=True,
    refusal=REFUSAL,
)
async def plan_meeting(ctx: Context, network: str, when: str, topic: str | None) -> list[Outgoing]:
    chosen = parse_period(when, ctx.now, ctx.settings.tz)
    with ctx.db.session() as s:
        where = directory.require_network(s, network)
        ctx.require(Action.MANAGE_PLAN, where)
        row = PlannedMeeting(
            network_id=where.id or 0,
            starts_on=chosen.starts_on,
            ends_on=chosen.ends_on,
            kind=chosen.kind,
            topic=topic,
            created_by=_me(ctx),
            created_at=ctx.now,
        )
        s.add(row)
        s.flush()
        audit.record(s, ctx.now, _me(ctx), "plan.meeting_add", f"plan_meeting:{row.id}")
        shown = render.period(ctx.t, row)
    return [
        Outgoing(
            ctx.t(
                "Planned meeting #{id} of the network {network}: {when}. When a meeting is "
                "published in that period, the plan links it.",
                id=row.id,
                network=where.name,
                when=shown,
            )
        )
    ]


@REGISTRY.command(
    "plan_spotkanie_usun",
    "plan_meeting_remove",
    summary=N_("take a meeting out of the plan's calendar"),
    args=Words(Id("planned")),
    usage=N_("<planned meeting>"),
    example="/plan_spotkanie_usun 2",
    action=Action.MANAGE_PLAN,
    private=True,
    refusal=REFUSAL,
)
async def remove_planned(ctx: Context, planned: int) -> list[Outgoing]:
    with ctx.db.session() as s:
        row, _network = fetch(ctx, s, PlannedMeeting, str(planned), Action.MANAGE_PLAN, NO_PLANNED)
        if row.removed_at is not None:
            raise DomainError(NO_PLANNED, id=planned)
        row.removed_at = ctx.now
        s.add(row)
        audit.record(s, ctx.now, _me(ctx), "plan.meeting_remove", f"plan_meeting:{row.id}")
    return [Outgoing(ctx.t("Planned meeting #{id} is out of the calendar.", id=planned))]

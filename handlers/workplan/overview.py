"""`/plan`: the network's work plan — goals, the calendar of meetings, the actions by status,
overdue first; for its keepers also the contract's acknowledgements and the needs reported
since the last meeting. Always privately: it names people. And the plan's section of the
coordinator's report: the actions done in the period and those still due."""

from __future__ import annotations

from datetime import date, datetime

from sqlmodel import Session

from core.i18n import Translator
from core.messages import Action as Button
from core.messages import Outgoing
from handlers.kit.args import Code, Words
from handlers.kit.context import Context
from handlers.kit.permissions import Action
from handlers.kit.registry import REGISTRY
from handlers.kit.report import Section, report_section
from handlers.workplan import render
from handlers.workplan.parse import STATUS_LABEL
from models import consultations, directory
from models.core import Network
from models.errors import N_
from models.meetings import Meeting, MeetingStatus
from models.workplan import ActionStatus, PlanAction
from models.workplan import queries as plan

ORDER = (ActionStatus.IN_PROGRESS, ActionStatus.PLANNED, ActionStatus.DONE, ActionStatus.DROPPED)


def _calendar(s: Session, t: Translator, network: Network, now: datetime) -> list[str]:
    lines = []
    for entry in plan.planned_meetings(s, network.id or 0):
        topic = f" — {entry.topic}" if entry.topic else ""
        meeting = s.get(Meeting, entry.meeting_id) if entry.meeting_id else None
        if meeting is not None and meeting.status == MeetingStatus.PUBLISHED:
            state = t(
                "meeting #{id}, {when}",
                id=meeting.id,
                when=t.short_datetime(meeting.starts_at),
            )
        elif entry.ends_on < t.local(now).date():
            state = t("not held")
        else:
            state = t("not called yet")
        lines.append(f"• #{entry.id} {render.period(t, entry)}{topic} → {state}")
    return lines


def _actions(s: Session, t: Translator, rows: list[PlanAction], today: date) -> list[str]:
    late = [a for a in rows if render.overdue(a, today)]
    lines = []
    if late:
        lines.append(t.tn("{n} action is overdue:", "{n} actions are overdue:", len(late)))
        lines += [render.action_line(s, t, a, today) for a in late]
    for status in ORDER:
        group = [a for a in rows if a.status == status and a not in late]
        if group:
            lines.append(f"{t(STATUS_LABEL[status]).capitalize()} ({len(group)}):")
            lines += [render.action_line(s, t, a, today) for a in group]
    return lines


def _staff_lines(s: Session, t: Translator, network: Network, now: datetime) -> list[str]:
    lines = []
    contract = plan.contract(s, network.id or 0)
    if contract is None:
        lines.append(t("Contract: not set yet (/kontrakt_ustaw)."))
    else:
        cities = directory.standings_in(s, network.id or 0)
        given = plan.acks(s, network.id or 0, contract.version)
        missing = render.city_names(s, [c for c in cities if c not in given])
        lines.append(
            t(
                "Contract: version {version}, acknowledged by {done} {of_cities}.",
                version=contract.version,
                done=len([c for c in given if c in cities]),
                of_cities=t.tn("of {n} city", "of {n} cities", len(cities)),
            )
            + (" " + t("Not yet: {cities}", cities=", ".join(missing)) if missing else "")
        )
    since = consultations.last_meeting_start(s, network.id or 0, now)
    needs = consultations.needs(s, network.id or 0, since)
    lines.append(
        t.tn(
            "{n} need or observation since the last meeting (/potrzeby {code}).",
            "{n} needs and observations since the last meeting (/potrzeby {code}).",
            len(needs),
            code=network.code,
        )
    )
    return lines


@REGISTRY.command(
    "plan",
    "work_plan",
    summary=N_("the network's work plan: goals, meetings, actions (overdue first)"),
    args=Words(Code("network", optional=True)),
    example="/plan cyfrowe",
    action=Action.READ,
    private=True,
)
async def show(ctx: Context, network: str | None) -> list[Outgoing]:
    where = ctx.target_network(network)
    ctx.require(Action.READ, where)
    t, now = ctx.t, ctx.now
    today = t.local(now).date()
    keeper = ctx.can(Action.MANAGE_PLAN, where) or ctx.can(Action.VIEW_REPORTS, where)
    with ctx.db.session() as s:
        goals = plan.goals(s, where.id or 0)
        calendar = _calendar(s, t, where, now)
        rows = list(plan.actions(s, where.id or 0))
        lines = [t("📋 The work plan of the network {network}", network=where.name), ""]
        lines.append(t("Goals:"))
        lines += [f"{n}. {g.text} (#{g.id})" for n, g in enumerate(goals, 1)] or [t("none yet")]
        lines += ["", t("Calendar of meetings:")]
        lines += calendar or [t("none planned yet")]
        lines += ["", t("Actions:")]
        lines += _actions(s, t, rows, today) or [t("none yet")]
        if keeper:
            lines += ["", *_staff_lines(s, t, where, now)]
    buttons = [Button(t("The contract"), f"/kontrakt {where.code}")]
    if keeper:
        buttons.append(Button(t("Needs"), f"/potrzeby {where.code}"))
    return [Outgoing("\n".join(lines), actions=tuple(buttons))]


@report_section(order=40)
def actions_done_and_due(
    s: Session, t: Translator, network_id: int, start: datetime, end: datetime
) -> Section | None:
    """The plan's actions done in the period and those still open (overdue at its end
    marked); left out for a network that keeps no plan in the bot."""
    every = plan.actions(s, network_id)
    if not every:
        return None
    day = t.local(end).date()
    done = plan.done_between(s, network_id, start, end)
    due = plan.open_actions(s, network_id)
    lines = [t.tn("{n} action done in the period:", "{n} actions done in the period:", len(done))]
    lines += [f"• {render.action_line(s, t, a, day)}" for a in done] or [t("none")]
    lines.append(t.tn("{n} action still to do:", "{n} actions still to do:", len(due)))
    lines += [f"• {render.action_line(s, t, a, day)}" for a in due] or [t("none")]
    return Section(t("The work plan: actions done and due"), lines)

"""The work plan's scheduled work: owners reminded before an action's due date, the
coordinators told the morning after it when it is still open; planned meetings linked to the
real ones as they are published; and, right after a meeting of a network that keeps its plan
here, its coordinators asked for the actions agreed there."""

from __future__ import annotations

from datetime import timedelta

from core import links
from core.i18n import Translator
from core.messages import Action as Button
from core.messages import Outgoing, Target
from core.outbox import enqueue_once, enqueue_to_people, reachable
from handlers.workplan import render
from jobs.dispatch import Job, sweep, task
from models import directory, outbox
from models.core import Network
from models.due import DueTask
from models.enums import Role
from models.meetings import Meeting
from models.workplan import OPEN_STATUSES, PlanAction
from models.workplan import queries as plan

PROMPT_WINDOW = timedelta(days=2)  # a meeting that ended longer ago is not asked about


def coordinators(job: Job, network_id: int) -> list[int]:
    """The network's coordinators; without one, the coordinating team."""
    staff = directory.support_team(job.session, network_id)
    found = [p.id or 0 for p, role in staff if role is Role.COORDINATOR]
    return found or [p.id or 0 for p, role in staff if role is Role.COORDINATING_TEAM]


@task(plan.REMINDER, max_late=timedelta(days=2))
def remind_owner(job: Job, item: DueTask) -> None:
    s = job.session
    action = s.get(PlanAction, item.ref_id)
    if action is None or action.status not in OPEN_STATUSES:
        return
    if action.due_on < job.t.local(job.now).date():
        return  # its day has passed: the coordinators hear of it instead
    network = s.get(Network, action.network_id)
    assert network is not None
    enqueue_to_people(
        s,
        plan.owner_people(s, action),
        job.settings,
        job.now,
        lambda t: render.reminder(s, t, action, network, job.now),
        kind="plan_reminder",
        dedupe=lambda p: f"{item.key}:p{p}",
    )


@task(plan.OVERDUE)
def tell_overdue(job: Job, item: DueTask) -> None:
    s = job.session
    action = s.get(PlanAction, item.ref_id)
    if action is None or action.status not in OPEN_STATUSES:
        return
    if action.due_on >= job.t.local(job.now).date():
        return  # moved later meanwhile (its own notice is scheduled)
    network = s.get(Network, action.network_id)
    assert network is not None
    enqueue_to_people(
        s,
        coordinators(job, network.id or 0),
        job.settings,
        job.now,
        lambda t: render.overdue_notice(s, t, action, network, job.now),
        kind="plan_overdue",
        dedupe=lambda p: f"{item.key}:p{p}",
    )


@sweep
def link_planned_meetings(job: Job) -> int:
    """Planned meetings linked to the meetings published in their period (nothing is sent)."""
    plan.link_meetings(job.session, job.settings.tz)
    return 0


def _prompt(t: Translator, meeting: Meeting, network: Network, url: str | None) -> Outgoing:
    page = links.button(t("Enter them on a page"), url)
    command = Button(t("Enter the actions"), f"/dzialania_ze_spotkania {meeting.id}")
    return Outgoing(
        t(
            "Meeting #{id} “{title}” ({network}) has ended. Enter the actions agreed there "
            "while they are fresh: /dzialania_ze_spotkania {id}, one per line: "
            "<what>; <owner>; <due date>.",
            id=meeting.id,
            title=meeting.title,
            network=network.name,
        ),
        actions=(command, page) if page else (command,),
    )


@sweep
def ask_for_agreed_actions(job: Job) -> int:
    """Right after a meeting of a network keeping its plan here: its coordinators get the
    command and the page for the actions agreed (once per meeting and person)."""
    s, sent = job.session, 0
    for meeting in plan.ended_meetings(s, job.now - PROMPT_WINDOW, job.now):
        if not plan.has_plan(s, meeting.network_id):
            continue
        network = s.get(Network, meeting.network_id)
        assert network is not None
        found = reachable(s, coordinators(job, meeting.network_id), job.settings)
        for person, (language, platform, external_id) in found.items():
            key = f"plan_after_meeting:{meeting.id}:p{person}"
            if outbox.queued(s, key):
                continue
            url = links.page_url_in(
                s, job.settings, person, links.PLAN_ACTIONS, job.now, meeting=meeting.id or 0
            )
            t = Translator(language or job.settings.default_language, job.settings.tz)
            sent += enqueue_once(
                s,
                Target(platform, external_id),
                _prompt(t, meeting, network, url),
                job.now,
                dedupe_key=key,
                person_id=person,
                network_id=network.id,
                kind="plan_after_meeting",
            )
    return sent

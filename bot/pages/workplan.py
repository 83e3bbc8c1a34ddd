"""The page for the actions agreed at a meeting: a multi-line form, one action a line
(`<what>; <owner>; <due date>`), each line checked here first so that a mistake comes back with
the text as written; the form becomes `/dzialania_ze_spotkania <meeting>` with the lines, and
the chat's handler adds them (every rule stays there)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from bot.pages.registry import PAGES, FormError, Page, PageRequest, long_text
from core import links
from handlers.kit.permissions import Action, allowed
from handlers.workplan import render
from handlers.workplan.after_meeting import MAX_LINES, read_lines
from models import directory
from models.errors import N_, DomainError
from models.workplan import queries as plan

TEXT_MAX = 6000


def view(req: PageRequest) -> dict[str, Any]:
    meeting, network, actor = req.meeting_actor()
    may = allowed(actor, Action.MANAGE_PLAN, network_closed=network.closed)
    t = req.t
    today = t.local(req.now).date()
    with req.db.session() as s:
        existing = [render.action_line(s, t, a, today) for a in plan.of_meeting(s, meeting.id or 0)]
        cities = render.city_names(s, list(directory.standings_in(s, network.id or 0)))
    return {
        "network": network,
        "meeting": meeting,
        "when": t.datetime(meeting.starts_at),
        "may": may,
        "existing": existing,
        "cities": ", ".join(cities),
        "text_max": TEXT_MAX,
    }


def form(req: PageRequest, data: Mapping[str, str]) -> str:
    meeting, network, _actor = req.meeting_actor()
    text = long_text(data, "lines", N_("Write at least one action."), TEXT_MAX)
    with req.db.session() as s:
        try:
            lines = read_lines(s, network, text, req.now, req.settings.tz, req.t)
        except DomainError as error:  # too many lines
            raise FormError(
                N_("At most {count} actions at once, please."), count=MAX_LINES
            ) from error
    for number, line in enumerate(lines, 1):
        if line.draft is None:
            raise FormError(
                N_("Line {number} (“{line}”): {reason}"),
                field="lines",
                number=number,
                line=line.text[:60],
                reason=line.problem,
            )
    return "\n".join([f"/dzialania_ze_spotkania {meeting.id}", *(line.text for line in lines)])


PAGES.add(
    Page(links.PLAN_ACTIONS, "workplan.html", N_("Actions agreed at the meeting"), view, form)
)

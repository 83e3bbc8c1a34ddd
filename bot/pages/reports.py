"""The coordinator's report pages. The form: what the bot knows about the meeting (filled in,
read-only) and one text box per section of the form; "Save the draft" and "Submit" become
`/raport_zapisz` or `/raport_wyslij` with the sections (`[n]` starts section n), so every rule
(who writes, a submitted report is final, no empty section submitted) stays in the handler,
and a refused submit still keeps the draft. The list: every submitted report the person may
see, across networks, each with its sections. The hub lists a report still to submit."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import timedelta
from typing import Any

from bot.pages.registry import PAGES, FormError, HubItem, Page, PageRequest, paragraphs
from core import links
from handlers.kit.limits import MAX_MESSAGE
from handlers.kit.permissions import Action, Actor, allowed
from handlers.reports.form import titles
from handlers.reports.render import facts_of, state
from handlers.reports.write import MARK
from models import directory
from models import reports as store
from models.core import Network
from models.errors import N_, Nn_
from models.meetings import Meeting
from models.reports import SECTION_MAX

HUB_DAYS = 30  # meetings that ended this long ago are still offered on the hub


def _may(req: PageRequest, network: Network, action: Action) -> bool:
    with req.db.session() as s:
        actor = Actor(
            directory.roles_of(s, req.person.id or 0, network.id),
            directory.standing_of(s, req.person.city_id, network.id),
        )
    return allowed(actor, action, network_closed=network.closed)


def view(req: PageRequest) -> dict[str, Any]:
    t = req.t
    with req.db.session() as s:
        meeting = s.get(Meeting, req.int_param("meeting"))
        if meeting is None:
            raise LookupError("meeting")
        network = s.get(Network, meeting.network_id)
        assert network is not None
        if not _may(req, network, Action.VIEW_REPORTS):
            raise LookupError("meeting")
        report = store.of_meeting(s, meeting.id or 0)
        shown = report.titles() if report else titles(s, t)
        texts = report.texts() if report else ["" for _ in shown]
        blocks = facts_of(s, t, meeting)
    return {
        "network": network,
        "meeting": meeting,
        "when": t.datetime(meeting.starts_at),
        "blocks": blocks,
        "sections": list(zip(shown, texts, strict=True)),
        "first": len(blocks) + 1,
        "state": state(t, report) if report else t("not started yet"),
        "is_submitted": bool(report and report.submitted),
        "may": _may(req, network, Action.WRITE_REPORT) and meeting.starts_at <= req.now,
        "text_max": SECTION_MAX,
    }


def form(req: PageRequest, data: Mapping[str, str]) -> str:
    with req.db.session() as s:
        meeting = s.get(Meeting, req.int_param("meeting"))
        if meeting is None:
            raise LookupError("meeting")
        report = store.of_meeting(s, meeting.id or 0)
        count = len(report.sections) if report else len(titles(s, req.t))
    parts = []
    for number in range(1, count + 1):
        text = paragraphs(data, f"s{number}")
        if len(text) > SECTION_MAX:
            raise FormError(
                N_("Please keep it under {max} characters."), field=f"s{number}", max=SECTION_MAX
            )
        # a line that looks like a section mark is indented: it stays text
        text = "\n".join(f" {line}" if MARK.match(line) else line for line in text.split("\n"))
        parts += [f"[{number}]", text]
    verb = "raport_wyslij" if data.get("do") == "submit" else "raport_zapisz"
    command = "\n".join([f"/{verb} {meeting.id}", *parts])
    if len(command) > MAX_MESSAGE:
        raise FormError(
            N_("The whole report can be at most {most}; please shorten it."),
            most=Nn_("{n} character", "{n} characters", MAX_MESSAGE - 100),
        )
    return command


def hub(req: PageRequest) -> list[HubItem]:
    """Meetings of the person's networks that ended lately with no submitted report."""
    items = []
    with req.db.session() as s:
        networks = {n.id: n for n in directory.networks_of(s, req.person.id or 0)}
        for meeting in store.missing(s, req.now - timedelta(days=HUB_DAYS), req.now):
            network = networks.get(meeting.network_id)
            if network is None or not _may(req, network, Action.WRITE_REPORT):
                continue
            items.append(
                HubItem(
                    req.t(
                        "Your report on meeting #{id} “{title}”", id=meeting.id, title=meeting.title
                    ),
                    req.t("For the coordinating team, on their form."),
                    req.link(links.MEETING_REPORT, meeting=meeting.id or 0),
                    None,
                )
            )
    return items


def list_view(req: PageRequest) -> dict[str, Any]:
    t = req.t
    with req.db.session() as s:
        visible = {n.id or 0: n for n in directory.networks(s) if _may(req, n, Action.VIEW_REPORTS)}
        rows = store.submitted(s, list(visible), limit=100) if visible else []
        authors = directory.display_names(s, [r.submitted_by or 0 for r, _m in rows])
        reports = [
            {
                "network": visible[r.network_id].name,
                "meeting": m,
                "date": t.date(m.starts_at),
                "author": authors.get(r.submitted_by or 0, "—"),
                "when": t.datetime(r.submitted_at or r.updated_at),
                "sections": list(zip(r.titles(), r.texts(), strict=True)),
                "url": req.link(links.MEETING_REPORT, meeting=m.id or 0),
            }
            for r, m in rows
        ]
    return {"reports": reports, "any": bool(visible)}


PAGES.add(
    Page(
        links.MEETING_REPORT,
        "reports.html",
        N_("Coordinator's report after the meeting"),
        view,
        form,
        hub=hub,
    )
)
PAGES.add(Page(links.REPORTS, "reports.html", N_("Coordinators' reports"), list_view))

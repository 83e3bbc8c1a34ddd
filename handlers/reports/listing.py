"""The submitted reports: `/raporty` lists them across every network the caller may see
(the coordinating team: all of them), newest first; `/raport_pliki <meeting>` gives one
report — submitted or still a draft — as PDF and DOCX for the archive."""

from __future__ import annotations

from core import links
from core.messages import Action as Button
from core.messages import Outgoing
from handlers.kit.args import Code, Id, Words
from handlers.kit.context import Context
from handlers.kit.objects import fetch
from handlers.kit.permissions import Action
from handlers.kit.registry import REGISTRY
from models import directory
from models import reports as store
from models.core import Person
from models.errors import N_, DomainError
from models.meetings import Meeting

MISSING = N_("There is no meeting with the number “{id}”.")
SHOWN = 30


@REGISTRY.command(
    "raporty",
    "reports",
    summary=N_("the coordinators' submitted reports, across the networks you may see"),
    args=Words(Code("network", optional=True)),
    example="/raporty cyfrowe",
    action=Action.VIEW_REPORTS,
    private=True,
)
async def listing(ctx: Context, network: str | None) -> list[Outgoing]:
    with ctx.db.session() as s:
        chosen = [directory.require_network(s, network)] if network else directory.networks(s)
        visible = {n.id or 0: n for n in chosen if ctx.can(Action.VIEW_REPORTS, n)}
        if not visible:
            raise DomainError(N_("You may not see the reports of this network."))
        rows = store.submitted(s, list(visible), limit=SHOWN)
        authors = directory.display_names(s, [r.submitted_by or 0 for r, _m in rows])
        lines = [
            ctx.t("Submitted coordinators' reports, newest first:")
            if len(visible) > 1
            else ctx.t(
                "Submitted coordinators' reports of the network {network}:",
                network=next(iter(visible.values())).name,
            )
        ]
        for report, meeting in rows:
            lines.append(
                ctx.t(
                    "• {network}: meeting #{id} “{title}” of {date} — submitted by {author} "
                    "on {when}",
                    network=visible[report.network_id].name,
                    id=meeting.id,
                    title=meeting.title,
                    date=ctx.t.date(meeting.starts_at),
                    author=authors.get(report.submitted_by or 0, "—"),
                    when=ctx.t.short_datetime(report.submitted_at or report.updated_at),
                )
            )
    if len(lines) == 1:
        lines.append(ctx.t("none yet"))
    else:
        lines.append(ctx.t("/raport_pliki <meeting> gives a report as PDF and DOCX."))
    buttons = [
        Button(ctx.t("Files of #{id}", id=m.id), f"/raport_pliki {m.id}") for _r, m in rows[:3]
    ]
    page = ctx.page_button(ctx.t("Reports on a page"), links.REPORTS, "/raporty")
    if page:
        buttons.append(page)
    return [Outgoing("\n".join(lines), actions=tuple(buttons))]


@REGISTRY.command(
    "raport_pliki",
    "report_files",
    summary=N_("the coordinator's report on a meeting as PDF and DOCX"),
    args=Words(Id("meeting")),
    usage=N_("<meeting>"),
    example="/raport_pliki 12",
    action=Action.VIEW_REPORTS,
    private=True,
)
async def files(ctx: Context, meeting: int) -> list[Outgoing]:
    from handlers.reports import document  # fpdf2 and python-docx: only when made

    with ctx.db.session() as s:
        found, network = fetch(ctx, s, Meeting, str(meeting), Action.VIEW_REPORTS, MISSING)
        report = store.of_meeting(s, found.id or 0)
        if report is None:
            raise DomainError(
                N_("Meeting #{id} has no coordinator's report yet: /raport_koordynatora {id}."),
                id=meeting,
            )
        author = s.get(Person, report.submitted_by or report.author_id or 0)
        made = document.files(ctx.t, s, report, found, network, author)
        state = ctx.t("submitted") if report.submitted else ctx.t("a draft, not submitted yet")
    return [
        Outgoing(
            ctx.t(
                "The coordinator's report on meeting #{id} ({network}, {state}) as PDF and DOCX.",
                id=meeting,
                network=network.name,
                state=state,
            ),
            files=made,
        )
    ]

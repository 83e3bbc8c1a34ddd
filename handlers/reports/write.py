"""The coordinator's report on one meeting: `/raport_koordynatora <meeting>` opens it (started
with the form's sections, what the bot knows filled in), `/raport_sekcja` writes one section
(typed in one line, or the next message), `/raport_zapisz` saves several at once (the page's
form: `[n]` alone on a line starts section n), `/raport_wyslij` submits it and the
coordinating team is told privately. Every save is kept as a draft at once; a refused save
gives back what was written."""

from __future__ import annotations

import re

from sqlmodel import Session

from core import links
from core.messages import Outgoing
from core.outbox import enqueue_to_people
from handlers.kit.args import Count, Id, Text, Words
from handlers.kit.context import Context
from handlers.kit.limits import check_text
from handlers.kit.objects import fetch
from handlers.kit.permissions import Action
from handlers.kit.registry import REGISTRY
from handlers.reports import render
from handlers.reports.form import titles
from models import audit, conversations, directory
from models import reports as store
from models.core import Conversation, Network, Person
from models.errors import N_, DomainError
from models.meetings import Meeting
from models.reports import SECTION_MAX, MeetingReport

FLOW = "report_section"
MISSING = N_("There is no meeting with the number “{id}”.")
REFUSAL = N_("The report after a meeting is written by the network's coordinator.")
MARK = re.compile(
    r"^\[(\d{1,2})\]\s*$"
)  # at the line's very start (the page indents one in a text)


def _meeting(ctx: Context, s: Session, number: int) -> tuple[Meeting, Network]:
    meeting, network = fetch(ctx, s, Meeting, str(number), Action.WRITE_REPORT, MISSING)
    if meeting.starts_at > ctx.now:
        raise DomainError(
            N_("Meeting #{id} has not taken place yet: its report is written after it."),
            id=number,
        )
    return meeting, network


def _report(ctx: Context, s: Session, meeting: Meeting) -> MeetingReport:
    me = ctx.require_person()
    return store.start(s, meeting, titles(s, ctx.t), me.id, ctx.now)


def _open(ctx: Context, s: Session, number: int) -> tuple[MeetingReport, Meeting, Network]:
    meeting, network = _meeting(ctx, s, number)
    report = _report(ctx, s, meeting)
    return report, meeting, network


def _writable(ctx: Context, report: MeetingReport, number: int) -> None:
    if report.submitted and report.submitted_at is not None:
        raise DomainError(
            N_(
                "The report on meeting #{id} was submitted on {when}; it can no longer be "
                "changed. /raport_pliki {id} gives it as PDF and DOCX."
            ),
            id=number,
            when=ctx.t.datetime(report.submitted_at),
        )


def _section_index(report: MeetingReport, number: int) -> int:
    if not 1 <= number <= len(report.sections):
        raise DomainError(
            N_("The report has sections 1 to {count}; there is no section {number}."),
            count=len(report.sections),
            number=number,
        )
    return number - 1


def _overview(ctx: Context, s: Session, report: MeetingReport, meeting: Meeting) -> Outgoing:
    network = s.get(Network, meeting.network_id)
    assert network is not None
    url = ctx.page_url(links.MEETING_REPORT, meeting=meeting.id or 0)
    return render.overview(ctx.t, report, meeting, network, url)


def _facts_text(ctx: Context, s: Session, meeting: Meeting) -> str:
    lines = [ctx.t("What the bot knows (filled in on the form):")]
    for block in render.facts_of(s, ctx.t, meeting):
        lines += ["", block.title + ":", *block.lines]
    return "\n".join(lines)


@REGISTRY.command(
    "raport_koordynatora",
    "coordinator_report",
    summary=N_("your report after a meeting, on the coordinating team's form (draft, submit)"),
    args=Words(Id("meeting")),
    usage=N_("<meeting>"),
    example="/raport_koordynatora 12",
    action=Action.WRITE_REPORT,
    private=True,
    refusal=REFUSAL,
)
async def open_report(ctx: Context, meeting: int) -> list[Outgoing]:
    with ctx.db.session() as s:
        report, found, _network = _open(ctx, s, meeting)
        return [Outgoing(_facts_text(ctx, s, found)), _overview(ctx, s, report, found)]


def save(ctx: Context, meeting: int, texts: dict[int, str]) -> tuple[MeetingReport, Meeting]:
    """The texts (by section number) written into the meeting's draft, at once."""
    me = ctx.require_person()
    with ctx.db.session() as s:
        report, found, _network = _open(ctx, s, meeting)
        _writable(ctx, report, meeting)
        checked = {
            _section_index(report, number): check_text(text.strip(), SECTION_MAX, "text")
            for number, text in texts.items()
        }
        store.write(s, report, checked, me.id, ctx.now)
        return report, found


def read_block(text: str) -> dict[int, str]:
    """`[n]` alone on a line starts section n; what follows, up to the next mark, is its
    text (several paragraphs are fine)."""
    found: dict[int, list[str]] = {}
    current: int | None = None
    for line in text.splitlines():
        mark = MARK.match(line)
        if mark:
            current = int(mark.group(1))
            found[current] = []
        elif current is None:
            if line.strip():
                raise DomainError(
                    N_("Start each section with its number in brackets on a line of its own: [1]")
                )
        else:
            found[current].append(line)
    if not found:
        raise DomainError(
            N_("Start each section with its number in brackets on a line of its own: [1]")
        )
    return {number: "\n".join(lines).strip() for number, lines in found.items()}


def _saved_reply(ctx: Context, meeting: int, numbers: list[int]) -> Outgoing:
    return Outgoing(
        ctx.t.tn(
            "Saved in the draft of the report on meeting #{id}: {n} section.",
            "Saved in the draft of the report on meeting #{id}: {n} sections.",
            len(numbers),
            id=meeting,
        )
    )


@REGISTRY.command(
    "raport_sekcja",
    "report_section",
    summary=N_("write one section of your report after a meeting (kept as a draft)"),
    args=Words(
        Id("meeting"),
        Count("section", low=1, high=99),
        Text("text", optional=True, limit=SECTION_MAX),
    ),
    usage=N_("<meeting> <section number> [text]"),
    example="/raport_sekcja 12 2 Miasta chcą wspólnego standardu e-usług.",
    action=Action.WRITE_REPORT,
    private=True,
    refusal=REFUSAL,
)
async def write_section(
    ctx: Context, meeting: int, section: int, text: str | None
) -> list[Outgoing]:
    if text is not None:
        return _write_one(ctx, meeting, section, text)
    if not ctx.private:
        raise DomainError(N_("Write your report to me in a private chat."))
    me = ctx.require_person()
    with ctx.db.session() as s:
        report, _found, _network = _open(ctx, s, meeting)
        _writable(ctx, report, meeting)
        index = _section_index(report, section)
        chat = ctx.incoming.chat
        conversations.start(
            s,
            chat.platform,
            chat.chat_id,
            me.id or 0,
            FLOW,
            "text",
            {"meeting": meeting, "section": section},
            ctx.now,
        )
        title, so_far = report.titles()[index], report.texts()[index]
    lines = [
        ctx.t(
            "Section {number} “{title}” of the report on meeting #{id}: write it in one message "
            "(several paragraphs are fine). /anuluj stops.",
            number=section,
            title=title,
            id=meeting,
        )
    ]
    if so_far:
        lines += [ctx.t("What it says now (it will be replaced):"), so_far]
    return [Outgoing("\n".join(lines))]


def _write_one(ctx: Context, meeting: int, section: int, text: str) -> list[Outgoing]:
    report, found = save(ctx, meeting, {section: text})
    with ctx.db.session() as s:
        return [_saved_reply(ctx, meeting, [section]), _overview(ctx, s, report, found)]


@REGISTRY.flow(FLOW)
async def section_written(ctx: Context, conv: Conversation, text: str) -> list[Outgoing]:
    if not text.strip():
        return [Outgoing(ctx.t("Write the section's text."))]
    meeting, section = int(conv.data["meeting"]), int(conv.data["section"])
    with ctx.db.session() as s:
        conversations.finish(s, conv.platform, conv.chat_id, conv.person_id)
    try:
        return _write_one(ctx, meeting, section, text)
    except DomainError as error:  # what was written comes back, ready to send again
        return [
            Outgoing(ctx.t(error.msgid, **error.params)),
            Outgoing(f"/raport_sekcja {meeting} {section} {text.strip()}"),
        ]


@REGISTRY.command(
    "raport_zapisz",
    "report_save",
    summary=N_("save several sections of your report at once ([n] starts section n)"),
    args=Words(Id("meeting"), Text("sections", limit=8000)),
    usage=N_("<meeting> <[1] text [2] text …>"),
    example="/raport_zapisz 12 [1]\nSpotkanie w Łomży.\n[2]\nPotrzebny wzór umowy.",
    action=Action.WRITE_REPORT,
    private=True,
    refusal=REFUSAL,
)
async def save_sections(ctx: Context, meeting: int, sections: str) -> list[Outgoing]:
    texts = read_block(sections)
    report, found = save(ctx, meeting, texts)
    with ctx.db.session() as s:
        return [_saved_reply(ctx, meeting, list(texts)), _overview(ctx, s, report, found)]


def _notify_team(
    ctx: Context, s: Session, report: MeetingReport, meeting: Meeting, network: Network
) -> int:
    me = ctx.require_person()
    team = [p.id or 0 for p in directory.coordinating_team(s) if p.id != me.id]
    author = s.get(Person, me.id)
    return enqueue_to_people(
        s,
        team,
        ctx.settings,
        ctx.now,
        lambda t: render.team_notice(t, report, meeting, network, author, None),
        kind="report_submitted",
        dedupe=lambda p: f"report_submitted:{report.id}:p{p}",
        personal=lambda t, p: render.team_notice(
            t,
            report,
            meeting,
            network,
            author,
            links.page_url_in(s, ctx.settings, p, links.REPORTS, ctx.now),
        ),
    )


@REGISTRY.command(
    "raport_wyslij",
    "report_submit",
    summary=N_("submit your report after a meeting to the coordinating team"),
    args=Words(Id("meeting"), Text("sections", optional=True, limit=8000)),
    usage=N_("<meeting>"),
    example="/raport_wyslij 12",
    action=Action.WRITE_REPORT,
    private=True,
    refusal=REFUSAL,
)
async def submit(ctx: Context, meeting: int, sections: str | None) -> list[Outgoing]:
    me = ctx.require_person()
    if sections is not None:  # the page's form: saved first, kept even if not submitted
        save(ctx, meeting, read_block(sections))
    with ctx.db.session() as s:
        report, found, network = _open(ctx, s, meeting)
        _writable(ctx, report, meeting)
        empty = [
            f"{n}. {title}"
            for n, (title, text) in enumerate(zip(report.titles(), report.texts(), strict=True), 1)
            if not text
        ]
        if empty:
            raise DomainError(
                N_(
                    "Not submitted: these sections are still empty — {sections}. The draft "
                    "is kept: /raport_sekcja {id} <number> <text>."
                ),
                sections="; ".join(empty),
                id=meeting,
            )
        store.submit(s, report, me.id, ctx.now)
        told = _notify_team(ctx, s, report, found, network)
        audit.record(s, ctx.now, me.id, "report.submit", f"meeting:{meeting}")
    ctx.wake_outbox()
    return [
        Outgoing(
            ctx.t(
                "Thank you: the report on meeting #{id} is submitted; {told}. /raport_pliki "
                "{id} gives it as PDF and DOCX for the archive.",
                id=meeting,
                told=ctx.t.tn(
                    "{n} person of the coordinating team is told",
                    "{n} people of the coordinating team are told",
                    told,
                ),
            )
        )
    ]

"""What the report says: the figures the bot fills in (from the meeting's report in
handlers/feedback/report.py: attendance by city and standing, feedback, and every feature's
section for the period — office hours, funding reviewed, the work plan's actions), the
report's state in chat, the notice to the coordinating team and the reminder."""

from __future__ import annotations

from dataclasses import dataclass

from sqlmodel import Session

from core.i18n import Translator
from core.messages import Action as Button
from core.messages import Outgoing
from handlers.feedback.report import Report, build, by_standing, result_lines, standing_label
from models.core import Network, Person
from models.meetings import Meeting
from models.reports import MeetingReport


@dataclass
class Block:
    title: str
    lines: list[str]


def facts(t: Translator, report: Report) -> list[Block]:
    """What the bot knows about the meeting and its period, as titled blocks."""
    m = report.meeting
    present = sum(r.present for r in report.rows)
    attendance = [
        t(
            "Attendance: invited {invited}, answered {answered}, present {present}.",
            invited=sum(r.invited for r in report.rows),
            answered=sum(r.answered for r in report.rows),
            present=present,
        ),
        t(
            "By standing: {items}",
            items="; ".join(
                f"{standing_label(t, k)} {r.present}/{r.invited}"
                for k, r in sorted(by_standing(report.rows).items())
            )
            or "—",
        ),
        t(
            "By city (present/invited): {items}",
            items=", ".join(f"{r.city} {r.present}/{r.invited}" for r in report.rows) or "—",
        ),
    ]
    if report.result is not None:
        feedback = result_lines(t, report.result)
    elif report.hidden_until is not None:
        feedback = [
            t(
                "Feedback: the poll is running; results are hidden until it closes on {when}.",
                when=t.datetime(report.hidden_until),
            )
        ]
    else:
        feedback = [
            t("Feedback: no poll for this meeting yet (it is sent after the meeting ends).")
        ]
    blocks = [
        Block(
            t("The meeting"),
            [
                t("Network: {network}", network=report.network.name),
                t("Meeting: {title}", title=m.title),
                t("Date: {when}", when=t.datetime(m.starts_at)),
            ],
        ),
        Block(t("Attendance"), attendance),
        Block(t("Participants' feedback"), feedback),
    ]
    blocks += [Block(section.title, section.lines) for section in report.sections]
    return blocks


def facts_of(s: Session, t: Translator, meeting: Meeting) -> list[Block]:
    return facts(t, build(s, t, meeting))


def state(t: Translator, report: MeetingReport) -> str:
    if report.submitted and report.submitted_at is not None:
        return t("submitted on {when}", when=t.datetime(report.submitted_at))
    return t("a draft, last saved on {when}", when=t.datetime(report.updated_at))


def overview(
    t: Translator, report: MeetingReport, meeting: Meeting, network: Network, url: str | None
) -> Outgoing:
    """The report in chat: its state, each section written or not, and what to do next."""
    lines = [
        t(
            "📝 The coordinator's report on meeting #{id} “{title}” ({network}): {state}.",
            id=meeting.id,
            title=meeting.title,
            network=network.name,
            state=state(t, report),
        ),
        "",
    ]
    for number, (title, text) in enumerate(zip(report.titles(), report.texts(), strict=True), 1):
        lines.append(f"{number}. {title}")
        lines.append(text if text else t("(not written yet)"))
    buttons: list[Button] = []
    if not report.submitted:
        lines += [
            "",
            t(
                "Write a section: /raport_sekcja {id} <number> <text> (or without the text: "
                "your next message is the section). Every save is kept as a draft. "
                "/raport_wyslij {id} submits the report to the coordinating team.",
                id=meeting.id,
            ),
        ]
        buttons += [
            Button(t("Write section {number}", number=n), f"/raport_sekcja {meeting.id} {n}")
            for n, text in enumerate(report.texts(), 1)
            if not text
        ][:3]
        buttons.append(Button(t("Submit the report"), f"/raport_wyslij {meeting.id}"))
    buttons.append(Button(t("PDF and DOCX"), f"/raport_pliki {meeting.id}"))
    if url:
        buttons.append(
            Button(t("Fill in on a page"), f"/raport_koordynatora {meeting.id}", url=url)
        )
    return Outgoing("\n".join(lines), actions=tuple(buttons))


def team_notice(
    t: Translator,
    report: MeetingReport,
    meeting: Meeting,
    network: Network,
    author: Person | None,
    url: str | None,
) -> Outgoing:
    buttons = [
        Button(t("PDF and DOCX"), f"/raport_pliki {meeting.id}"),
        Button(t("All reports"), "/raporty"),
    ]
    if url:
        buttons.append(Button(t("Reports on a page"), "/raporty", url=url))
    return Outgoing(
        t(
            "📨 {author} submitted the coordinator's report on meeting #{id} “{title}” of the "
            "network {network} ({when}). /raport_pliki {id} gives it as PDF and DOCX; "
            "/raporty lists every submitted report.",
            author=author.display_name if author else "—",
            id=meeting.id,
            title=meeting.title,
            network=network.name,
            when=t.date(meeting.starts_at),
        ),
        actions=tuple(buttons),
    )


def reminder(
    t: Translator, meeting: Meeting, network: Network, days: int, url: str | None
) -> Outgoing:
    buttons = [Button(t("Open the report"), f"/raport_koordynatora {meeting.id}")]
    if url:
        buttons.append(
            Button(t("Fill in on a page"), f"/raport_koordynatora {meeting.id}", url=url)
        )
    return Outgoing(
        t(
            "⏰ Meeting #{id} “{title}” ({network}) ended {ago}, and its coordinator's report "
            "is not in yet. /raport_koordynatora {id} opens it (what the bot knows is filled "
            "in); a draft is kept until you submit it.",
            id=meeting.id,
            title=meeting.title,
            network=network.name,
            ago=t.tn("{n} day ago", "{n} days ago", days),
        ),
        actions=tuple(buttons),
    )

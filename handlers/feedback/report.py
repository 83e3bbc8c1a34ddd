"""/raport: the coordinator's post-meeting report — attendance, feedback results, the period's
office hours and funding calls — as a message, a PNG chart, a CSV and a filled PDF draft;
/trend: the averages across a network's meetings; /wyniki: any closed poll's results.

Results of a running poll are hidden from everyone. A question with fewer than 3 answers shows
its count only (no average, distribution or texts), so that a small group stays anonymous.
"""

from __future__ import annotations

import io
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from sqlmodel import Session

from core.cells import SafeWriter
from core.collation import polish_key
from core.i18n import Translator
from core.messages import File, Outgoing
from handlers.feedback.poll import POLL
from handlers.feedback.render import MIN_GROUP, option_texts, poll_title, question_text
from handlers.kit.args import Code, Id, Words
from handlers.kit.context import Context
from handlers.kit.labels import STANDING
from handlers.kit.objects import fetch
from handlers.kit.permissions import Action
from handlers.kit.registry import REGISTRY
from handlers.kit.report import Section, sections
from models import feedback as store
from models.attendance import of_meeting
from models.core import Network
from models.enums import Standing
from models.errors import N_, DomainError
from models.feedback import Poll, PollKind, PollStatus, QuestionKind
from models.meetings import Meeting, previous_published


@dataclass
class QuestionResult:
    number: int
    text: str
    kind: str
    answers: int
    average: float | None = None
    distribution: list[tuple[str, int]] = field(default_factory=list)
    grouped: list[tuple[str, int]] = field(default_factory=list)  # open answers, merged

    @property
    def shown(self) -> bool:
        return self.answers >= MIN_GROUP


@dataclass
class PollResult:
    poll: Poll
    asked: int
    answered: int  # answered at least one question (counted at closing, see models.feedback)
    finished: int
    questions: list[QuestionResult]

    @property
    def rate(self) -> float:
        return self.answered / self.asked if self.asked else 0.0


@dataclass
class AttendanceRow:
    city: str
    standing: str
    invited: int = 0
    answered: int = 0
    present: int = 0


def results(s: Session, t: Translator, poll: Poll) -> PollResult:
    marks = store.participants(s, poll.id or 0)
    counts, texts = store.tallies(s, poll.id or 0), store.texts(s, poll.id or 0)
    if not poll.anonymous:  # an open quick poll: named votes, counted here
        chosen = [str(v.option) for v in store.votes(s, poll.id or 0)]
        counts = {1: {value: chosen.count(value) for value in set(chosen)}}
    found = []
    for number, question in enumerate(poll.questions, start=1):
        result = QuestionResult(number, question_text(t, question), question["kind"], 0)
        if question["kind"] == QuestionKind.TEXT:
            answers = texts.get(number, [])
            result.answers = len(answers)
            result.grouped = group_texts(answers)
        else:
            values = counts.get(number, {})
            labels = list(store.values_of(question))
            if question["kind"] == QuestionKind.CHOICE:
                names = dict(zip(labels, option_texts(t, question), strict=True))
            else:
                names = {v: v for v in labels}
            result.distribution = [(names[v], values.get(v, 0)) for v in labels]
            result.answers = sum(values.values())
            if question["kind"] == QuestionKind.RATING and result.answers:
                result.average = sum(int(v) * n for v, n in values.items()) / result.answers
        found.append(result)
    if poll.answered is not None and poll.finished is not None:  # closed: counted then
        answered, finished = poll.answered, poll.finished
    else:
        answered = sum(1 for m in marks if m.progress > 0)
        finished = sum(1 for m in marks if m.done)
    return PollResult(poll, len(marks), answered, finished, found)


def group_texts(answers: list[str]) -> list[tuple[str, int]]:
    """Open answers that say the same thing (case, spacing, final punctuation aside) become
    one line with a count, shown in their most common spelling; most frequent first."""
    merged: dict[str, list[str]] = {}
    for answer in answers:
        shown = " ".join(answer.split()).rstrip(" .!")
        merged.setdefault(shown.lower(), []).append(shown)
    grouped = []
    for variants in merged.values():
        best = min(set(variants), key=lambda v: (-variants.count(v), v))
        grouped.append((best[:1].upper() + best[1:], len(variants)))
    return sorted(grouped, key=lambda item: (-item[1], polish_key(item[0])))


def attendance(s: Session, meeting: Meeting) -> list[AttendanceRow]:
    """Invited, answered the invitation, present, per city (models.attendance: the same people
    as the signing sheet and /obecnosc; staff are not counted)."""
    rows: dict[tuple[str, str], AttendanceRow] = {}
    for person in of_meeting(s, meeting).participants:
        key = (person.city or "—", person.standing.value if person.standing else "")
        row = rows.setdefault(key, AttendanceRow(*key))
        row.invited += int(person.invited)
        row.answered += int(person.answer is not None)
        row.present += int(person.present)
    return sorted(rows.values(), key=lambda r: (r.city == "—", polish_key(r.city), r.standing))


def standing_label(t: Translator, value: str) -> str:
    return t(STANDING[Standing(value)]) if value else "—"


def by_standing(rows: list[AttendanceRow]) -> dict[str, AttendanceRow]:
    found: dict[str, AttendanceRow] = {}
    for row in rows:
        total = found.setdefault(row.standing, AttendanceRow("", row.standing))
        total.invited += row.invited
        total.answered += row.answered
        total.present += row.present
    return found


def period_of(s: Session, meeting: Meeting) -> tuple[datetime, datetime]:
    """From the end of the network's previous meeting (or 90 days back) to this one's end."""
    end = meeting.starts_at + timedelta(minutes=meeting.duration_minutes)
    previous = previous_published(s, meeting)
    start = (
        previous.starts_at + timedelta(minutes=previous.duration_minutes)
        if previous
        else meeting.starts_at - timedelta(days=90)
    )
    return start, end


@dataclass
class Report:
    meeting: Meeting
    network: Network
    rows: list[AttendanceRow]
    result: PollResult | None
    hidden_until: datetime | None  # the poll is still running
    sections: list[Section]
    # the coordinator's own sections (the report form, handlers/reports): (title, text so far)
    written: list[tuple[str, str]] = field(default_factory=list)


def build(s: Session, t: Translator, meeting: Meeting) -> Report:
    network = s.get(Network, meeting.network_id)
    assert network is not None
    poll = store.poll_for_meeting(s, meeting.id or 0)
    closed = poll is not None and poll.status == PollStatus.CLOSED
    result = results(s, t, poll) if poll is not None and closed else None
    start, end = period_of(s, meeting)
    return Report(
        meeting,
        network,
        attendance(s, meeting),
        result,
        poll.closes_at if poll is not None and not closed else None,
        sections(s, t, network.id or 0, start, end),
        written(s, t, meeting),
    )


def written(s: Session, t: Translator, meeting: Meeting) -> list[tuple[str, str]]:
    """The report form's sections with what the coordinator has written in them so far."""
    from handlers.reports.form import titles
    from models.reports import of_meeting

    found = of_meeting(s, meeting.id or 0)
    if found is None:
        return [(title, "") for title in titles(s, t)]
    return list(zip(found.titles(), found.texts(), strict=True))


def _number(t: Translator, value: float) -> str:
    return t.number(round(value, 1))


def result_lines(t: Translator, result: PollResult) -> list[str]:
    lines = [
        t.tn(
            "Feedback: {n} {of_asked} answered ({rate} %); {complete}.",
            "Feedback: {n} {of_asked} answered ({rate} %); {complete}.",
            result.answered,
            of_asked=t.tn("of {n} person asked", "of {n} people asked", result.asked),
            rate=round(100 * result.rate),
            complete=t.tn(
                "{n} person answered every question",
                "{n} people answered every question",
                result.finished,
            ),
        )
    ]
    for q in result.questions:
        head = f"{q.number}. {q.text}"
        if not q.shown:
            lines.append(
                t.tn(
                    "{question} — {n} answer (fewer than 3: the count only)",
                    "{question} — {n} answers (fewer than 3: the count only)",
                    q.answers,
                    question=head,
                )
            )
        elif q.kind == QuestionKind.RATING:
            average = _number(t, q.average or 0)
            lines.append(
                t.tn(
                    "{question} — average {average} of 5 ({n} answer: {spread})",
                    "{question} — average {average} of 5 ({n} answers: {spread})",
                    q.answers,
                    question=head,
                    average=average,
                    spread=", ".join(f"{v}×{n}" for v, n in q.distribution),
                )
            )
        elif q.kind == QuestionKind.CHOICE:
            lines.append(
                t.tn(
                    "{question} — {n} answer: {spread}",
                    "{question} — {n} answers: {spread}",
                    q.answers,
                    question=head,
                    spread="; ".join(f"{v}: {n}" for v, n in q.distribution),
                )
            )
        else:
            lines.append(
                t.tn(
                    "{question} — {n} answer:",
                    "{question} — {n} answers:",
                    q.answers,
                    question=head,
                )
            )
            lines += [f"  • {text}" + (f" (×{n})" if n > 1 else "") for text, n in q.grouped]
    return lines


def message(t: Translator, report: Report) -> str:
    m = report.meeting
    invited = sum(r.invited for r in report.rows)
    answered = sum(r.answered for r in report.rows)
    present = sum(r.present for r in report.rows)
    lines = [
        t(
            "📊 Report: meeting #{id} “{title}”, {network}",
            id=m.id,
            title=m.title,
            network=report.network.name,
        ),
        t("Date: {when}", when=t.datetime(m.starts_at)),
        t(
            "Attendance: invited {invited}, answered {answered}, present {present}.",
            invited=invited,
            answered=answered,
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
        "",
    ]
    if report.result is not None:
        lines += result_lines(t, report.result)
    elif report.hidden_until is not None:
        lines.append(
            t(
                "Feedback: the poll is running; results are hidden until it closes on {when}.",
                when=t.datetime(report.hidden_until),
            )
        )
    else:
        lines.append(
            t("Feedback: no poll for this meeting yet (it is sent after the meeting ends).")
        )
    for section in report.sections:
        lines += ["", section.title + ":", *section.lines]
    lines += ["", t("Attached: the chart, the data as CSV and a draft of your report to complete.")]
    return "\n".join(lines)


def to_csv(t: Translator, report: Report) -> bytes:
    buffer = io.StringIO()
    writer = SafeWriter(buffer, delimiter=";")
    writer.writerow([t("section"), t("item"), t("answer"), t("count")])
    for row in report.rows:
        writer.writerow(
            [
                t("attendance"),
                f"{row.city} ({standing_label(t, row.standing)})",
                t("invited"),
                row.invited,
            ]
        )
        writer.writerow(
            [
                t("attendance"),
                f"{row.city} ({standing_label(t, row.standing)})",
                t("answered"),
                row.answered,
            ]
        )
        writer.writerow(
            [
                t("attendance"),
                f"{row.city} ({standing_label(t, row.standing)})",
                t("present"),
                row.present,
            ]
        )
    result = report.result
    if result is not None:
        writer.writerow([t("feedback"), t("people asked"), "", result.asked])
        writer.writerow([t("feedback"), t("people who answered"), "", result.answered])
        for q in result.questions:
            item = f"{q.number}. {q.text}"
            writer.writerow([t("feedback"), item, t("answers"), q.answers])
            if not q.shown:
                continue
            if q.average is not None:
                writer.writerow([t("feedback"), item, t("average"), _number(t, q.average)])
            for value, n in q.distribution:
                writer.writerow([t("feedback"), item, value, n])
            for text, n in q.grouped:
                writer.writerow([t("feedback"), item, text, n])
    for section in report.sections:
        for line in section.lines:
            writer.writerow([section.title, line, "", ""])
    return ("\ufeff" + buffer.getvalue()).encode("utf-8")  # BOM: Excel reads it as UTF-8


def files(t: Translator, report: Report) -> tuple[File, ...]:
    from handlers.feedback import charts  # matplotlib + fpdf: only when drawn

    base = f"raport_spotkania_{report.meeting.id}"
    chart = charts.meeting_chart(t, report)
    return (
        File(f"{base}.png", chart, "image/png"),
        File(f"{base}.csv", to_csv(t, report), "text/csv"),
        File(f"{base}.pdf", charts.draft_pdf(t, report, chart), "application/pdf"),
    )


@REGISTRY.command(
    "raport",
    "report",
    summary=N_("report on a meeting: attendance, feedback, chart, CSV, draft"),
    args=Words(Id("meeting")),
    example="/raport 12",
    action=Action.VIEW_REPORTS,
    private=True,  # a staff overview: privately, never in the group
)
async def report(ctx: Context, meeting: int) -> list[Outgoing]:
    with ctx.db.session() as s:
        found, _network = fetch(
            ctx,
            s,
            Meeting,
            str(meeting),
            Action.VIEW_REPORTS,
            N_("There is no meeting with the number “{id}”. /moje_spotkania lists yours."),
        )
        data = build(s, ctx.t, found)
    return [Outgoing(message(ctx.t, data), files=files(ctx.t, data))]


@REGISTRY.command(
    "wyniki",
    "results",
    summary=N_("results of a closed poll or survey"),
    args=Words(Id("poll", label=POLL)),
    example="/wyniki 3",
    action=Action.VIEW_REPORTS,
    private=True,
)
async def poll_results(ctx: Context, poll: int) -> list[Outgoing]:
    with ctx.db.session() as s:
        found, _network = fetch(
            ctx,
            s,
            Poll,
            str(poll),
            Action.VIEW_REPORTS,
            N_("There is no poll with the number “{id}”. /ankieta lists yours."),
        )
        if found.status != PollStatus.CLOSED:
            raise DomainError(N_("The poll is running; results are hidden until it closes."))
        result = results(s, ctx.t, found)
        title = poll_title(s, ctx.t, found)
    return [Outgoing("\n".join([f"📊 {title}", *result_lines(ctx.t, result)]))]


def trend_points(s: Session, t: Translator, network_id: int) -> list[tuple[str, dict[str, Any]]]:
    """(label, {question text: average or None, "_rate": response rate}) per closed meeting
    poll, oldest first; an average of fewer than 3 answers is left out."""
    points = []
    for poll in store.polls_of_network(s, network_id, PollKind.MEETING):
        if poll.status != PollStatus.CLOSED or poll.meeting_id is None:
            continue
        meeting = s.get(Meeting, poll.meeting_id)
        result = results(s, t, poll)
        values: dict[str, Any] = {
            q.text: q.average if q.shown else None
            for q in result.questions
            if q.kind == QuestionKind.RATING
        }
        values["_rate"] = result.rate
        label = (
            f"#{poll.meeting_id} {t.local(meeting.starts_at):%d.%m.%Y}"
            if meeting
            else f"#{poll.meeting_id}"
        )
        points.append((label, values))
    return points


@REGISTRY.command(
    "trend",
    "trends",
    summary=N_("feedback across a network's meetings"),
    args=Words(Code("network", optional=True)),
    example="/trend cyfrowe",
    action=Action.VIEW_REPORTS,
    private=True,
)
async def trend(ctx: Context, network: str | None) -> list[Outgoing]:
    found = ctx.target_network(network)
    ctx.require(Action.VIEW_REPORTS, found)
    with ctx.db.session() as s:
        points = trend_points(s, ctx.t, found.id or 0)
    if not points:
        return [Outgoing(ctx.t("No closed meeting polls in {network} yet.", network=found.name))]
    lines = [ctx.t("📈 Feedback across meetings — {network}", network=found.name)]
    for label, values in points:
        averages = [
            f"{_number(ctx.t, v)}" if v is not None else "–"
            for k, v in values.items()
            if k != "_rate"
        ]
        lines.append(
            ctx.t(
                "{meeting}: averages {averages}; answered {rate} %",
                meeting=label,
                averages=" / ".join(averages),
                rate=round(100 * values["_rate"]),
            )
        )
    lines.append(ctx.t("“–”: fewer than 3 answers."))
    from handlers.feedback import charts  # matplotlib: only when drawn

    chart = charts.trend_chart(ctx.t, found.name, points)
    return [
        Outgoing("\n".join(lines), files=(File(f"trend_{found.code}.png", chart, "image/png"),))
    ]

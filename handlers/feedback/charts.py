"""The report's pictures and paper: a PNG chart readable on a phone (matplotlib, Agg), the same
figures as SVG for the staff desk, and the coordinator's post-meeting report as a filled PDF
draft (fpdf2, DejaVu Sans for Polish)."""

from __future__ import annotations

import html
import io
import textwrap
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

import matplotlib

matplotlib.use("Agg")  # no display: render to bytes only
import matplotlib.pyplot as plt
from fpdf import FPDF
from matplotlib.ticker import FuncFormatter

from core.i18n import Translator
from handlers.kit.printout import Printout
from handlers.meetings.render import FORMAT_LABEL
from models.errors import Msgid
from models.feedback import QuestionKind
from models.meetings import MeetingFormat

if TYPE_CHECKING:
    from handlers.feedback.report import QuestionResult, Report

WIDTH_INCHES, DPI = 7.2, 150  # 1080 px wide: a phone screen's width, large type
COLOURS = ("#c0392b", "#e67e22", "#f1c40f", "#7fb800", "#27ae60")


def _png(fig: Any) -> bytes:
    buffer = io.BytesIO()
    fig.savefig(buffer, format="png", dpi=DPI, bbox_inches="tight")
    plt.close(fig)
    return buffer.getvalue()


def svg(fig: Any, title: str, desc: str) -> bytes:
    """The figure as a standalone SVG document with its `title` and `desc` (what a screen
    reader says of the picture; outside text escaped), without a date or a creator, so the same
    figures give the same bytes. Text stays text (`svg.fonttype: none`): smaller, and it scales."""
    buffer = io.StringIO()
    with matplotlib.rc_context({"svg.fonttype": "none", "svg.hashsalt": "empirie"}):
        fig.savefig(buffer, format="svg", bbox_inches="tight", metadata={"Date": None})
    plt.close(fig)
    text = buffer.getvalue()
    start = text.index("<svg")
    end = text.index(">", start)
    head = text[start:end].replace("<svg", '<svg role="img" aria-labelledby="t d"', 1)
    named = f'<title id="t">{html.escape(title)}</title><desc id="d">{html.escape(desc)}</desc>'
    return (text[:start] + head + ">" + named + text[end + 1 :]).encode("utf-8")


def _wrap(text: str, width: int = 38) -> str:
    return "\n".join(textwrap.wrap(text, width)) or text


def _numbers(t: Translator, ax: Any, axis: str) -> None:
    """The axis's tick labels in the reader's number format ("3,5" in Polish, "3.5" in English)."""
    formatter = FuncFormatter(lambda value, _pos: t.number(round(value, 2)))
    (ax.xaxis if axis == "x" else ax.yaxis).set_major_formatter(formatter)


def _bar_labels(t: Translator, ax: Any, bars: Any, size: int) -> None:
    ax.bar_label(bars, labels=[t.number(b.get_width()) for b in bars], fontsize=size, padding=4)


def meeting_chart(t: Translator, report: Report) -> bytes:
    """Attendance on top, then one bar chart per rating or choice question."""
    return _png(meeting_figure(t, report))


def meeting_figure(t: Translator, report: Report) -> Any:
    """The meeting chart as a matplotlib figure (drawn, not yet rendered to PNG)."""
    result = report.result
    plotted: list[QuestionResult] = (
        [q for q in result.questions if q.kind != QuestionKind.TEXT] if result else []
    )
    rows = 1 + len(plotted)
    fig, axes = plt.subplots(rows, 1, figsize=(WIDTH_INCHES, 2.9 * rows), squeeze=False)
    fig.suptitle(
        _wrap(f"#{report.meeting.id} {report.meeting.title}", 40), fontsize=17, fontweight="bold"
    )
    ax = axes[0][0]
    labels = [t("invited"), t("answered"), t("present")]
    values = [
        sum(r.invited for r in report.rows),
        sum(r.answered for r in report.rows),
        sum(r.present for r in report.rows),
    ]
    bars = ax.barh(labels[::-1], values[::-1], color="#2c7fb8")
    _bar_labels(t, ax, bars, 14)
    ax.set_title(t("Attendance"), fontsize=15, loc="left")
    _style(t, ax, max([*values, 1]))
    for ax_row, q in zip(axes[1:], plotted, strict=True):
        ax = ax_row[0]
        title = f"{q.number}. {q.text}"
        if q.average is not None and q.shown:
            title += " — " + t("average {average}", average=t.number(round(q.average, 1)))
        ax.set_title(_wrap(title, 48), fontsize=14, loc="left")
        if not q.shown:
            ax.text(
                0.5,
                0.5,
                t.tn("{n} answer — too few to show", "{n} answers — too few to show", q.answers),
                ha="center",
                va="center",
                fontsize=15,
                transform=ax.transAxes,
            )
            ax.set_axis_off()
            continue
        names = [_wrap(v, 24) for v, _n in q.distribution][::-1]
        counts = [n for _v, n in q.distribution][::-1]
        colours = (
            list(COLOURS[::-1]) if q.kind == QuestionKind.RATING else ["#2c7fb8"] * len(counts)
        )
        bars = ax.barh(names, counts, color=colours)
        _bar_labels(t, ax, bars, 13)
        _style(t, ax, max([*counts, 1]))
    if result is None:
        fig.text(
            0.5,
            0.01,
            t("Feedback results appear here after the poll closes."),
            ha="center",
            fontsize=13,
        )
    fig.tight_layout()
    return fig


def _style(t: Translator, ax: Any, top: int) -> None:
    ax.set_xlim(0, top * 1.2 + 0.5)
    _numbers(t, ax, "x")
    ax.tick_params(axis="y", labelsize=13)
    ax.tick_params(axis="x", labelsize=11)
    ax.xaxis.get_major_locator().set_params(integer=True)
    for side in ("top", "right"):
        ax.spines[side].set_visible(False)


def trend_chart(t: Translator, network: str, points: list[tuple[str, dict[str, Any]]]) -> bytes:
    return _png(trend_figure(t, network, points))


def trend_figure(t: Translator, network: str, points: list[tuple[str, dict[str, Any]]]) -> Any:
    """The averages of a network's meetings as a matplotlib figure."""
    fig, ax = plt.subplots(figsize=(WIDTH_INCHES, 6))
    labels = [label for label, _v in points]
    questions = [k for k in points[-1][1] if k != "_rate"]
    for number, question in enumerate(questions, start=1):
        ys = [values.get(question) for _l, values in points]
        ax.plot(
            labels,
            [y if y is not None else float("nan") for y in ys],
            marker="o",
            linewidth=3,
            markersize=9,
            label=_wrap(f"{number}. {question}", 45),
        )
    ax.set_ylim(1, 5.2)
    _numbers(t, ax, "y")
    ax.set_title(
        _wrap(t("Feedback across meetings — {network}", network=network), 40),
        fontsize=16,
        loc="left",
    )
    ax.set_ylabel(t("average (1–5)"), fontsize=13)
    ax.tick_params(labelsize=12)
    ax.grid(axis="y", alpha=0.3)
    ax.legend(fontsize=11, loc="upper center", bbox_to_anchor=(0.5, -0.12), frameon=False)
    fig.tight_layout()
    return fig


def _png_size(png: bytes) -> tuple[int, int]:
    """Width and height in pixels, from the PNG's header (IHDR)."""
    return int.from_bytes(png[16:20], "big"), int.from_bytes(png[20:24], "big")


def _widths(pdf: FPDF, titles: Sequence[str], fixed: Sequence[float]) -> tuple[float, ...]:
    """The first columns as given; the rest share the page's width, each at least as wide as
    its heading (bold, as the table prints it), so that no heading is split mid-word."""
    pdf.set_font("DejaVu", "B", 10)
    rest = titles[len(fixed) :]
    needed = [pdf.get_string_width(title) + 2 * pdf.c_margin + 3 for title in rest]
    pdf.set_font("DejaVu", "", 10)
    share = (pdf.epw - sum(fixed)) / len(rest)
    widths = [max(share, n) for n in needed]
    first = list(fixed)
    overflow = sum(widths) + sum(first) - pdf.epw
    if overflow > 0:  # the first column gives way
        first[0] -= overflow
    return (*first, *widths)


def draft_pdf(t: Translator, report: Report, chart: bytes) -> bytes:
    """The coordinator's post-meeting report, filled with what the bot knows; the parts only
    the coordinator can write are left as dotted lines."""
    from handlers.feedback.report import result_lines, standing_label

    m = report.meeting
    pdf = Printout()
    pdf.set_font("DejaVu", "B", 15)
    pdf.multi_cell(
        0,
        8,
        t("Coordinator's report after the meeting — DRAFT"),
        align="C",
        new_x="LMARGIN",
        new_y="NEXT",
    )
    pdf.set_font("DejaVu", "", 10)
    pdf.multi_cell(
        0,
        5.5,
        t(
            "Prepared by the bot from the attendance list and the feedback "
            "poll; complete the dotted parts and check the figures."
        ),
        align="C",
        new_x="LMARGIN",
        new_y="NEXT",
    )
    pdf.heading(t("1. The meeting"))
    for line in (
        t("Network: {network}", network=report.network.name),
        t("Meeting: {title}", title=m.title),
        t("Date: {when}", when=t.datetime(m.starts_at)),
        t("Format: {format}", format=Msgid(FORMAT_LABEL[MeetingFormat(m.format)])),
        t("Place: {place}", place=m.place or m.online_link or "—"),
    ):
        pdf.para(line)
    if m.agenda:
        pdf.para(t("Agenda: {agenda}", agenda=m.agenda))
    pdf.heading(t("2. Attendance"))
    pdf.para(
        t(
            "Attendance: invited {invited}, answered {answered}, present {present}.",
            invited=sum(r.invited for r in report.rows),
            answered=sum(r.answered for r in report.rows),
            present=sum(r.present for r in report.rows),
        )
    )
    if report.rows:
        titles = (t("City"), t("Standing"), t("invited"), t("answered"), t("present"))
        with pdf.table(
            col_widths=_widths(pdf, titles, (60, 40)), line_height=7, text_align="LEFT"
        ) as table:
            header = table.row()
            for title in titles:
                header.cell(title)
            for row in report.rows:
                cells = table.row()
                for value in (
                    row.city,
                    standing_label(t, row.standing),
                    str(row.invited),
                    str(row.answered),
                    str(row.present),
                ):
                    cells.cell(value)
    pdf.heading(t("3. Participants' feedback"))
    if report.result is not None:
        for line in result_lines(t, report.result):
            pdf.para(line)
    elif report.hidden_until is not None:
        pdf.para(
            t(
                "Feedback: the poll is running; results are hidden until it closes on {when}.",
                when=t.datetime(report.hidden_until),
            )
        )
    else:
        pdf.para(t("Feedback: no poll for this meeting yet (it is sent after the meeting ends)."))
    for number, section in enumerate(report.sections, start=4):
        pdf.heading(f"{number}. {section.title}")
        for line in section.lines:
            pdf.para(line)
    # the report form's sections (handlers/reports): the coordinator's text, or lines to fill
    for number, (title, text) in enumerate(report.written, start=4 + len(report.sections)):
        pdf.heading(f"{number}. {title}")
        if text:
            pdf.para(text)
        else:
            pdf.blank(4)
    pdf.ln(6)
    pdf.para(t("Date and signature of the coordinator: ……………………………………"))
    pdf.add_page()
    pdf.heading(t("Annex: chart"))
    # a tall chart (many questions) is scaled to the page: too tall, fpdf would break the page
    # before it and leave the annex's heading alone on a page of its own
    width, height = _png_size(chart)
    room = pdf.h - pdf.b_margin - pdf.get_y() - 1
    pdf.image(io.BytesIO(chart), w=min(170, room * width / height))
    return bytes(pdf.output())

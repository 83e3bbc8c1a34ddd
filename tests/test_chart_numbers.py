"""Numbers in charts and PDFs in the reader's format (issue 24): "3,5" on a Polish axis, label
and report, "3.5" in English — read back from the drawn figure's tick labels and the PDF's text."""

from __future__ import annotations

import io
from datetime import UTC, datetime
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from pypdf import PdfReader

from core.i18n import Translator
from handlers.feedback import charts
from handlers.feedback.report import AttendanceRow, PollResult, QuestionResult, Report
from models.core import Network
from models.feedback import Poll
from models.meetings import Meeting

WARSAW = ZoneInfo("Europe/Warsaw")
POINTS: list[tuple[str, dict[str, Any]]] = [
    ("#1 12.01.2027", {"Ocena spotkania": 3.5, "Przydatność": 4.0, "_rate": 0.5}),
    ("#2 09.02.2027", {"Ocena spotkania": 3.8, "Przydatność": 4.5, "_rate": 0.7}),
]


def _ticks(axis: Any) -> list[str]:
    return [label.get_text() for label in axis.get_ticklabels() if label.get_text()]


def _report() -> Report:
    when = datetime(2027, 5, 12, 8, 0, tzinfo=UTC)
    meeting = Meeting(
        id=7,
        network_id=1,
        title="Cyfrowy urząd",
        starts_at=when,
        format="online",
        rsvp_deadline=when,
        created_at=when,
    )
    network = Network(id=1, code="cyfrowe", name="MIASTO CYFROWE", theme="Cyfryzacja")
    ratings = [QuestionResult(1, "Ocena spotkania", "rating", 4, 3.5, [("3", 2), ("4", 2)])]
    result = PollResult(Poll(network_id=1, title="x", questions=[]), 6, 4, 4, ratings)
    rows = [AttendanceRow("Łomża", "laureat", 3, 2, 2)]
    return Report(meeting, network, rows, result, None, [])


@pytest.mark.parametrize(
    ("language", "decimal", "wrong"), [("pl", "3,5", "3.5"), ("en", "3.5", "3,5")]
)
def test_trend_axis_uses_the_readers_decimal_mark(language: str, decimal: str, wrong: str) -> None:
    t = Translator(language, WARSAW)
    fig = charts.trend_figure(t, "MIASTO CYFROWE", POINTS)
    fig.canvas.draw()
    [ax] = fig.axes
    ticks = _ticks(ax.yaxis)
    assert decimal in ticks and wrong not in ticks, ticks
    mark = "," if language == "pl" else "."
    assert all(mark in tick or tick.isdigit() for tick in ticks), ticks


@pytest.mark.parametrize(
    ("language", "decimal", "wrong"), [("pl", "3,5", "3.5"), ("en", "3.5", "3,5")]
)
def test_meeting_chart_and_report_pdf_use_the_readers_decimal_mark(
    language: str, decimal: str, wrong: str
) -> None:
    t = Translator(language, WARSAW)
    report = _report()
    fig = charts.meeting_figure(t, report)
    fig.canvas.draw()
    question = fig.axes[1]
    assert question.get_title(loc="left").endswith(decimal)  # "… — średnio 3,5"
    assert all(tick.isdigit() for tick in _ticks(question.xaxis))  # counts: whole numbers
    bar_labels = [text.get_text() for text in question.texts]
    assert bar_labels == ["2", "2"]

    pdf = charts.draft_pdf(t, report, charts.meeting_chart(t, report))
    text = "\n".join(page.extract_text() for page in PdfReader(io.BytesIO(pdf)).pages)
    assert decimal in text and wrong not in text

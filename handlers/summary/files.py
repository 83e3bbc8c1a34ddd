"""The summary as files for ZMP's leadership: a PDF to read (the shared printout, DejaVu Sans)
and an XLSX to count with (openpyxl; every text cell through core.cells, so none starts a
formula). Imported where the files are made: fpdf and openpyxl load only then."""

from __future__ import annotations

import io
from collections.abc import Sequence
from datetime import datetime
from typing import Any

from core.cells import safe_row
from core.i18n import Translator
from core.messages import File
from handlers.kit.printout import Printout
from handlers.summary.gather import (
    DRAFT,
    MISSING,
    NOT_DUE,
    SUBMITTED,
    FeedbackLine,
    NetworkSummary,
    Summary,
)
from models.errors import N_
from models.office_hours import BookingStatus

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
REPORT_STATE = {
    SUBMITTED: N_("report submitted"),
    DRAFT: N_("report in draft"),
    MISSING: N_("no report"),
    NOT_DUE: N_("meeting not over yet"),
}
OFFICE_STATE = {
    BookingStatus.DONE: N_("held"),
    BookingStatus.NO_SHOW: N_("no-show"),
}


def title(t: Translator) -> str:
    return t("EMPIRIE networks — summary for ZMP's leadership")


def _office_state(t: Translator, status: str) -> str:
    return t(OFFICE_STATE.get(BookingStatus(status), N_("booked")))


def _number(t: Translator, value: float | None) -> str:
    return t.number(round(value, 1)) if value is not None else "–"


def _change(t: Translator, value: float | None) -> str:
    if value is None:
        return "–"
    sign = "+" if value > 0 else ("−" if value < 0 else "±")
    return sign + t.number(round(abs(value), 1))


def _average(n: NetworkSummary) -> float | None:
    found = [f.average for f in n.feedback if f.average is not None]
    return sum(found) / len(found) if found else None


def _ended(n: NetworkSummary) -> int:
    return sum(1 for m in n.meetings if m.report != NOT_DUE)


# --- the rows both files show --------------------------------------------------------------


def _figure(value: float | None) -> float | str:
    """A spreadsheet's number (a real one: it sorts and sums), or "–" for none."""
    return round(value, 2) if value is not None else "–"


def overview_rows(t: Translator, summary: Summary, sheet: bool = False) -> list[list[Any]]:
    return [
        [
            n.network.name,
            len(n.meetings),
            n.invited,
            n.present,
            len(n.losing_touch),
            n.office_used,
            _figure(_average(n)) if sheet else _number(t, _average(n)),
            n.reports(SUBMITTED),
            n.reports(MISSING) + n.reports(DRAFT),
        ]
        for n in summary.networks
    ]


def overview_header(t: Translator) -> list[str]:
    return [
        t("Network"),
        t("Meetings"),
        t("People invited"),
        t("People present"),
        t("Cities losing touch"),
        t("Office hours used"),
        t("Feedback average (1–5)"),
        t("Reports submitted"),
        t("Reports outstanding"),
    ]


def _feedback_row(n: NetworkSummary, f: FeedbackLine) -> list[Any]:
    return [
        n.network.name,
        f"#{f.meeting.id} {f.meeting.title}",
        f.asked,
        f.answered,
        _figure(f.average),
        _figure(f.change),
    ]


# --- XLSX ----------------------------------------------------------------------------------


def _local(t: Translator, when: datetime | None) -> datetime | None:
    return t.local(when).replace(tzinfo=None) if when is not None else None


def to_xlsx(t: Translator, summary: Summary) -> bytes:
    from openpyxl import Workbook
    from openpyxl.styles import Font
    from openpyxl.utils import get_column_letter

    book = Workbook()
    sheets: list[tuple[str, list[str], list[list[Any]]]] = [
        (t("Summary"), overview_header(t), overview_rows(t, summary, sheet=True)),
        (
            t("Attendance by city"),
            [
                t("Network"),
                t("City"),
                t("Standing"),
                t("Meetings invited to"),
                t("Meetings attended"),
                t("People present"),
            ],
            [
                [
                    n.network.name,
                    c.city,
                    c.standing,
                    c.meetings_invited,
                    c.meetings_attended,
                    c.people_present,
                ]
                for n in summary.networks
                for c in n.cities
            ],
        ),
        (
            t("Attendance by standing"),
            [t("Network"), t("Standing"), t("People invited"), t("People present")],
            [
                [n.network.name, x.standing, x.invited, x.present]
                for n in summary.networks
                for x in n.standings
            ],
        ),
        (
            t("Losing touch"),
            [
                t("Network"),
                t("City"),
                t("Standing"),
                t("Meetings missed in a row"),
                t("Last attended"),
            ],
            [
                [n.network.name, x.city, x.standing, x.missed, _local(t, x.last_attended) or "–"]
                for n in summary.networks
                for x in n.losing_touch
            ],
        ),
        (
            t("Office hours"),
            [t("Network"), t("When"), t("City"), t("Topic"), t("State")],
            [
                [n.network.name, _local(t, o.when), o.city, o.topic, _office_state(t, o.status)]
                for n in summary.networks
                for o in n.office
            ],
        ),
        (
            t("Feedback"),
            [
                t("Network"),
                t("Meeting"),
                t("People asked"),
                t("People who answered"),
                t("Average (1–5)"),
                t("Change since the previous meeting"),
            ],
            [_feedback_row(n, f) for n in summary.networks for f in n.feedback],
        ),
        (
            t("Reports"),
            [
                t("Network"),
                t("Meeting"),
                t("Title"),
                t("Date"),
                t("People invited"),
                t("People present"),
                t("Coordinator's report"),
                t("Submitted on"),
            ],
            [
                [
                    n.network.name,
                    m.meeting.id,
                    m.meeting.title,
                    _local(t, m.meeting.starts_at),
                    m.invited,
                    m.present,
                    t(REPORT_STATE[m.report]),
                    _local(t, m.report_submitted_at) or "",
                ]
                for n in summary.networks
                for m in n.meetings
            ],
        ),
    ]
    first = True
    for name, header, rows in sheets:
        sheet = book.active if first else book.create_sheet()
        assert sheet is not None
        first = False
        sheet.title = name[:31]
        sheet.append(safe_row(header))
        for row in rows:
            sheet.append(safe_row(row))
        if not rows:  # a sheet with only its header reads as a broken file
            sheet.append([t("Nothing in this period.")])
        for cell in sheet[1]:
            cell.font = Font(bold=True)
        widths = [len(str(h)) for h in header]
        for line in sheet.iter_rows(min_row=1):
            for index, cell in enumerate(line):
                if isinstance(cell.value, str):
                    cell.data_type = "s"  # text, never a formula
                    widths[index] = max(widths[index], min(len(cell.value), 60))
                elif isinstance(cell.value, float):
                    cell.number_format = "0.0#"
                elif isinstance(cell.value, datetime):
                    cell.number_format = "DD.MM.YYYY HH:MM"
                    widths[index] = max(widths[index], 16)
        for index, width in enumerate(widths):
            sheet.column_dimensions[get_column_letter(index + 1)].width = width + 2
        sheet.freeze_panes = "A2"
    summary_sheet = book.worksheets[0]
    summary_sheet.append([])
    for label, value in (
        (t("Period"), summary.period.shown),
        (t("Made on"), t.short_datetime(summary.made_at)),
        (
            t("Losing touch"),
            t.tn(
                "a city invited to {n} meeting in a row with nobody present",
                "a city invited to {n} meetings in a row with nobody present",
                summary.threshold,
            ),
        ),
    ):
        summary_sheet.append(safe_row([label, value]))
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


# --- PDF -----------------------------------------------------------------------------------


def _widths(pdf: Printout, header: Sequence[str], rows: Sequence[Sequence[str]]) -> list[float]:
    """Every column but the first as wide as its longest heading word (bold) or cell (up to
    a cap), so no word is split; the first column takes the rest."""
    pad = 2 * pdf.c_margin + 1.5
    widths = [0.0]
    for index, title in enumerate(header[1:], start=1):
        pdf.set_font("DejaVu", "B", 8)
        word = max(pdf.get_string_width(w) for w in str(title).split() or [""])
        pdf.set_font("DejaVu", "", 8)
        cell = max((pdf.get_string_width(row[index]) for row in rows), default=0.0)
        widths.append(max(word, min(cell, 42.0)) + pad)
    widths[0] = max(pdf.epw - sum(widths), 35.0)
    scale = pdf.epw / sum(widths)
    return [w * scale for w in widths]


def _table(pdf: Printout, header: Sequence[str], rows: Sequence[Sequence[Any]]) -> None:
    cells = [["" if cell is None else str(cell) for cell in row] for row in rows]
    widths = _widths(pdf, header, cells)
    pdf.set_font("DejaVu", "", 8)
    with pdf.table(
        line_height=4.5, text_align="LEFT", col_widths=tuple(widths), markdown=False
    ) as table:
        head = table.row()
        for title in header:
            head.cell(str(title))
        for row in cells:
            line = table.row()
            for cell in row:
                line.cell(cell)
    pdf.set_font("DejaVu", "", 10)
    pdf.ln(2)


def to_pdf(t: Translator, summary: Summary) -> bytes:
    pdf = Printout()
    pdf.set_font("DejaVu", "B", 15)
    pdf.multi_cell(0, 8, title(t), align="C", new_x="LMARGIN", new_y="NEXT")
    pdf.set_font("DejaVu", "", 10)
    pdf.multi_cell(
        0,
        5.5,
        t(
            "Period: {period}. Made on {when}.",
            period=summary.period.shown,
            when=t.short_datetime(summary.made_at),
        ),
        align="C",
        new_x="LMARGIN",
        new_y="NEXT",
    )
    pdf.heading(t("1. All networks at a glance"))
    _table(pdf, overview_header(t), overview_rows(t, summary))
    pdf.para(
        t.tn(
            "Losing touch: a city invited to {n} meeting in a row with nobody present.",
            "Losing touch: a city invited to {n} meetings in a row with nobody present.",
            summary.threshold,
        )
    )
    for number, n in enumerate(summary.networks, start=2):
        _network(pdf, t, number, n)
    return bytes(pdf.output())


def _network(pdf: Printout, t: Translator, number: int, n: NetworkSummary) -> None:
    pdf.heading(f"{number}. {n.network.name}")
    if not n.meetings:
        pdf.para(t("No meetings in this period."))
    else:
        pdf.para(t("Meetings and the coordinator's reports:"))
        _table(
            pdf,
            [
                t("Meeting"),
                t("Date"),
                t("People present"),
                t("Cities present"),
                t("Coordinator's report"),
            ],
            [
                [
                    f"#{m.meeting.id} {m.meeting.title}",
                    t.short_datetime(m.meeting.starts_at),
                    f"{m.present}/{m.invited}",
                    f"{m.cities_present}/{m.cities_invited}",
                    t(REPORT_STATE[m.report])
                    + (
                        f" ({t.short_datetime(m.report_submitted_at)})"
                        if m.report_submitted_at
                        else ""
                    ),
                ]
                for m in n.meetings
            ],
        )
        pdf.para(t("Attendance by city (meetings attended of those invited to; people present):"))
        _table(
            pdf,
            [t("City"), t("Standing"), t("Meetings attended"), t("People present")],
            [
                [
                    c.city,
                    c.standing,
                    f"{c.meetings_attended}/{c.meetings_invited}",
                    c.people_present,
                ]
                for c in n.cities
            ],
        )
        pdf.para(
            t(
                "By standing (present/invited): {items}",
                items="; ".join(f"{x.standing} {x.present}/{x.invited}" for x in n.standings)
                or "—",
            )
        )
    if n.losing_touch:
        pdf.para(t("Cities losing touch:"))
        for x in n.losing_touch:
            last = (
                t("last present: {date}", date=t.date(x.last_attended))
                if x.last_attended
                else t("nobody from the city has come to a meeting of the network yet")
            )
            missed = t.tn(
                "{city} ({standing}): {n} meeting missed in a row",
                "{city} ({standing}): {n} meetings missed in a row",
                x.missed,
                city=x.city,
                standing=x.standing,
            )
            pdf.para(f"• {missed}; {last}")
    else:
        pdf.para(t("No city is losing touch."))
    if n.office:
        pdf.para(
            t.tn(
                "{n} office-hours booking in the period:",
                "{n} office-hours bookings in the period:",
                len(n.office),
            )
        )
        for o in n.office:
            pdf.para(
                f"• {t.short_datetime(o.when)} {o.city}: {o.topic} ({_office_state(t, o.status)})"
            )
    else:
        pdf.para(t("No office-hours bookings in this period."))
    if n.feedback:
        pdf.para(t("Feedback (average of the ratings, 1–5; change since the previous meeting):"))
        for f in n.feedback:
            pdf.para(
                "• "
                + t(
                    "#{id} {title}: {answered} of {asked} answered; average {average} ({change})",
                    id=f.meeting.id,
                    title=f.meeting.title,
                    answered=f.answered,
                    asked=f.asked,
                    average=_number(t, f.average),
                    change=_change(t, f.change),
                )
            )
    else:
        pdf.para(t("No closed feedback polls in this period."))


def files(t: Translator, summary: Summary) -> tuple[File, File]:
    name = f"podsumowanie_empirie_{summary.period.key}"
    return (
        File(f"{name}.pdf", to_pdf(t, summary), "application/pdf"),
        File(f"{name}.xlsx", to_xlsx(t, summary), XLSX),
    )

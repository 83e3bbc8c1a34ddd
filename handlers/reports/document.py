"""The coordinator's report as files for the archive: a PDF (fpdf2 with DejaVu Sans, so Polish
letters print) and a DOCX (python-docx). What was the `/raport` draft with dotted lines is
this printout: the figures the bot knows, then the form's sections with the coordinator's
text — or dotted lines where a section of a draft is still empty. Imported where the files
are made (the libraries load only then)."""

from __future__ import annotations

import io

from docx import Document
from fpdf import FPDF
from sqlmodel import Session

from core.i18n import Translator
from core.messages import File
from handlers.feedback.report import build, standing_label
from handlers.kit.printout import DOTS, Printout
from handlers.reports.render import Block, facts
from models.core import Network, Person
from models.meetings import Meeting
from models.reports import MeetingReport


def _heading(t: Translator, report: MeetingReport) -> str:
    if report.submitted:
        return t("Coordinator's report after the meeting")
    return t("Coordinator's report after the meeting — DRAFT")


def _byline(t: Translator, report: MeetingReport, author: Person | None) -> str:
    who = author.display_name if author else "—"
    if report.submitted and report.submitted_at is not None:
        return t(
            "Submitted by {author} on {when}.", author=who, when=t.datetime(report.submitted_at)
        )
    return t(
        "A draft by {author}, last saved on {when}; not submitted yet.",
        author=who,
        when=t.datetime(report.updated_at),
    )


def _attendance_rows(t: Translator, s: Session, meeting: Meeting) -> list[tuple[str, ...]]:
    return [
        (r.city, standing_label(t, r.standing), str(r.invited), str(r.answered), str(r.present))
        for r in build(s, t, meeting).rows
    ]


def _columns(t: Translator) -> tuple[str, ...]:
    return (t("City"), t("Standing"), t("invited"), t("answered"), t("present"))


def _widths(pdf: FPDF, titles: tuple[str, ...]) -> tuple[float, ...]:
    """The count columns as wide as their headings (bold, as printed: no word is split), the
    city and the standing share the rest."""
    pdf.set_font("DejaVu", "B", 10)
    counts = [pdf.get_string_width(title) + 2 * pdf.c_margin + 3 for title in titles[2:]]
    pdf.set_font("DejaVu", "", 10)
    rest = pdf.epw - sum(counts)
    return (rest * 0.6, rest * 0.4, *counts)


def to_pdf(
    t: Translator,
    blocks: list[Block],
    rows: list[tuple[str, ...]],
    report: MeetingReport,
    author: Person | None,
) -> bytes:
    pdf = Printout()
    pdf.set_font("DejaVu", "B", 15)
    pdf.multi_cell(0, 8, _heading(t, report), align="C", new_x="LMARGIN", new_y="NEXT")
    pdf.set_font("DejaVu", "", 10)
    pdf.multi_cell(0, 5.5, _byline(t, report, author), align="C", new_x="LMARGIN", new_y="NEXT")
    number = 0
    for block in blocks:
        number += 1
        pdf.heading(f"{number}. {block.title}")
        for line in block.lines:
            pdf.para(line)
        if block is blocks[1] and rows:  # attendance: the table by city
            with pdf.table(
                line_height=6, text_align="LEFT", col_widths=_widths(pdf, _columns(t))
            ) as table:
                header = table.row()
                for title in _columns(t):
                    header.cell(title)
                for row in rows:
                    cells = table.row()
                    for value in row:
                        cells.cell(value)
    for title, text in zip(report.titles(), report.texts(), strict=True):
        number += 1
        pdf.heading(f"{number}. {title}")
        if text:
            pdf.para(text)
        else:
            pdf.blank(4)
    pdf.ln(6)
    pdf.para(t("Date and signature of the coordinator: ……………………………………"))
    return bytes(pdf.output())


def to_docx(
    t: Translator,
    blocks: list[Block],
    rows: list[tuple[str, ...]],
    report: MeetingReport,
    author: Person | None,
) -> bytes:
    doc = Document()
    doc.add_heading(_heading(t, report), level=0)
    doc.add_paragraph(_byline(t, report, author))
    number = 0
    for block in blocks:
        number += 1
        doc.add_heading(f"{number}. {block.title}", level=1)
        for line in block.lines:
            doc.add_paragraph(line)
        if block is blocks[1] and rows:
            table = doc.add_table(rows=1, cols=len(_columns(t)))
            table.style = "Table Grid"
            for cell, title in zip(table.rows[0].cells, _columns(t), strict=True):
                cell.text = title
            for row in rows:
                for cell, value in zip(table.add_row().cells, row, strict=True):
                    cell.text = value
    for title, text in zip(report.titles(), report.texts(), strict=True):
        number += 1
        doc.add_heading(f"{number}. {title}", level=1)
        if text:
            for paragraph in text.split("\n"):
                doc.add_paragraph(paragraph)
        else:
            for _ in range(4):
                doc.add_paragraph(DOTS[:80])
    doc.add_paragraph("")
    doc.add_paragraph(t("Date and signature of the coordinator: ……………………………………"))
    buffer = io.BytesIO()
    doc.save(buffer)
    return buffer.getvalue()


def files(
    t: Translator,
    s: Session,
    report: MeetingReport,
    meeting: Meeting,
    network: Network,
    author: Person | None,
) -> tuple[File, File]:
    blocks = facts(t, build(s, t, meeting))
    rows = _attendance_rows(t, s, meeting)
    name = f"raport_koordynatora_{network.code}_spotkanie_{meeting.id}"
    return (
        File(f"{name}.pdf", to_pdf(t, blocks, rows, report, author), "application/pdf"),
        File(
            f"{name}.docx",
            to_docx(t, blocks, rows, report, author),
            "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
        ),
    )

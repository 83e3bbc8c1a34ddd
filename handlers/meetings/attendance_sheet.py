"""The printable signing sheet (lista obecności) and its CSV twin, for the organiser's archive."""

from __future__ import annotations

import csv
import io
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from core.i18n import Translator
from models.errors import N_, DomainError
from models.meetings import Meeting

FONT_PATHS = (
    Path("/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf"),  # Debian's fonts-dejavu-core
    Path("/usr/share/fonts/dejavu/DejaVuSans.ttf"),
    Path("/usr/local/share/fonts/DejaVuSans.ttf"),
)


@dataclass(frozen=True)
class Row:
    name: str
    city: str
    position: str
    answer: str
    checked_in: str


def _font() -> Path:
    for path in FONT_PATHS:
        if path.exists():
            return path
    raise DomainError(
        N_(
            "The PDF needs the DejaVu Sans font (package fonts-dejavu-core); "
            "the CSV list works without it."
        )
    )


def to_csv(t: Translator, rows: Sequence[Row]) -> bytes:
    buffer = io.StringIO()
    writer = csv.writer(buffer, delimiter=";")
    writer.writerow([t("No."), t("Name"), t("City"), t("Position"), t("Answer"), t("Checked in")])
    for number, row in enumerate(rows, start=1):
        writer.writerow([number, row.name, row.city, row.position, row.answer, row.checked_in])
    return ("\ufeff" + buffer.getvalue()).encode("utf-8")  # BOM: Excel opens it as UTF-8


def to_pdf(t: Translator, meeting: Meeting, network_name: str, rows: Sequence[Row]) -> bytes:
    from fpdf import FPDF  # ~0.5 s and ~20 MB: only when a sheet is asked for

    pdf = FPDF(orientation="P", unit="mm", format="A4")
    regular = _font()
    bold = regular.with_name("DejaVuSans-Bold.ttf")
    pdf.add_font("DejaVu", "", str(regular))
    pdf.add_font("DejaVu", "B", str(bold if bold.exists() else regular))
    pdf.set_auto_page_break(auto=True, margin=15)
    pdf.add_page()
    pdf.set_font("DejaVu", size=15)
    pdf.cell(0, 9, t("Attendance list"), new_x="LMARGIN", new_y="NEXT", align="C")
    pdf.set_font("DejaVu", size=10)
    for line in (
        t("Network: {network}", network=network_name),
        t("Meeting: {title}", title=meeting.title),
        t("Date: {when}", when=t.datetime(meeting.starts_at)),
        t("Place: {place}", place=meeting.place or meeting.online_link or "—"),
    ):
        pdf.cell(0, 6, line, new_x="LMARGIN", new_y="NEXT")
    pdf.ln(4)
    widths = (10, 52, 38, 45, 45)
    with pdf.table(col_widths=widths, line_height=9, text_align="LEFT") as table:
        header = table.row()
        for title in (t("No."), t("Name"), t("City"), t("Position"), t("Signature")):
            header.cell(title)
        for number, row in enumerate(rows, start=1):
            cells = table.row()
            for value in (str(number), row.name, row.city, row.position, ""):
                cells.cell(value)
    return bytes(pdf.output())

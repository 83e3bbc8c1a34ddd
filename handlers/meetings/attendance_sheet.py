"""The printable signing sheet (lista obecności) and its CSV twin, for the organiser's archive."""

from __future__ import annotations

import io
from collections.abc import Sequence
from dataclasses import dataclass

from core.cells import SafeWriter
from core.i18n import Translator
from models.attendance import Section
from models.errors import N_
from models.meetings import Meeting

SECTION_LABELS = {
    Section.IN_PERSON: N_("in person"),
    Section.ONLINE: N_("online"),
    Section.STAFF: N_("staff"),
}


@dataclass(frozen=True)
class Row:
    name: str
    city: str
    position: str  # the person's position; for staff, their function in the network
    answer: str
    checked_in: str
    section: Section


def to_csv(t: Translator, rows: Sequence[Row]) -> bytes:
    buffer = io.StringIO()
    writer = SafeWriter(buffer, delimiter=";")
    writer.writerow(
        [
            t("No."),
            t("Name"),
            t("City"),
            t("Position"),
            t("Answer"),
            t("Checked in"),
            t("Section"),
        ]
    )
    for number, row in enumerate(rows, start=1):
        writer.writerow(
            [
                number,
                row.name,
                row.city,
                row.position,
                row.answer,
                row.checked_in,
                t(SECTION_LABELS[row.section]),
            ]
        )
    return ("\ufeff" + buffer.getvalue()).encode("utf-8")  # BOM: Excel opens it as UTF-8


@dataclass(frozen=True)
class Heading:
    """What stands above the list: the programme, the grant's wording, the meeting."""

    programme: str
    lines: Sequence[str]
    network: str
    blank_rows: int


def to_pdf(t: Translator, meeting: Meeting, heading: Heading, rows: Sequence[Row]) -> bytes:
    """A4 signing sheet: in person (signature, then blank rows for those who come
    unannounced), staff (signature), online (participation confirmed, no signature)."""
    from handlers.kit.printout import Printout  # fpdf: only when a sheet is asked for

    pdf = Printout()
    pdf.set_font("DejaVu", "B", 11)
    pdf.multi_cell(0, 6, heading.programme, align="C", new_x="LMARGIN", new_y="NEXT")
    pdf.set_font("DejaVu", size=9)
    for line in heading.lines:
        pdf.multi_cell(0, 5, line, align="C", new_x="LMARGIN", new_y="NEXT")
    pdf.ln(2)
    pdf.set_font("DejaVu", size=15)
    pdf.cell(0, 9, t("Attendance list"), new_x="LMARGIN", new_y="NEXT", align="C")
    pdf.set_font("DejaVu", size=10)
    for line in (
        t("Network: {network}", network=heading.network),
        t("Meeting: {title}", title=meeting.title),
        t("Date: {when}", when=t.datetime(meeting.starts_at)),
        t("Place: {place}", place=meeting.place or meeting.online_link or "—"),
    ):
        pdf.multi_cell(0, 6, line, new_x="LMARGIN", new_y="NEXT")

    def table(title: str, last: str, chosen: list[Row], blank: int) -> None:
        if not chosen and not blank:
            return
        pdf.ln(4)
        pdf.set_font("DejaVu", "B", 11)
        pdf.cell(0, 7, title, new_x="LMARGIN", new_y="NEXT")
        pdf.set_font("DejaVu", size=10)
        with pdf.table(col_widths=(10, 52, 38, 45, 45), line_height=9, text_align="LEFT") as grid:
            header = grid.row()
            for name in (t("No."), t("Name"), t("City"), t("Position"), last):
                header.cell(name)
            for number, row in enumerate(chosen, start=1):
                cells = grid.row()
                values = (str(number), row.name, row.city, row.position)
                for value in values:
                    cells.cell(value)
                cells.cell(row.checked_in if row.section == Section.ONLINE else "")
            for number in range(len(chosen) + 1, len(chosen) + blank + 1):
                cells = grid.row()
                for value in (str(number), "", "", "", ""):
                    cells.cell(value)

    def of(section: Section) -> list[Row]:
        return [r for r in rows if r.section == section]

    table(t("Attending in person"), t("Signature"), of(Section.IN_PERSON), heading.blank_rows)
    table(t("Staff"), t("Signature"), of(Section.STAFF), 0)
    table(t("Online (participation confirmed)"), t("Confirmed"), of(Section.ONLINE), 0)
    return bytes(pdf.output())

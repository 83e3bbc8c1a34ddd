"""The collected opinions of a consultation as documents for the coordinator and the archive:
a CSV (cells made safe, core/cells.py) and a PDF (fpdf2 with DejaVu Sans, for Polish).
Imported where the documents are made (fpdf is loaded only then)."""

from __future__ import annotations

import io
from datetime import datetime

from sqlmodel import Session

from core.cells import SafeWriter
from core.i18n import Translator
from core.messages import File
from handlers.consultations.render import audience_label, content_lines, standing_label
from handlers.kit.printout import Printout
from models import consultations as store
from models.consultations import Consultation
from models.core import Network


def _rows(s: Session, c: Consultation) -> list[tuple[str, str, str, datetime, str]]:
    """(city, standing, name, when, opinion) for each opinion, by city then name."""
    rows = []
    for opinion, person, city, standing in store.opinions(s, c.id or 0):
        rows.append(
            (
                city.name if city else "—",
                standing or "",
                person.display_name if person else "—",
                opinion.updated_at,
                opinion.text,
            )
        )
    return rows


def to_csv(t: Translator, s: Session, c: Consultation) -> bytes:
    buffer = io.StringIO()
    writer = SafeWriter(buffer, delimiter=";")
    writer.writerow([t("City"), t("Standing in the network"), t("Person"), t("Sent"), t("Opinion")])
    for city, standing, name, when, text in _rows(s, c):
        writer.writerow([city, standing_label(t, standing), name, t.short_datetime(when), text])
    return ("\ufeff" + buffer.getvalue()).encode("utf-8")  # BOM: Excel reads UTF-8


def to_pdf(t: Translator, s: Session, c: Consultation, network: Network, asked: int) -> bytes:
    pdf = Printout()
    pdf.set_font("DejaVu", "B", 15)
    pdf.multi_cell(0, 8, t("Opinions — consultation #{id}", id=c.id), new_x="LMARGIN", new_y="NEXT")
    pdf.set_font("DejaVu", "", 10)
    rows = _rows(s, c)
    head = [
        t("Network: {network}", network=network.name),
        t("Title: {title}", title=c.title),
        t("Asked: {audience}", audience=audience_label(t, c.audience)),
        t("Deadline: {deadline}", deadline=t.datetime(c.deadline)),
        t.tn(
            "{n} opinion {of_asked}",
            "{n} opinions {of_asked}",
            len(rows),
            of_asked=t.tn("of {n} person asked", "of {n} people asked", asked),
        ),
        *[line for line in content_lines(t, c) if line],
    ]
    for line in head:
        pdf.multi_cell(0, 5.5, line, new_x="LMARGIN", new_y="NEXT")
    for city, standing, name, when, text in rows:
        pdf.ln(3)
        pdf.set_font("DejaVu", "B", 11)
        pdf.multi_cell(
            0,
            6,
            f"{city} ({standing_label(t, standing)}) — {name}, {t.short_datetime(when)}",
            new_x="LMARGIN",
            new_y="NEXT",
        )
        pdf.set_font("DejaVu", "", 10)
        pdf.multi_cell(0, 5.5, text, new_x="LMARGIN", new_y="NEXT")
    if not rows:
        pdf.ln(3)
        pdf.multi_cell(0, 5.5, t("No opinions were given."), new_x="LMARGIN", new_y="NEXT")
    return bytes(pdf.output())


def files(
    t: Translator, s: Session, c: Consultation, network: Network, asked: int
) -> tuple[File, ...]:
    name = f"opinie_konsultacja_{c.id}"
    return (
        File(f"{name}.csv", to_csv(t, s, c), "text/csv"),
        File(f"{name}.pdf", to_pdf(t, s, c, network, asked), "application/pdf"),
    )

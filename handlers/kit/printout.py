"""The A4 page every PDF of the bot starts from (the attendance sheet, the report draft, the
coordinator's report, a consultation's opinions): DejaVu Sans, so Polish letters print, with
headings, paragraphs and dotted lines to write on. Import it where a file is made: fpdf
(~0.5 s and ~20 MB) loads only then."""

from __future__ import annotations

from pathlib import Path

from fpdf import FPDF

from models.errors import N_, DomainError

FONT_PATHS = (
    Path("/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf"),  # Debian's fonts-dejavu-core
    Path("/usr/share/fonts/dejavu/DejaVuSans.ttf"),
    Path("/usr/local/share/fonts/DejaVuSans.ttf"),
)
DOTS = "." * 110


def font() -> Path:
    for path in FONT_PATHS:
        if path.exists():
            return path
    raise DomainError(
        N_(
            "The PDF needs the DejaVu Sans font (package fonts-dejavu-core); "
            "the CSV list works without it."
        )
    )


class Printout(FPDF):
    """An A4 page with DejaVu Sans as "DejaVu" (regular and bold), breaking pages itself."""

    def __init__(self) -> None:
        super().__init__(orientation="P", unit="mm", format="A4")
        regular = font()
        bold = regular.with_name("DejaVuSans-Bold.ttf")
        self.add_font("DejaVu", "", str(regular))
        self.add_font("DejaVu", "B", str(bold if bold.exists() else regular))
        self.set_auto_page_break(auto=True, margin=15)
        self.add_page()

    def heading(self, text: str) -> None:
        self.ln(3)
        self.set_font("DejaVu", "B", 12)
        self.multi_cell(0, 7, text, new_x="LMARGIN", new_y="NEXT")
        self.set_font("DejaVu", "", 10)

    def para(self, text: str) -> None:
        self.set_font("DejaVu", "", 10)
        self.multi_cell(0, 5.5, text, new_x="LMARGIN", new_y="NEXT")

    def blank(self, lines: int = 3) -> None:
        """Dotted lines to write on."""
        for _ in range(lines):
            self.cell(0, 7, DOTS, new_x="LMARGIN", new_y="NEXT")

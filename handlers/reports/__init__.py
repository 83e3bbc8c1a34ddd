"""The coordinator's report after each meeting, on ZMP's predefined form.

form: the form's sections, set by the coordinating team (/raport_formularz); write: the report
of one meeting — opened (/raport_koordynatora), its sections written one by one in chat or all
at once on the page, saved as a draft, submitted (the coordinating team is told); listing: the
submitted reports of every network (/raporty) and the files (/raport_pliki); render: what the
messages say (also for jobs/reports.py); document: the printout as PDF (fpdf2) and DOCX
(python-docx), loaded when made.
"""

from handlers.kit.feature import Feature

FEATURE = Feature(
    "reports",
    modules=("form", "write", "listing", "render"),
    jobs=True,
    pages=True,
    lazy=("document",),
)

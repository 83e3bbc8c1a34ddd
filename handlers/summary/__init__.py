"""The programme's summary for ZMP's leadership ("okresowe podsumowania działania sieci dla
Kierownictwa ZMP"): for a period, every network's meetings, attendance by city and standing,
the cities losing touch, office hours used, feedback and its trend, and the coordinator's
reports — one PDF and one XLSX.

period: the month or quarter (or two days) a summary covers; gather: the figures, from the
features' own rules; render: the message with the files; command: `/podsumowanie [okres]` for
the coordinating team (privately); files: the PDF (the shared printout) and the XLSX, loaded
when made. jobs/summary.py sends the previous period's summary to the coordinating team once;
the desk has a page for it (bot/pages/desk/summary.py).
"""

from handlers.kit.feature import Feature

FEATURE = Feature(
    "summary",
    modules=("period", "gather", "render", "command"),
    jobs=True,
    lazy=("files",),
)

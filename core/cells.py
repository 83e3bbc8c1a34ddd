"""One rule for every spreadsheet cell the bot writes (CSV and XLSX).

OWASP's CSV-injection rule: a text cell that starts with `=`, `+`, `-`, `@`, a tab or a carriage
return is read by Excel, LibreOffice and Google Sheets as a formula (`=HYPERLINK(...)` sends the
sheet's data away on a click). Such text gets a leading apostrophe, so it is shown as the text it
is. Real numbers (int, float, Decimal) stay numbers, negative ones too; only text is touched.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def safe_cell(value: Any) -> Any:
    """The value to write into a CSV/XLSX cell: text starting a formula gets a leading `'`."""
    if isinstance(value, str) and value.startswith(FORMULA_STARTS):
        return "'" + value
    return value


def safe_row(values: Iterable[Any]) -> list[Any]:
    """`safe_cell` applied to every cell of one row."""
    return [
        "'" + value if isinstance(value, str) and value.startswith(FORMULA_STARTS) else value
        for value in values
    ]


class SafeWriter:
    """A `csv.writer` whose every cell goes through `safe_cell`."""

    def __init__(self, stream: Any, **options: Any) -> None:
        import csv

        self._writer = csv.writer(stream, **options)

    def writerow(self, row: Iterable[Any]) -> Any:
        return self._writer.writerow(safe_row(row))

    def writerows(self, rows: Iterable[Iterable[Any]]) -> None:
        for row in rows:
            self.writerow(row)


def unescape_cell(text: str) -> str:
    """Undo `safe_cell` on a cell read back (a sheet the bot exported, imported again)."""
    if text.startswith("'") and text[1:].startswith(FORMULA_STARTS):
        return text[1:]
    return text

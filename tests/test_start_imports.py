"""A start imports what every start needs and nothing a feature needs only when it is used
(issue #25: start-up time and memory). In a fresh interpreter: the service's modules as a
Telegram start loads them — the CLI, the app, the Telegram transport, every feature's
handlers, jobs and pages — and then none of the heavy libraries that only some commands,
files or platforms use may be loaded yet."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
# what loads them, once used: Teams (msgraph, azure, kiota), the office's XLSX (openpyxl),
# PDFs (fpdf2, with fontTools/PIL), DOCX (python-docx), charts (matplotlib, numpy), calendar
# files (icalendar), Polish sorting (PyICU, ~9 MB), working days (holidays, ~9 MB), the
# schema check (alembic), the pages' templates (jinja2)
LATER = (
    "msgraph",
    "azure",
    "kiota_abstractions",
    "openpyxl",
    "fpdf",
    "fontTools",
    "PIL",
    "docx",
    "matplotlib",
    "numpy",
    "icalendar",
    "icu",
    "holidays",
    "alembic",
    "jinja2",
)
START = """
import json, sys
import bot.cli, bot.app, bot.transports.telegram, bot.pages, jobs
from handlers import load_all
load_all(); jobs.load_all(); bot.pages.load_all()
print(json.dumps(sorted({m.split(".")[0] for m in sys.modules})))
"""


def test_a_telegram_start_loads_no_library_a_feature_uses_only_when_used() -> None:
    out = subprocess.run(
        [sys.executable, "-c", START],
        cwd=ROOT,
        env={"PYTHONPATH": str(ROOT), "PATH": "/usr/bin:/bin"},
        capture_output=True,
        text=True,
        check=True,
        timeout=120,
    ).stdout
    loaded = set(json.loads(out))
    assert "telegram" in loaded and "sqlalchemy" in loaded  # the start did load the service
    assert sorted(loaded & set(LATER)) == []


def test_polish_order_and_working_days_load_their_libraries_when_first_asked() -> None:
    code = """
import json, sys
from datetime import date
from core.collation import sort_polish
from core.workdays import DEFAULT
before = {"icu": "icu" in sys.modules, "holidays": "holidays" in sys.modules}
order = sort_polish(["Zabrze", "Świdnik", "Łomża", "Lublin"])
holiday = DEFAULT.is_holiday(date(2026, 11, 11))
print(json.dumps([before, order, holiday]))
"""
    out = subprocess.run(
        [sys.executable, "-c", code],
        cwd=ROOT,
        env={"PYTHONPATH": str(ROOT), "PATH": "/usr/bin:/bin"},
        capture_output=True,
        text=True,
        check=True,
        timeout=120,
    ).stdout
    before, order, holiday = json.loads(out)
    assert before == {"icu": False, "holidays": False}
    assert order == ["Lublin", "Łomża", "Świdnik", "Zabrze"]
    assert holiday is True  # 11 November, Independence Day


def test_a_restart_reads_the_years_holidays_without_the_library(tmp_path: Path) -> None:
    """`holidays` loads every country's calendar (~17 MB): the year's Polish holidays are
    computed once and kept in the files directory, so the next process only reads them."""
    code = f"""
import json, sys
from datetime import date
from core.config import Settings
w = Settings(EMPIRIE_FILES_DIR={str(tmp_path)!r}).workdays
days = [w.is_working_day(date(2026, 11, d)) for d in (10, 11, 12)]
print(json.dumps([days, "holidays" in sys.modules]))
"""

    def run() -> list[object]:
        out = subprocess.run(
            [sys.executable, "-c", code],
            cwd=ROOT,
            env={"PYTHONPATH": str(ROOT), "PATH": "/usr/bin:/bin"},
            capture_output=True,
            text=True,
            check=True,
            timeout=120,
        ).stdout
        return list(json.loads(out))

    assert run() == [[True, False, True], True]  # computed with the library, then kept
    assert [p.parent.name for p in tmp_path.rglob("holidays-PL-2026-*.json")] == ["calendars"]
    assert run() == [[True, False, True], False]  # the restart: read, library not loaded

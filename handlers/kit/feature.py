"""A feature's manifest: the one place that says what a feature brings.

Each feature under handlers/ (a package `handlers/<name>/`, or a single module for a small
one) defines `FEATURE = Feature(...)`:

    FEATURE = Feature(
        "office_hours",
        modules=("commands", "staff", "series", "report"),  # register commands, flows, sections
        jobs=True,    # jobs/office_hours.py registers its due-task kinds and sweeps
        pages=True,   # bot/pages/office_hours.py registers its answer pages
    )

`handlers.load_all()`, `jobs.load_all()` and `bot.pages.load_all()` find the features here, so
no list of features is kept by hand anywhere else; tests/test_features.py proves every module of
every feature is loaded (or declared `lazy`, e.g. charts that import matplotlib when drawn).
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Feature:
    name: str
    modules: tuple[str, ...] = ()  # submodules imported at start (they register on import)
    jobs: bool = False  # jobs/<name>.py exists and registers due-task kinds / sweeps
    pages: bool = False  # bot/pages/<name>.py exists and registers pages
    lazy: tuple[str, ...] = ()  # submodules imported where used, not at start (heavy libraries,
    # or what only one edge needs)

"""Scheduled work. Importing a module registers its due-task handlers and sweeps."""

from __future__ import annotations

import importlib

FEATURES = (
    "announcements",
    "meetings",
    "joining",
    "retention",
    "feedback",
    "funding",
    "office_hours",
)


def load_all() -> None:
    for name in FEATURES:
        importlib.import_module(f"jobs.{name}")

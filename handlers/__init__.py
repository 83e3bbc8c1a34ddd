"""Features, written once and transport-neutral. Importing a module registers its commands."""

from __future__ import annotations

import importlib

FEATURES = (
    "help",
    "membership",
    "privacy",
    "announcements",
    "meetings",
    "roster",
    "joining",
    "pages",
    "feedback",
    "feedback_report",
    "feedback_questions",
    "feedback_adhoc",
    "funding",
    "office_hours",
    "group_chats",
)


def load_all() -> None:
    for name in FEATURES:
        importlib.import_module(f"handlers.{name}")

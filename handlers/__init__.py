"""Features, written once and transport-neutral. Importing a module registers its commands."""

from __future__ import annotations

import importlib

FEATURES = ("help", "membership", "privacy", "announcements", "meetings", "roster", "joining",
            "pages")


def load_all() -> None:
    for name in FEATURES:
        importlib.import_module(f"handlers.{name}")

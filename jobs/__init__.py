"""Scheduled work: the clock (scheduler.py), the dispatcher of due tasks (dispatch.py), and one
module per feature that declares `jobs=True` in its manifest (handlers/kit/feature.py);
importing it registers its due-task kinds and sweeps."""

from __future__ import annotations

import importlib

from handlers import features


def load_all() -> None:
    for feature in features():
        if feature.jobs:
            importlib.import_module(f"jobs.{feature.name}")

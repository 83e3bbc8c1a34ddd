"""Features, written once and transport-neutral, beside the command kit (handlers/kit).

Every module or package here other than `kit` is a feature with a manifest (`FEATURE`, see
handlers/kit/feature.py); loading a feature registers its commands, flows and report sections.
"""

from __future__ import annotations

import importlib
import pkgutil
from functools import cache
from pathlib import Path

from handlers.kit.feature import Feature

KIT = "kit"


@cache
def features() -> tuple[Feature, ...]:
    """Every feature's manifest, in name order."""
    found = []
    for info in sorted(pkgutil.iter_modules([str(Path(__file__).parent)]), key=lambda i: i.name):
        if info.name == KIT:
            continue
        module = importlib.import_module(f"handlers.{info.name}")
        manifest = getattr(module, "FEATURE", None)
        if not isinstance(manifest, Feature) or manifest.name != info.name:
            raise RuntimeError(f"handlers.{info.name} has no FEATURE manifest named {info.name!r}")
        found.append(manifest)
    return tuple(found)


def load_all() -> None:
    for feature in features():
        for module in feature.modules:
            importlib.import_module(f"handlers.{feature.name}.{module}")

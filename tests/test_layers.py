"""Imports flow one way: bot/ -> handlers/ -> core/ + models/, jobs/ -> handlers/."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
FORBIDDEN = {
    "core": ("bot", "handlers", "jobs"),
    "models": ("bot", "handlers", "jobs"),
    "handlers": ("bot", "jobs"),
    "jobs": ("bot",),
}


def _imports(path: Path) -> set[str]:
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            found.update(alias.name.split(".")[0] for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            found.add(node.module.split(".")[0])
    return found


@pytest.mark.parametrize("package", sorted(FORBIDDEN))
def test_no_import_points_back_to_the_edges(package: str) -> None:
    offending = {
        str(path.relative_to(ROOT)): sorted(_imports(path) & set(FORBIDDEN[package]))
        for path in (ROOT / package).rglob("*.py")
    }
    assert {k: v for k, v in offending.items() if v} == {}


@pytest.mark.parametrize("package", ["handlers", "jobs"])
def test_sql_lives_in_models(package: str) -> None:
    """Handlers and jobs ask models/ for what they need; they build no queries themselves."""
    offenders = []
    for path in sorted((ROOT / package).rglob("*.py")):
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for node in ast.walk(tree):
            if (
                isinstance(node, ast.ImportFrom)
                and node.module in ("sqlmodel", "sqlalchemy")
                and any(
                    a.name in ("select", "update", "delete", "insert", "text") for a in node.names
                )
            ):
                offenders.append(f"{path.relative_to(ROOT)}:{node.lineno}")
    assert offenders == []

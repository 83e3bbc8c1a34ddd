"""axe-core, the accessibility checker, run inside the test browser on a page.

The script comes from the npm registry (package `axe-core`, pinned below), installed on first
use into .ci/node/ (not committed): CI reaches the npm registry, and `npm` is a Debian package
that .ci/run installs when missing. EMPIRIE_AXE_JS may point at an axe.min.js elsewhere.
"""

from __future__ import annotations

import json
import os
import subprocess
from functools import cache
from pathlib import Path
from typing import Any

from playwright.async_api import Page

AXE_VERSION = "4.10.3"
ROOT = Path(__file__).resolve().parent.parent
NODE = ROOT / ".ci" / "node"
ARTIFACTS = Path(__file__).parent / "artifacts"
BLOCKING = ("serious", "critical")


@cache
def source() -> str:
    path = Path(os.environ.get("EMPIRIE_AXE_JS", NODE / "node_modules/axe-core/axe.min.js"))
    if not path.exists():
        subprocess.run(
            [
                "npm",
                "install",
                "--no-save",
                "--no-audit",
                "--no-fund",
                "--prefix",
                str(NODE),
                f"axe-core@{AXE_VERSION}",
            ],
            check=True,
            timeout=600,
        )
    return path.read_text(encoding="utf-8")


async def violations(page: Page, name: str) -> list[dict[str, Any]]:
    """The page's serious and critical violations (WCAG 2.x A and AA, and best practice);
    the full report goes to tests/artifacts/<name>.axe.json. The page's context must be made
    with `bypass_csp=True` (the pages forbid every script, axe included)."""
    await page.evaluate(source())
    result = await page.evaluate(
        "axe.run(document, {resultTypes: ['violations'], runOnly: {type: 'tag', values: "
        "['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa', 'best-practice']}})"
    )
    ARTIFACTS.mkdir(exist_ok=True)
    (ARTIFACTS / f"{name}.axe.json").write_text(
        json.dumps(result["violations"], indent=1, ensure_ascii=False), encoding="utf-8"
    )
    return [
        {
            "id": v["id"],
            "impact": v["impact"],
            "nodes": [n["target"] for n in v["nodes"]][:5],
        }
        for v in result["violations"]
        if v["impact"] in BLOCKING
    ]

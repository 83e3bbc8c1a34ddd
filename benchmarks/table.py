"""The results table of docs/benchmarks.md, from the JSON files of the last `make bench` run.

.venv/bin/python benchmarks/table.py   # prints Markdown; paste it under "Benchmarks"
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from benchmarks.common import RESULTS

ORDER = [
    "button_burst",
    "booking_storm",
    "burst",
    "pages",
    "broadcast",
    "reply_latency",
    "scale",
    "funding",
    "funding_digest",
    "roster_import",
    "footprint",
    "outbox_throughput",
    "outbox_claim",
    "outbox_storage",
]


def _cell(value: Any, unit: str) -> str:
    return "—" if value is None else f"{value} {unit}".strip()


def rows(result: dict[str, Any]) -> list[str]:
    out = []
    for f in result.get("figures", []):
        verdict = {True: "✔ met", False: "✘ missed", None: ""}[f.get("met")]
        spread = f"{f['min']}–{f['max']}" if f.get("runs", 1) > 1 else ""
        out.append(
            f"| {result['benchmark']} | {f['name']} | {_cell(f['median'], f['unit'])} "
            f"| {spread} | {_cell(f.get('baseline'), f['unit'])} "
            f"| {f.get('target') or ''} | {verdict} |"
        )
    return out


def main() -> None:
    results = {}
    for path in sorted(RESULTS.glob("*.json")):
        data = json.loads(path.read_text())
        if "figures" in data:
            results[data["benchmark"]] = data
    if not results:
        sys.exit("no results: run `make bench` first")
    first = next(iter(results.values()))
    m = first["machine"]
    print(
        f"Run {min(r['at'] for r in results.values())} – {max(r['at'] for r in results.values())}"
        f" on {m['cpus']} CPUs, {m['memory_mb']} MB RAM, Python {m['python']} "
        f"({m['system']}); medians of the runs shown, min–max beside them.\n"
    )
    print("| benchmark | figure | median | min–max | same-run baseline | target | |")
    print("|---|---|---|---|---|---|---|")
    for name in sorted(results, key=lambda n: (ORDER.index(n) if n in ORDER else 99, n)):
        print("\n".join(rows(results[name])))


if __name__ == "__main__":
    main()

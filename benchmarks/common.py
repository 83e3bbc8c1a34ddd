"""What every benchmark shares: repeated runs summarised as median and min–max, a target
check, and one JSON file per benchmark under benchmarks/results/ with the machine it ran on.

A figure is a dict: {"name", "unit", "median", "min", "max", "runs", "target", "met",
"baseline"} — `target` is a human string ("≤ 1 s"), `met` a bool or None when no target applies,
`baseline` the same-run baseline's median where there is one.
"""

from __future__ import annotations

import json
import os
import platform
import statistics
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

RESULTS = Path(__file__).resolve().parent / "results"
RUNS = int(os.environ.get("BENCH_RUNS", "3"))


def machine() -> dict[str, Any]:
    memory = 0
    try:
        for line in Path("/proc/meminfo").read_text().splitlines():
            if line.startswith("MemTotal:"):
                memory = int(line.split()[1]) // 1024
    except OSError:
        pass
    return {
        "cpus": os.cpu_count(),
        "memory_mb": memory,
        "python": platform.python_version(),
        "system": platform.platform(terse=True),
    }


def figure(
    name: str,
    unit: str,
    values: list[float],
    *,
    target: str | None = None,
    ok: Callable[[float], bool] | None = None,
    baseline: float | None = None,
    digits: int = 3,
) -> dict[str, Any]:
    """Summarise repeated measurements; `ok` judges the median against the target."""
    median = statistics.median(values)
    return {
        "name": name,
        "unit": unit,
        "median": round(median, digits),
        "min": round(min(values), digits),
        "max": round(max(values), digits),
        "runs": len(values),
        "target": target,
        "met": None if ok is None else bool(ok(median)),
        "baseline": None if baseline is None else round(baseline, digits),
    }


def none_expected(name: str, values: list[float], baseline: float | None = None) -> dict[str, Any]:
    """A count that must be 0 (429s, lost or duplicated copies, double bookings)."""
    return figure(name, "", values, target="0", ok=lambda v: v == 0, baseline=baseline, digits=0)


def show(title: str, figures: list[dict[str, Any]]) -> None:
    print(title)
    for f in figures:
        spread = f"(min {f['min']}, max {f['max']}, {f['runs']} runs)"
        base = f"; baseline {f['baseline']} {f['unit']}" if f["baseline"] is not None else ""
        verdict = "" if f["met"] is None else ("  ✔ target " if f["met"] else "  ✘ target ")
        target = f"{verdict}{f['target']}" if f["target"] else ""
        print(f"  {f['name']}: {f['median']} {f['unit']} {spread}{base}{target}")


def save(benchmark: str, figures: list[dict[str, Any]], **extra: Any) -> Path:
    RESULTS.mkdir(exist_ok=True)
    path = RESULTS / f"{benchmark}.json"
    path.write_text(
        json.dumps(
            {
                "benchmark": benchmark,
                "at": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
                "machine": machine(),
                "figures": figures,
                **extra,
            },
            indent=2,
            ensure_ascii=False,
        )
        + "\n"
    )
    return path

"""What the process counts as it goes, for /metrics (Prometheus text format).

The database's side (outbox backlog, due-task lag) is read at each scrape by bot.health; here
are the counters and histograms the code updates itself. One registry per process: a worker
and the bot each expose their own (Prometheus adds them up by `instance`).
"""

from __future__ import annotations

import contextlib

from prometheus_client import (
    CollectorRegistry,
    Counter,
    Histogram,
    Info,
    PlatformCollector,
    ProcessCollector,
)

REGISTRY = CollectorRegistry()
ProcessCollector(registry=REGISTRY)  # memory, CPU, open files: process_*
PlatformCollector(registry=REGISTRY)  # python_info

BUILD = Info("empirie_build", "The running version of empirie-bot.", registry=REGISTRY)
UPDATE_SECONDS = Histogram(
    "empirie_update_seconds",
    "Time from an update's arrival to its replies being ready (waiting for the chat's turn "
    "included), by platform.",
    ["platform"],
    buckets=(0.05, 0.1, 0.25, 0.5, 1, 2, 5, 10, 30),
    registry=REGISTRY,
)
RATE_LIMITED = Counter(
    "empirie_rate_limited",
    "Answers 'too many requests' (429) from a platform, by platform.",
    ["platform"],
    registry=REGISTRY,
)
LOGINS_LOST = Counter(
    "empirie_teams_logins_lost",
    "Times the Microsoft Teams sign-in expired or was revoked (run `empirie-bot teams login`).",
    registry=REGISTRY,
)


def rate_limited(platform: str, error: BaseException | None = None) -> None:
    """Count one 429. An error seen twice on its way up (a read inside a send) counts once."""
    if error is not None:
        if getattr(error, "_empirie_counted", False):
            return
        with contextlib.suppress(AttributeError):  # an exception type with __slots__
            error._empirie_counted = True  # type: ignore[attr-defined]
    RATE_LIMITED.labels(platform).inc()


def _version() -> str:
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version("empirie-bot")
    except PackageNotFoundError:  # a checkout that was never installed
        return "unknown"


BUILD.info({"version": _version()})

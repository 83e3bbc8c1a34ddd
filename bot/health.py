"""Readiness and the database's metrics: what /readyz answers and what /metrics adds.

Readiness: the database answers and its schema is the one this code expects. The outbox and
due-task lag are reported with it (a monitor alerts on them; a restart would not help, so they
do not make the process "not ready"). Metrics read the same numbers at each scrape.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterator, Mapping
from typing import Any

from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily
from prometheus_client.registry import Collector
from sqlalchemy.exc import SQLAlchemyError

from bot.migrate import at_head
from core.clock import Clock
from models import health
from models.db import Database

log = logging.getLogger("empirie.health")


class Health(Collector):
    def __init__(
        self,
        db: Database,
        clock: Clock,
        platforms: Callable[[], Mapping[str, Any]] = dict,
        expected: list[str] | None = None,
    ) -> None:
        """`platforms()`: the transports running now (a Teams transport that lost its sign-in
        leaves the map); `expected`: the platforms configured."""
        self.db, self.clock, self.platforms = db, clock, platforms
        self.expected = expected or []

    def backlog(self) -> health.Backlog:
        with self.db.session() as s:
            health.ping(s)
            return health.backlog(s, self.clock.now())

    def platform_states(self) -> dict[str, str]:
        running = self.platforms()
        states = {}
        for name in self.expected:
            transport = running.get(name)
            if transport is None:
                states[name] = "login_lost" if name == "teams" else "stopped"
            else:
                states[name] = "login_lost" if getattr(transport, "login_lost", False) else "ok"
        return states

    def readiness(self) -> tuple[bool, dict[str, Any]]:
        """(ready, the JSON body). Blocking: call it off the event loop."""
        try:
            backlog = self.backlog()
        except SQLAlchemyError as error:
            log.warning("health.database_unreachable error=%s", type(error).__name__)
            return False, {"status": "unavailable", "database": "unreachable"}
        current = at_head(self.db.url)
        body: dict[str, Any] = {
            "status": "ready" if current else "unavailable",
            "database": "ok",
            "migrations": "current" if current else "not current: run `empirie-bot migrate`",
            "outbox": {
                "pending": sum(backlog.pending.values()),
                "failed": sum(backlog.failed.values()),
                "oldest_pending_seconds": round(backlog.outbox_lag, 1),
            },
            "due_tasks": {
                "overdue": backlog.tasks_overdue,
                "lag_seconds": round(backlog.task_lag, 1),
            },
            "platforms": self.platform_states(),
        }
        return current, body

    def collect(self) -> Iterator[Any]:
        """The database's numbers for /metrics; none (and `empirie_database_up 0`) when the
        database does not answer."""
        up = GaugeMetricFamily("empirie_database_up", "1 when the database answers the probe.")
        try:
            backlog = self.backlog()
        except SQLAlchemyError as error:
            log.warning("health.database_unreachable error=%s", type(error).__name__)
            up.add_metric([], 0)
            yield up
            return
        up.add_metric([], 1)
        yield up
        pending = GaugeMetricFamily(
            "empirie_outbox_pending",
            "Messages waiting to be sent, by platform.",
            labels=["platform"],
        )
        failed = GaugeMetricFamily(
            "empirie_outbox_failed",
            "Messages given up on (sending failed for good), by platform.",
            labels=["platform"],
        )
        for name in sorted({*self.expected, *backlog.pending, *backlog.failed}):
            pending.add_metric([name], backlog.pending.get(name, 0))
            failed.add_metric([name], backlog.failed.get(name, 0))
        yield pending
        yield failed
        yield GaugeMetricFamily(
            "empirie_outbox_oldest_pending_seconds",
            "How long the oldest message that could be sent has been waiting (0: none waits).",
            value=backlog.outbox_lag,
        )
        yield GaugeMetricFamily(
            "empirie_due_tasks_overdue",
            "Scheduled tasks (reminders, reports, polls) whose time has come, not yet done.",
            value=backlog.tasks_overdue,
        )
        yield GaugeMetricFamily(
            "empirie_due_tasks_lag_seconds",
            "How long past its time the oldest overdue scheduled task is (0: none).",
            value=backlog.task_lag,
        )
        states = self.platform_states()
        if "teams" in states:
            yield GaugeMetricFamily(
                "empirie_teams_signed_in",
                "1 while the Microsoft Teams sign-in works; 0 after it was lost.",
                value=1 if states["teams"] == "ok" else 0,
            )

    def describe(self) -> Iterator[CounterMetricFamily]:
        return iter(())  # read at scrape time only (the database may be down at registration)

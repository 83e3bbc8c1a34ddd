"""What a monitor sees over HTTP: /healthz, /readyz (database, schema, outbox and due-task
lag) and /metrics in Prometheus text format, on SQLite and PostgreSQL."""

from __future__ import annotations

import socket
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path
from typing import Any

import aiohttp
import pytest
from alembic import command
from prometheus_client.parser import text_string_to_metric_families

from bot.app import App
from bot.health import Health
from bot.http import SECURITY_HEADERS, HttpServer
from bot.migrate import alembic_config
from bot.transports import DeliveryError
from bot.transports.telegram import TelegramTransport
from core.clock import FrozenClock
from core.config import Settings
from core.messages import Outgoing, Target
from models import due, outbox, seed
from models.db import Database
from tests.conftest import BACKENDS, Chat, drop_database, fresh_database_url
from tests.fakes.telegram_api import FakeBotApi
from tests.test_telegram import telegram_settings


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@pytest.fixture(params=BACKENDS)
def current(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Database]:
    """A database whose schema is current (created from the models, stamped at the head)."""
    url = fresh_database_url(request.param, tmp_path, "observed")
    database = Database(url)
    database.create_all()
    command.stamp(alembic_config(url), "head")
    yield database
    database.dispose()
    if request.param == "postgres":
        drop_database(url)


@dataclass
class Served:
    base: str
    client: aiohttp.ClientSession

    async def get(self, path: str) -> tuple[int, Any, dict[str, str]]:
        async with self.client.get(self.base + path) as response:
            if response.content_type == "application/json":
                body: Any = await response.json()
            else:
                body = await response.text()
            return response.status, body, dict(response.headers)

    async def metrics(self) -> dict[tuple[str, tuple[tuple[str, str], ...]], float]:
        status, text, headers = await self.get("/metrics")
        assert status == 200 and headers["Content-Type"].startswith("text/plain; version=")
        return {
            (sample.name, tuple(sorted(sample.labels.items()))): sample.value
            for family in text_string_to_metric_families(text)
            for sample in family.samples
        }


@pytest.fixture
async def serve() -> AsyncIterator[Any]:
    servers: list[HttpServer] = []
    client = aiohttp.ClientSession()

    async def start(health: Health | None) -> Served:
        http = HttpServer("127.0.0.1", free_port(), health)
        await http.start()
        servers.append(http)
        return Served(f"http://127.0.0.1:{http.port}", client)

    yield start
    await client.close()
    for http in servers:
        await http.stop()


def backlog(db: Database, clock: FrozenClock) -> None:
    """Two messages due (one waiting 90 s), one for later, one given up; a task 2 min late."""
    now = clock.now()
    with db.session() as s:
        for ago in (90, 10):
            outbox.add(
                s,
                platform="telegram",
                chat_id="-100",
                payload={"text": "x"},
                now=now,
                not_before=now - timedelta(seconds=ago),
            )
        outbox.add(
            s,
            platform="telegram",
            chat_id="-100",
            payload={"text": "later"},
            now=now,
            not_before=now + timedelta(hours=1),
        )
        failed = outbox.add(s, platform="teams", chat_id="19:x", payload={"text": "x"}, now=now)
        failed.status = outbox.FAILED
        due.schedule(s, "reminder", 1, "reminder:1", now - timedelta(minutes=2))
        due.schedule(s, "reminder", 2, "reminder:2", now + timedelta(days=1))


async def test_readiness_and_metrics_report_the_backlog(
    current: Database, clock: FrozenClock, serve: Any
) -> None:
    backlog(current, clock)
    served = await serve(Health(current, clock, dict, ["telegram", "teams"]))
    status, body, _ = await served.get("/readyz")
    assert status == 200, body
    assert body["status"] == "ready" and body["database"] == "ok"
    assert body["migrations"] == "current"
    assert body["outbox"] == {"pending": 3, "failed": 1, "oldest_pending_seconds": 90.0}
    assert body["due_tasks"] == {"overdue": 1, "lag_seconds": 120.0}
    metrics = await served.metrics()
    assert metrics[("empirie_database_up", ())] == 1
    assert metrics[("empirie_outbox_pending", (("platform", "telegram"),))] == 3
    assert metrics[("empirie_outbox_pending", (("platform", "teams"),))] == 0
    assert metrics[("empirie_outbox_failed", (("platform", "teams"),))] == 1
    assert metrics[("empirie_outbox_oldest_pending_seconds", ())] == 90
    assert metrics[("empirie_due_tasks_overdue", ())] == 1
    assert metrics[("empirie_due_tasks_lag_seconds", ())] == 120
    assert ("process_resident_memory_bytes", ()) in metrics
    clock.advance(timedelta(seconds=30))  # lag grows while nothing is sent
    assert (await served.get("/readyz"))[1]["outbox"]["oldest_pending_seconds"] == 120.0


async def test_a_schema_behind_the_code_is_not_ready(
    db: Database, clock: FrozenClock, serve: Any
) -> None:
    served = await serve(Health(db, clock))  # tables made, never migrated: no revision
    status, body, _ = await served.get("/readyz")
    assert status == 503 and body["status"] == "unavailable"
    assert body["migrations"] == "not current: run `empirie-bot migrate`"
    assert (await served.get("/healthz"))[0] == 200  # alive all the same: no restart loop


async def test_an_unreachable_database_is_reported_not_raised(
    clock: FrozenClock, serve: Any
) -> None:
    gone = Database("postgresql+psycopg://postgres@127.0.0.1:1/nothing")
    served = await serve(Health(gone, clock))
    status, body, _ = await served.get("/readyz")
    assert status == 503 and body == {"status": "unavailable", "database": "unreachable"}
    metrics = await served.metrics()
    assert metrics[("empirie_database_up", ())] == 0
    assert ("empirie_outbox_pending", (("platform", "telegram"),)) not in metrics
    gone.dispose()


async def test_every_operational_answer_carries_the_security_headers(
    current: Database, clock: FrozenClock, serve: Any
) -> None:
    served = await serve(Health(current, clock))
    for path in ("/healthz", "/readyz", "/metrics", "/nothing-here"):
        status, _, headers = await served.get(path)
        assert status == (404 if path == "/nothing-here" else 200)
        for name, value in SECURITY_HEADERS.items():
            assert headers.get(name) == value, (path, name)


async def test_counters_for_updates_429s_and_lost_teams_logins(
    current: Database, clock: FrozenClock, settings: Settings, api: FakeBotApi, serve: Any
) -> None:
    """What the process counts: each handled update's time, a platform's 429, a lost sign-in."""
    with current.session() as s:
        seed.seed_demo(s, clock.now())
    app = App(
        settings.model_copy(update={"teams_graph_base_url": "http://127.0.0.1:1/graph"}),
        clock,
        current,
    )
    served = await serve(app.health())
    before = await served.metrics()

    def grew(after: dict[Any, float], name: str, labels: tuple[Any, ...] = ()) -> float:
        return after.get((name, labels), 0) - before.get((name, labels), 0)

    chat = Chat(app.router)
    await chat.say(1, "/pomoc")
    await chat.say(1, "/sieci")
    transport = TelegramTransport(
        app.router, telegram_settings(settings, f"http://127.0.0.1:{api.port}")
    )
    api.fail("sendMessage", "429", times=1)
    with pytest.raises(DeliveryError) as refused:
        await transport.send(Target("telegram", "5"), Outgoing("x"))
    assert refused.value.reason == "rate_limited"
    app.transports["teams"] = transport  # stands in for the Teams transport, then is dropped
    app._teams_login_lost()

    after = await served.metrics()
    console = (("platform", "console"),)
    assert grew(after, "empirie_update_seconds_count", console) == 2
    assert grew(after, "empirie_update_seconds_sum", console) > 0
    assert grew(after, "empirie_rate_limited_total", (("platform", "telegram"),)) == 1
    assert grew(after, "empirie_teams_logins_lost_total") == 1
    assert after[("empirie_teams_signed_in", ())] == 0
    status, body, _ = await served.get("/readyz")
    assert status == 200 and body["platforms"] == {"teams": "login_lost"}

"""The clock (APScheduler) while the outbox works through a broadcast that takes longer than
its tick, with handlers waking it again and again: every message goes out once, and
APScheduler has nothing to warn about — no run skipped for "maximum number of running
instances reached", no "run time … was missed" (issue 23, item 16: 217 such warnings in a
four-minute run)."""

from __future__ import annotations

import asyncio
import logging
import time
from pathlib import Path

import pytest

from bot.app import App
from core.clock import SystemClock
from core.config import Settings
from models.db import Database
from tests.conftest import BACKENDS, drop_database, fresh_database_url
from tests.fakes.telegram_api import FakeBotApi
from tests.test_faults_crash import outbox_rows
from tests.test_outbox import BROADCAST, assert_everyone_exactly_once, broadcast_database
from tests.test_telegram import telegram_settings

RATE = 100  # messages per second: the 400 take about four seconds, twenty ticks of the clock


@pytest.mark.parametrize("backend", BACKENDS)
async def test_a_pass_longer_than_the_tick_logs_no_apscheduler_warning(
    backend: str, api: FakeBotApi, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    url = fresh_database_url(backend, tmp_path, "empirie_ticks")
    broadcast_database(url)
    db = Database(url)
    settings = telegram_settings(
        Settings(EMPIRIE_DATABASE_URL=url, EMPIRIE_FILES_DIR=str(tmp_path / "files")),
        f"http://127.0.0.1:{api.port}",
        telegram_rate_overall=RATE,
        outbox_poll_seconds=0.2,
        jobs_poll_seconds=0.5,
    )
    app = App(settings, SystemClock(), db)
    try:
        with caplog.at_level(logging.DEBUG, logger="apscheduler"):
            running = asyncio.create_task(app.run_worker())
            deadline = time.monotonic() + 60
            while any(r.status == "pending" for r in await asyncio.to_thread(outbox_rows, db)):
                assert time.monotonic() < deadline, "the broadcast did not finish"
                app.scheduler.wake_outbox()  # as every handler that queued something does
                await asyncio.sleep(0.05)
            app.stop()
            await asyncio.wait_for(running, 30)
        assert_everyone_exactly_once(api, url).dispose()
        warnings = [
            r.getMessage()
            for r in caplog.records
            if r.name.startswith("apscheduler") and r.levelno >= logging.WARNING
        ]
        assert warnings == []
        assert len(api.sent("sendMessage")) == BROADCAST
    finally:
        db.dispose()
        if backend == "postgres":
            drop_database(url)

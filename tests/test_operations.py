"""The administrator's commands: migrations run once when the bot and a worker start together,
and `empirie-bot check` says what stands between this installation and serving."""

from __future__ import annotations

import asyncio
import io
import json
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import create_engine

from bot.cli import main
from bot.migrate import at_head, upgrade
from core.clock import FrozenClock
from models import backup as portable
from models import seed
from models.db import Database
from tests.cast import find_cast
from tests.conftest import START, drop_database, fresh_database_url
from tests.fakes.telegram_api import FakeBotApi
from tests.test_telegram import link

ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture
def pg_url(tmp_path: Path) -> Iterator[str]:
    url = fresh_database_url("postgres", tmp_path, "migrate_once")
    yield url
    drop_database(url)


async def test_the_bot_and_a_worker_starting_together_migrate_once(
    pg_url: str, tmp_path: Path
) -> None:
    """Two `empirie-bot migrate` at the same moment on a new PostgreSQL database (as the bot and
    a worker do after an upgrade): one migrates, the other waits and finds it done."""
    env = {"EMPIRIE_DATABASE_URL": pg_url, "PATH": "/usr/bin:/bin", "PYTHONPATH": str(ROOT)}
    runs = [
        await asyncio.create_subprocess_exec(
            sys.executable,
            "-m",
            "bot.cli",
            "migrate",
            env=env,
            cwd=tmp_path,
            stderr=asyncio.subprocess.PIPE,
        )
        for _ in range(2)
    ]
    outputs = [await asyncio.wait_for(run.communicate(), 180) for run in runs]
    assert [run.returncode for run in runs] == [0, 0], [err.decode() for _, err in outputs]
    events = sorted(
        json.loads(line)["event"]
        for _, err in outputs
        for line in err.decode().splitlines()
        if line.startswith("{") and '"empirie.migrate"' in line
    )
    assert events.count("migrate.done") == 1, events
    assert "migrate.done_by_another_process" in events or events.count("migrate.start") == 1
    assert at_head(pg_url)


def check(monkeypatch: pytest.MonkeyPatch, tmp_path: Path, **env: str) -> tuple[int, str]:
    monkeypatch.chdir(tmp_path)
    for name in (
        "EMPIRIE_DATABASE_URL",
        "TELEGRAM_BOT_TOKEN",
        "EMPIRIE_PUBLIC_URL",
        "TELEGRAM_WEBHOOK_URL",
    ):
        monkeypatch.delenv(name, raising=False)
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    out = io.StringIO()
    code = main(["check"], clock=FrozenClock(START), out=out)
    return code, out.getvalue()


def test_check_on_a_bare_install_says_what_to_set(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    code, said = check(monkeypatch, tmp_path)
    assert code == 1
    assert "FAIL  configuration no chat platform: set TELEGRAM_BOT_TOKEN" in said
    assert "warn  configuration the embedded SQLite file" in said
    assert "FAIL  database      schema not current: run `empirie-bot migrate`" in said
    assert said.rstrip().endswith("2 to fix before serving")


async def test_check_reports_each_problem_with_its_fix(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path, api: FakeBotApi, clock: FrozenClock
) -> None:
    url = f"sqlite:///{tmp_path / 'bot.db'}"
    upgrade(url)
    code, said = await asyncio.to_thread(
        check,
        monkeypatch,
        tmp_path,
        EMPIRIE_DATABASE_URL=url,
        TELEGRAM_BOT_TOKEN=api.token,
        TELEGRAM_API_BASE_URL=f"http://127.0.0.1:{api.port}",
        TELEGRAM_WEBHOOK_URL="http://bot.example.org/telegram/webhook",
        EMPIRIE_PUBLIC_URL="https://127.0.0.1:1",
        EMPIRIE_TEAMS_CLIENT_ID="00000000-0000-0000-0000-000000000001",
        EMPIRIE_TEAMS_AUTH_RECORD_FILE=str(tmp_path / "teams" / "auth-record.json"),
    )
    assert code == 1
    lines = said.splitlines()
    assert "ok    configuration platforms: telegram, teams" in lines
    assert (
        "FAIL  configuration TELEGRAM_WEBHOOK_URL must start with https:// (the platform "
        "refuses anything else)" in lines
    )
    assert "FAIL  configuration TELEGRAM_WEBHOOK_SECRET is empty: set a long random value" in lines
    assert "ok    database      reachable, schema current (sqlite)" in lines
    assert (
        "warn  roster        no people yet: `empirie-bot roster import FILE` (XLSX or CSV)" in lines
    )
    assert "ok    telegram      the bot is @EmpirieTestBot" in lines
    assert any(
        line.startswith("FAIL  teams         not signed in (")
        and "`empirie-bot teams login`" in line
        for line in lines
    )
    assert any(
        line.startswith("FAIL  public URL    https://127.0.0.1:1/healthz not reachable")
        for line in lines
    )

    db = Database(url)  # the roster loaded and the coordinator linked: no more roster warnings
    with db.session() as s:
        seed.seed_demo(s, clock.now())
    link(db, find_cast(db).coordinator, 111001)
    db.dispose()
    code, said = await asyncio.to_thread(
        check,
        monkeypatch,
        tmp_path,
        EMPIRIE_DATABASE_URL=url,
        TELEGRAM_BOT_TOKEN="999:WRONG",
        TELEGRAM_API_BASE_URL=f"http://127.0.0.1:{api.port}",
    )
    assert "roster        " in said and "people" in said and "no coordinator" not in said
    assert "FAIL  telegram      the token was refused" in said


def test_check_names_an_unreachable_database(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    code, said = check(
        monkeypatch,
        tmp_path,
        EMPIRIE_DATABASE_URL="postgresql+psycopg://postgres@127.0.0.1:1/empirie",
        TELEGRAM_BOT_TOKEN="1:x",
        TELEGRAM_API_BASE_URL="http://127.0.0.1:1",
    )
    assert code == 1
    assert "FAIL  database      not reachable:" in said and "(EMPIRIE_DATABASE_URL)" in said
    assert "FAIL  telegram      Telegram did not answer: ConnectError" in said


def test_row_counts_cover_every_table(tmp_path: Path) -> None:
    """The backup's table list is the database's own (what a restore must fill)."""
    url = f"sqlite:///{tmp_path / 'x.db'}"
    upgrade(url)
    engine = create_engine(url)
    with engine.connect() as connection:
        names = set(portable.row_counts(connection))
    engine.dispose()
    from sqlmodel import SQLModel

    assert names == {t.name for t in SQLModel.metadata.sorted_tables}

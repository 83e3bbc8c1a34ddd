"""Footprint (#16 benchmark 6): how long the real process takes from start to ready, and how
much resident memory it holds a moment after, in three configurations:

- console: the default (SQLite file + the console chat with the demo cast), stdin a pipe kept
  open as a person at the keyboard would;
- telegram: long polling against the local fake Bot API (tests/fakes/telegram_api.py);
- telegram + teams: the same plus Teams against the local fake Graph
  (tests/fakes/graph_api.py), subscriptions validated through the bot's HTTP server.

"Ready" is the service's own `app.ready` log line: written once every configured transport has
started (Telegram: polling; Teams: signed in, subscriptions made, missed messages recovered),
the scheduler runs, and (console) input is read from then on. Memory is VmRSS from
/proc/<pid>/status, SETTLE seconds after ready. Each configuration first starts once on an
empty database (migrations, seeding; reported separately), then BENCH_RUNS times on the
migrated one — the usual restart. Same-run baseline: a bare `python -c "import telegram"`
process that prints a line when imported, measured the same way.

    .venv/bin/python benchmarks/footprint.py [--root DIR]   # DIR: another checkout to measure

Made lazy for this (python -X importtime, cProfile of a start): alembic (the schema is checked
against the migration files' newest revision first), fpdf2 and matplotlib (with numpy, PIL,
fontTools, cryptography), icalendar, the funding poller's httpx clients, and in the console
aiohttp and the Jinja2 pages unless page links are on. What is left is what every start needs
(see NOTES below for where targets are still missed and why).
"""

from __future__ import annotations

import argparse
import asyncio
import os
import signal
import socket
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from benchmarks.common import RUNS, figure, save, show
from tests.fakes.graph_api import FakeGraph
from tests.fakes.telegram_api import FakeBotApi

ROOT = Path(__file__).resolve().parent.parent
NOTES = (
    "What remains is imports the running service needs. Replaying the live Telegram process's "
    "modules in a bare interpreter reaches ~102 MB of its ~106 MB: SQLAlchemy ~21 MB, "
    "python-telegram-bot ~16 MB (with cryptography, which it loads when installed), the 42 "
    "SQLModel tables ~10 MB, aiohttp ~8 MB (the HTTP server: /healthz, webhook, Teams "
    "notifications), pydantic ~9 MB. -X importtime of a Telegram start: SQLAlchemy 22 %, "
    "models 18 %, aiohttp 16 %, pydantic 8 %, telegram 7 % of import time. Teams adds "
    "~40 MB and ~3 s CPU: msgraph's Entity.get_field_deserializers imports ~1,200 generated "
    "model modules on the first Graph object read (/me at start), ~30 MB by itself."
)
SETTLE = 2.0  # seconds after ready before memory is read
READY_TIMEOUT = 60.0
STATE = "footprint-client-state"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def cpu_s(pid: int) -> float:
    """CPU seconds (user + system) the process has used: less sensitive than wall time to a
    busy machine."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def rss_mb(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    raise RuntimeError("no VmRSS")


async def _drain(
    stream: asyncio.StreamReader | None,
    lines: list[str],
    seen: asyncio.Event,
    ready: Callable[[str], bool],
) -> None:
    if stream is None:
        return
    while raw := await stream.readline():
        line = raw.decode(errors="replace")
        lines.append(line)
        if ready(line):
            seen.set()


async def _file_ready(path: Path, seen: asyncio.Event, ready: Callable[[str], bool]) -> None:
    while not seen.is_set():
        if path.exists() and any(ready(line) for line in path.read_text().splitlines()):
            seen.set()
            return
        await asyncio.sleep(0.005)


async def measure(
    cmd: list[str],
    env: dict[str, str],
    cwd: Path,
    *,
    ready_file: Path | None,
    marker: str,
    stop_input: bytes | None,
) -> tuple[float, float, float]:
    """Start `cmd`, wait for `marker` (in stderr or `ready_file`), read its RSS after SETTLE,
    stop it. Returns (seconds to ready, CPU seconds to ready, MB resident)."""

    def is_ready(line: str) -> bool:
        return marker in line

    seen = asyncio.Event()
    lines: list[str] = []
    started = time.perf_counter()
    proc = await asyncio.create_subprocess_exec(
        *cmd,
        cwd=cwd,
        env=env,
        stdin=asyncio.subprocess.PIPE,
        stdout=asyncio.subprocess.DEVNULL if ready_file else asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    watchers = [
        asyncio.create_task(_drain(proc.stderr, lines, seen, is_ready)),
        asyncio.create_task(_drain(proc.stdout, lines, seen, is_ready)),
    ]
    if ready_file is not None:
        watchers.append(asyncio.create_task(_file_ready(ready_file, seen, is_ready)))
    try:
        try:
            await asyncio.wait_for(seen.wait(), READY_TIMEOUT)
        except TimeoutError:
            raise RuntimeError(
                f"not ready in {READY_TIMEOUT} s: {cmd}\n{''.join(lines)[-3000:]}"
            ) from None
        took = time.perf_counter() - started
        cpu = cpu_s(proc.pid)
        await asyncio.sleep(SETTLE)
        if proc.returncode is not None:
            raise RuntimeError(f"exited early: {cmd}\n{''.join(lines)[-3000:]}")
        memory = rss_mb(proc.pid)
    finally:
        if proc.returncode is None:
            if stop_input is not None and proc.stdin is not None:
                proc.stdin.write(stop_input)
                proc.stdin.close()
            else:
                proc.send_signal(signal.SIGTERM)
            try:
                await asyncio.wait_for(proc.wait(), 15)
            except TimeoutError:
                proc.kill()
                await proc.wait()
        for watcher in watchers:
            watcher.cancel()
    return took, cpu, memory


async def main(root: Path) -> None:
    python = sys.executable
    # As installed: pip compiles bytecode at install time, so a deployed start reads .pyc
    # files. An editable checkout under PYTHONDONTWRITEBYTECODE would instead compile the
    # project's ~90 modules from source on every start; the first (empty-database) start
    # below writes the bytecode.
    base_env = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith(("EMPIRIE_", "TELEGRAM_")) and k != "PYTHONDONTWRITEBYTECODE"
    }
    base_env["PYTHONPATH"] = str(root)
    bot = [python, "-m", "bot.cli", "run"]
    api, graph = FakeBotApi(), FakeGraph()
    api_url = await api.start()
    await graph.start()
    results: dict[str, tuple[list[float], list[float], list[float]]] = {}
    first: dict[str, dict[str, float]] = {}
    try:
        with tempfile.TemporaryDirectory() as tmp:
            console_dir, platform_dir = Path(tmp, "console"), Path(tmp, "platform")
            console_dir.mkdir()
            platform_dir.mkdir()
            log_file = console_dir / "empirie.log"
            console_env = {**base_env, "EMPIRIE_CONSOLE_LOG_FILE": str(log_file)}
            telegram_env = {
                **base_env,
                "TELEGRAM_BOT_TOKEN": api.token,
                "TELEGRAM_API_BASE_URL": api_url,
                "TELEGRAM_POLL_TIMEOUT": "1",
            }

            def teams_env() -> dict[str, str]:
                port = free_port()
                return {
                    **telegram_env,
                    "EMPIRIE_HTTP_PORT": str(port),
                    "EMPIRIE_TEAMS_GRAPH_BASE_URL": graph.base_url,
                    "EMPIRIE_TEAMS_NOTIFICATION_URL": f"http://127.0.0.1:{port}/teams/notifications",
                    "EMPIRIE_TEAMS_CLIENT_STATE": STATE,
                }

            async def console() -> tuple[float, float, float]:
                log_file.unlink(missing_ok=True)  # "ready" must be this start's line
                return await measure(
                    bot,
                    console_env,
                    console_dir,
                    ready_file=log_file,
                    marker="app.ready",
                    stop_input=b"/wyjdz\n",
                )

            async def telegram() -> tuple[float, float, float]:
                return await measure(
                    bot,
                    {**telegram_env, "EMPIRIE_HTTP_PORT": str(free_port())},
                    platform_dir,
                    ready_file=None,
                    marker="app.ready",
                    stop_input=None,
                )

            async def both() -> tuple[float, float, float]:
                return await measure(
                    bot,
                    teams_env(),
                    platform_dir,
                    ready_file=None,
                    marker="app.ready",
                    stop_input=None,
                )

            async def baseline() -> tuple[float, float, float]:
                code = "import sys, telegram; print('imported', flush=True); sys.stdin.read()"
                return await measure(
                    [python, "-c", code],
                    base_env,
                    platform_dir,
                    ready_file=None,
                    marker="imported",
                    stop_input=b"",
                )

            for name, run in (("console", console), ("telegram", telegram)):
                took, cpu, memory = await run()  # empty database: migrations and seeding
                first[name] = {
                    "ready_s": round(took, 3),
                    "cpu_s": round(cpu, 3),
                    "rss_mb": round(memory, 1),
                }
            configs: list[tuple[str, Any]] = [
                ("bare python + import telegram", baseline),
                ("console", console),
                ("telegram", telegram),
                ("telegram + teams", both),
            ]
            for _ in range(RUNS):  # interleaved: machine noise hits every configuration alike
                for name, run in configs:
                    took, cpu, memory = await run()
                    times, cpus, mems = results.setdefault(name, ([], [], []))
                    times.append(took)
                    cpus.append(cpu)
                    mems.append(memory)
    finally:
        await api.stop()
        await graph.stop()

    bare = "bare python + import telegram"
    base_t, base_c, base_m = (statistics.median(v) for v in results[bare])
    figures = [
        figure(f"{bare}: start", "s", results[bare][0]),
        figure(f"{bare}: CPU to start", "s", results[bare][1]),
        figure(f"{bare}: RSS", "MiB", results[bare][2], digits=1),
    ]
    # issue #25's goals (console: no memory goal there; the earlier ≤ 90 kept)
    goals = (("console", 0.7, 90), ("telegram", 1.0, 70), ("telegram + teams", 1.5, 100))
    for name, seconds, limit in goals:
        times, cpus, mems = results[name]
        figures.append(
            figure(
                f"{name}: start to ready",
                "s",
                times,
                target=f"≤ {seconds:g} s",
                ok=lambda v, most=seconds: v <= most,
                baseline=base_t,
            )
        )
        figures.append(figure(f"{name}: CPU to ready", "s", cpus, baseline=base_c))
        figures.append(
            figure(
                f"{name}: RSS {SETTLE:g} s after ready",
                "MiB",
                mems,
                target=f"≤ {limit} MiB",
                ok=lambda v, lim=limit: v <= lim,
                baseline=base_m,
                digits=1,
            )
        )
    show("Footprint: process start to ready, resident memory", figures)
    for name, values in first.items():
        print(
            f"  first start on an empty database ({name}, migrations + seeding, 1 run): "
            f"{values['ready_s']} s (CPU {values['cpu_s']} s), {values['rss_mb']} MB"
        )
    print(f"  note: {NOTES}")
    path = save(
        "footprint", figures, first_start=first, settle_s=SETTLE, root=str(root), notes=NOTES
    )
    print(f"  → {path}")


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--root",
        type=Path,
        default=ROOT,
        help="the checkout whose bot is started (default: this one)",
    )
    asyncio.run(main(parser.parse_args().root.resolve()))

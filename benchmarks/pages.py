"""Answer pages under load (issue #25): the signed RSVP page, GET and POST, driven by wrk
(8 connections) against the real server (Router + HttpServer + the pages, in a process of its
own), on a SQLite file and on a fresh PostgreSQL database.

The meeting has 400 answers (a network's representatives, some on the waitlist); each request
is one of those people's own signed link (the GETs cycle through all 400, the POSTs change
each person's answer between online and maybe, with the form's CSRF token and cookie).

Anchor, same run and same wrk: a bare aiohttp server answering every GET and POST with a fixed
page of the same size. Targets: GET ≥ 1,500 requests/s with p99 ≤ 20 ms, POST ≥ 300/s.

    .venv/bin/python benchmarks/pages.py          # BENCH_RUNS=3 by default; needs wrk
    BENCH_PROFILE=1 .venv/bin/python benchmarks/pages.py  # + where the server's time goes

wrk is Debian's package `wrk` (apt-get install wrk); without it the benchmark says so and
stops (exit status 2).
"""

from __future__ import annotations

import argparse
import asyncio
import hashlib
import hmac
import json
import logging
import os
import re
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import urllib.request
from datetime import timedelta
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from benchmarks.common import RUNS, figure, save, show
from benchmarks.tg_harness import ThreadProfile, store

PEOPLE = 400
CAPACITY = 40
CONNECTIONS, THREADS = 8, 2
SECONDS = int(os.environ.get("BENCH_PAGES_SECONDS", "5"))
COOKIE = "bench-csrf-cookie"
SECRET = "bench-page-secret-not-for-production"
PUBLIC = "http://127.0.0.1"
PROFILE = os.environ.get("BENCH_PROFILE") == "1"
log = logging.getLogger("bench.pages")


def settings_for(url: str) -> Any:
    from core.config import Settings

    return Settings(
        EMPIRIE_DATABASE_URL=url,
        EMPIRIE_PUBLIC_URL=PUBLIC,
        EMPIRIE_PAGE_SECRET=SECRET,
        EMPIRIE_FILES_DIR=tempfile.mkdtemp(prefix="bench-pages-"),
    )


# --- the data: a meeting with 400 answers, and each person's signed link --------------------


def prepare(url: str) -> list[str]:
    """The demo cast, 400 representatives in one network, a meeting they all answered
    (CAPACITY seats in person, the rest online, maybe, or waiting); each one's link token."""
    from bot.migrate import upgrade
    from core import links
    from core.clock import SystemClock
    from models import directory, seed
    from models.db import Database
    from models.meetings import Answer, Meeting, MeetingFormat, MeetingStatus, Rsvp
    from tests.burst_scenario import add_representatives

    upgrade(url)
    db, now = Database(url), SystemClock().now()
    with db.session() as s:
        seed.seed_demo(s, now)
    people = add_representatives(db, PEOPLE, now)
    with db.session() as s:
        network = directory.require_network(s, "cyfrowe")
        meeting = Meeting(
            network_id=network.id or 0,
            title="Spotkanie robocze",
            starts_at=now + timedelta(days=30),
            format=MeetingFormat.HYBRID,
            place="Łomża, ul. Długa 1",
            online_link="https://meet.example/x",
            agenda="Wymiana doświadczeń",
            rsvp_deadline=now + timedelta(days=20),
            capacity=CAPACITY,
            status=MeetingStatus.PUBLISHED,
            created_at=now,
        )
        s.add(meeting)
        s.flush()
        answers = [Answer.IN_PERSON, Answer.ONLINE, Answer.MAYBE]
        for i, person in enumerate(people):
            answer = answers[i % 3]
            s.add(
                Rsvp(
                    meeting_id=meeting.id or 0,
                    person_id=person,
                    answer=answer,
                    waitlisted=answer == Answer.IN_PERSON and i // 3 >= CAPACITY,
                    answered_at=now + timedelta(seconds=i),
                )
            )
        meeting_id = meeting.id or 0
    signer = links.Signer(SECRET)
    expires = now + timedelta(days=30)
    tokens = [signer.sign(p, links.RSVP, expires, {"meeting": meeting_id}) for p in people]
    db.engine.dispose()
    return tokens


def csrf(token: str) -> str:
    return hmac.new(SECRET.encode(), f"csrf|{COOKIE}|{token}".encode(), hashlib.sha256).hexdigest()


# --- the servers, each in a process of its own -----------------------------------------------


def serve_bot(url: str, port: int) -> None:
    """The bot's HTTP server with the pages, as `run` installs it (no transports)."""
    from bot import pages
    from bot.http import HttpServer
    from bot.router import Router
    from core.clock import SystemClock
    from models.db import Database

    settings = settings_for(url)
    router = Router(Database(url), SystemClock(), settings)
    http = HttpServer("127.0.0.1", port)
    pages.install(http, router)
    _serve(http.app, port)


def serve_anchor(port: int, size: int) -> None:
    """Bare aiohttp: the same size of page for every GET and POST."""
    from aiohttp import web

    body = ("<!doctype html><title>x</title><p>" + "x" * max(size - 40, 0) + "</p>").encode()

    async def page(request: web.Request) -> web.Response:
        if request.method == "POST":
            await request.post()
        return web.Response(body=body, content_type="text/html", charset="utf-8")

    app = web.Application()
    app.router.add_route("*", "/p/{purpose}/{token}", page)
    _serve(app, port)


def _serve(app: Any, port: int) -> None:
    from aiohttp import web

    profile = ThreadProfile() if PROFILE else None
    if profile is not None:  # the event loop's thread and every worker thread
        threading.setprofile(profile._start_in_thread)
        profile.main.enable()
    try:  # run_app ends on SIGTERM (GracefulExit)
        web.run_app(app, host="127.0.0.1", port=port, access_log=None, print=None)
    finally:
        if profile is not None:
            profile.main.disable()
            sys.stderr.write(profile.report(25))


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


class Server:
    """A server process of this script, waited for until it answers."""

    def __init__(self, *args: str) -> None:
        self.port = free_port()
        self.proc = subprocess.Popen(
            [sys.executable, __file__, *args, "--port", str(self.port)],
            stderr=None if PROFILE else subprocess.DEVNULL,
        )
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            try:
                with socket.create_connection(("127.0.0.1", self.port), timeout=0.2):
                    return
            except OSError:
                time.sleep(0.05)
        self.stop()
        raise RuntimeError(f"server {args} did not start")

    def stop(self) -> None:
        self.proc.send_signal(signal.SIGTERM)
        try:
            self.proc.wait(20)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()

    def __enter__(self) -> Server:
        return self

    def __exit__(self, *_: Any) -> None:
        self.stop()


# --- wrk -------------------------------------------------------------------------------------

LUA = """
local reqs = {}
local i = 0
local method = "%(method)s"
local paths = { %(paths)s }
local bodies = { %(bodies)s }
local headers = {}
headers["Cookie"] = "%(cookie_name)s=%(cookie)s"
if method == "POST" then
  headers["Content-Type"] = "application/x-www-form-urlencoded"
end
function init(args)
  for k = 1, #paths do
    local body = nil
    if method == "POST" then body = bodies[k] end
    reqs[k] = wrk.format(method, paths[k], headers, body)
  end
  i = math.random(#reqs)
end
function request()
  i = i %% #reqs + 1
  return reqs[i]
end
function done(summary, latency, requests)
  io.write(string.format(
    "RESULT {\\"requests\\": %%d, \\"seconds\\": %%f, \\"p50_us\\": %%d, \\"p99_us\\": %%d, "
    .. "\\"non2xx\\": %%d, \\"socket_errors\\": %%d}\\n",
    summary.requests, summary.duration / 1e6, latency:percentile(50), latency:percentile(99),
    summary.errors.status,
    summary.errors.connect + summary.errors.read + summary.errors.write + summary.errors.timeout))
end
"""


def lua_script(method: str, tokens: list[str]) -> str:
    from bot.pages.server import CSRF_COOKIE

    paths, bodies = [], []
    rounds = ("online", "moze") if method == "POST" else ("",)
    for answer in rounds:
        for token in tokens:
            paths.append(f'"/p/rsvp/{token}?lang=pl"')
            bodies.append(f'"answer={answer}&note=&csrf={csrf(token)}"')
    return LUA % {
        "method": method,
        "paths": ", ".join(paths),
        "bodies": ", ".join(bodies),
        "cookie_name": CSRF_COOKIE,
        "cookie": COOKIE,
    }


def wrk(port: int, method: str, tokens: list[str], seconds: int = SECONDS) -> dict[str, float]:
    with tempfile.NamedTemporaryFile("w", suffix=".lua", delete=False) as f:
        f.write(lua_script(method, tokens))
    try:
        done = subprocess.run(
            [
                "wrk",
                f"-t{THREADS}",
                f"-c{CONNECTIONS}",
                f"-d{seconds}s",
                "--timeout",
                "10s",
                "-s",
                f.name,
                f"http://127.0.0.1:{port}",
            ],
            capture_output=True,
            text=True,
            check=True,
        )
    finally:
        os.unlink(f.name)
    line = next(ln for ln in done.stdout.splitlines() if ln.startswith("RESULT "))
    result: dict[str, float] = json.loads(line[len("RESULT ") :])
    result["rps"] = result["requests"] / result["seconds"]
    return result


def cpu_seconds(pid: int) -> float:
    """User + system CPU of a process so far (Linux /proc)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def load(server: Server, method: str, tokens: list[str]) -> dict[str, float]:
    """wrk against the server, and the server's CPU time per request meanwhile: on a shared
    machine the requests/s depend on the cores the server got, its CPU per request does not."""
    before = cpu_seconds(server.proc.pid)
    result = wrk(server.port, method, tokens)
    result["cpu_ms"] = (cpu_seconds(server.proc.pid) - before) * 1000 / max(result["requests"], 1)
    result["cores"] = (cpu_seconds(server.proc.pid) - before) / result["seconds"]
    return result


def page_size(port: int, token: str) -> int:
    """Bytes of one person's page, as the bot serves it (the anchor serves as many)."""
    request = urllib.request.Request(f"http://127.0.0.1:{port}/p/rsvp/{token}?lang=pl")
    with urllib.request.urlopen(request, timeout=10) as answer:
        return len(answer.read())


def check_post(port: int, token: str) -> None:
    """One POST as wrk sends it is accepted (200 and the answer shown): the load is real."""
    from bot.pages.server import CSRF_COOKIE

    request = urllib.request.Request(
        f"http://127.0.0.1:{port}/p/rsvp/{token}?lang=pl",
        data=f"answer=online&note=&csrf={csrf(token)}".encode(),
        headers={"Cookie": f"{CSRF_COOKIE}={COOKIE}"},
        method="POST",
    )
    with urllib.request.urlopen(request, timeout=10) as answer:
        html = answer.read().decode()
    if answer.status != 200 or not re.search(r"notice ok", html):
        raise AssertionError(f"the benchmark's POST was not accepted: {answer.status}")


# --- the benchmark ---------------------------------------------------------------------------


def measure(backend: str, anchor: dict[str, list[dict[str, float]]]) -> list[dict[str, Any]]:
    with store(backend, "bench_pages") as url:
        tokens = prepare(url)
        with Server("--bot", url) as bot:
            size = page_size(bot.port, tokens[0])
            check_post(bot.port, tokens[-1])
            wrk(bot.port, "GET", tokens, 2)  # warm: catalogues, templates, statement caches
            if not anchor:
                with Server("--anchor", "--size", str(size)) as bare:
                    for method in ("GET", "POST"):
                        anchor[method] = [load(bare, method, tokens) for _ in range(RUNS)]
            runs = {m: [load(bot, m, tokens) for _ in range(RUNS)] for m in ("GET", "POST")}
    for method, results in runs.items():
        bad = sum(r["non2xx"] + r["socket_errors"] for r in results)
        if bad:
            raise AssertionError(f"{backend} {method}: {bad} requests failed")
    base = {m: statistics.median(r["rps"] for r in anchor[m]) for m in anchor}
    base_cpu = {m: statistics.median(r["cpu_ms"] for r in anchor[m]) for m in anchor}
    get, post = runs["GET"], runs["POST"]
    return [
        figure(
            f"{backend}: answer page GET",
            "requests/s",
            [r["rps"] for r in get],
            target="≥ 1500 requests/s",
            ok=lambda v: v >= 1500,
            baseline=base["GET"],
            digits=0,
        ),
        figure(
            f"{backend}: answer page GET p99",
            "ms",
            [r["p99_us"] / 1000 for r in get],
            target="≤ 20 ms",
            ok=lambda v: v <= 20,
            digits=1,
        ),
        figure(
            f"{backend}: answer page GET, server CPU per request",
            "ms",
            [r["cpu_ms"] for r in get],
            target="≤ 0.67 ms (1,500/s on one core)",
            ok=lambda v: v <= 1000 / 1500,
            baseline=base_cpu["GET"],
            digits=2,
        ),
        figure(
            f"{backend}: answer page GET, cores the server got",
            "cores",
            [r["cores"] for r in get],
            digits=2,
        ),
        figure(
            f"{backend}: answer page POST",
            "requests/s",
            [r["rps"] for r in post],
            target="≥ 300 requests/s",
            ok=lambda v: v >= 300,
            baseline=base["POST"],
            digits=0,
        ),
        figure(
            f"{backend}: answer page POST p99",
            "ms",
            [r["p99_us"] / 1000 for r in post],
            digits=1,
        ),
        figure(
            f"{backend}: answer page POST, server CPU per request",
            "ms",
            [r["cpu_ms"] for r in post],
            target="≤ 3.3 ms (300/s on one core)",
            ok=lambda v: v <= 1000 / 300,
            baseline=base_cpu["POST"],
            digits=2,
        ),
    ]


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--bot", metavar="URL")
    parser.add_argument("--anchor", action="store_true")
    parser.add_argument("--size", type=int, default=4000)
    parser.add_argument("--port", type=int)
    args = parser.parse_args()
    if args.bot:
        logging.basicConfig(level=logging.WARNING)
        serve_bot(args.bot, args.port)
        return 0
    if args.anchor:
        serve_anchor(args.port, args.size)
        return 0
    logging.basicConfig(level=logging.WARNING)
    if shutil.which("wrk") is None:
        print(
            "benchmarks/pages.py: wrk is not installed, nothing measured. "
            "Install Debian's package: apt-get install wrk",
            file=sys.stderr,
        )
        return 2
    anchor: dict[str, list[dict[str, float]]] = {}
    figures: list[dict[str, Any]] = []
    for backend in ("sqlite", "postgres"):
        figures += measure(backend, anchor)
    anchor_figures = [
        figure(f"anchor (bare aiohttp): {m}", "requests/s", [r["rps"] for r in anchor[m]], digits=0)
        for m in ("GET", "POST")
    ] + [
        figure(
            f"anchor (bare aiohttp): {m}, server CPU per request",
            "ms",
            [r["cpu_ms"] for r in anchor[m]],
            digits=2,
        )
        for m in ("GET", "POST")
    ]
    figures = anchor_figures + figures
    show(
        f"Answer pages under wrk ({CONNECTIONS} connections, {SECONDS} s, {PEOPLE} answers)",
        figures,
    )
    path = save("pages", figures, connections=CONNECTIONS, seconds=SECONDS, answers=PEOPLE)
    print(f"  → {path}")
    return 0


if __name__ == "__main__":
    asyncio.set_event_loop_policy(None)
    sys.exit(main())

"""Done when: the image's command, run as a process with the compose environment (PostgreSQL,
the public HTTPS URL, listening on all interfaces), serves /healthz, /readyz, /metrics, an
answer page and the Telegram webhook to callers outside the process — and an administrator
gets from an empty database to a linked coordinator as docs/operations/deploy.md says.

What stands in for what compose would start:
- the command and the image's environment are read from the Dockerfile (ENTRYPOINT, CMD, ENV;
  /data becomes a temporary directory), the bot's environment from compose.yaml, the rest from
  what .env.example asks the administrator to fill in;
- PostgreSQL is the test server (the URL's host `db` becomes 127.0.0.1, a database of its own);
- Caddy is a small TLS proxy here that passes on only what deploy/Caddyfile publishes, with a
  certificate from a test authority (tests/fakes/tls.py);
- Telegram is the fake Bot API (tests/fakes/telegram_api.py); the test posts the updates
  Telegram would post to the webhook, through the public URL.
The bot listens on 0.0.0.0 as in the container and is reached at 127.0.0.2: an address it
would not answer on had it bound to 127.0.0.1 only (the loopback range keeps the traffic on
this machine). Only the port differs from compose's 8080: a free one, so runs can overlap.
"""

from __future__ import annotations

import asyncio
import json
import re
import signal
import socket
import ssl
import sys
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import aiohttp
import pytest
from aiohttp import web

from bot.transports.telegram import SECRET_HEADER
from tests.conftest import POSTGRES_URL, drop_database, fresh_database_url
from tests.fakes import telegram_updates as tg
from tests.fakes import tls
from tests.fakes.telegram_api import FakeBotApi
from tests.test_deploy import compose, exec_form, image, published
from tests.test_roster_import import ROWS, write_xlsx

ROOT = Path(__file__).resolve().parent.parent
BIN = Path(sys.executable).parent
OUTSIDE = "127.0.0.2"  # not the address a 127.0.0.1-only server would answer on
COORDINATOR = tg.user(222001, "Małgorzata", "gosia_zmp")
SECRET = "w3bh00k-s3cret-0f-the-office"
HOP_BY_HOP = {"host", "connection", "content-length", "transfer-encoding", "keep-alive"}


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@pytest.fixture
def database(tmp_path: Path) -> Iterator[str]:
    url = fresh_database_url("postgres", tmp_path, "production")
    yield url
    drop_database(url)


class Front:
    """The HTTPS proxy in front (Caddy's part): only deploy/Caddyfile's paths reach the bot."""

    def __init__(self) -> None:
        self.port = free_port()
        self.upstream = ""
        self._runner: web.AppRunner | None = None
        self._client: aiohttp.ClientSession | None = None

    @property
    def url(self) -> str:
        return f"https://127.0.0.1:{self.port}"

    async def _forward(self, request: web.Request) -> web.StreamResponse:
        if not published(request.path):
            return web.Response(status=404, text="Not found")
        assert self._client is not None
        headers = {k: v for k, v in request.headers.items() if k.lower() not in HOP_BY_HOP}
        async with self._client.request(
            request.method,
            self.upstream + request.path_qs,
            headers=headers,
            data=await request.read(),
            allow_redirects=False,
        ) as answer:
            body = await answer.read()
            passed = {k: v for k, v in answer.headers.items() if k.lower() not in HOP_BY_HOP}
            passed["Strict-Transport-Security"] = "max-age=31536000"
            return web.Response(status=answer.status, body=body, headers=passed)

    async def start(self) -> None:
        self._client = aiohttp.ClientSession()
        app = web.Application()
        app.router.add_route("*", "/{tail:.*}", self._forward)
        self._runner = web.AppRunner(app, access_log=None)
        await self._runner.setup()
        context = tls.test_ca().server_context()
        await web.TCPSite(self._runner, "127.0.0.1", self.port, ssl_context=context).start()

    async def stop(self) -> None:
        if self._runner is not None:
            await self._runner.cleanup()
        if self._client is not None:
            await self._client.close()


@pytest.fixture
async def front() -> AsyncIterator[Front]:
    proxy = Front()
    await proxy.start()
    yield proxy
    await proxy.stop()


def interpolate(value: str, variables: dict[str, str]) -> str:
    """Compose's `${NAME}`, `${NAME:?message}` and `${NAME:-default}`."""

    def one(match: re.Match[str]) -> str:
        name, operator, rest = match.group(1), match.group(2) or "", match.group(3) or ""
        if variables.get(name):
            return variables[name]
        assert operator != ":?", f"compose would stop: {rest}"
        return rest if operator == ":-" else ""

    return re.sub(r"\$\{([A-Z_][A-Z0-9_]*)(?:(:\?|:-)([^}]*))?\}", one, value)


def production_environment(
    data: Path, database: str, public_url: str, api: FakeBotApi, port: int
) -> dict[str, str]:
    dotenv = {  # what the administrator fills in .env (.env.example's open lines)
        "POSTGRES_PASSWORD": "not-used-by-the-test-server",
        "EMPIRIE_PUBLIC_URL": public_url,
        "TELEGRAM_BOT_TOKEN": api.token,
        "TELEGRAM_WEBHOOK_SECRET": SECRET,
        "TELEGRAM_API_BASE_URL": f"http://127.0.0.1:{api.port}",  # Telegram's stand-in
    }
    image_env = {k: v.replace("/data", str(data)) for k, v in image()["env"].items()}
    image_env["PATH"] = f"{BIN}:/usr/bin:/bin"
    environment = {
        k: interpolate(str(v), dotenv)
        for k, v in compose()["services"]["bot"]["environment"].items()
    }
    composed = environment["EMPIRIE_DATABASE_URL"]
    assert composed == f"postgresql+psycopg://empirie:{dotenv['POSTGRES_PASSWORD']}@db:5432/empirie"
    environment["EMPIRIE_DATABASE_URL"] = database  # the test server instead of `db`
    assert environment["EMPIRIE_HTTP_HOST"] == "0.0.0.0"
    environment["EMPIRIE_HTTP_PORT"] = str(port)
    env = {**image_env, **dotenv, **environment, "PYTHONPATH": str(ROOT)}
    env.update(tls.test_ca().client_env())  # the proxy's certificate, for `check`
    return env


async def run(env: dict[str, str], cwd: Path, *argv: str) -> tuple[int, str]:
    process = await asyncio.create_subprocess_exec(
        *argv,
        env=env,
        cwd=cwd,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.STDOUT,
    )
    out, _ = await asyncio.wait_for(process.communicate(), 180)
    return process.returncode or 0, out.decode()


async def test_the_image_command_serves_from_outside_and_an_office_links_its_coordinator(
    database: str, front: Front, api: FakeBotApi, tmp_path: Path
) -> None:
    assert database.startswith(POSTGRES_URL.rsplit("/", 1)[0])
    data = tmp_path / "data"
    data.mkdir()
    port = free_port()
    env = production_environment(data, database, front.url, api, port)
    front.upstream = f"http://{OUTSIDE}:{port}"
    built = image()
    command = exec_form(built["entrypoint"]) + exec_form(built["cmd"])
    assert command == ["empirie-bot", "serve"]
    log = (tmp_path / "bot.log").open("wb")
    bot = await asyncio.create_subprocess_exec(
        str(BIN / command[0]), *command[1:], env=env, cwd=data, stdout=log, stderr=log
    )
    direct = f"http://{OUTSIDE}:{port}"
    trusted = ssl.create_default_context(cafile=str(tls.test_ca().ca_file))
    try:
        async with aiohttp.ClientSession() as client:
            for _ in range(600):  # migrations on a new database, then the server
                assert bot.returncode is None, (tmp_path / "bot.log").read_text()
                try:
                    async with client.get(f"{direct}/healthz") as answer:
                        if answer.status == 200:
                            break
                except aiohttp.ClientConnectionError:
                    pass
                await asyncio.sleep(0.1)
            else:
                raise AssertionError((tmp_path / "bot.log").read_text())
            await api.wait_for(lambda: api.webhook is not None, timeout=30)  # after the server
            assert api.webhook is not None
            assert api.webhook["url"] == f"{front.url}/telegram/webhook"

            # The office: the roster from its sheet, an invitation for the first coordinator
            sheet = write_xlsx(tmp_path / "skład sieci.xlsx", ROWS)
            code, said = await run(
                env, data, str(BIN / "empirie-bot"), "roster", "import", str(sheet)
            )
            assert code == 0 and "Zaimportowano" in said, said
            code, said = await run(
                env, data, str(BIN / "empirie-bot"), "invite", "m.zrebiec@zmp.poznan.pl"
            )
            link = re.search(r"https://t\.me/EmpirieTestBot\?start=([A-Z0-9]+)", said)
            assert code == 0 and link is not None, said

            async def telegram_posts(text: str, secret: str = SECRET) -> int:
                update = tg.message(COORDINATOR, tg.private_chat(222001), text)
                body = {"update_id": next(UPDATE_IDS), **update}
                async with client.post(
                    f"{front.url}/telegram/webhook",
                    data=json.dumps(body),
                    headers={SECRET_HEADER: secret, "Content-Type": "application/json"},
                    ssl=trusted,
                ) as answer:
                    return answer.status

            # The webhook, from outside, through HTTPS: a forged update is refused
            assert await telegram_posts("/start 000000", secret="guess") == 403
            assert await telegram_posts(f"/start {link.group(1)}") == 200
            await api.wait_for(lambda: bool(api.texts(222001)), timeout=30)
            assert api.texts(222001)[0].startswith("Witaj, Małgorzata Źrebiec!")

            # An answer page, at the link the bot itself sent, through the public URL
            assert await telegram_posts("/strona") == 200
            await api.wait_for(lambda: len(api.texts(222001)) >= 2, timeout=30)
            markup = api.sent("sendMessage", 222001)[-1].params["reply_markup"]
            markup = json.loads(markup) if isinstance(markup, str) else markup
            urls = [b["url"] for row in markup["inline_keyboard"] for b in row if b.get("url")]
            assert urls and urls[0].startswith(f"{front.url}/p/hub/")
            async with client.get(urls[0], ssl=trusted) as answer:
                page = await answer.text()
                assert answer.status == 200 and "Czeka na Ciebie" in page
                assert "Małgorzata Źrebiec" in page
                assert answer.headers["Strict-Transport-Security"] == "max-age=31536000"
                assert "frame-ancestors 'none'" in answer.headers["Content-Security-Policy"]

            # Monitoring, on the bot's own address (the proxy does not publish it)
            async with client.get(f"{direct}/readyz") as answer:
                ready = await answer.json()
                assert answer.status == 200 and ready["status"] == "ready", ready
                assert ready["platforms"] == {"telegram": "ok"}
                assert ready["migrations"] == "current"
            async with client.get(f"{direct}/metrics") as answer:
                metrics = await answer.text()
            handled = re.search(
                r'^empirie_update_seconds_count\{platform="telegram"\} (\S+)$', metrics, re.M
            )
            assert handled is not None and float(handled.group(1)) >= 2
            assert 'empirie_outbox_pending{platform="telegram"}' in metrics
            assert "empirie_database_up 1.0" in metrics
            async with client.get(f"{front.url}/metrics", ssl=trusted) as answer:
                assert answer.status == 404

            # The image's HEALTHCHECK, and the administrator's `check`
            health = exec_form(built["healthcheck"].split("CMD", 1)[1])
            assert (await run(env, data, str(BIN / health[0]), *health[1:]))[0] == 0
            code, said = await run(env, data, str(BIN / "empirie-bot"), "check")
            assert code == 0 and said.rstrip().endswith("ready to serve"), said
            assert f"ok    public URL    {front.url}/healthz answers" in said
            assert "ok    telegram      the bot is @EmpirieTestBot" in said

        bot.send_signal(signal.SIGTERM)  # `docker compose stop`
        assert await asyncio.wait_for(bot.wait(), 30) == 0
    finally:
        if bot.returncode is None:
            bot.kill()
            await bot.wait()
        log.close()
    lines = [json.loads(line) for line in (tmp_path / "bot.log").read_text().splitlines()]
    started = [e for e in lines if e["event"] == "http.started"]
    assert started and started[0]["host"] == "0.0.0.0" and started[0]["port"] == port


def _ids() -> Iterator[int]:
    number = 900_000
    while True:
        number += 1
        yield number


UPDATE_IDS = _ids()


def test_the_environment_interpolation_is_compose_s() -> None:
    assert interpolate("${A:?set A}/x", {"A": "https://h"}) == "https://h/x"
    assert interpolate("${B:-fallback}", {}) == "fallback"
    with pytest.raises(AssertionError, match="compose would stop: set A"):
        interpolate("${A:?set A}", {})


async def test_the_worker_serves_its_probes_and_takes_no_updates(
    api: FakeBotApi, tmp_path: Path
) -> None:
    """`command: ["worker"]` in compose, with the image's EMPIRIE_WORKER_HTTP: the HEALTHCHECK
    has something to ask, and nothing but the probes is served."""
    port = free_port()
    env = {
        "PATH": f"{BIN}:/usr/bin:/bin",
        "PYTHONPATH": str(ROOT),
        "EMPIRIE_DATABASE_URL": f"sqlite:///{tmp_path / 'bot.db'}",
        "EMPIRIE_WORKER_HTTP": image()["env"]["EMPIRIE_WORKER_HTTP"],
        "EMPIRIE_HTTP_HOST": "0.0.0.0",
        "EMPIRIE_HTTP_PORT": str(port),
        "TELEGRAM_BOT_TOKEN": api.token,
        "TELEGRAM_API_BASE_URL": f"http://127.0.0.1:{api.port}",
        "TELEGRAM_WEBHOOK_URL": "https://bot.example.org/telegram/webhook",
        "TELEGRAM_WEBHOOK_SECRET": SECRET,
    }
    worker = await asyncio.create_subprocess_exec(
        str(BIN / "empirie-bot"),
        "worker",
        env=env,
        cwd=tmp_path,
        stdout=asyncio.subprocess.DEVNULL,
        stderr=asyncio.subprocess.DEVNULL,
    )
    try:
        async with aiohttp.ClientSession() as client:
            for _ in range(600):
                assert worker.returncode is None
                try:
                    async with client.get(f"http://{OUTSIDE}:{port}/readyz") as answer:
                        if answer.status == 200:
                            ready = await answer.json()
                            break
                except aiohttp.ClientConnectionError:
                    pass
                await asyncio.sleep(0.1)
            else:
                raise AssertionError("the worker never answered /readyz")
            assert ready["status"] == "ready" and ready["platforms"] == {"telegram": "ok"}
            async with client.post(f"http://{OUTSIDE}:{port}/telegram/webhook") as answer:
                assert answer.status == 404  # updates go to the bot, never to a worker
            async with client.get(f"http://{OUTSIDE}:{port}/metrics") as answer:
                assert "empirie_outbox_pending" in await answer.text()
        assert api.webhook is None  # the worker does not take the webhook over
    finally:
        worker.send_signal(signal.SIGTERM)
        assert await asyncio.wait_for(worker.wait(), 30) == 0

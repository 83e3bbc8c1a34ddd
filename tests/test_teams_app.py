"""Telegram and Teams in one running App: one HTTP server, one outbox, one scheduler."""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator
from typing import Any

import aiohttp
import pytest

from bot.app import App
from bot.transports.teams import transport as teams_transport
from core.clock import FrozenClock
from core.config import Settings
from models import directory
from models.db import Database
from models.outbox import OutboxMessage
from tests.cast import Cast, find_cast
from tests.fakes import tls
from tests.fakes.graph_api import FakeGraph, TlsFront
from tests.fakes.telegram_api import FakeBotApi
from tests.test_teams import (
    CHANNEL_BOX,
    CHANNEL_KEY,
    COORD_AAD,
    STATE,
    StaticCredential,
    teams_settings,
)
from tests.test_telegram import free_port, link, telegram_settings


async def _until(check: Any, timeout: float = 10.0) -> None:
    for _ in range(int(timeout / 0.05)):
        if check():
            return
        await asyncio.sleep(0.05)
    raise AssertionError("timed out")


@pytest.fixture
async def running(
    api: FakeBotApi,
    graph: FakeGraph,
    seeded: Database,
    clock: FrozenClock,
    settings: Settings,
    monkeypatch: pytest.MonkeyPatch,
) -> AsyncIterator[tuple[App, Cast, str]]:
    for name, value in tls.test_ca().client_env().items():  # the SDK trusts the fakes' CA
        monkeypatch.setenv(name, value)
    port = free_port()
    front = TlsFront(port)  # Graph notifies https only: the edge in front of the bot
    await front.start()
    graph.follow(clock)
    # a local Graph without a client id: the service account's token from the fake Entra ID
    monkeypatch.setattr(teams_transport, "LocalCredential", lambda: StaticCredential(graph.tokens))
    both = teams_settings(
        telegram_settings(settings, f"http://127.0.0.1:{api.port}"),
        graph,
        front.port,
        http_port=port,
        outbox_poll_seconds=0.2,
        jobs_poll_seconds=60,
    )
    cast = find_cast(seeded)
    graph.add_user(COORD_AAD, "Katarzyna Koordynator", "k.koord@zmp.example.pl")
    link(seeded, cast.team, 5550001)
    with seeded.session() as s:
        directory.link_account(s, cast.coordinator, "teams", COORD_AAD, None, clock.now())
        directory.bind_chat(
            s,
            directory.require_network(s, "cyfrowe"),
            "teams",
            CHANNEL_KEY,
            None,
            cast.coordinator,
            clock.now(),
        )
    app = App(both, clock=clock, db=seeded)
    task = asyncio.create_task(app.run())
    await _until(lambda: graph.subscription_for("/" + CHANNEL_BOX) is not None)
    yield app, cast, f"http://127.0.0.1:{port}/teams/notifications"
    app.stop()
    await asyncio.wait_for(task, 10)
    await graph.quiet()
    await front.stop()


async def test_telegram_and_teams_run_together(
    running: tuple[App, Cast, str], graph: FakeGraph, api: FakeBotApi
) -> None:
    app, _cast, url = running
    assert set(app.transports) == {"telegram", "teams"}
    assert api.sent("getMe")  # Telegram started beside Teams
    message = graph.user_message(CHANNEL_BOX, COORD_AAD, "/sieci")
    sub = graph.subscription_for("/" + CHANNEL_BOX)
    assert sub is not None
    async with (
        aiohttp.ClientSession() as session,
        session.post(
            url,
            data=json.dumps(graph.notification(sub["id"], CHANNEL_BOX, message["id"], STATE)),
            headers={"Content-Type": "application/json"},
        ) as answer,
    ):
        assert answer.status == 202
    await _until(lambda: len(graph.sent(CHANNEL_BOX)) == 1)
    assert "zielone" in graph.sent(CHANNEL_BOX)[0]["body"]["content"]


async def test_a_lost_teams_login_holds_teams_and_tells_the_team_on_telegram(
    running: tuple[App, Cast, str], api: FakeBotApi
) -> None:
    app, cast, _url = running
    app.transports["teams"].report_login_lost()  # type: ignore[attr-defined]
    assert "teams" not in app.transports  # its outbox rows wait for a new sign-in
    await _until(
        lambda: any("teams login" in c.params.get("text", "") for c in api.sent("sendMessage"))
    )
    [told] = [c for c in api.sent("sendMessage") if "teams login" in c.params.get("text", "")]
    assert str(told.params["chat_id"]) == "5550001"
    with app.db.session() as s:
        rows = s.query(OutboxMessage).filter(OutboxMessage.kind == "teams_login_lost").all()
    assert len(rows) == 1 and rows[0].person_id == cast.team

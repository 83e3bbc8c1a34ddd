"""The Teams sign-in as an administrator and the running bot live it: the real `empirie-bot
teams login` (device code, real MSAL and azure-identity) against a fake Entra ID over HTTPS,
then `teams status` and the service's Graph client calling a Graph stand-in that checks every
bearer token: silent tokens from the login's cache, a refresh when the access token expires
mid-run, a CAE claims challenge answered, and a revoked sign-in reported."""

from __future__ import annotations

import asyncio
import json
import logging
import re
import ssl
import time
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, cast

import aiohttp
import pytest
from aiohttp import web

from bot.cli import main
from bot.router import Router
from bot.transports.teams import graph
from bot.transports.teams.transport import TeamsTransport
from core.config import Settings
from tests.fakes import tls
from tests.fakes.identity import CLIENT_ID, TENANT, FakeEntraID, Grant
from tests.fakes.tokens import Token, TokenBook

BOT = "b0000000-0000-4000-8000-000000000001"
BOT_UPN = "empirie-bot@zmp.example.org"


@dataclass
class GraphStandIn:
    """GET /v1.0/me over HTTPS, only with a token the fake Entra ID issued and that is still
    good (401 InvalidAuthenticationToken, or the CAE claims challenge, otherwise)."""

    book: TokenBook
    users: dict[str, tuple[str, str]]
    accepted: list[Token] = field(default_factory=list)
    refused: list[str] = field(default_factory=list)  # the WWW-Authenticate headers sent
    port: int = 0
    runner: web.AppRunner | None = None

    async def me(self, request: web.Request) -> web.Response:
        token, challenge = self.book.check(request.headers.get("Authorization"))
        if token is None:
            assert challenge is not None
            self.refused.append(challenge["WWW-Authenticate"])
            return web.Response(
                status=401,
                body=self.book.error_body(),
                headers=challenge,
                content_type="application/json",
            )
        if "https://graph.microsoft.com/User.Read" not in token.scopes:
            return web.json_response(
                {"error": {"code": "Authorization_RequestDenied", "message": "Insufficient"}},
                status=403,
            )
        self.accepted.append(token)
        name, upn = self.users[token.user_id]
        return web.json_response(
            {
                "@odata.context": "https://graph.microsoft.com/v1.0/$metadata#users/$entity",
                "id": token.user_id,
                "displayName": name,
                "userPrincipalName": upn,
                "mail": upn,
            }
        )

    async def start(self) -> None:
        app = web.Application()
        app.router.add_get("/v1.0/me", self.me)
        self.runner = web.AppRunner(app, access_log=None)
        await self.runner.setup()
        site = web.TCPSite(self.runner, "127.0.0.1", 0, ssl_context=tls.test_ca().server_context())
        await site.start()
        self.port = int(self.runner.addresses[0][1])

    async def stop(self) -> None:
        if self.runner is not None:
            await self.runner.cleanup()


@dataclass
class Site:
    entra: FakeEntraID
    graph: GraphStandIn
    book: TokenBook
    home: Path


@pytest.fixture
async def site(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> AsyncIterator[Site]:
    book = TokenBook()
    entra = FakeEntraID(book)  # access tokens for an hour, as Entra ID issues them
    entra.add_user(BOT, BOT_UPN, "EMPIRIE Bot")
    stand_in = GraphStandIn(book, {BOT: ("EMPIRIE Bot", BOT_UPN)})
    await entra.start()
    await stand_in.start()
    home = tmp_path / "home"  # ~/.IdentityService of this test only
    home.mkdir()
    for name, value in {
        **tls.test_ca().client_env(),
        "HOME": str(home),
        "EMPIRIE_DATABASE_URL": f"sqlite:///{tmp_path / 'bot.db'}",
        "EMPIRIE_SEED_DEMO": "false",
        "EMPIRIE_TEAMS_CLIENT_ID": CLIENT_ID,
        "EMPIRIE_TEAMS_TENANT_ID": TENANT,
        "EMPIRIE_TEAMS_AUTHORITY": entra.authority,
        "EMPIRIE_TEAMS_AUTH_RECORD_FILE": str(tmp_path / "teams-auth-record.json"),
        "EMPIRIE_TEAMS_ALLOW_UNENCRYPTED_STORAGE": "true",
        "EMPIRIE_TEAMS_GRAPH_BASE_URL": f"https://127.0.0.1:{stand_in.port}/v1.0",
        "NO_PROXY": "127.0.0.1,localhost",
    }.items():
        monkeypatch.setenv(name, value)
    monkeypatch.chdir(tmp_path)
    yield Site(entra, stand_in, book, home)
    await stand_in.stop()
    await entra.stop()
    logging.getLogger().handlers[:] = []  # bot.cli set up JSON logging on captured stderr


async def login(site: Site, capsys: pytest.CaptureFixture[str]) -> tuple[str, str]:
    """`empirie-bot teams login` in a thread (it blocks, polling Entra ID); the administrator
    reads the code off the terminal and signs in as the service account."""
    running = asyncio.create_task(asyncio.to_thread(main, ["teams", "login"]))
    out = err = ""
    found = None
    for _ in range(300):
        captured = capsys.readouterr()
        out, err = out + captured.out, err + captured.err
        if found := re.search(r"enter the code (\w+)", out):
            break
        assert not running.done(), (out, err)
        await asyncio.sleep(0.05)
    assert found, out
    site.entra.approve(found.group(1), BOT)
    assert await asyncio.wait_for(running, 30) == 0
    captured = capsys.readouterr()
    return out + captured.out, err + captured.err


async def status(capsys: pytest.CaptureFixture[str]) -> tuple[int, str, str]:
    code = await asyncio.to_thread(main, ["teams", "status"])
    captured = capsys.readouterr()
    return code, captured.out, captured.err


async def test_login_status_and_service_share_one_sign_in_through_expiry_and_cae(
    site: Site, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    # 1. the administrator signs in with the device code, on a quiet terminal
    out, err = await login(site, capsys)
    prompt = [line for line in out.splitlines() if "enter the code" in line]
    assert prompt and prompt[0].startswith("Open https://microsoft.com/devicelogin and enter")
    assert f"Signed in as {BOT_UPN}" in out
    assert err == ""  # no JSON log lines around the code (azure-core logged every request)

    # 2. `teams status` right after says the sign-in works: a real GET /me with a token from
    # the login's cache (before the fix it looked in the other cache and said "EXPIRED")
    code, out, err = await status(capsys)
    assert "Sign-in works: EMPIRIE Bot" in out, (out, err)
    assert code == 0 and "EXPIRED" not in err
    assert site.graph.accepted[-1].cae
    [device] = site.entra.token_requests("device")[-1:]
    assert device.status == 200 and device.claims is not None  # asked with the cp1 capability
    assert (site.home / ".IdentityService" / "empirie-bot.cae").exists()

    # 3. the service's credential, as `run` builds it: silent, from the same cache
    lost: list[int] = []
    transport = TeamsTransport(
        cast(Router, None), Settings(), credential=None, on_login_lost=lambda: lost.append(1)
    )
    await transport.start()
    assert transport.me_id == BOT and not transport.login_lost
    assert len(site.entra.flows) == 1  # no new device code: nobody was asked to sign in again
    assert site.entra.token_requests("refresh") == []  # the login's token, from its cache
    assert site.graph.accepted[-1].user_id == BOT

    # 4. an hour later the access token has run out (for MSAL's cache and for Graph alike):
    # the next call refreshes it silently with the refresh token
    real_time = time.time
    with monkeypatch.context() as later:
        later.setattr(time, "time", lambda: real_time() + 3600)
        assert all(token.expires_at <= time.time() for token in site.book.tokens.values())
        refreshes = len(site.entra.token_requests("refresh"))
        me = await transport.client.me.get()
        assert me is not None and me.id == BOT
        assert len(site.entra.token_requests("refresh")) == refreshes + 1
        assert site.graph.accepted[-1].expires_at > time.time() and site.graph.accepted[-1].cae
        assert site.graph.refused == []  # refreshed before Graph saw a stale token

    # 5. a CAE event (policy change): Graph answers with a claims challenge, kiota asks the
    # credential again with the claims, the retried request goes through
    site.entra.revoke_sessions(BOT)
    before = site.graph.accepted[-1]
    me = await transport.client.me.get()
    assert me is not None and me.id == BOT
    assert 'error="insufficient_claims"' in site.graph.refused[-1]
    answered = site.entra.token_requests("refresh")[-1]
    assert answered.status == 200 and answered.claims is not None
    assert "nbf" in answered.claims["access_token"]  # the challenge's claims were passed on
    assert site.graph.accepted[-1].value != before.value
    assert not transport.login_lost and lost == []

    # 6. the account is signed out everywhere: status says so, the service reports it once
    site.entra.sign_out_everywhere(BOT)
    code, out, err = await status(capsys)
    assert code == 1 and "Sign-in EXPIRED or revoked: run empirie-bot teams login" in err
    assert "Sign-in works" not in out and '"logger": "azure' not in err
    transport.me_id = ""
    await transport.maintain()
    await transport.maintain()
    assert transport.login_lost and lost == [1]
    logged = capsys.readouterr().err
    assert logged.count('"event": "teams.login_lost"') == 1
    assert logged.count('"message": "teams.login_lost: run `empirie-bot teams login`') == 1
    refused = site.entra.token_requests("refresh")[-1]
    assert refused.status == 400 and refused.error == "invalid_grant"
    await transport.stop()


async def test_scopes_the_login_did_not_consent_to_are_refused(site: Site) -> None:
    """The fake is strict where Entra ID is: a refresh for scopes beyond the consent fails."""
    grant_value = "x"
    site.entra.grants[grant_value] = Grant(
        grant_value, BOT, CLIENT_ID, ("https://graph.microsoft.com/User.Read",)
    )
    url = f"https://{site.entra.authority}/{TENANT}/oauth2/v2.0/token"
    context = ssl.create_default_context(cafile=str(tls.test_ca().ca_file))
    async with aiohttp.ClientSession() as session:
        form = {
            "client_id": CLIENT_ID,
            "grant_type": "refresh_token",
            "refresh_token": grant_value,
            "scope": "https://graph.microsoft.com/Mail.Read offline_access",
        }
        async with session.post(url, data=form, ssl=context) as answer:
            body: dict[str, Any] = json.loads(await answer.text())
    assert answer.status == 400 and body["suberror"] == "consent_required"


def test_production_defaults_sign_in_at_microsoft_with_cae() -> None:
    settings = Settings(_env_file=None)
    assert settings.teams_authority == "login.microsoftonline.com"
    assert graph._known_to_microsoft(settings.teams_authority)  # instance discovery stays on
    assert not graph._known_to_microsoft("127.0.0.1:8443")
    assert graph.ENABLE_CAE


async def test_a_token_graph_refuses_before_the_cache_expects_is_renewed_once(
    site: Site, capsys: pytest.CaptureFixture[str]
) -> None:
    """Graph answers 401 invalid_token for an access token MSAL's cache still holds as good:
    the client gets a token issued now (the refresh token) and the request goes through,
    instead of sending the refused token again until the cache expires it an hour later."""
    await login(site, capsys)
    transport = TeamsTransport(cast(Router, None), Settings(), credential=None)
    await transport.start()
    refreshes = len(site.entra.token_requests("refresh"))
    site.book.expire_all()
    me = await transport.client.me.get()
    assert me is not None and me.id == BOT
    assert 'error="invalid_token"' in site.graph.refused[-1]
    assert len(site.entra.token_requests("refresh")) == refreshes + 1
    assert site.graph.accepted[-1].expires_at > time.time() and not transport.login_lost
    await transport.stop()

""" "Sign in with Microsoft" on the staff desk, on both databases: the desk's real MSAL
(OpenID Connect's authorization-code flow, a confidential client) against the local Entra ID
over HTTPS (tests/fakes/entra_web.py: a registered redirect URI, single-use short-lived codes,
PKCE, the client secret, RS256 ID tokens from its published keys), the desk on real HTTP on
loopback. A staff member linked to their Teams (Entra) account gets the same session `/panel`
gives, within the permission table; a user of another tenant, a user the bot does not know, a
replayed code, a callback this browser did not start, a cancelled sign-in get a Polish page
and no session. Without Teams the desk offers no such button. In Chromium: the button, Entra
ID's page, the desk (screenshots, axe)."""

from __future__ import annotations

import re
import ssl
import subprocess
import sys
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from urllib.parse import parse_qs, urlsplit

import aiohttp
import pytest
from playwright.async_api import Browser, async_playwright
from sqlmodel import select

from bot import check
from bot.pages.desk.microsoft import CALLBACK, FLOW_COOKIE, START
from core.clock import FrozenClock
from core.config import Settings
from models import directory
from models.db import Database
from models.desk import DeskSession
from tests import axe
from tests.desk_site import Desk, serve
from tests.fakes import tls
from tests.fakes.entra_web import CLIENT_SECRET, FakeEntraWeb
from tests.fakes.identity import CLIENT_ID, TENANT
from tests.fakes.tokens import TokenBook
from tests.test_desk_browser import DESKTOP, WIDTHS
from tests.test_pages_browser import ARGS, CHROMIUM, shot

COORDINATOR = "c0000000-0000-4000-8000-00000000c001"  # Entra object ids
STRANGER = "c0000000-0000-4000-8000-00000000c002"  # in the tenant, not known to the bot
GUEST = "c0000000-0000-4000-8000-00000000c003"  # of another organisation's tenant
MEMBER = "c0000000-0000-4000-8000-00000000c004"  # a city's representative: not staff
OTHER_TENANT = "0b1e5c1d-0000-4000-8000-0000000000aa"


@dataclass
class Stand:
    entra: FakeEntraWeb
    site: Desk

    def sessions(self, person: int) -> int:
        with self.site.db.session() as s:
            rows = s.exec(select(DeskSession).where(DeskSession.person_id == person)).all()
        return len(rows)


def _ssl() -> ssl.SSLContext:
    return ssl.create_default_context(cafile=str(tls.test_ca().ca_file))


@asynccontextmanager
async def browser() -> AsyncIterator[aiohttp.ClientSession]:
    """A browser that trusts the test CA (Entra ID's stand-in) and keeps cookies."""
    jar = aiohttp.CookieJar(unsafe=True)
    connector = aiohttp.TCPConnector(ssl=_ssl())
    async with aiohttp.ClientSession(cookie_jar=jar, connector=connector) as http:
        yield http


async def _served(
    seeded: Database,
    clock: FrozenClock,
    settings: Settings,
    monkeypatch: pytest.MonkeyPatch,
    **changes: object,
) -> AsyncIterator[Stand]:
    entra = FakeEntraWeb(TokenBook())
    await entra.start()
    for name, value in {**tls.test_ca().client_env(), "NO_PROXY": "127.0.0.1,localhost"}.items():
        monkeypatch.setenv(name, value)
    configured = settings.model_copy(
        update={
            "teams_tenant_id": TENANT,
            "teams_client_id": CLIENT_ID,
            "teams_client_secret": CLIENT_SECRET,
            "teams_authority": entra.authority,
            **changes,
        }
    )
    try:
        async with serve(seeded, clock, configured) as site:
            entra.redirect_uris.add(site.base + CALLBACK)  # as registered in Entra ID
            entra.add_user(COORDINATOR, "anna.koordynator@zmp.example.org", "Anna Koordynator")
            entra.add_user(STRANGER, "jan.obcy@zmp.example.org", "Jan Obcy")
            entra.add_user(MEMBER, "ewa.miasto@zmp.example.org", "Ewa Miasto")
            entra.add_foreign_user(GUEST, "gosc@inna.example.org", "Gość", OTHER_TENANT)
            with seeded.session() as s:
                now = clock.now()
                directory.link_account(s, site.cast.coordinator, "teams", COORDINATOR, None, now)
                directory.link_account(s, site.cast.laureate_rep, "teams", MEMBER, None, now)
                directory.link_account(s, site.cast.expert, "teams", GUEST, None, now)
            yield Stand(entra, site)
    finally:
        await entra.stop()


@pytest.fixture
async def stand(
    seeded: Database, clock: FrozenClock, settings: Settings, monkeypatch: pytest.MonkeyPatch
) -> AsyncIterator[Stand]:
    async for served in _served(seeded, clock, settings, monkeypatch):
        yield served


def heading(page: str) -> str:
    found = re.search(r"<h1[^>]*>(.*?)</h1>", page, re.S)
    return found.group(1).strip() if found else ""


async def sign_in(stand: Stand, http: aiohttp.ClientSession, user: str) -> aiohttp.ClientResponse:
    """The button, Entra ID's sign-in as `user`, and back: the last answer."""
    stand.entra.sign_in_as = user
    async with http.get(stand.site.base + START) as answer:
        await answer.read()
        return answer


async def test_a_coordinator_signs_in_with_microsoft_and_sees_only_their_network(
    stand: Stand,
) -> None:
    site = stand.site
    async with browser() as http:
        async with http.get(site.base + "/desk") as page:
            text = await page.text()
            assert page.status == 401 and "Zaloguj przez Microsoft" in text
            assert f'href="{START}"' in text
        answer = await sign_in(stand, http, COORDINATOR)
        assert answer.status == 200 and answer.url.path == "/desk", answer.url
        assert heading(await answer.text()) == "Panel zespołu"
        # the way there: the desk → Entra ID's authorize (state, nonce, PKCE) → the callback
        hops = [str(h.url) for h in answer.history]
        assert hops[1].startswith(f"https://{stand.entra.authority}/{TENANT}/oauth2/v2.0/authorize")
        [asked] = stand.entra.authorizations
        assert asked.query["redirect_uri"] == site.base + CALLBACK
        assert asked.query["code_challenge_method"] == "S256" and asked.query["nonce"]
        assert asked.query["state"] and "openid" in asked.query["scope"].split()
        assert "offline_access" not in asked.query["scope"].split()  # no tokens kept
        assert urlsplit(hops[2]).path == CALLBACK
        [redeemed] = stand.entra.token_requests("authorization_code")
        assert redeemed.status == 200
        assert FLOW_COOKIE not in {c.key for c in http.cookie_jar}
        # the same session `/panel` gives: the permission table decides what is seen
        async with http.get(site.base + "/desk/n/cyfrowe") as own:
            assert own.status == 200 and heading(await own.text()) == "MIASTO CYFROWE"
        async with http.get(site.base + "/desk/n/zielone") as other:
            assert other.status == 404  # another network's coordinator's
        async with http.get(site.base + "/desk") as glance:
            text = await glance.text()
            assert "/desk/n/cyfrowe" in text and "/desk/n/zielone" not in text
    assert stand.sessions(site.cast.coordinator) == 1


async def test_a_user_of_another_tenant_is_refused(stand: Stand) -> None:
    async with browser() as http:
        answer = await sign_in(stand, http, GUEST)  # linked, but their token's tid is other
        text = await answer.text()
        assert answer.status == 403 and answer.url.path == CALLBACK
        assert "nie należy do organizacji" in text, text
        async with http.get(stand.site.base + "/desk") as desk:
            assert desk.status == 401
    assert stand.sessions(stand.site.cast.expert) == 0


async def test_a_user_the_bot_does_not_know_or_not_staff_gets_a_polish_page(stand: Stand) -> None:
    for user in (STRANGER, MEMBER):
        async with browser() as http:
            answer = await sign_in(stand, http, user)
            text = await answer.text()
            assert answer.status == 403, user
            assert heading(text) == "Nie zalogowano"
            assert "nie ma w składzie żadnej sieci EMPIRIE" in text, text
            assert "Traceback" not in text
            async with http.get(stand.site.base + "/desk") as desk:
                assert desk.status == 401
    assert stand.sessions(stand.site.cast.laureate_rep) == 0


async def _to_callback(stand: Stand, http: aiohttp.ClientSession, user: str) -> str:
    """The button and Entra ID's sign-in, stopping before the callback: its address."""
    stand.entra.sign_in_as = user
    async with http.get(stand.site.base + START, allow_redirects=False) as started:
        assert started.status == 303
        authorize = started.headers["Location"]
    async with http.get(authorize, allow_redirects=False) as signed:
        assert signed.status == 302
        return signed.headers["Location"]


async def test_a_code_works_once(stand: Stand) -> None:
    async with browser() as http:
        back = await _to_callback(stand, http, COORDINATOR)
        flow = next(c.value for c in http.cookie_jar if c.key == FLOW_COOKIE)
        async with http.get(back) as first:
            assert first.status == 200 and first.url.path == "/desk"
    async with browser() as replay:  # the same callback and cookie, once more
        replay.cookie_jar.update_cookies({FLOW_COOKIE: flow}, aiohttp.client.URL(back))
        async with replay.get(back) as again:
            text = await again.text()
            assert again.status == 403 and "Microsoft nie potwierdził" in text, text
        async with replay.get(stand.site.base + "/desk") as desk:
            assert desk.status == 401
    refused = stand.entra.token_requests("authorization_code")[-1]
    assert refused.status == 400 and refused.error == "invalid_grant"
    assert stand.sessions(stand.site.cast.coordinator) == 1


async def test_a_callback_this_browser_did_not_start_is_refused(stand: Stand) -> None:
    async with browser() as attacker:  # signs in as themselves, keeps the callback
        forged = await _to_callback(stand, attacker, STRANGER)
    async with browser() as victim:
        await _to_callback(stand, victim, COORDINATOR)  # a flow of its own (another state)
        async with victim.get(forged) as answer:
            text = await answer.text()
            assert answer.status == 403 and "nie zaczęło się w tej przeglądarce" in text, text
            assert "Zaloguj przez Microsoft" in text  # and the way to start again
    async with browser() as fresh, fresh.get(forged) as answer:  # no flow at all
        assert answer.status == 403
    assert stand.entra.token_requests("authorization_code") == []  # no code was redeemed
    assert stand.sessions(stand.site.cast.coordinator) == 0


async def test_a_cancelled_sign_in_is_said_so(stand: Stand) -> None:
    stand.entra.refuse = True
    async with browser() as http:
        answer = await sign_in(stand, http, COORDINATOR)
        text = await answer.text()
        assert answer.status == 403 and "anulowane lub odrzucone" in text, text


async def test_entra_refuses_a_wrong_secret_and_a_stale_code(
    seeded: Database, clock: FrozenClock, settings: Settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    async for stand in _served(
        seeded, clock, settings, monkeypatch, teams_client_secret="not-the-secret"
    ):
        async with browser() as http:
            answer = await sign_in(stand, http, COORDINATOR)
            assert answer.status == 403 and "Microsoft nie potwierdził" in await answer.text()
        [wrong] = stand.entra.token_requests("authorization_code")
        assert (wrong.status, wrong.error) == (401, "invalid_client")
        stand.site.settings.teams_client_secret = CLIENT_SECRET
        stand.entra.code_lifetime = 0  # the person took too long
        async with browser() as http:
            answer = await sign_in(stand, http, COORDINATOR)
            assert answer.status == 403
        assert stand.entra.token_requests("authorization_code")[-1].error == "invalid_grant"
        assert stand.sessions(stand.site.cast.coordinator) == 0


async def test_entra_checks_the_redirect_uri_and_pkce(stand: Stand) -> None:
    """The stand-in is as strict as Entra ID (the desk's happy path passes these checks)."""
    async with browser() as http:
        back = await _to_callback(stand, http, COORDINATOR)
        code = parse_qs(urlsplit(back).query)["code"][0]
        token = f"https://{stand.entra.authority}/{TENANT}/oauth2/v2.0/token"
        form = {
            "grant_type": "authorization_code",
            "client_id": CLIENT_ID,
            "client_secret": CLIENT_SECRET,
            "code": code,
            "redirect_uri": stand.site.base + CALLBACK,
            "code_verifier": "x" * 43,  # not the one whose hash was the challenge
        }
        async with http.post(token, data=form) as refused:
            body = await refused.json()
            assert refused.status == 400 and "AADSTS501481" in body["error_description"]
        async with http.get(
            f"https://{stand.entra.authority}/{TENANT}/oauth2/v2.0/authorize",
            params={
                "client_id": CLIENT_ID,
                "response_type": "code",
                "redirect_uri": "https://evil.example.org/cb",
                "scope": "openid profile",
                "code_challenge": "abc",
                "code_challenge_method": "S256",
            },
            allow_redirects=False,
        ) as page:
            assert page.status == 400 and "AADSTS50011" in await page.text()


async def test_without_teams_the_desk_offers_no_microsoft_sign_in(
    seeded: Database, clock: FrozenClock, settings: Settings
) -> None:
    async with serve(seeded, clock, settings) as site, site.browser() as http:
        async with http.get(site.base + "/desk") as page:
            assert page.status == 401 and "Microsoft" not in await page.text()
        async with http.get(await site.link(site.cast.coordinator)) as login:
            assert login.status == 200 and "Microsoft" not in await login.text()
        async with http.get(site.base + START, allow_redirects=False) as start:
            assert start.status == 404
        async with http.get(site.base + CALLBACK + "?code=x&state=y") as back:
            assert back.status == 404


@pytest.fixture
async def chromium() -> AsyncIterator[Browser]:
    async with async_playwright() as playwright:
        launched = await playwright.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        yield launched
        await launched.close()


async def test_in_chromium_zaloguj_przez_microsoft_opens_the_desk(
    chromium: Browser, stand: Stand
) -> None:
    site, entra = stand.site, stand.entra
    entra.sign_in_as, entra.one_click = COORDINATOR, True  # Entra ID's "Pick an account"
    for width, viewport in WIDTHS.items():  # the sign-in page with its button, for axe
        context = await chromium.new_context(
            viewport=viewport, locale="pl-PL", java_script_enabled=True, bypass_csp=True
        )
        page = await context.new_page()
        response = await page.goto(site.base + "/desk")
        assert response is not None and response.status == 401
        assert await axe.violations(page, f"desk_microsoft_{width}") == [], width
        await shot(page, f"desk_microsoft_{width}")
        await context.close()
    context = await chromium.new_context(
        viewport=DESKTOP,
        locale="pl-PL",
        java_script_enabled=False,  # the desk works without it, and so does this sign-in
        ignore_https_errors=True,  # the stand-in's certificate is the test CA's
    )
    page = await context.new_page()
    await page.goto(site.base + "/desk")
    await page.get_by_role("link", name="Zaloguj przez Microsoft").click()
    assert await page.get_by_role("heading", level=1).inner_text() == "Pick an account"
    assert page.url.startswith(f"https://{entra.authority}/{TENANT}/oauth2/v2.0/authorize")
    await page.get_by_role("button", name="Continue").click()
    assert await page.get_by_role("heading", level=1).inner_text() == "Panel zespołu"
    assert urlsplit(page.url).path == "/desk"
    assert await page.locator("section.card", has_text="MIASTO CYFROWE").count() == 1
    await shot(page, "desk_microsoft_signed_in")
    cookies = {c["name"]: c for c in await context.cookies()}
    assert cookies["empirie_desk"]["httpOnly"] and FLOW_COOKIE not in cookies
    await context.close()
    assert stand.sessions(site.cast.coordinator) == 1


async def test_a_forged_id_token_is_refused(stand: Stand) -> None:
    """MSAL leaves the ID token's signature to the application: the desk checks it against
    the tenant's published keys (and MSAL the nonce)."""
    for forged in ("forge_signature", "forge_nonce"):
        setattr(stand.entra, forged, True)
        async with browser() as http:
            answer = await sign_in(stand, http, COORDINATOR)
            text = await answer.text()
            assert answer.status == 403 and "Microsoft nie potwierdził" in text, forged
            async with http.get(stand.site.base + "/desk") as desk:
                assert desk.status == 401
        setattr(stand.entra, forged, False)
    assert stand.sessions(stand.site.cast.coordinator) == 0


async def test_entra_out_of_reach_is_a_polish_page(stand: Stand) -> None:
    await stand.entra.stop()
    async with browser() as http:
        answer = await sign_in(stand, http, COORDINATOR)
        text = await answer.text()
        assert answer.status == 503 and "niedostępne" in text and "Traceback" not in text


def test_the_configuration_check_names_the_redirect_uri(settings: Settings) -> None:
    on = settings.model_copy(
        update={
            "teams_tenant_id": TENANT,
            "teams_client_id": CLIENT_ID,
            "teams_client_secret": CLIENT_SECRET,
            "public_url": "https://bot.zmp.example.org",
        }
    )
    lines = [f.line() for f in check.configuration(on)]
    assert any(
        "https://bot.zmp.example.org/desk/login/microsoft/callback" in line for line in lines
    )
    half = settings.model_copy(update={"teams_client_secret": CLIENT_SECRET})
    assert any(
        line.startswith(check.WARN) and "EMPIRIE_TEAMS_CLIENT_SECRET" in line
        for line in (f.line() for f in check.configuration(half))
    )


def test_a_bot_without_teams_never_imports_msal() -> None:
    """MSAL and PyJWT come with the teams extra; the desk loads them only for a sign-in."""
    probe = (
        "import sys, bot.pages, bot.pages.desk, bot.pages.desk.microsoft, bot.check; "
        "print(sorted(m for m in ('msal', 'jwt') if m in sys.modules))"
    )
    done = subprocess.run(
        [sys.executable, "-c", probe], capture_output=True, text=True, check=True, timeout=60
    )
    assert done.stdout.strip() == "[]", done.stderr

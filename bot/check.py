"""`empirie-bot check`: is this installation ready to serve? One line per finding, each with
what to do about it; the exit code is 1 when something must be fixed first.

    configuration   the settings make sense together (platforms, URLs, secrets)
    database        reachable, schema current; the roster loaded and a coordinator linked
    platforms       Telegram answers getMe with the token; Teams has its sign-in record
    public URL      <EMPIRIE_PUBLIC_URL>/healthz answers from here (DNS, HTTPS, the proxy)
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import TextIO
from urllib.parse import urlsplit

import httpx
from sqlalchemy.exc import SQLAlchemyError

from bot.migrate import at_head
from core.config import DEFAULT_DATABASE, Settings
from models import health
from models.db import Database

OK, WARN, FAIL = "ok", "warn", "FAIL"
TIMEOUT = 10.0


@dataclass(frozen=True)
class Finding:
    level: str
    topic: str
    text: str

    def line(self) -> str:
        return f"{self.level:<4}  {self.topic:<13} {self.text}"


def configuration(settings: Settings) -> list[Finding]:
    found: list[Finding] = []

    def add(level: str, text: str) -> None:
        found.append(Finding(level, "configuration", text))

    if settings.platforms_enabled:
        add(OK, f"platforms: {', '.join(settings.active_platforms)}")
    else:
        add(FAIL, "no chat platform: set TELEGRAM_BOT_TOKEN and/or EMPIRIE_TEAMS_CLIENT_ID")
    if settings.database_url == DEFAULT_DATABASE:
        add(WARN, "the embedded SQLite file ./empirie.db: fine for a trial; use PostgreSQL")
    if not settings.public_url:
        add(WARN, "EMPIRIE_PUBLIC_URL is empty: no answer pages, no Teams notifications")
    elif urlsplit(settings.public_url).scheme != "https":
        add(FAIL, "EMPIRIE_PUBLIC_URL must start with https:// (pages and Teams need HTTPS)")
    telegram_hook = settings.telegram_webhook_url if settings.telegram_enabled else ""
    teams_hook = settings.teams_notification_url if settings.teams_enabled else ""
    for name, url in (
        ("TELEGRAM_WEBHOOK_URL", telegram_hook),
        ("EMPIRIE_TEAMS_NOTIFICATION_URL", teams_hook),
    ):
        if url and urlsplit(url).scheme != "https":
            add(FAIL, f"{name} must start with https:// (the platform refuses anything else)")
    if telegram_hook and not settings.telegram_webhook_secret:
        add(FAIL, "TELEGRAM_WEBHOOK_SECRET is empty: set a long random value")
    if teams_hook and not settings.teams_client_state:
        add(FAIL, "EMPIRIE_TEAMS_CLIENT_STATE is empty: set a long random value")
    if settings.telegram_enabled and not settings.telegram_webhook_url:
        add(WARN, "Telegram by polling (TELEGRAM_WEBHOOK_URL empty): fine, but one process only")
    if settings.desk_microsoft_enabled:
        from bot.pages.desk.microsoft import redirect_uri

        add(
            OK,
            "desk: Sign in with Microsoft; the app's Web redirect URI must be "
            + redirect_uri(settings),
        )
    elif settings.teams_client_secret:
        add(
            WARN,
            "EMPIRIE_TEAMS_CLIENT_SECRET is set, but Sign in with Microsoft also needs "
            "EMPIRIE_TEAMS_TENANT_ID, EMPIRIE_TEAMS_CLIENT_ID and EMPIRIE_PUBLIC_URL",
        )
    return found


def database(settings: Settings) -> list[Finding]:
    db = Database(settings.database_url)
    try:
        with db.session() as s:
            health.ping(s)
        if not at_head(settings.database_url):
            return [Finding(FAIL, "database", "schema not current: run `empirie-bot migrate`")]
        with db.session() as s:
            roster = health.roster(s)
    except SQLAlchemyError as error:
        reason = str(getattr(error, "orig", None) or error).splitlines()[0]
        return [Finding(FAIL, "database", f"not reachable: {reason} (EMPIRIE_DATABASE_URL)")]
    finally:
        db.dispose()
    found = [Finding(OK, "database", f"reachable, schema current ({db.engine.dialect.name})")]
    if not roster.people:
        found.append(
            Finding(WARN, "roster", "no people yet: `empirie-bot roster import FILE` (XLSX or CSV)")
        )
    else:
        found.append(
            Finding(OK, "roster", f"{roster.people} people, {roster.linked} linked an account")
        )
        if not roster.coordinators_linked:
            found.append(
                Finding(
                    WARN,
                    "roster",
                    "no coordinator has linked an account: `empirie-bot invite EMAIL`",
                )
            )
    return found


def telegram(settings: Settings) -> list[Finding]:
    if not settings.telegram_enabled:
        return []
    base = (settings.telegram_api_base_url or "https://api.telegram.org").rstrip("/")
    try:
        answer = httpx.get(f"{base}/bot{settings.telegram_bot_token}/getMe", timeout=TIMEOUT)
        body = answer.json()
    except (httpx.HTTPError, ValueError) as error:
        return [Finding(FAIL, "telegram", f"Telegram did not answer: {type(error).__name__}")]
    if not body.get("ok"):
        return [Finding(FAIL, "telegram", f"the token was refused: {body.get('description', '')}")]
    return [Finding(OK, "telegram", f"the bot is @{body['result'].get('username', '?')}")]


def teams(settings: Settings) -> list[Finding]:
    if not settings.teams_enabled:
        return []
    record = Path(settings.teams_auth_record_file)
    if not record.exists():
        return [
            Finding(FAIL, "teams", f"not signed in ({record} missing): `empirie-bot teams login`")
        ]
    from bot.transports.teams import graph

    try:
        signed_in = graph.load_record(settings)
    except (ValueError, KeyError):
        return [Finding(FAIL, "teams", f"{record} is unreadable: `empirie-bot teams login`")]
    return [Finding(OK, "teams", f"signed in as {getattr(signed_in, 'username', '?')}")]


def public_url(settings: Settings) -> list[Finding]:
    if not settings.public_url:
        return []
    url = settings.public_url.rstrip("/") + "/healthz"
    try:
        answer = httpx.get(url, timeout=TIMEOUT, follow_redirects=True)
    except httpx.HTTPError as error:
        return [
            Finding(
                FAIL,
                "public URL",
                f"{url} not reachable ({type(error).__name__}): check DNS, the proxy, the "
                "certificate",
            )
        ]
    if answer.status_code != 200:
        return [Finding(FAIL, "public URL", f"{url} answered {answer.status_code}")]
    return [Finding(OK, "public URL", f"{url} answers")]


def run(settings: Settings, out: TextIO) -> int:
    findings = [
        *configuration(settings),
        *database(settings),
        *telegram(settings),
        *teams(settings),
        *public_url(settings),
    ]
    for finding in findings:
        print(finding.line(), file=out)
    failed = sum(f.level == FAIL for f in findings)
    print(
        f"{failed} to fix before serving" if failed else "ready to serve",
        file=out,
    )
    return 1 if failed else 0

"""Signed links to the bot's pages: per person, per purpose, expiring.

A handler that wants to offer a page asks for a URL (or a ready link button)::

    url = links.page_url(ctx.db, ctx.settings, person_id, links.RSVP, ctx.now, meeting=12)
    button = links.button(ctx.t("Answer on a page"), url, command="/rsvp 12")

Both return None when `EMPIRIE_PUBLIC_URL` is not set: then no link is offered anywhere.
The token carries the person, the purpose, the expiry and a few small parameters, signed with
`EMPIRIE_PAGE_SECRET` (or a secret generated once and kept in the database). The pages in
bot/pages verify it with `verify(..., purpose=...)`; a token is good only for its purpose, and
the page also refuses people who have been erased.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any, Literal
from urllib.parse import quote

from itsdangerous import BadSignature, URLSafeSerializer
from sqlmodel import Session

from core.config import Settings
from core.messages import Action
from models import secrets
from models.db import Database

log = logging.getLogger("empirie.links")

# Purposes. A feature that adds a page adds its purpose here (and its page in bot/pages).
HUB = "hub"  # everything waiting for the person
MEETINGS = "meetings"  # my upcoming meetings
RSVP = "rsvp"  # answer one meeting invitation; params: meeting
FEEDBACK = "feedback"  # answer a feedback poll or survey (anonymously); params: poll
OFFICE_HOURS = "office_hours"  # book a slot at the expert's office hours; params: session
PLAN_ACTIONS = "plan_actions"  # enter the actions agreed at a meeting; params: meeting
CONSULTATION = "consultation"  # give an opinion on a network's result; params: consultation
MEETING_NOTE = "meeting_note"  # write a meeting's note, see its materials; params: meeting
MEETING_REPORT = "meeting_report"  # the coordinator's report after a meeting; params: meeting
REPORTS = "reports"  # the submitted reports of every network the person may see

SECRET_NAME = "page_links"
_SALT = "empirie.page-link.v1"
Param = str | int


class LinkError(Exception):
    """Why a link is refused: `tampered` (bad signature or shape), `expired`, `purpose`
    (issued for another page) or `person` (the person is gone or erased)."""

    def __init__(self, reason: Literal["tampered", "expired", "purpose", "person"]) -> None:
        super().__init__(reason)
        self.reason = reason


@dataclass(frozen=True)
class Claim:
    person_id: int
    purpose: str
    expires_at: datetime
    params: dict[str, Param] = field(default_factory=dict)


class Signer:
    """Signs and checks link tokens and other page tokens (a separate salt per use)."""

    def __init__(self, secret: str) -> None:
        self.secret = secret
        self._links = URLSafeSerializer(secret, salt=_SALT)

    def serializer(self, salt: str) -> URLSafeSerializer:
        """Another signer from the same secret, e.g. for form (CSRF) tokens."""
        return URLSafeSerializer(self.secret, salt=f"{_SALT}:{salt}")

    def sign(
        self,
        person_id: int,
        purpose: str,
        expires_at: datetime,
        params: dict[str, Param] | None = None,
    ) -> str:
        payload: list[Any] = [person_id, purpose, int(expires_at.timestamp())]
        if params:
            payload.append(params)
        return str(self._links.dumps(payload))

    def verify(self, token: str, now: datetime, purpose: str) -> Claim:
        """The claim of a valid token for `purpose`; LinkError otherwise."""
        try:
            payload = self._links.loads(token)
        except BadSignature as error:
            raise LinkError("tampered") from error
        try:
            person_id, claimed, expires = int(payload[0]), str(payload[1]), int(payload[2])
            params = dict(payload[3]) if len(payload) > 3 else {}
        except (TypeError, ValueError, IndexError, KeyError) as error:
            raise LinkError("tampered") from error
        if claimed != purpose:
            raise LinkError("purpose")
        expires_at = datetime.fromtimestamp(expires, UTC)
        if now >= expires_at:
            raise LinkError("expired")
        return Claim(person_id, claimed, expires_at, params)


_signers: dict[tuple[str, str], Signer] = {}


def signer(db: Database, settings: Settings, now: datetime) -> Signer:
    """The signer for this deployment: the configured secret, else the stored one.

    The stored one is created on first use in a transaction of its own: the router asks for
    it at start-up, so no handler's open transaction waits for it."""
    key = (db.url, settings.page_secret)
    if key not in _signers:
        secret = settings.page_secret
        if not secret:
            with db.session() as s:
                secret = secrets.get_or_create(s, SECRET_NAME, now)
        _signers[key] = Signer(secret)
    return _signers[key]


def signer_in(session: Session, settings: Settings, now: datetime) -> Signer:
    """The signer, reading the stored secret through the caller's session (for jobs, which
    run inside a transaction and have no Database at hand)."""
    if settings.page_secret:
        return _signers.setdefault(("", settings.page_secret), Signer(settings.page_secret))
    bind = session.get_bind()
    key = (str(bind.engine.url), "")
    if key in _signers:
        return _signers[key]
    row = session.get(secrets.AppSecret, SECRET_NAME)
    if row is None:  # made in the caller's transaction: not cached, it may still roll back
        return Signer(secrets.get_or_create(session, SECRET_NAME, now))
    return _signers.setdefault(key, Signer(row.value))


def enabled(settings: Settings) -> bool:
    return bool(settings.public_url)


def page_url(
    db: Database,
    settings: Settings,
    person_id: int,
    purpose: str,
    now: datetime,
    *,
    ttl: timedelta | None = None,
    expires_at: datetime | None = None,
    **params: Param,
) -> str | None:
    """The signed address of a person's page, or None when links are off (no public URL).

    It expires at `expires_at`, else after `ttl`, else after EMPIRIE_PAGE_LINK_DAYS."""
    return signed_url(db, settings, person_id, purpose, now, params, ttl=ttl, expires_at=expires_at)


def signed_url(
    db: Database,
    settings: Settings,
    person_id: int,
    purpose: str,
    now: datetime,
    params: dict[str, Param],
    *,
    ttl: timedelta | None = None,
    expires_at: datetime | None = None,
) -> str | None:
    """page_url with the page's parameters as a dict (for code that passes them on)."""
    if not enabled(settings):
        return None
    return _url(
        signer(db, settings, now), settings, person_id, purpose, now, ttl, expires_at, params
    )


def page_url_in(
    session: Session,
    settings: Settings,
    person_id: int,
    purpose: str,
    now: datetime,
    *,
    ttl: timedelta | None = None,
    expires_at: datetime | None = None,
    **params: Param,
) -> str | None:
    """page_url for code running inside a transaction (jobs): the secret via `session`."""
    if not enabled(settings):
        return None
    return _url(
        signer_in(session, settings, now),
        settings,
        person_id,
        purpose,
        now,
        ttl,
        expires_at,
        params,
    )


def _url(
    signer: Signer,
    settings: Settings,
    person_id: int,
    purpose: str,
    now: datetime,
    ttl: timedelta | None,
    expires_at: datetime | None,
    params: dict[str, Param],
) -> str:
    if expires_at is None:
        expires_at = now + (ttl or timedelta(days=settings.page_link_days))
    token = signer.sign(person_id, purpose, expires_at, params)
    return f"{settings.public_url.rstrip('/')}/p/{quote(purpose)}/{token}"


def button(label: str, url: str | None, command: str = "") -> Action | None:
    """A link button for `url` (None when there is no link); `command` is its typed twin."""
    return None if url is None else Action(label, command, url=url)

""" "Sign in with Microsoft" on the staff desk: OpenID Connect's authorization-code flow with
the tenant of the Teams app registration, through MSAL (a confidential client: the client
secret). Offered only when that is configured (`Settings.desk_microsoft_enabled`).

GET /desk/login/microsoft            MSAL starts the flow (state, nonce, PKCE); the flow is kept
                                     in a signed, HttpOnly cookie of this browser for ten
                                     minutes; on to Entra ID's sign-in page
GET /desk/login/microsoft/callback   Entra ID sends the browser back with a code. MSAL checks
                                     the state (against the cookie: a callback this browser did
                                     not start is refused) and the nonce, and redeems the code
                                     with the secret and the PKCE verifier. MSAL leaves the ID
                                     token's validation to the application: its signature (the
                                     tenant's published keys), issuer, audience, lifetime and
                                     tenant are checked here. Its `oid` is the Entra user, whom
                                     the bot knows as a linked Teams account: that person gets
                                     the same desk session as `/panel`'s link gives.

MSAL and its HTTP client are blocking: they run in a worker thread. The authority host is
`EMPIRIE_TEAMS_AUTHORITY` (another cloud's, or a local stand-in in tests; MSAL's instance
discovery only for Microsoft's own hosts).
"""

from __future__ import annotations

import asyncio
import json
import logging
import re
import time
import warnings
import weakref
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

from aiohttp import web
from itsdangerous import BadSignature, URLSafeTimedSerializer

from bot.pages.desk.signin import start_session
from bot.pages.desk.site import Desk, Routes
from core import links
from core.config import Settings
from handlers.desk.commands import STAFF_ACTIONS
from models import directory
from models.errors import N_

log = logging.getLogger("empirie.desk")
routes = Routes()
START = "/desk/login/microsoft"
CALLBACK = "/desk/login/microsoft/callback"
FLOW_COOKIE = "empirie_desk_ms"
FLOW_SECONDS = 600  # the round trip through Entra ID's sign-in page
TEAMS = "teams"  # the platform of the accounts the Teams transport links (Entra object ids)
KEYS_SECONDS = 3600  # the tenant's signing keys are read again after this (or on a new key)
LEEWAY = 120  # seconds of clock skew allowed on the ID token's times

# MSAL warns on every flow not answered with response_mode=form_post. The callback is a GET on
# purpose: form_post is a cross-site POST, which would not carry the flow's SameSite=Lax
# cookie; the code in the address works once, only with this flow's PKCE verifier and the
# client secret, and the desk's pages are not cached and send no Referer.
warnings.filterwarnings("ignore", "response_mode='form_post' is recommended", UserWarning)

REFUSALS = {
    "flow": N_(
        "The sign-in with Microsoft did not start in this browser, or it took too long. Start "
        "again with the button below."
    ),
    "denied": N_(
        "The sign-in with Microsoft was cancelled or refused, so you are not signed in. You "
        "can try again, or type /panel in your private chat with the bot."
    ),
    "failed": N_(
        "Microsoft did not confirm the sign-in, so you are not signed in. Start again with "
        "the button below."
    ),
    "tenant": N_(
        "This Microsoft account does not belong to the organisation the bot works with, so it "
        "cannot sign in to the staff desk."
    ),
    "unknown": N_(
        "Your Microsoft account is not on the roster of any EMPIRIE network, or not linked to "
        "a person the bot knows, so it cannot open the staff desk. If you work on a network, "
        "ask the coordinating team to add you, or type /panel in your private chat with the "
        "bot."
    ),
}


class Refused(Exception):
    def __init__(self, reason: str, detail: str = "") -> None:
        super().__init__(reason)
        self.reason, self.detail = reason, detail


def authority(settings: Settings) -> str:
    host = settings.teams_authority.rstrip("/")
    base = host if "//" in host else f"https://{host}"
    return f"{base}/{settings.teams_tenant_id}"


def redirect_uri(settings: Settings) -> str:
    """What the app registration lists as a Web redirect URI (docs/operations)."""
    return settings.public_url.rstrip("/") + CALLBACK


def _client(settings: Settings) -> Any:
    """A confidential client for one sign-in (its token cache is thrown away with it)."""
    import msal  # type: ignore[import-untyped]
    from msal.authority import WELL_KNOWN_AUTHORITY_HOSTS  # type: ignore[import-untyped]

    where = authority(settings)
    ours = (urlsplit(where).hostname or "").lower() in WELL_KNOWN_AUTHORITY_HOSTS
    return msal.ConfidentialClientApplication(
        settings.teams_client_id,
        client_credential=settings.teams_client_secret,
        authority=where,
        instance_discovery=ours,
        exclude_scopes=["offline_access"],  # the desk keeps no Microsoft tokens
        token_cache=msal.TokenCache(),
    )


@dataclass
class _Keys:
    issuer: str
    keys: dict[str, Any]  # kid -> PyJWK
    read_at: float


class SignIn:
    """The flow's two halves (blocking: called in a worker thread)."""

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self._keys: _Keys | None = None

    def start(self) -> dict[str, Any]:
        flow: dict[str, Any] = _client(self.settings).initiate_auth_code_flow(
            scopes=[],  # MSAL asks for openid and profile (the ID token) itself
            redirect_uri=redirect_uri(self.settings),
            response_mode="query",
        )
        return flow

    def finish(self, flow: dict[str, Any], answer: dict[str, str]) -> dict[str, Any]:
        """The ID token's claims, checked; Refused otherwise."""
        app = _client(self.settings)
        try:
            result = app.acquire_token_by_auth_code_flow(flow, answer)
        except ValueError:  # the state does not match: not this browser's flow
            raise Refused("flow", "state mismatch") from None
        except RuntimeError:  # the ID token's nonce is not this flow's
            raise Refused("failed", "nonce mismatch") from None
        if "error" in result:
            reason = "denied" if answer.get("error") else "failed"
            # the codes only: a description may name the account (AADSTS50020 does)
            codes = " ".join(re.findall(r"AADSTS\d+", str(result.get("error_description"))))
            raise Refused(reason, f"{result.get('error')} {codes}")
        id_token = result.get("id_token")
        if not isinstance(id_token, str):
            raise Refused("failed", "no id_token")
        return self._claims(app, id_token)

    def _claims(self, app: Any, id_token: str) -> dict[str, Any]:
        import jwt  # PyJWT: MSAL's dependency (the teams extra), imported only when used

        keys = self._signing_keys(app)
        try:
            kid = jwt.get_unverified_header(id_token).get("kid", "")
            if kid not in keys.keys:  # the tenant rolled its keys: read them again
                keys = self._signing_keys(app, fresh=True)
            key = keys.keys.get(kid)
            if key is None:
                raise Refused("failed", f"unknown signing key {kid!r}")
            claims: dict[str, Any] = jwt.decode(
                id_token,
                key.key,
                algorithms=["RS256"],
                audience=self.settings.teams_client_id,
                leeway=LEEWAY,
                options={"require": ["iss", "aud", "exp", "iat", "tid", "oid"]},
            )
        except jwt.PyJWTError as error:
            raise Refused("failed", f"id_token: {error}") from None
        tenant = self.settings.teams_tenant_id.lower()
        if str(claims["tid"]).lower() != tenant:
            raise Refused("tenant", f"tid {claims['tid']}")
        if claims["iss"] != keys.issuer.replace("{tenantid}", str(claims["tid"])):
            raise Refused("failed", f"issuer {claims['iss']}")
        return claims

    def _signing_keys(self, app: Any, fresh: bool = False) -> _Keys:
        import jwt

        now = time.time()
        if self._keys is not None and not fresh and now - self._keys.read_at < KEYS_SECONDS:
            return self._keys
        http = app.http_client  # MSAL's own: the same TLS trust and proxies as the sign-in
        where = f"{authority(self.settings)}/v2.0/.well-known/openid-configuration"
        meta = http.get(where)
        if meta.status_code != 200:
            raise Refused("failed", f"openid-configuration {meta.status_code}")
        config = _json(meta.text)
        found = http.get(str(config["jwks_uri"]))
        if found.status_code != 200:
            raise Refused("failed", f"jwks {found.status_code}")
        keys = {
            k.key_id: k
            for k in jwt.PyJWKSet.from_dict(_json(found.text)).keys
            if k.key_id and k.public_key_use in (None, "sig")
        }
        self._keys = _Keys(str(config["issuer"]), keys, now)
        return self._keys


def _json(text: str) -> dict[str, Any]:
    value = json.loads(text)
    if not isinstance(value, dict):
        raise Refused("failed", "not a JSON object")
    return value


_sign_ins: weakref.WeakKeyDictionary[Desk, SignIn] = weakref.WeakKeyDictionary()


def _sign_in(d: Desk) -> SignIn:
    """One per desk: it keeps the tenant's signing keys between sign-ins."""
    if d not in _sign_ins:
        _sign_ins[d] = SignIn(d.settings)
    return _sign_ins[d]


def _serializer(d: Desk) -> URLSafeTimedSerializer:
    secret = links.signer(d.db, d.settings, d.clock.now()).secret
    return URLSafeTimedSerializer(secret, salt="empirie-desk-microsoft")


def _refused(d: Desk, request: web.Request, reason: str, detail: str = "") -> web.Response:
    log.info("desk.microsoft_refused reason=%s detail=%s", reason, detail[:120])
    response = d.message(
        request,
        d.translator(request),
        N_("Not signed in"),
        REFUSALS[reason],
        403,
        offer_microsoft=reason != "unknown" and reason != "tenant",
    )
    response.del_cookie(FLOW_COOKIE, path=START)
    return response


@routes.public("GET", START)
async def start(d: Desk, request: web.Request) -> web.StreamResponse:
    if not d.settings.desk_microsoft_enabled:
        raise web.HTTPNotFound()
    try:
        flow = await asyncio.to_thread(_sign_in(d).start)
    except Exception as error:  # Entra ID unreachable or the configuration refused
        log.warning("desk.microsoft_unavailable error=%s", type(error).__name__)
        return d.message(
            request,
            d.translator(request),
            N_("Not signed in"),
            N_(
                "Microsoft's sign-in cannot be reached just now. Try again in a few minutes, "
                "or type /panel in your private chat with the bot."
            ),
            503,
        )
    kept = {k: v for k, v in flow.items() if k != "auth_uri"}
    response = web.Response(status=303, headers={"Location": str(flow["auth_uri"])})
    response.set_cookie(
        FLOW_COOKIE,
        _serializer(d).dumps(kept),
        path=START,  # sent to the callback (under it) and nowhere else
        httponly=True,
        samesite="Lax",  # Entra ID's redirect back is a top-level GET from another site
        secure=d.secure,
        max_age=FLOW_SECONDS,
    )
    return response


@routes.public("GET", CALLBACK)
async def callback(d: Desk, request: web.Request) -> web.StreamResponse:
    if not d.settings.desk_microsoft_enabled:
        raise web.HTTPNotFound()
    try:
        flow = _serializer(d).loads(request.cookies.get(FLOW_COOKIE, ""), max_age=FLOW_SECONDS)
    except BadSignature:  # none, forged, or older than ten minutes
        return _refused(d, request, "flow", "no flow cookie")
    if not isinstance(flow, dict):
        return _refused(d, request, "flow", "flow cookie")
    answer = {k: v for k, v in request.query.items() if k != "lang"}
    try:
        claims = await asyncio.to_thread(_sign_in(d).finish, flow, answer)
    except Refused as refused:
        return _refused(d, request, refused.reason, refused.detail)
    except Exception as error:  # Entra ID unreachable mid-way
        return _refused(d, request, "failed", type(error).__name__)
    with d.db.session() as s:
        person = directory.person_by_account(s, TEAMS, str(claims["oid"]))
    if person is None or person.id is None or person.erased_at is not None:
        return _refused(d, request, "unknown", "no linked person")
    ctx = d.context(person, d.translator(request))
    if not any(ctx.can_anywhere(action) for action in STAFF_ACTIONS):  # as /panel asks
        return _refused(d, request, "unknown", "not staff")
    person_id = person.id
    log.info("desk.microsoft_signed_in person=%s", person_id)
    response = start_session(d, person_id)
    response.del_cookie(FLOW_COOKIE, path=START)
    return response

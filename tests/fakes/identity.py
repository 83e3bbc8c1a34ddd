"""A local Microsoft Entra ID over HTTPS (the test CA), for the real MSAL and azure-identity.

Serves what a public client signing in a user with the device code uses, as the v2.0
endpoints answer: the tenant's OpenID configuration, instance metadata, `/devicecode`, and
`/token` with the device-code grant (`authorization_pending` until the test approves the code
as the user would at https://microsoft.com/devicelogin) and the refresh-token grant. A token
request may only ask for scopes the user consented to at sign-in (`<resource>/.default`: all
of them). A request whose `claims` carry the `cp1` client capability (`xms_cc`) gets a CAE
token; `claims` from a CAE challenge are accepted. Access tokens come from the TokenBook the
fake Graph checks.

The credential points at it with `authority=<fake.authority>` and
`disable_instance_discovery=True` (MSAL validates an unknown host at login.microsoftonline.com).
"""

from __future__ import annotations

import base64
import json
import re
import secrets
import string
import time
from dataclasses import dataclass, field
from typing import Any

from aiohttp import web

from tests.fakes.tls import test_ca
from tests.fakes.tokens import TokenBook

TENANT = "72f988bf-86f1-41af-91ab-2d7cd011db47"
CLIENT_ID = "0e6c3a5b-6f1d-4c2b-9d7e-5a4b3c2d1e0f"
RESERVED = {"openid", "profile", "offline_access", "email"}
GRAPH = "https://graph.microsoft.com"


def canonical(scope: str) -> str:
    """Entra ID reads a scope without a resource ("User.Read") as Microsoft Graph's."""
    return scope if "://" in scope or scope in RESERVED else f"{GRAPH}/{scope}"


def answered(scope: str) -> str:
    """…and writes Graph's scopes back in the short form (what MSAL files the token under)."""
    return scope.removeprefix(f"{GRAPH}/")


DEVICE_GRANT = "urn:ietf:params:oauth:grant-type:device_code"


def _b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).decode().rstrip("=")


@dataclass
class User:
    id: str
    upn: str
    name: str


@dataclass
class DeviceFlow:
    device_code: str
    user_code: str
    client_id: str
    scopes: tuple[str, ...]
    expires_at: float
    user_id: str | None = None  # set when a person approved the code
    redeemed: bool = False


@dataclass
class Grant:
    """A refresh token: the user, the app and the scopes consented to at sign-in."""

    value: str
    user_id: str
    client_id: str
    scopes: tuple[str, ...]
    revoked: bool = False


@dataclass
class TokenRequest:
    grant_type: str
    scopes: tuple[str, ...]
    claims: dict[str, Any] | None
    status: int
    error: str = ""
    at: float = field(default_factory=time.time)


class FakeEntraID:
    def __init__(
        self,
        book: TokenBook,
        *,
        tenant: str = TENANT,
        client_id: str = CLIENT_ID,
        lifetime: float = 3600,
        interval: int = 1,
    ) -> None:
        self.book, self.tenant, self.client_id = book, tenant, client_id
        self.lifetime = lifetime  # of access tokens, as `expires_in` says
        self.interval = interval  # device-code polling (Entra: 5 s)
        self.users: dict[str, User] = {}
        self.flows: dict[str, DeviceFlow] = {}
        self.grants: dict[str, Grant] = {}
        self.requests: list[TokenRequest] = []
        self.paths: list[str] = []
        self._runner: web.AppRunner | None = None
        self.port = 0

    # --- what a test does --------------------------------------------------------------

    def add_user(self, user_id: str, upn: str, name: str) -> User:
        user = User(user_id, upn, name)
        self.users[user_id] = user
        return user

    def approve(self, user_code: str, user_id: str) -> None:
        """The person opened the verification page, typed the code and signed in."""
        [flow] = [f for f in self.flows.values() if f.user_code == user_code.strip()]
        assert flow.expires_at > time.time(), "the code has expired"
        flow.user_id = self.users[user_id].id

    def revoke_sessions(self, user_id: str) -> None:
        """A CAE event that leaves the sign-in valid (e.g. a policy or location change):
        access tokens issued so far meet a claims challenge; the refresh token still works."""
        self.book.revoke(user_id)

    def sign_out_everywhere(self, user_id: str) -> None:
        """revokeSignInSessions / a password reset: refresh tokens refused, access tokens
        revoked (CAE); only a new interactive sign-in helps."""
        for grant in self.grants.values():
            if grant.user_id == user_id:
                grant.revoked = True
        self.book.revoke(user_id)

    def token_requests(self, grant_type: str) -> list[TokenRequest]:
        short = {"refresh": "refresh_token", "device": DEVICE_GRANT}.get(grant_type, grant_type)
        return [r for r in self.requests if r.grant_type == short]

    # --- server --------------------------------------------------------------------------

    @property
    def authority(self) -> str:
        """What EMPIRIE_TEAMS_AUTHORITY is set to (host and port, as an authority host)."""
        return f"127.0.0.1:{self.port}"

    @property
    def issuer(self) -> str:
        return f"https://{self.authority}/{self.tenant}/v2.0"

    async def start(self) -> None:
        app = web.Application()
        app.router.add_get("/common/discovery/instance", self._instance_metadata)
        app.router.add_get("/{tenant}/v2.0/.well-known/openid-configuration", self._openid)
        app.router.add_post("/{tenant}/oauth2/v2.0/devicecode", self._devicecode)
        app.router.add_post("/{tenant}/oauth2/v2.0/token", self._token)
        self.more_routes(app)
        self._runner = web.AppRunner(app, access_log=None)
        await self._runner.setup()
        site = web.TCPSite(self._runner, "127.0.0.1", 0, ssl_context=test_ca().server_context())
        await site.start()
        self.port = int(self._runner.addresses[0][1])

    async def stop(self) -> None:
        if self._runner is not None:
            await self._runner.cleanup()

    # --- what a subclass adds (tests/fakes/entra_web.py: the web sign-in) ----------------

    def more_routes(self, app: web.Application) -> None:
        """Endpoints besides the device-code flow's."""

    def other_grant(self, grant_type: str, form: Any) -> web.Response:
        """A token request of another grant type than the device code and refresh token."""
        return self._error(
            "unsupported_grant_type", "AADSTS70003: The app requested an unsupported grant type."
        )

    def _tenant_ok(self, request: web.Request) -> bool:
        self.paths.append(request.path)
        return request.match_info.get("tenant", "common") in (
            self.tenant,
            "organizations",
            "common",
        )

    @staticmethod
    def _error(error: str, description: str, status: int = 400, **extra: Any) -> web.Response:
        body = {
            "error": error,
            "error_description": description,
            "error_codes": [int(code) for code in re.findall(r"^AADSTS(\d+)", description)],
            "timestamp": time.strftime("%Y-%m-%d %H:%M:%SZ", time.gmtime()),
            "trace_id": secrets.token_hex(8),
            "correlation_id": secrets.token_hex(8),
            **extra,
        }
        return web.json_response(body, status=status)

    async def _instance_metadata(self, request: web.Request) -> web.Response:
        self.paths.append(request.path)
        host = self.authority
        return web.json_response(
            {
                "tenant_discovery_endpoint": (
                    f"https://{host}/{self.tenant}/v2.0/.well-known/openid-configuration"
                ),
                "api-version": "1.1",
                "metadata": [
                    {"preferred_network": host, "preferred_cache": host, "aliases": [host]}
                ],
            }
        )

    async def _openid(self, request: web.Request) -> web.Response:
        if not self._tenant_ok(request):
            return self._error("invalid_tenant", "AADSTS90002: Tenant not found.")
        base = f"https://{self.authority}/{request.match_info['tenant']}"
        return web.json_response(
            {
                "issuer": self.issuer,
                "authorization_endpoint": f"{base}/oauth2/v2.0/authorize",
                "token_endpoint": f"https://{self.authority}/{self.tenant}/oauth2/v2.0/token",
                "device_authorization_endpoint": f"{base}/oauth2/v2.0/devicecode",
                "end_session_endpoint": f"{base}/oauth2/v2.0/logout",
                "jwks_uri": f"https://{self.authority}/{self.tenant}/discovery/v2.0/keys",
                "response_types_supported": ["code", "id_token", "code id_token"],
                "scopes_supported": ["openid", "profile", "email", "offline_access"],
                "token_endpoint_auth_methods_supported": ["client_secret_post", "private_key_jwt"],
                "tenant_region_scope": "EU",
            }
        )

    async def _devicecode(self, request: web.Request) -> web.Response:
        if not self._tenant_ok(request):
            return self._error("invalid_tenant", "AADSTS90002: Tenant not found.")
        form = await request.post()
        if form.get("client_id") != self.client_id:
            return self._error(
                "unauthorized_client", "AADSTS700016: Application not found in the directory."
            )
        scopes = tuple(canonical(s) for s in str(form.get("scope", "")).split())
        if not [s for s in scopes if s not in RESERVED]:
            return self._error(
                "invalid_scope", "AADSTS70011: The provided value for scope is empty."
            )
        alphabet = string.ascii_uppercase + string.digits
        user_code = "".join(secrets.choice(alphabet) for _ in range(9))
        flow = DeviceFlow(
            secrets.token_urlsafe(32), user_code, self.client_id, scopes, time.time() + 900
        )
        self.flows[flow.device_code] = flow
        uri = "https://microsoft.com/devicelogin"
        return web.json_response(
            {
                "user_code": user_code,
                "device_code": flow.device_code,
                "verification_uri": uri,
                "expires_in": 900,
                "interval": self.interval,
                "message": (
                    f"To sign in, use a web browser to open the page {uri} and enter the code "
                    f"{user_code} to authenticate."
                ),
            }
        )

    async def _token(self, request: web.Request) -> web.Response:
        if not self._tenant_ok(request):
            return self._error("invalid_tenant", "AADSTS90002: Tenant not found.")
        form = await request.post()
        grant_type = str(form.get("grant_type", ""))
        scopes = tuple(canonical(s) for s in str(form.get("scope", "")).split())
        claims_text = str(form.get("claims", "") or "")
        claims = json.loads(claims_text) if claims_text else None
        answer = self._answer(grant_type, form, scopes, claims)
        error = ""
        if answer.status != 200:
            error = json.loads(answer.body)["error"]  # type: ignore[arg-type]
        self.requests.append(TokenRequest(grant_type, scopes, claims, answer.status, error))
        return answer

    def _answer(
        self, grant_type: str, form: Any, scopes: tuple[str, ...], claims: dict[str, Any] | None
    ) -> web.Response:
        if form.get("client_id") != self.client_id:
            return self._error(
                "unauthorized_client", "AADSTS700016: Application not found in the directory."
            )
        if grant_type == DEVICE_GRANT:
            flow = self.flows.get(str(form.get("device_code", "")))
            if flow is None or flow.redeemed:
                return self._error("invalid_grant", "AADSTS70000: The provided code is invalid.")
            if flow.expires_at <= time.time():
                return self._error("expired_token", "AADSTS70020: The device code has expired.")
            if flow.user_id is None:
                return self._error(
                    "authorization_pending",
                    "AADSTS70016: OAuth 2.0 device flow error. Authorization is pending. "
                    "Continue polling.",
                )
            flow.redeemed = True
            granted = tuple(s for s in flow.scopes if s not in RESERVED)
            grant = Grant(secrets.token_urlsafe(48), flow.user_id, flow.client_id, granted)
            self.grants[grant.value] = grant
            return self._issue(grant, scopes or flow.scopes, claims)
        if grant_type == "refresh_token":
            known = self.grants.get(str(form.get("refresh_token", "")))
            if known is None or known.client_id != form.get("client_id"):
                return self._error("invalid_grant", "AADSTS9002313: Invalid request.")
            grant = known
            if grant.revoked:
                return self._error(
                    "invalid_grant",
                    "AADSTS50173: The provided grant has expired due to it being revoked, a "
                    "fresh auth token is needed. The user might have changed or reset their "
                    "password.",
                    suberror="bad_token",
                )
            asked = [s for s in scopes if s not in RESERVED]
            if not asked:
                return self._error("invalid_scope", "AADSTS70011: The provided scope is empty.")
            missing = [s for s in asked if s not in grant.scopes and not s.endswith("/.default")]
            if missing:
                return self._error(
                    "invalid_grant",
                    "AADSTS65001: The user or administrator has not consented to use the "
                    f"application for {' '.join(missing)}.",
                    suberror="consent_required",
                )
            # Entra hands out a new refresh token with each use; the old one stays valid.
            renewed = Grant(secrets.token_urlsafe(48), grant.user_id, grant.client_id, grant.scopes)
            self.grants[renewed.value] = renewed
            return self._issue(renewed, scopes, claims)
        return self.other_grant(grant_type, form)

    def _issue(
        self, grant: Grant, asked: tuple[str, ...], claims: dict[str, Any] | None
    ) -> web.Response:
        user = self.users[grant.user_id]
        capabilities = ((claims or {}).get("access_token") or {}).get("xms_cc") or {}
        cae = "cp1" in {str(v).lower() for v in capabilities.get("values", [])}
        resource_scopes = tuple(s for s in asked if s not in RESERVED)
        if any(s.endswith("/.default") for s in resource_scopes):
            resource_scopes = grant.scopes
        token = self.book.issue(user.id, resource_scopes, cae=cae, lifetime=self.lifetime)
        now = int(time.time())
        id_claims = {
            "aud": grant.client_id,
            "iss": self.issuer,
            "iat": now,
            "nbf": now,
            "exp": now + 3600,
            "name": user.name,
            "oid": user.id,
            "preferred_username": user.upn,
            "sub": _b64url(user.id.encode()),
            "tid": self.tenant,
            "ver": "2.0",
        }
        id_token = ".".join(
            [
                _b64url(json.dumps({"typ": "JWT", "alg": "RS256", "kid": "fake"}).encode()),
                _b64url(json.dumps(id_claims).encode()),
                _b64url(secrets.token_bytes(32)),
            ]
        )
        client_info = _b64url(json.dumps({"uid": user.id, "utid": self.tenant}).encode())
        short = [answered(s) for s in resource_scopes]
        return web.json_response(
            {
                "token_type": "Bearer",
                "scope": " ".join([*short, "openid", "profile", "offline_access"]),
                "expires_in": int(self.lifetime),
                "ext_expires_in": int(self.lifetime),
                "access_token": token.value,
                "refresh_token": grant.value,
                "id_token": id_token,
                "client_info": client_info,
            }
        )

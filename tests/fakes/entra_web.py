"""The local Entra ID (tests/fakes/identity.py) with the web sign-in a confidential client
uses: OpenID Connect's authorization-code flow, as strict as Entra ID is.

- GET /{tenant}/oauth2/v2.0/authorize: the app must be this one, `redirect_uri` one of its
  registered Web redirect URIs exactly (else an error page, no redirect: AADSTS50011),
  `response_type=code`, `openid` among the scopes, a PKCE `code_challenge` (S256). The person
  signing in is the test's choice (`sign_in_as`): at once (a 302 back with the code and the
  state) or, with `one_click`, on a page with their name and a "Continue" button, as a browser
  sees it; `refuse` sends `error=access_denied` back instead.
- POST /{tenant}/oauth2/v2.0/token, `grant_type=authorization_code`: the client secret
  (client_secret_post), the code (once only, for `code_lifetime` seconds, to the same app),
  the same `redirect_uri` as the authorize request, and the PKCE `code_verifier` whose SHA-256
  is the challenge. The ID token is a JWT signed with RS256 by a key published at the tenant's
  `jwks_uri` (`kid` in its header), with the authorize request's `nonce`, `iss` of the user's
  tenant, `aud` the client id, `tid`, `oid`, `iat`/`nbf`/`exp`.
"""

from __future__ import annotations

import base64
import hashlib
import html
import secrets
import time
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlencode

import jwt
from aiohttp import web
from cryptography.hazmat.primitives.asymmetric import rsa

from tests.fakes.identity import TENANT, FakeEntraID, User
from tests.fakes.tokens import TokenBook

CLIENT_SECRET = "fake~secret.of-the-app-registration"
AUTH_CODE_GRANT = "authorization_code"


@dataclass
class AuthCode:
    value: str
    client_id: str
    redirect_uri: str
    user_id: str
    scopes: tuple[str, ...]
    nonce: str | None
    challenge: str
    expires_at: float
    redeemed: bool = False


@dataclass
class Authorize:
    """One authorize request as the fake saw it (what a test may assert on)."""

    query: dict[str, str]
    status: int


def _s256(verifier: str) -> str:
    digest = hashlib.sha256(verifier.encode("ascii")).digest()
    return base64.urlsafe_b64encode(digest).decode().rstrip("=")


class FakeEntraWeb(FakeEntraID):
    def __init__(
        self,
        book: TokenBook,
        *,
        tenant: str = TENANT,
        client_secret: str = CLIENT_SECRET,
        code_lifetime: float = 600,
        **kwargs: Any,
    ) -> None:
        super().__init__(book, tenant=tenant, **kwargs)
        self.client_secret = client_secret
        self.code_lifetime = code_lifetime  # Entra ID: about ten minutes
        self.redirect_uris: set[str] = set()  # the app registration's Web platform
        self.user_tenants: dict[str, str] = {}  # a user from another directory
        self.codes: dict[str, AuthCode] = {}
        self.authorizations: list[Authorize] = []
        self.signing_key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
        self.kid = secrets.token_hex(8)
        self.sign_in_as: str | None = None
        self.one_click = False
        self.refuse = False
        # a broken Entra ID or a man in the middle: the ID token signed with another key, or
        # carrying another nonce than the authorize request's
        self.forge_signature = False
        self.forge_nonce = False

    # --- what a test does --------------------------------------------------------------

    def add_foreign_user(self, user_id: str, upn: str, name: str, tenant: str) -> User:
        """A user of another organisation's directory (their tokens carry its `tid`)."""
        self.user_tenants[user_id] = tenant
        return self.add_user(user_id, upn, name)

    def issuer_of(self, tenant: str) -> str:
        return f"https://{self.authority}/{tenant}/v2.0"

    # --- server --------------------------------------------------------------------------

    def more_routes(self, app: web.Application) -> None:
        app.router.add_get("/{tenant}/oauth2/v2.0/authorize", self._authorize)
        app.router.add_post("/{tenant}/oauth2/v2.0/authorize", self._approved)
        app.router.add_get("/{tenant}/discovery/v2.0/keys", self._keys)

    async def _keys(self, request: web.Request) -> web.Response:
        if not self._tenant_ok(request):
            return self._error("invalid_tenant", "AADSTS90002: Tenant not found.")
        key = jwt.algorithms.RSAAlgorithm.to_jwk(self.signing_key.public_key(), as_dict=True)
        return web.json_response({"keys": [{**key, "kid": self.kid, "use": "sig"}]})

    @staticmethod
    def _error_page(text: str, status: int = 400) -> web.Response:
        page = f"<!doctype html><title>Sign in</title><h1>Sorry</h1><p>{html.escape(text)}</p>"
        return web.Response(text=page, status=status, content_type="text/html")

    def _check_request(self, query: Any) -> str:
        """Why Entra ID would refuse this authorize request, or ''."""
        if query.get("client_id") != self.client_id:
            return "AADSTS700016: Application not found in the directory."
        if query.get("redirect_uri") not in self.redirect_uris:
            return (
                "AADSTS50011: The redirect URI specified in the request does not match the "
                "redirect URIs configured for the application."
            )
        if query.get("response_type") != "code":
            return "AADSTS700054: response_type 'id_token' is not enabled for the application."
        if "openid" not in str(query.get("scope", "")).split():
            return "AADSTS900144: The request body must contain the 'scope' parameter (openid)."
        if not query.get("code_challenge") or query.get("code_challenge_method") != "S256":
            return "AADSTS9002325: Proof Key for Code Exchange is required."
        return ""

    async def _authorize(self, request: web.Request) -> web.StreamResponse:
        if not self._tenant_ok(request):
            return self._error_page("AADSTS90002: Tenant not found.")
        query = dict(request.query)
        problem = self._check_request(query)
        self.authorizations.append(Authorize(query, 400 if problem else 302))
        if problem:
            return self._error_page(problem)
        if self.refuse or self.sign_in_as is None:
            return self._back(query, None)
        if self.one_click:
            user = self.users[self.sign_in_as]
            hidden = "".join(
                f'<input type="hidden" name="{html.escape(k)}" value="{html.escape(v)}">'
                for k, v in query.items()
            )
            page = (
                '<!doctype html><html lang="en"><head><meta charset="utf-8">'
                "<title>Sign in to your account</title></head><body><main>"
                "<h1>Pick an account</h1>"
                f'<form method="post">{hidden}<p>{html.escape(user.name)} '
                f"({html.escape(user.upn)})</p>"
                '<button type="submit">Continue</button></form></main></body></html>'
            )
            return web.Response(text=page, content_type="text/html")
        return self._back(query, self.sign_in_as)

    async def _approved(self, request: web.Request) -> web.StreamResponse:
        """The one-click page's button: the person chose the account."""
        if not self._tenant_ok(request):
            return self._error_page("AADSTS90002: Tenant not found.")
        query = {k: str(v) for k, v in (await request.post()).items()}
        if problem := self._check_request(query):
            return self._error_page(problem)
        return self._back(query, self.sign_in_as)

    def _back(self, query: dict[str, str], user_id: str | None) -> web.Response:
        """The redirect back to the app, with a code (or the refusal) and the state."""
        answer: dict[str, str] = {}
        if user_id is None:
            answer["error"] = "access_denied"
            answer["error_description"] = "AADSTS65004: User declined to consent to access the app."
        else:
            code = AuthCode(
                secrets.token_urlsafe(48),
                self.client_id,
                query["redirect_uri"],
                user_id,
                tuple(query.get("scope", "").split()),
                query.get("nonce"),
                query["code_challenge"],
                time.time() + self.code_lifetime,
            )
            self.codes[code.value] = code
            answer["code"] = code.value
        if "state" in query:
            answer["state"] = query["state"]
        answer["session_state"] = secrets.token_hex(16)
        location = f"{query['redirect_uri']}?{urlencode(answer)}"
        return web.Response(status=302, headers={"Location": location})

    # --- the token endpoint's authorization_code grant --------------------------------

    def other_grant(self, grant_type: str, form: Any) -> web.Response:
        if grant_type != AUTH_CODE_GRANT:
            return super().other_grant(grant_type, form)
        secret = str(form.get("client_secret", ""))
        if not secrets.compare_digest(secret, self.client_secret):
            return self._error(
                "invalid_client",
                "AADSTS7000215: Invalid client secret provided. Ensure the secret being sent "
                "in the request is the client secret value, not the client secret ID.",
                status=401,
            )
        code = self.codes.get(str(form.get("code", "")))
        if code is None or code.client_id != form.get("client_id"):
            return self._error("invalid_grant", "AADSTS70000: The provided code is invalid.")
        if code.redeemed:
            return self._error(
                "invalid_grant",
                "AADSTS54005: OAuth2 Authorization code was already redeemed, please retry "
                "with a new valid code or use an existing refresh token.",
            )
        code.redeemed = True  # whatever follows: a code is tried once
        if code.expires_at <= time.time():
            return self._error(
                "invalid_grant",
                "AADSTS70008: The provided authorization code or refresh token has expired.",
            )
        if form.get("redirect_uri") != code.redirect_uri:
            return self._error(
                "invalid_grant",
                "AADSTS500117: The reply uri specified in the request does not match the "
                "reply uri used in the authorization request.",
            )
        if _s256(str(form.get("code_verifier", ""))) != code.challenge:
            return self._error(
                "invalid_grant",
                "AADSTS501481: The Code_Verifier does not match the code_challenge supplied "
                "in the authorization request.",
            )
        return self._signed_in(code)

    def _signed_in(self, code: AuthCode) -> web.Response:
        user = self.users[code.user_id]
        tenant = self.user_tenants.get(user.id, self.tenant)
        now = int(time.time())
        claims: dict[str, Any] = {
            "aud": code.client_id,
            "iss": self.issuer_of(tenant),
            "iat": now,
            "nbf": now,
            "exp": now + 3600,
            "name": user.name,
            "oid": user.id,
            "preferred_username": user.upn,
            "sub": secrets.token_urlsafe(16),
            "tid": tenant,
            "ver": "2.0",
        }
        if code.nonce is not None:
            claims["nonce"] = "another" if self.forge_nonce else code.nonce
        key = self.signing_key
        if self.forge_signature:
            key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
        id_token = jwt.encode(claims, key, algorithm="RS256", headers={"kid": self.kid})
        access = self.book.issue(
            user.id, (f"{self._graph}/User.Read",), cae=False, lifetime=self.lifetime
        )
        granted = [s for s in code.scopes if s in ("openid", "profile", "email")]
        return web.json_response(
            {
                "token_type": "Bearer",
                "scope": " ".join(["User.Read", *granted]),
                "expires_in": int(self.lifetime),
                "ext_expires_in": int(self.lifetime),
                "access_token": access.value,
                "id_token": id_token,
            }
        )

    _graph = "https://graph.microsoft.com"

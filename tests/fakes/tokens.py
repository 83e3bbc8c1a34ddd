"""The access tokens the fake Entra ID issues and the fake Graph accepts (one book shared by
both, as the real services share a tenant's signing keys).

A token is opaque to the client. Graph answers 401 `InvalidAuthenticationToken` for a missing,
unknown or expired one; for a CAE-capable token (the client sent `xms_cc=cp1`) whose session
was revoked it answers 401 with a claims challenge (`error="insufficient_claims"`), which a
CAE client must answer by getting a new token with those claims."""

from __future__ import annotations

import base64
import json
import secrets
import time
from dataclasses import dataclass, field


@dataclass
class Token:
    value: str
    user_id: str
    scopes: tuple[str, ...]
    expires_at: float
    cae: bool  # asked for with the cp1 client capability
    issued_at: float = field(default_factory=time.time)


@dataclass
class TokenBook:
    tokens: dict[str, Token] = field(default_factory=dict)
    revoked: dict[str, float] = field(default_factory=dict)  # user -> when their sessions ended

    def issue(self, user_id: str, scopes: tuple[str, ...], *, cae: bool, lifetime: float) -> Token:
        token = Token(secrets.token_urlsafe(24), user_id, scopes, time.time() + lifetime, cae)
        self.tokens[token.value] = token
        return token

    def expire_all(self) -> None:
        """Every access token issued so far expires now (refresh tokens stay good)."""
        for token in self.tokens.values():
            token.expires_at = 0

    def revoke(self, user_id: str) -> None:
        """A CAE critical event (password reset, session revoked): tokens issued before now
        stop working; a token issued afterwards (e.g. after answering the claims challenge)
        works."""
        self.revoked[user_id] = time.time()

    def check(self, authorization: str | None) -> tuple[Token | None, dict[str, str] | None]:
        """(the token, None) if the request may go on; else (None, the 401's headers)."""
        if not authorization or not authorization.startswith("Bearer "):
            return None, {"WWW-Authenticate": 'Bearer realm="", error="invalid_token"'}
        token = self.tokens.get(authorization[7:])
        if token is None or token.expires_at <= time.time():
            return None, {"WWW-Authenticate": 'Bearer realm="", error="invalid_token"'}
        if token.issued_at <= self.revoked.get(token.user_id, float("-inf")):
            if not token.cae:
                return None, {"WWW-Authenticate": 'Bearer realm="", error="invalid_token"'}
            claims = {"access_token": {"nbf": {"essential": True, "value": str(int(time.time()))}}}
            encoded = base64.b64encode(json.dumps(claims).encode()).decode()
            return None, {
                "WWW-Authenticate": (
                    'Bearer realm="", authorization_uri="https://login.microsoftonline.com/'
                    'common/oauth2/authorize", error="insufficient_claims", '
                    f'claims="{encoded}"'
                )
            }
        return token, None

    def error_body(self) -> bytes:
        return json.dumps(
            {
                "error": {
                    "code": "InvalidAuthenticationToken",
                    "message": "Access token has expired or is not yet valid.",
                }
            }
        ).encode()

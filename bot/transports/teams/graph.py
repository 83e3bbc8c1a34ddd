"""Signing in as the service account and building the msgraph-sdk client.

Graph posts to channels and chats only with delegated permissions, so the bot is a user
account: `empirie-bot teams login` runs the device-code flow once, keeps the
AuthenticationRecord in a file and the tokens in azure-identity's persistent cache; the
service then gets tokens silently and never prompts (an expired or revoked login raises, is
reported, and waits for a new `teams login`). Imported only when Teams is configured.
"""

from __future__ import annotations

import asyncio
import inspect
import json
import logging
import os
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import httpx
from azure.core.credentials import AccessToken
from azure.core.exceptions import ClientAuthenticationError
from kiota_abstractions.api_error import APIError
from kiota_authentication_azure.azure_identity_authentication_provider import (
    AzureIdentityAuthenticationProvider,
)
from kiota_http.kiota_client_factory import KiotaClientFactory
from kiota_http.middleware.middleware import BaseMiddleware
from msgraph import GraphRequestAdapter, GraphServiceClient
from msgraph.graph_request_adapter import options as graph_options
from msgraph_core import GraphClientFactory

from core.config import Settings

log = logging.getLogger("empirie.teams")

GRAPH = "https://graph.microsoft.com"
# Delegated permissions the service account consents to (README: app registration).
PERMISSIONS = (
    "User.Read",
    "User.ReadBasic.All",
    "ChannelMessage.Send",
    "ChatMessage.Send",
    "ChannelMessage.Read.All",
    "ChannelMessage.ReadWrite",  # edit its own posts
    "Chat.ReadWrite",
    "Calendars.ReadWrite",
    "Files.ReadWrite.All",
    "Team.ReadBasic.All",
    "Channel.ReadBasic.All",
)
# One list for the login and the service: the tokens the service asks for are the ones the
# login consented to. Short names: Entra ID reads a scope without a resource as Graph's and
# answers Graph's scopes in that short form, which MSAL files the token under; asked as
# "https://graph.microsoft.com/User.Read" the cached token would never be found again (a
# refresh-token request for every Graph call).
SCOPES = list(PERMISSIONS)
LOGIN_SCOPES = SCOPES
# Continuous Access Evaluation: kiota asks for CAE tokens, azure-identity keeps CAE tokens in a
# cache of their own (<name>.cae, non-CAE ones in <name>.nocae). Login, status and the service
# all go through `_device_code_credential` and this one setting, so they share one cache.
ENABLE_CAE = True

LoginLost = ClientAuthenticationError  # azure-identity: silent sign-in failed, a person must act

# What azure-identity, MSAL and azure-core log per token request (headers at INFO, "get_token
# succeeded" for every Graph call): noise on the administrator's terminal and in the service log.
SDK_LOGGERS = ("azure", "msal", "msal_extensions", "urllib3")


def quiet_sdk_logs(level: int = logging.WARNING) -> None:
    """At least `level` for the SDKs' loggers (never lowers what was raised before)."""
    for name in SDK_LOGGERS:
        logger = logging.getLogger(name)
        if logger.level < level:
            logger.setLevel(level)


def _cache_options(settings: Settings) -> Any:
    from azure.identity import TokenCachePersistenceOptions

    return TokenCachePersistenceOptions(
        name=settings.teams_token_cache_name,
        allow_unencrypted_storage=settings.teams_allow_unencrypted_storage,
    )


def load_record(settings: Settings) -> Any | None:
    from azure.identity import AuthenticationRecord

    path = Path(settings.teams_auth_record_file)
    if not path.exists():
        return None
    return AuthenticationRecord.deserialize(path.read_text(encoding="utf-8"))


def _known_to_microsoft(authority: str) -> bool:
    """MSAL validates an authority host it does not know through login.microsoftonline.com's
    instance discovery; a host of our own (the local stand-in) must skip that."""
    from msal.authority import WELL_KNOWN_AUTHORITY_HOSTS  # type: ignore[import-untyped]

    host = urlsplit(authority if "//" in authority else f"https://{authority}").hostname
    return (host or "").lower() in WELL_KNOWN_AUTHORITY_HOSTS


def _device_code_credential(
    settings: Settings, record: Any | None, prompt_callback: Any | None = None
) -> Any:
    """The one credential factory: the login (prompt_callback, no record) and the service
    (the saved record, never prompting) differ only there: same client, authority, cache."""
    from azure.identity import DeviceCodeCredential

    authority = record.authority if record is not None else settings.teams_authority
    options: dict[str, Any] = {
        "tenant_id": settings.teams_tenant_id or None,
        "cache_persistence_options": _cache_options(settings),
    }
    if not _known_to_microsoft(authority):
        options["disable_instance_discovery"] = True
    if record is not None:  # the record names the client and the authority it signed in at
        return DeviceCodeCredential(
            authentication_record=record, disable_automatic_authentication=True, **options
        )
    return DeviceCodeCredential(
        client_id=settings.teams_client_id,
        authority=authority,
        prompt_callback=prompt_callback,
        disable_automatic_authentication=prompt_callback is None,
        **options,
    )


class ServiceCredential:
    """The service's credential: silent only (expired or revoked → ClientAuthenticationError,
    no prompt), CAE as the login, and off the event loop: azure-identity and MSAL make
    blocking HTTP calls (a refresh, a claims challenge), so they run in a worker thread, one
    at a time (concurrent requests at expiry share one refresh)."""

    def __init__(self, sync: Any) -> None:
        self._sync = sync
        self._lock = asyncio.Lock()

    async def get_token(
        self,
        *scopes: str,
        claims: str | None = None,
        tenant_id: str | None = None,
        enable_cae: bool = ENABLE_CAE,
        **kwargs: Any,
    ) -> AccessToken:
        # enable_cae is ours to decide, whatever the caller asks: another setting would look
        # in the other cache, which the login never filled.
        async with self._lock:
            token: AccessToken = await asyncio.to_thread(
                self._sync.get_token,
                *scopes,
                claims=claims,
                tenant_id=tenant_id,
                enable_cae=ENABLE_CAE,
                **kwargs,
            )
        return token

    async def close(self) -> None:
        self._sync.close()

    async def __aenter__(self) -> ServiceCredential:
        return self

    async def __aexit__(self, *args: object) -> None:
        await self.close()


def credential(settings: Settings) -> ServiceCredential:
    """What `teams status` and the service sign in with: the login's record and cache."""
    quiet_sdk_logs()
    return ServiceCredential(_device_code_credential(settings, load_record(settings)))


def login(settings: Settings, prompt: Callable[[str], None]) -> Any:
    """The device-code flow, once: the administrator signs in as the service account. The
    tokens land in the cache the service reads (same factory, same CAE setting, same scopes)."""

    def show(uri: str, code: str, expires_on: Any) -> None:
        prompt(
            f"Open {uri} and enter the code {code} (valid until {expires_on:%H:%M} UTC), "
            "then sign in as the bot's service account."
        )

    cred = _device_code_credential(settings, None, show)
    try:
        record = cred.authenticate(scopes=SCOPES, enable_cae=ENABLE_CAE)
    finally:
        cred.close()
    path = Path(settings.teams_auth_record_file)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(record.serialize(), encoding="utf-8")
    os.chmod(path, 0o600)
    return record


class FreshTokenHandler(BaseMiddleware):
    """Graph refused a token the credential still holds as good (401 `invalid_token`: expired
    or invalidated before the cache's idea of its expiry). Without this the cached token was
    sent again and again, and every notification waited for the cache to expire it (an hour).
    Ask once for a token issued now — an `nbf` claims request, as a CAE challenge makes, so
    MSAL bypasses its cached access token and redeems the refresh token — and send the
    request again. A claims challenge (`insufficient_claims`) is kiota's to answer; a failed
    refresh raises LoginLost like any silent sign-in that needs a person."""

    def __init__(self, token_credential: Any) -> None:
        super().__init__()
        self.credential = token_credential

    async def send(self, request: httpx.Request, transport: httpx.AsyncBaseTransport) -> Any:
        response = await super().send(request, transport)
        challenge = response.headers.get("WWW-Authenticate", "")
        if (
            response.status_code != 401
            or "insufficient_claims" in challenge
            or not request.headers.get("Authorization", "").startswith("Bearer ")
        ):
            return response
        claims = {"access_token": {"nbf": {"essential": True, "value": str(int(time.time()))}}}
        token = self.credential.get_token(*SCOPES, claims=json.dumps(claims), enable_cae=ENABLE_CAE)
        if inspect.isawaitable(token):
            token = await token
        log.info("teams.token_refreshed reason=401")
        await response.aclose()
        request.headers["Authorization"] = f"Bearer {token.token}"
        return await super().send(request, transport)


def build_client(settings: Settings, token_credential: Any) -> GraphServiceClient:
    """The real msgraph-sdk client: default middleware (RetryHandler for 429/503/504 with
    Retry-After), bearer tokens from the credential; `teams_graph_base_url` points it at
    another Graph (the local fake in tests)."""
    # graph_options: /users/me-token-to-replace -> /me, as GraphRequestAdapter's own default
    # ... and a refused token renewed once (FreshTokenHandler, outermost: after the retries)
    middleware = [
        FreshTokenHandler(token_credential),
        *KiotaClientFactory.get_default_middleware(graph_options),
        GraphClientFactory._get_telemetry_handler(graph_options),
    ]
    http = GraphClientFactory.create_with_custom_middleware(
        middleware, client=httpx.AsyncClient(timeout=httpx.Timeout(30.0))
    )
    base = settings.teams_graph_base_url.rstrip("/")
    hosts = [urlsplit(base).hostname or ""] if base else ["graph.microsoft.com"]
    # the login's scopes, not "<host>/.default" (for a local Graph that would be a scope of
    # 127.0.0.1, consented to by nobody); a claims challenge (CAE) is answered by kiota-http
    # itself: it asks the credential again with the claims and retries the request once
    auth = AzureIdentityAuthenticationProvider(
        token_credential, scopes=SCOPES, allowed_hosts=hosts, is_cae_enabled=ENABLE_CAE
    )
    adapter = GraphRequestAdapter(auth, http)
    if base:
        adapter.base_url = base
    return GraphServiceClient(request_adapter=adapter)


def status_code(error: BaseException) -> int | None:
    return error.response_status_code if isinstance(error, APIError) else None


def retry_after(error: BaseException) -> float | None:
    if not isinstance(error, APIError) or not error.response_headers:
        return None
    headers = {k.lower(): v for k, v in error.response_headers.items()}
    value = headers.get("retry-after")
    if isinstance(value, list):
        value = value[0] if value else None
    try:
        return float(value) if value is not None else None
    except ValueError:
        return None

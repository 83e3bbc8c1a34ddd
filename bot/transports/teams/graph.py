"""Signing in as the service account and building the msgraph-sdk client.

Graph posts to channels and chats only with delegated permissions, so the bot is a user
account: `empirie-bot teams login` runs the device-code flow once, keeps the
AuthenticationRecord in a file and the tokens in azure-identity's persistent cache; the
service then gets tokens silently and never prompts (an expired or revoked login raises, is
reported, and waits for a new `teams login`). Imported only when Teams is configured.
"""

from __future__ import annotations

import logging
import os
from collections.abc import Callable
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import httpx
from azure.core.exceptions import ClientAuthenticationError
from kiota_abstractions.api_error import APIError
from kiota_authentication_azure.azure_identity_authentication_provider import (
    AzureIdentityAuthenticationProvider,
)
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
LOGIN_SCOPES = [f"{GRAPH}/{p}" for p in PERMISSIONS]
DEFAULT_SCOPES = [f"{GRAPH}/.default"]

LoginLost = ClientAuthenticationError  # azure-identity: silent sign-in failed, a person must act


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


def credential(settings: Settings) -> Any:
    """The service's credential: silent only (expired → ClientAuthenticationError, no prompt)."""
    from azure.identity import DeviceCodeCredential

    return DeviceCodeCredential(
        client_id=settings.teams_client_id,
        tenant_id=settings.teams_tenant_id or None,
        authentication_record=load_record(settings),
        cache_persistence_options=_cache_options(settings),
        disable_automatic_authentication=True,
    )


def login(settings: Settings, prompt: Callable[[str], None]) -> Any:
    """The device-code flow, once: the administrator signs in as the service account."""
    from azure.identity import DeviceCodeCredential

    def show(uri: str, code: str, expires_on: Any) -> None:
        prompt(
            f"Open {uri} and enter the code {code} (valid until {expires_on:%H:%M} UTC), "
            "then sign in as the bot's service account."
        )

    cred = DeviceCodeCredential(
        client_id=settings.teams_client_id,
        tenant_id=settings.teams_tenant_id or None,
        cache_persistence_options=_cache_options(settings),
        prompt_callback=show,
    )
    record = cred.authenticate(scopes=LOGIN_SCOPES)
    path = Path(settings.teams_auth_record_file)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(record.serialize(), encoding="utf-8")
    os.chmod(path, 0o600)
    return record


def build_client(settings: Settings, token_credential: Any) -> GraphServiceClient:
    """The real msgraph-sdk client: default middleware (RetryHandler for 429/503/504 with
    Retry-After), bearer tokens from the credential; `teams_graph_base_url` points it at
    another Graph (the local fake in tests)."""
    # graph_options: /users/me-token-to-replace -> /me, as GraphRequestAdapter's own default
    http = GraphClientFactory.create_with_default_middleware(
        client=httpx.AsyncClient(timeout=httpx.Timeout(30.0)), options=graph_options
    )
    base = settings.teams_graph_base_url.rstrip("/")
    hosts = [urlsplit(base).hostname or ""] if base else ["graph.microsoft.com"]
    auth = AzureIdentityAuthenticationProvider(
        token_credential, scopes=[] if base else DEFAULT_SCOPES, allowed_hosts=hosts
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

"""Opaque button tokens: a platform button carries a token, the store knows its command.

A forged token is unknown; a stale one has expired or belongs to another chat. A token is a
random nonce and a signature of it for its chat (an HMAC with a key kept in the store), so a
forged press, or a button copied into another chat, is refused before any database work
(`signed`). Tokens issued before signing (the nonce alone) are still looked up.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import secrets
from datetime import datetime, timedelta

from sqlmodel import Session, col, delete

from models import secrets as stored_secrets
from models.core import ActionToken

TOKEN_LIFETIME = timedelta(days=60)
KEY_NAME = "button_key"
NONCE_CHARS = 16  # secrets.token_urlsafe(12); an unsigned token is the nonce alone
TAG_BYTES = 9  # 12 characters: 72 bits of signature
SIGNED_CHARS = NONCE_CHARS + 12


def key(session: Session, now: datetime) -> bytes:
    """The signing key of button tokens (made once, shared by every process)."""
    return stored_secrets.get_or_create(session, KEY_NAME, now).encode()


def _tag(signing_key: bytes, nonce: str, platform: str, chat_id: str) -> str:
    mac = hmac.new(signing_key, f"{platform}\n{chat_id}\n{nonce}".encode(), hashlib.sha256)
    return base64.urlsafe_b64encode(mac.digest()[:TAG_BYTES]).decode()


def signed(token: str, platform: str, chat_id: str, signing_key: bytes) -> bool | None:
    """Whether a pressed token was signed by us for this chat: no database work. None for an
    unsigned token (issued before signing): only the store can tell."""
    if len(token) == NONCE_CHARS:
        return None
    if len(token) != SIGNED_CHARS:
        return False
    expected = _tag(signing_key, token[:NONCE_CHARS], platform, chat_id)
    return hmac.compare_digest(token[NONCE_CHARS:].encode(), expected.encode())


def issue(
    session: Session,
    command: str,
    platform: str,
    chat_id: str,
    now: datetime,
    person_id: int | None = None,
    signing_key: bytes | None = None,
) -> str:
    """A token for a button; `person_id`: the only person it acts for (None: anyone);
    `signing_key`: the key (`key`), else read from the store."""
    nonce = secrets.token_urlsafe(12)
    token = nonce + _tag(signing_key or key(session, now), nonce, platform, chat_id)
    session.add(
        ActionToken(
            token=token,
            payload=command[:512],
            platform=platform,
            chat_id=chat_id,
            person_id=person_id,
            created_at=now,
            expires_at=now + TOKEN_LIFETIME,
        )
    )
    return token


def resolve(
    session: Session, token: str, platform: str, chat_id: str, now: datetime
) -> ActionToken | None:
    row = session.get(ActionToken, token[:32])
    if row is None or row.platform != platform or row.chat_id != chat_id or row.expires_at <= now:
        return None
    return row


def purge_expired(session: Session, now: datetime) -> int:
    result = session.exec(delete(ActionToken).where(col(ActionToken.expires_at) <= now))
    return int(result.rowcount)

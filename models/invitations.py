"""Single-use, expiring invitation codes that link a platform account to a person."""

from __future__ import annotations

import hashlib
import secrets
from datetime import datetime, timedelta

from sqlmodel import Session, select

from models import audit, directory
from models.core import Invitation, Person
from models.errors import N_, DomainError

# No 0/O, 1/I/L: codes are read aloud and typed by hand.
_ALPHABET = "ABCDEFGHJKMNPQRSTUVWXYZ23456789"
CODE_LENGTH = 10


def _hash(code: str) -> str:
    normalised = code.strip().upper().replace("-", "").replace(" ", "")
    return hashlib.sha256(normalised.encode()).hexdigest()


def issue(session: Session, person: Person, issued_by: int | None, now: datetime,
          valid_for: timedelta) -> str:
    """Return a fresh code; only its hash is stored."""
    code = "".join(secrets.choice(_ALPHABET) for _ in range(CODE_LENGTH))
    session.add(Invitation(code_hash=_hash(code), person_id=person.id or 0, issued_by=issued_by,
                           created_at=now, expires_at=now + valid_for))
    audit.record(session, now, issued_by, "invitation.issue", f"person:{person.id}")
    return code


def redeem(session: Session, code: str, platform: str, external_id: str,
           username: str | None, now: datetime) -> Person:
    """Link the account to the invited person, or raise a DomainError saying why not."""
    invitation = session.exec(
        select(Invitation).where(Invitation.code_hash == _hash(code)).with_for_update()
    ).first()
    subject = f"account:{platform}:{external_id}"
    if invitation is None:
        audit.record(session, now, None, "invitation.unknown", subject)
        raise DomainError(N_("This invitation code is not valid. Check it or ask your "
                             "coordinator for a new one."), keep=True)
    if invitation.used_at is not None:
        audit.record(session, now, None, "invitation.reused", subject, invitation=invitation.id)
        raise DomainError(N_("This invitation code has already been used. Ask your "
                             "coordinator for a new one."), keep=True)
    if invitation.expires_at <= now:
        audit.record(session, now, None, "invitation.expired", subject, invitation=invitation.id)
        raise DomainError(N_("This invitation code has expired. Ask your coordinator for a "
                             "new one."), keep=True)
    person = session.get(Person, invitation.person_id)
    if person is None or person.erased_at is not None:
        raise DomainError(N_("This invitation code is not valid. Check it or ask your "
                             "coordinator for a new one."))
    directory.link_account(session, person.id or 0, platform, external_id, username, now)
    invitation.used_at, invitation.used_platform = now, platform
    session.add(invitation)
    audit.record(session, now, person.id, "invitation.redeem", f"person:{person.id}",
                 invitation=invitation.id, platform=platform)
    return person

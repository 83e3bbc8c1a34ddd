"""Single-use, expiring invitation codes that link a platform account to a person.

Only the newest code of a person works (issuing or redeeming one voids the others); a code
seen in a group is voided; wrong guesses are limited per account and audited once per burst;
a code for someone who already has an account does not link by itself: the person confirms
from the old account, or the coordinating team does (LinkRequest).
"""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import update
from sqlmodel import Session, col, select

from models import audit, directory
from models.core import Account, Invitation, Person
from models.enums import Platform
from models.errors import N_, DomainError
from models.trust import CodeGuess, LinkRequest, LinkStatus

# No 0/O, 1/I/L: codes are read aloud and typed by hand.
_ALPHABET = "ABCDEFGHJKMNPQRSTUVWXYZ23456789"
CODE_LENGTH = 10
MAX_GUESSES = 5  # wrong codes per account in one burst before a pause
BURST = timedelta(minutes=15)
LOCK = timedelta(minutes=15)
LINK_REQUEST_VALID = timedelta(days=7)
INVALID = N_("This invitation code is not valid. Check it or ask your coordinator for a new one.")


def _hash(code: str) -> str:
    normalised = code.strip().upper().replace("-", "").replace(" ", "")
    return hashlib.sha256(normalised.encode()).hexdigest()


def _void_others(session: Session, person_id: int, keep: int | None, now: datetime) -> int:
    result = session.execute(
        update(Invitation)
        .where(
            col(Invitation.person_id) == person_id,
            col(Invitation.used_at).is_(None),
            col(Invitation.voided_at).is_(None),
            col(Invitation.id) != (keep or 0),
        )
        .values(voided_at=now)
    )
    return int(result.rowcount)  # type: ignore[attr-defined]


def issue(
    session: Session, person: Person, issued_by: int | None, now: datetime, valid_for: timedelta
) -> str:
    """Return a fresh code (only its hash is stored); the person's older codes stop working."""
    code = "".join(secrets.choice(_ALPHABET) for _ in range(CODE_LENGTH))
    voided = _void_others(session, person.id or 0, None, now)
    session.add(
        Invitation(
            code_hash=_hash(code),
            person_id=person.id or 0,
            issued_by=issued_by,
            created_at=now,
            expires_at=now + valid_for,
        )
    )
    audit.record(session, now, issued_by, "invitation.issue", f"person:{person.id}", voided=voided)
    return code


def void_exposed(session: Session, code: str, by: int | None, now: datetime) -> bool:
    """A code typed where others could read it: it must not work any more."""
    invitation = session.exec(select(Invitation).where(Invitation.code_hash == _hash(code))).first()
    if invitation is None or invitation.used_at is not None or invitation.voided_at is not None:
        return False
    invitation.voided_at = now
    session.add(invitation)
    audit.record(
        session,
        now,
        by,
        "invitation.exposed",
        f"person:{invitation.person_id}",
        invitation=invitation.id,
    )
    return True


def _guesses(session: Session, platform: str, external_id: str, now: datetime) -> CodeGuess:
    row = session.exec(
        select(CodeGuess)
        .where(CodeGuess.platform == platform, CodeGuess.external_id == external_id)
        .with_for_update()
    ).first()
    if row is None:
        row = CodeGuess(platform=platform, external_id=external_id, burst_started=now)
    elif row.burst_started + BURST <= now and (row.locked_until is None or row.locked_until <= now):
        row.failures, row.burst_started, row.locked_until = 0, now, None
    return row


def _wrong(
    session: Session, guess: CodeGuess, now: datetime, action: str, msgid: str, **details: object
) -> DomainError:
    """Count a wrong code; audit the first of a burst and the lock, not every guess."""
    guess.failures += 1
    subject = f"account:{guess.platform}:{guess.external_id}"
    if guess.failures == 1:
        audit.record(session, now, None, action, subject, **details)
    if guess.failures >= MAX_GUESSES and guess.locked_until is None:
        guess.locked_until = now + LOCK
        audit.record(session, now, None, "invitation.locked", subject, failures=guess.failures)
    session.add(guess)
    return DomainError(msgid, keep=True)


@dataclass(frozen=True)
class Redeemed:
    person: Person
    request: LinkRequest | None = None  # set when the link waits for confirmation
    old_accounts: tuple[Account, ...] = ()


def _protected_accounts(
    session: Session, person_id: int, platform: str, external_id: str
) -> tuple[Account, ...]:
    """The person's accounts a new link would add to or replace. Console accounts are the
    local demo chat (anyone at the terminal picks anyone with /jako): they protect nothing."""
    return tuple(
        a
        for a in session.exec(select(Account).where(Account.person_id == person_id)).all()
        if a.platform != Platform.CONSOLE and (a.platform, a.external_id) != (platform, external_id)
    )


def redeem(
    session: Session,
    code: str,
    platform: str,
    external_id: str,
    username: str | None,
    now: datetime,
) -> Redeemed:
    """Link the account to the invited person (or file a LinkRequest), or raise a
    DomainError saying why not."""
    guess = _guesses(session, platform, external_id, now)
    if guess.locked_until is not None and guess.locked_until > now:
        session.add(guess)
        raise DomainError(
            N_("Too many wrong codes from this account. Try again after {minutes} minutes."),
            keep=True,
            minutes=max(1, int((guess.locked_until - now).total_seconds() // 60)),
        )
    invitation = session.exec(
        select(Invitation).where(Invitation.code_hash == _hash(code)).with_for_update()
    ).first()
    if invitation is None:
        raise _wrong(session, guess, now, "invitation.unknown", INVALID)
    if invitation.used_at is not None:
        raise _wrong(
            session,
            guess,
            now,
            "invitation.reused",
            N_("This invitation code has already been used. Ask your coordinator for a new one."),
            invitation=invitation.id,
        )
    if invitation.voided_at is not None:
        raise _wrong(
            session,
            guess,
            now,
            "invitation.voided",
            N_(
                "This invitation code no longer works: a newer one was issued, or it was shown in "
                "a group. Ask your coordinator for a new one."
            ),
            invitation=invitation.id,
        )
    if invitation.expires_at <= now:
        raise _wrong(
            session,
            guess,
            now,
            "invitation.expired",
            N_("This invitation code has expired. Ask your coordinator for a new one."),
            invitation=invitation.id,
        )
    person = session.get(Person, invitation.person_id)
    if person is None or person.erased_at is not None:
        raise DomainError(INVALID)
    if guess.id is not None:  # a right code ends the burst
        session.delete(guess)
    invitation.used_at, invitation.used_platform = now, platform
    session.add(invitation)
    _void_others(session, person.id or 0, invitation.id, now)
    taken = directory.person_by_account(session, platform, external_id)
    if taken is not None and taken.id != person.id:
        raise DomainError(
            N_("This account is already linked to another person. Ask your coordinator for help.")
        )
    old = _protected_accounts(session, person.id or 0, platform, external_id)
    if old:
        request = LinkRequest(
            person_id=person.id or 0,
            platform=platform,
            external_id=external_id,
            username=username,
            created_at=now,
            expires_at=now + LINK_REQUEST_VALID,
        )
        session.add(request)
        session.flush()
        audit.record(
            session,
            now,
            None,
            "account.relink_requested",
            f"person:{person.id}",
            invitation=invitation.id,
            request=request.id,
            platform=platform,
        )
        return Redeemed(person, request, old)
    directory.link_account(session, person.id or 0, platform, external_id, username, now)
    audit.record(
        session,
        now,
        person.id,
        "invitation.redeem",
        f"person:{person.id}",
        invitation=invitation.id,
        platform=platform,
    )
    return Redeemed(person)


def pending_request(session: Session, request_id: int, now: datetime) -> LinkRequest | None:
    request = session.get(LinkRequest, request_id)
    if request is None or request.status != LinkStatus.PENDING or request.expires_at <= now:
        return None
    return request


def decide(
    session: Session, request: LinkRequest, confirm: bool, by: int, now: datetime
) -> tuple[Account, ...]:
    """Confirm (link the new account, replacing the old one on that platform) or refuse;
    returns the accounts the person had before, to tell them."""
    old = _protected_accounts(
        session, request.person_id, request.platform, request.external_id or ""
    )
    request.status = LinkStatus.CONFIRMED if confirm else LinkStatus.REFUSED
    request.decided_by, request.decided_at = by, now
    session.add(request)
    if confirm:
        directory.link_account(
            session,
            request.person_id,
            request.platform,
            request.external_id or "",
            request.username,
            now,
        )
    audit.record(
        session,
        now,
        by,
        "account.relink" if confirm else "account.relink_refused",
        f"person:{request.person_id}",
        request=request.id,
        platform=request.platform,
    )
    return old

"""GDPR requests: export everything stored about a person, erase what identifies them.

Erasure works in three passes. (1) What exists only to reach the person goes: accounts,
invitations, guided-flow state, link requests, wrong-code counters, button tokens, and
messages queued to them. (2) Columns listed in a table's `__pii_columns__` are blanked on the
rows keyed by the person (new feature tables join in by declaring theirs); their seats at
upcoming meetings are released (the waitlist moves up). (3) Every text and JSON column of every
other table is searched for the person's name, e-mail, account ids, usernames and notes, and
those are replaced: copies in other people's queued messages, audit details, drafts. Ids stay,
so anonymous counts (how many attended) stay whole.
"""

from __future__ import annotations

import base64
import binascii
from collections.abc import Iterable
from datetime import datetime
from typing import Any

from sqlalchemy import JSON, String, Table, Text, and_, delete, inspect, or_, update
from sqlalchemy import select as sa_select
from sqlmodel import Session, SQLModel, col, select

from models import audit, blobs, outbox
from models.blobs import Blob
from models.core import (
    Account,
    ActionToken,
    AuditEntry,
    ChatBinding,
    City,
    Conversation,
    Invitation,
    Network,
    NetworkRole,
    Person,
)
from models.desk import DeskLogin, DeskSession
from models.meetings import Meeting, Rsvp
from models.outbox import PENDING, Delivery, OutboxMessage
from models.trust import CodeGuess, LinkRequest

REDACTED = "[usunięto]"
MIN_SCRUB = 4  # shorter strings (a console id "12") would hit unrelated text
_DELETE_ON_ERASE: tuple[type[SQLModel], ...] = (
    Account,
    Invitation,
    Conversation,
    LinkRequest,
    DeskLogin,  # the staff desk's sign-in links and sessions end with the person
    DeskSession,
)
TEXT_MIMES = ("text/", "application/json", "application/csv")


def _accounts(session: Session, person_id: int) -> list[tuple[str, str, str | None]]:
    """(platform, external id, username) of every account known for the person."""
    found = [
        (a.platform, a.external_id, a.username)
        for a in session.exec(select(Account).where(col(Account.person_id) == person_id))
    ]
    found += [
        (r.platform, r.external_id, r.username)
        for r in session.exec(select(LinkRequest).where(col(LinkRequest.person_id) == person_id))
        if r.external_id
    ]
    return found


def identifiers(session: Session, person_id: int) -> set[str]:
    """The strings that identify the person wherever they were copied."""
    person = session.get(Person, person_id)
    values: set[str | None] = set()
    if person is not None:
        values |= {person.name, person.email}
    for _platform, external_id, username in _accounts(session, person_id):
        values |= {external_id, username, f"@{username}" if username else None}
    values |= {r.note for r in session.exec(select(Rsvp).where(col(Rsvp.person_id) == person_id))}
    return {v for v in values if v and len(v) >= MIN_SCRUB}


def _release_seats(session: Session, person_id: int, now: datetime) -> list[tuple[int, int]]:
    from models import roster  # roster imports meetings helpers; keep the import local

    networks = {
        m.network_id
        for m in session.exec(
            select(Meeting)
            .join(Rsvp, col(Rsvp.meeting_id) == col(Meeting.id))
            .where(col(Rsvp.person_id) == person_id, col(Meeting.starts_at) > now)
        )
    }
    promoted: list[tuple[int, int]] = []
    for network_id in sorted(networks):
        promoted += roster.release_answers(session, person_id, network_id, now)
    return promoted


def _scrub_text(value: str, needles: Iterable[str]) -> str:
    for needle in needles:
        value = value.replace(needle, REDACTED)
    return value


def _scrub_json(value: Any, needles: set[str], dropped: frozenset[int] = frozenset()) -> Any:
    """`dropped`: stored files (models.blobs) that name the person and cannot be edited: a
    reference to one is dropped like an inline file."""
    if isinstance(value, str):
        return _scrub_text(value, needles)
    if isinstance(value, list):
        return [
            _scrub_json(v, needles, dropped)
            for v in value
            if not _identifying_file(v, needles)
            and not (isinstance(v, dict) and v.get("blob") in dropped)
        ]
    if isinstance(value, dict):
        if "b64" in value and isinstance(value["b64"], str):
            return _scrub_file(value, needles)
        keys = needles | {n.lower() for n in needles}  # e-mails are keys in lower case
        return {
            _scrub_text(k, keys) if isinstance(k, str) else k: _scrub_json(v, needles, dropped)
            for k, v in value.items()
        }
    return value


def _scrub_files(session: Session, needles: set[str]) -> frozenset[int]:
    """The outbox's stored files: a text file naming the person is edited, any other is
    deleted (returned: the references to drop)."""
    dropped = set()
    for blob in session.exec(select(Blob).where(col(Blob.digest).is_not(None))).all():
        if not any(n.encode() in blob.content for n in needles):
            continue
        if blob.mime.startswith(TEXT_MIMES):
            try:
                text = blob.content.decode("utf-8")
            except UnicodeDecodeError:
                text = None
            if text is not None:
                blob.content = _scrub_text(text, needles).encode()
                # a copy of its own: never found again by its new content
                blob.digest = blobs.digest_of(
                    blob.name, blob.mime, blob.content + b"\0%d" % (blob.id or 0)
                )
                session.add(blob)
                continue
        dropped.add(blob.id or 0)
    session.flush()
    blobs.forget(session, dropped)
    return frozenset(dropped)


def _decoded(spec: dict[str, Any]) -> bytes:
    try:
        return base64.b64decode(spec["b64"])
    except (binascii.Error, ValueError):
        return b""


def _identifying_file(value: Any, needles: set[str]) -> bool:
    """A queued binary file (a PDF) that names the person cannot be edited: it is dropped."""
    if not (isinstance(value, dict) and isinstance(value.get("b64"), str)):
        return False
    if str(value.get("mime", "")).startswith(TEXT_MIMES):
        return False
    content = _decoded(value)
    return any(n.encode() in content for n in needles)


def _scrub_file(spec: dict[str, Any], needles: set[str]) -> dict[str, Any]:
    content = _decoded(spec)
    try:
        text = content.decode("utf-8")
    except UnicodeDecodeError:
        return spec
    cleaned = _scrub_text(text, needles)
    if cleaned == text:
        return spec
    return {**spec, "b64": base64.b64encode(cleaned.encode()).decode()}


def _scrub_everywhere(session: Session, needles: set[str]) -> None:
    """Pass 3: replace the person's identifiers in every text and JSON column left."""
    if not needles:
        return
    dropped = _scrub_files(session, needles)
    for table in SQLModel.metadata.sorted_tables:
        if table.name == Person.__tablename__:
            continue
        keys = list(table.primary_key.columns)
        for column in table.columns:
            if isinstance(column.type, JSON):
                rows = session.execute(sa_select(*keys, column).where(column.isnot(None))).all()
                for row in rows:
                    value = row[-1]
                    cleaned = _scrub_json(value, needles, dropped)
                    if cleaned != value:
                        _update(session, table, keys, row, {column.name: cleaned})
            elif isinstance(column.type, String | Text) and column not in keys:
                hit = or_(*[column.contains(n, autoescape=True) for n in needles])
                for row in session.execute(sa_select(*keys, column).where(hit)).all():
                    cleaned = _scrub_text(row[-1], needles)[: column.type.length or None]
                    _update(session, table, keys, row, {column.name: cleaned})


def _update(
    session: Session, table: Table, keys: list[Any], row: Any, values: dict[str, Any]
) -> None:
    where = and_(*[key == row[i] for i, key in enumerate(keys)])
    session.execute(update(table).where(where).values(values))


def erase(session: Session, person_id: int, now: datetime) -> list[tuple[int, int]]:
    """Erase the person; returns (meeting, promoted person) for every seat that was freed."""
    needles = identifiers(session, person_id)
    accounts = [(p, e) for p, e, _u in _accounts(session, person_id)]
    promoted = _release_seats(session, person_id, now)
    # pass 1: what exists only to reach them
    to_them = or_(
        col(OutboxMessage.person_id) == person_id,
        *[
            and_(col(OutboxMessage.platform) == p, col(OutboxMessage.chat_id) == e)
            for p, e in accounts
        ],
    )
    their_files = outbox.referenced_files(session, to_them)
    session.execute(delete(OutboxMessage).where(to_them, col(OutboxMessage.status) == PENDING))
    session.execute(
        update(OutboxMessage).where(to_them).values(chat_id=REDACTED, payload={}, person_id=None)
    )
    blobs.forget(session, their_files - outbox.referenced_files(session))
    logged_to_them = or_(
        col(Delivery.person_id) == person_id,
        *[and_(col(Delivery.platform) == p, col(Delivery.chat_id) == e) for p, e in accounts],
    )
    session.execute(update(Delivery).where(logged_to_them).values(chat_id=REDACTED, person_id=None))
    session.execute(
        delete(ActionToken).where(
            or_(
                col(ActionToken.person_id) == person_id,
                *[
                    and_(col(ActionToken.platform) == p, col(ActionToken.chat_id) == e)
                    for p, e in accounts
                ],
            )
        )
    )
    for platform, external_id in accounts:
        session.execute(
            delete(CodeGuess).where(
                col(CodeGuess.platform) == platform, col(CodeGuess.external_id) == external_id
            )
        )
        session.execute(
            update(AuditEntry)
            .where(col(AuditEntry.subject) == f"account:{platform}:{external_id}")
            .values(subject=f"account:{platform}:{REDACTED}")
        )
    for model in _DELETE_ON_ERASE:
        owned = _table(model)
        session.execute(delete(owned).where(owned.c.person_id == person_id))
    # pass 2: identifying columns of the rows keyed by the person
    for model in _models():
        pii: tuple[str, ...] = getattr(model, "__pii_columns__", ())
        table = getattr(model, "__table__", None)
        if not pii or table is None or model in _DELETE_ON_ERASE:
            continue
        key = table.c.id if model is Person else table.c.get("person_id")
        if key is None:
            continue
        session.execute(update(table).where(key == person_id).values({c: None for c in pii}))
    session.flush()
    # pass 3: copies anywhere else
    _scrub_everywhere(session, needles)
    person_table = _table(Person)
    session.execute(
        update(person_table).where(person_table.c.id == person_id).values(erased_at=now)
    )
    audit.record(session, now, person_id, "person.erase", f"person:{person_id}")
    return promoted


def _table(model: type[SQLModel]) -> Table:
    """The model's Core table (sqlmodel does not declare `__table__` for type checkers)."""
    table = inspect(model).local_table
    assert isinstance(table, Table)
    return table


def _models() -> list[type[SQLModel]]:
    seen: list[type[SQLModel]] = []
    stack = list(SQLModel.__subclasses__())
    while stack:
        model = stack.pop()
        if model not in seen:
            seen.append(model)
            stack.extend(model.__subclasses__())
    return seen


# --- export --------------------------------------------------------------------------------

# Never exported: how the server works, not what it knows about someone.
INTERNAL = {
    "lease_owner",
    "lease_until",
    "sent_by",
    "code_hash",
    "dedupe_key",
    "attempts",
    "not_before",
    "last_error",
    "payload",
    "token",
    "b64",
    "blob_id",
    "sequence",
}
Row = dict[str, Any]


def export(session: Session, person_id: int) -> dict[str, list[Row]]:
    """Everything about the person, by section; values are plain (datetimes stay datetimes,
    the caller formats them in the person's language)."""
    person = session.get(Person, person_id)
    if person is None:
        return {}
    accounts = _accounts(session, person_id)
    networks = {n.id: n.code for n in session.exec(select(Network))}
    city = session.get(City, person.city_id) if person.city_id else None
    data: dict[str, list[Row]] = {
        "person": [
            {
                "name": person.name,
                "position": person.position,
                "email": person.email,
                "city": city.name if city else None,
                "office": person.office,
                "office_title": person.office_title,
                "language": person.language,
                "created_at": person.created_at,
            }
        ]
    }
    data["accounts"] = [
        {
            "platform": a.platform,
            "external_id": a.external_id,
            "username": a.username,
            "linked_at": a.linked_at,
        }
        for a in session.exec(select(Account).where(col(Account.person_id) == person_id))
    ]
    data["roles"] = [
        {
            "network": networks.get(r.network_id) if r.network_id else None,
            "role": r.role,
            "started_at": r.started_at,
            "ended_at": r.ended_at,
        }
        for r in session.exec(select(NetworkRole).where(col(NetworkRole.person_id) == person_id))
    ]
    meetings = {m.id: m for m in session.exec(select(Meeting))}
    data["answers"] = [
        {
            "meeting": f"#{r.meeting_id} {meetings[r.meeting_id].title}"
            if r.meeting_id in meetings
            else f"#{r.meeting_id}",
            "answer": r.answer,
            "waitlisted": r.waitlisted,
            "note": r.note,
            "answered_at": r.answered_at,
            "checked_in_at": r.checked_in_at,
        }
        for r in session.exec(select(Rsvp).where(col(Rsvp.person_id) == person_id))
    ]
    data["invitations"] = [
        {
            "created_at": i.created_at,
            "expires_at": i.expires_at,
            "used_at": i.used_at,
            "voided_at": i.voided_at,
        }
        for i in session.exec(select(Invitation).where(col(Invitation.person_id) == person_id))
    ]
    data["link_requests"] = [
        {
            "platform": r.platform,
            "username": r.username,
            "created_at": r.created_at,
            "status": r.status,
            "decided_at": r.decided_at,
        }
        for r in session.exec(select(LinkRequest).where(col(LinkRequest.person_id) == person_id))
    ]
    subjects = [f"account:{p}:{e}" for p, e, _u in accounts]
    data["code_attempts"] = [
        {"at": a.at, "what": a.action}
        for a in session.exec(
            select(AuditEntry)
            .where(col(AuditEntry.subject).in_(subjects or [""]))
            .order_by(col(AuditEntry.at))
        )
    ]
    data["code_attempts"] += [
        {
            "at": g.burst_started,
            "what": "invitation.wrong_codes",
            "failures": g.failures,
            "locked_until": g.locked_until,
        }
        for p, e, _u in accounts
        for g in session.exec(
            select(CodeGuess).where(col(CodeGuess.platform) == p, col(CodeGuess.external_id) == e)
        )
    ]
    names = {p.id: p.display_name for p in session.exec(select(Person))}
    data["audit"] = [
        {
            "at": a.at,
            "what": a.action,
            "by": names.get(a.actor_id) if a.actor_id else None,
            "details": {k: v for k, v in a.details.items() if k not in INTERNAL},
        }
        for a in session.exec(
            select(AuditEntry)
            .where(
                or_(
                    col(AuditEntry.subject) == f"person:{person_id}",
                    col(AuditEntry.actor_id) == person_id,
                )
            )
            .order_by(col(AuditEntry.at))
        )
    ]
    to_them = or_(
        col(OutboxMessage.person_id) == person_id,
        *[
            and_(col(OutboxMessage.platform) == p, col(OutboxMessage.chat_id) == e)
            for p, e, _u in accounts
        ],
    )
    data["pending_messages"] = [
        {
            "created_at": m.created_at,
            "kind": m.kind,
            "text": m.payload.get("text", ""),
            "files": ", ".join(f.get("name", "") for f in m.payload.get("files", [])),
        }
        for m in session.exec(
            select(OutboxMessage).where(to_them, col(OutboxMessage.status) == PENDING)
        )
    ]
    data["created_meetings"] = [
        {
            "meeting": f"#{m.id} {m.title}",
            "network": networks.get(m.network_id),
            "starts_at": m.starts_at,
            "created_at": m.created_at,
        }
        for m in meetings.values()
        if m.created_by == person_id
    ]
    from models.announcements import Announcement

    data["created_announcements"] = [
        {"announcement": f"#{a.id}", "created_at": a.created_at, "status": a.status, "text": a.text}
        for a in session.exec(select(Announcement).where(col(Announcement.author_id) == person_id))
    ]
    data["issued_invitations"] = [
        {"for": names.get(i.person_id), "created_at": i.created_at}
        for i in session.exec(select(Invitation).where(col(Invitation.issued_by) == person_id))
    ]
    data["bound_chats"] = [
        {"chat": b.title, "network": networks.get(b.network_id), "bound_at": b.bound_at}
        for b in session.exec(select(ChatBinding).where(col(ChatBinding.bound_by) == person_id))
    ]
    data["polls"] = _polls(session, person_id)
    data["other"] = _other_rows(session, person_id)
    return {k: v for k, v in data.items() if v}


COVERED = {
    "person",
    "account",
    "network_role",
    "rsvp",
    "invitation",
    "link_request",
    "audit_entry",
    "outbox_message",
    "outbox_delivery",
    "meeting",
    "announcement",
    "chat_binding",
    "conversation",
    "action_token",
    "poll_participant",
}


def _polls(session: Session, person_id: int) -> list[Row]:
    """The feedback polls the person was asked to answer; while one runs, how far they got
    (kept to resume); after closing nothing but "asked" is stored (models.feedback)."""
    from models.feedback import Poll, PollParticipant, PollStatus

    rows: list[Row] = []
    for mark, poll in session.exec(
        select(PollParticipant, Poll)
        .join(Poll, col(Poll.id) == col(PollParticipant.poll_id))
        .where(col(PollParticipant.person_id) == person_id)
        .order_by(col(Poll.id))
    ).all():
        row: Row = {"poll": f"#{poll.id} {poll.title}", "poll_state": poll.status}
        if poll.status == PollStatus.OPEN:
            row["progress"] = mark.progress
        rows.append(row)
    return rows


def _other_rows(session: Session, person_id: int) -> list[Row]:
    """Rows of feature tables not described above, keyed by the person (e.g. join requests)."""
    rows: list[Row] = []
    for table in SQLModel.metadata.sorted_tables:
        if table.name in COVERED or "person_id" not in table.c:
            continue
        for row in session.execute(
            sa_select(table).where(table.c.person_id == person_id)
        ).mappings():
            rows.append(
                {
                    "table": table.name,
                    **{
                        k: v
                        for k, v in row.items()
                        if k not in INTERNAL and k != "id" and not k.endswith("_id")
                    },
                }
            )
    return rows

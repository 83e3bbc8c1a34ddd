"""Files the bot keeps to send: announcement attachments (stored once, sent many times), and
the files of queued messages (`stored`: content-addressed, one copy per file version however
many recipients' rows refer to it; removed by `unreferenced` once no message needs it)."""

from __future__ import annotations

import hashlib
from collections.abc import Iterable
from datetime import datetime

from sqlalchemy import Column, LargeBinary, String, delete, or_, update
from sqlalchemy.exc import IntegrityError
from sqlmodel import Field, Session, SQLModel, col, select

from models.types import UTCDateTime


class Blob(SQLModel, table=True):
    id: int | None = Field(default=None, primary_key=True)
    name: str = Field(sa_type=String(200))
    mime: str = Field(sa_type=String(100))
    content: bytes = Field(sa_column=Column(LargeBinary, nullable=False))
    # set for the outbox's files only: sha-256 of name, type and content
    digest: str | None = Field(default=None, sa_type=String(64), unique=True)
    used_at: datetime | None = Field(default=None, sa_type=UTCDateTime)  # last queued with


def store(session: Session, name: str, mime: str, content: bytes) -> Blob:
    blob = Blob(name=name, mime=mime, content=content)
    session.add(blob)
    session.flush()
    return blob


def digest_of(name: str, mime: str, content: bytes) -> str:
    h = hashlib.sha256()
    for part in (name.encode(), mime.encode()):
        h.update(len(part).to_bytes(4, "big") + part)
    h.update(content)
    return h.hexdigest()


def stored(session: Session, name: str, mime: str, content: bytes, now: datetime) -> int:
    """The id of this file (name, type and content) among the outbox's files, stored now if
    it is new (also when another process stores it at the same moment)."""
    digest = digest_of(name, mime, content)
    query = select(Blob.id).where(Blob.digest == digest)
    found = session.exec(query).first()
    if found is not None:
        session.execute(update(Blob).where(col(Blob.id) == found).values(used_at=now))
        return int(found)
    try:
        with session.begin_nested():
            blob = Blob(name=name, mime=mime, content=content, digest=digest, used_at=now)
            session.add(blob)
            session.flush()
            return int(blob.id or 0)
    except IntegrityError:
        return int(session.exec(query).one() or 0)


def unreferenced(session: Session, referenced: Iterable[int], unused_since: datetime) -> int:
    """Delete the outbox's files no message refers to any more (and none was queued with
    since `unused_since`: a message being queued now may have just found it); returns how
    many went."""
    keep = set(referenced)
    candidates = select(Blob.id).where(
        col(Blob.digest).is_not(None),
        or_(col(Blob.used_at).is_(None), col(Blob.used_at) < unused_since),
    )
    ids = [int(i or 0) for i in session.exec(candidates).all() if i not in keep]
    for start in range(0, len(ids), 500):
        session.execute(delete(Blob).where(col(Blob.id).in_(ids[start : start + 500])))
    return len(ids)


def forget(session: Session, ids: Iterable[int]) -> None:
    """Delete these outbox files now (a person's erasure: no message needs them any more)."""
    found = sorted(ids)
    for start in range(0, len(found), 500):
        session.execute(
            delete(Blob).where(
                col(Blob.id).in_(found[start : start + 500]), col(Blob.digest).is_not(None)
            )
        )

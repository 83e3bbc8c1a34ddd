"""Files the bot keeps to send (announcement attachments): stored once, sent many times."""

from __future__ import annotations

from sqlalchemy import Column, LargeBinary, String
from sqlmodel import Field, Session, SQLModel


class Blob(SQLModel, table=True):
    id: int | None = Field(default=None, primary_key=True)
    name: str = Field(sa_type=String(200))
    mime: str = Field(sa_type=String(100))
    content: bytes = Field(sa_column=Column(LargeBinary, nullable=False))


def store(session: Session, name: str, mime: str, content: bytes) -> Blob:
    blob = Blob(name=name, mime=mime, content=content)
    session.add(blob)
    session.flush()
    return blob

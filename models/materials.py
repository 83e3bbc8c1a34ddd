"""The meeting's note and materials: what the coordinator or the expert sends after a meeting
(the note, files, links to SharePoint or MIRO boards), kept per network; the archive is read
newest first.

Who gets a material: those who took part in the meeting (models.attendance: present, and the
network's staff) except observer cities, whose people take part only in a meeting's open
part; a material of the open part goes to every observer city's representatives as well."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from enum import StrEnum

from sqlalchemy import String, Text, func
from sqlmodel import Field, Session, SQLModel, col, select

from models import attendance
from models.consultations import Audience, audience
from models.enums import Standing
from models.meetings import Meeting
from models.types import UTCDateTime

NOTE_MAX, TITLE_MAX, LINK_MAX, NAME_MAX = 20_000, 300, 500, 200


class MaterialKind(StrEnum):
    NOTE = "note"
    FILE = "file"
    LINK = "link"


class Material(SQLModel, table=True):
    id: int | None = Field(default=None, primary_key=True)
    network_id: int = Field(foreign_key="network.id", index=True)
    meeting_id: int = Field(foreign_key="meeting.id", index=True)
    kind: str = Field(sa_type=String(8))  # MaterialKind
    description: str | None = Field(default=None, sa_type=String(TITLE_MAX))
    body: str | None = Field(default=None, sa_type=Text)  # the note
    link: str | None = Field(default=None, sa_type=String(LINK_MAX))
    blob_id: int | None = Field(default=None, foreign_key="blob.id")  # the file, stored once
    file_name: str | None = Field(default=None, sa_type=String(NAME_MAX))
    open_part: bool = False  # of the meeting's open part: observers get it too
    sent_to: int = 0
    created_by: int | None = Field(default=None, foreign_key="person.id")
    created_at: datetime = Field(sa_type=UTCDateTime, index=True)


def recipients(session: Session, meeting: Meeting, open_part: bool) -> list[int]:
    """Who took part (present, and the network's staff), observer cities only for the open
    part's materials — and then every observer city's representatives."""
    taken = attendance.of_meeting(session, meeting)
    found = [
        a.person_id
        for a in taken.people
        if (a.present or (a.staff and a.listed))
        and (open_part or a.standing is not Standing.OBSERVER)
    ]
    if open_part:
        found += audience(session, meeting.network_id, Audience.OBSERVERS)
    return sorted(set(found))


def of_network(
    session: Session, network_id: int, *, open_only: bool, offset: int, limit: int
) -> tuple[list[tuple[Material, Meeting]], int]:
    """A page of the network's archive, newest first, and how many there are in all."""
    where = [col(Material.network_id) == network_id]
    if open_only:
        where.append(col(Material.open_part).is_(True))
    total = session.exec(select(func.count()).select_from(Material).where(*where)).one()
    rows = session.exec(
        select(Material, Meeting)
        .join(Meeting, col(Meeting.id) == col(Material.meeting_id))
        .where(*where)
        .order_by(col(Material.created_at).desc(), col(Material.id).desc())
        .offset(offset)
        .limit(limit)
    ).all()
    return [(m, meeting) for m, meeting in rows], int(total)


def of_meeting(session: Session, meeting_id: int) -> Sequence[Material]:
    return session.exec(
        select(Material).where(Material.meeting_id == meeting_id).order_by(col(Material.id))
    ).all()

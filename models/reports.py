"""The coordinator's report after each meeting ("raportowanie … po każdym spotkaniu według
predefiniowanego formularza elektronicznego").

The form's sections — what the coordinator writes — are set by the coordinating team
(`ReportForm`, one row; none: the default sections). A report (`MeetingReport`, one per
meeting) keeps the sections it was started with, each with its text: a draft until it is
submitted, then read-only. The figures (attendance, feedback, office hours, funding, the
plan's actions) are not stored: they are read from the bot's data when shown or printed."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta
from enum import StrEnum
from typing import Any

from sqlalchemy import JSON, Column, String, UniqueConstraint
from sqlalchemy.exc import IntegrityError
from sqlmodel import Field, Session, SQLModel, col, select

from models.meetings import Meeting, MeetingStatus
from models.types import UTCDateTime

TITLE_MAX, SECTION_MAX, MAX_SECTIONS = 120, 4000, 12


class ReportStatus(StrEnum):
    DRAFT = "draft"
    SUBMITTED = "submitted"


class ReportForm(SQLModel, table=True):
    """The predefined form: the titles of the sections the coordinator writes, in order."""

    __tablename__ = "report_form"

    id: int | None = Field(default=None, primary_key=True)
    sections: list[str] = Field(default_factory=list, sa_column=Column(JSON, nullable=False))
    updated_by: int | None = Field(default=None, foreign_key="person.id")
    updated_at: datetime = Field(sa_type=UTCDateTime)


class MeetingReport(SQLModel, table=True):
    __tablename__ = "meeting_report"
    __table_args__ = (UniqueConstraint("meeting_id"),)

    id: int | None = Field(default=None, primary_key=True)
    meeting_id: int = Field(foreign_key="meeting.id", index=True)
    network_id: int = Field(foreign_key="network.id", index=True)
    # [{"title": …, "text": …}, …]: the form's sections when the report was started
    sections: list[dict[str, Any]] = Field(
        default_factory=list, sa_column=Column(JSON, nullable=False)
    )
    status: str = Field(default=ReportStatus.DRAFT, sa_type=String(12))
    author_id: int | None = Field(default=None, foreign_key="person.id")
    created_at: datetime = Field(sa_type=UTCDateTime)
    updated_at: datetime = Field(sa_type=UTCDateTime)
    submitted_by: int | None = Field(default=None, foreign_key="person.id")
    submitted_at: datetime | None = Field(default=None, sa_type=UTCDateTime, index=True)

    @property
    def submitted(self) -> bool:
        return self.status == ReportStatus.SUBMITTED

    def texts(self) -> list[str]:
        return [str(s.get("text") or "") for s in self.sections]

    def titles(self) -> list[str]:
        return [str(s.get("title") or "") for s in self.sections]


# --- the form ------------------------------------------------------------------------------


def form(session: Session) -> ReportForm | None:
    return session.exec(select(ReportForm).order_by(col(ReportForm.id))).first()


def set_form(session: Session, titles: list[str] | None, by: int | None, now: datetime) -> None:
    """The section titles (None: back to the default sections)."""
    found = form(session)
    if titles is None:
        if found is not None:
            session.delete(found)
        return
    found = found or ReportForm(updated_at=now)
    found.sections, found.updated_by, found.updated_at = list(titles), by, now
    session.add(found)


# --- reports -------------------------------------------------------------------------------


def of_meeting(session: Session, meeting_id: int) -> MeetingReport | None:
    return session.exec(select(MeetingReport).where(MeetingReport.meeting_id == meeting_id)).first()


def start(
    session: Session, meeting: Meeting, titles: list[str], by: int | None, now: datetime
) -> MeetingReport:
    """The meeting's report, started now with these sections if there is none yet."""
    found = of_meeting(session, meeting.id or 0)
    if found is not None:
        return found
    row = MeetingReport(
        meeting_id=meeting.id or 0,
        network_id=meeting.network_id,
        sections=[{"title": title, "text": ""} for title in titles],
        author_id=by,
        created_at=now,
        updated_at=now,
    )
    try:
        with session.begin_nested():
            session.add(row)
        return row
    except IntegrityError:  # started at the same moment elsewhere
        found = of_meeting(session, meeting.id or 0)
        assert found is not None
        return found


def write(
    session: Session, report: MeetingReport, texts: dict[int, str], by: int | None, now: datetime
) -> None:
    """Replace the texts of the sections given by their index (0-based)."""
    sections = [dict(s) for s in report.sections]
    for index, text in texts.items():
        sections[index]["text"] = text
    report.sections = sections  # a new list: the JSON column is written
    report.updated_at = now
    report.author_id = by or report.author_id
    session.add(report)


def submit(session: Session, report: MeetingReport, by: int | None, now: datetime) -> None:
    report.status = ReportStatus.SUBMITTED
    report.submitted_by, report.submitted_at, report.updated_at = by, now, now
    session.add(report)


def submitted(
    session: Session, network_ids: Sequence[int] | None = None, limit: int = 50
) -> list[tuple[MeetingReport, Meeting]]:
    """Submitted reports, newest first (of these networks; None: of every network)."""
    query = (
        select(MeetingReport, Meeting)
        .join(Meeting, col(Meeting.id) == col(MeetingReport.meeting_id))
        .where(MeetingReport.status == ReportStatus.SUBMITTED)
    )
    if network_ids is not None:
        query = query.where(col(MeetingReport.network_id).in_(list(network_ids)))
    rows = session.exec(
        query.order_by(col(MeetingReport.submitted_at).desc(), col(MeetingReport.id).desc()).limit(
            limit
        )
    ).all()
    return [(r, m) for r, m in rows]


def missing(session: Session, ended_from: datetime, ended_to: datetime) -> list[Meeting]:
    """Published meetings that ended between the two moments and have no submitted report
    (a meeting lasts at most 12 hours)."""
    rows = session.exec(
        select(Meeting)
        .where(
            Meeting.starts_at <= ended_to,
            Meeting.starts_at >= ended_from - timedelta(hours=12),
            Meeting.status == MeetingStatus.PUBLISHED,
        )
        .order_by(col(Meeting.starts_at), col(Meeting.id))
    ).all()
    done = set(
        session.exec(
            select(MeetingReport.meeting_id).where(
                col(MeetingReport.meeting_id).in_([m.id for m in rows]),
                MeetingReport.status == ReportStatus.SUBMITTED,
            )
        ).all()
    )
    return [
        m
        for m in rows
        if m.id not in done
        and ended_from <= m.starts_at + timedelta(minutes=m.duration_minutes) <= ended_to
    ]


def last_finished(
    session: Session, network_ids: Sequence[int], now: datetime
) -> dict[int, tuple[Meeting, MeetingReport | None]]:
    """Each network's last published meeting that has ended by `now`, with its report (a
    draft, a submitted one, or None): the report the coordinator owes last."""
    if not network_ids:
        return {}
    rows = session.exec(
        select(Meeting)
        .where(
            col(Meeting.network_id).in_(list(network_ids)),
            Meeting.status == MeetingStatus.PUBLISHED,
            Meeting.starts_at <= now,
        )
        .order_by(col(Meeting.starts_at).desc(), col(Meeting.id).desc())
    ).all()
    last: dict[int, Meeting] = {}
    for m in rows:
        if m.network_id not in last and m.starts_at + timedelta(minutes=m.duration_minutes) <= now:
            last[m.network_id] = m
    found = {
        r.meeting_id: r
        for r in session.exec(
            select(MeetingReport).where(
                col(MeetingReport.meeting_id).in_([m.id for m in last.values()])
            )
        ).all()
    }
    return {n: (m, found.get(m.id or 0)) for n, m in last.items()}

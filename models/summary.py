"""What the programme's summary for ZMP's leadership reads that no other query gives: the
meetings of a period, every meeting a network held up to a moment (for the cities that lost
touch), and the coordinator's reports of those meetings. The rest comes from the features' own
queries (models.attendance, models.feedback, models.office_hours)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta

from sqlmodel import Session, col, select

from models.meetings import Meeting, MeetingStatus
from models.reports import MeetingReport

LONGEST = timedelta(hours=12)  # a meeting lasts at most this long (models.reports.missing)


def meetings_between(
    s: Session, *, network_ids: Sequence[int], start: datetime, end: datetime
) -> list[Meeting]:
    """Published meetings of these networks starting in [start, end), oldest first."""
    if not network_ids:
        return []
    return list(
        s.exec(
            select(Meeting)
            .where(
                col(Meeting.network_id).in_(list(network_ids)),
                Meeting.status == MeetingStatus.PUBLISHED,
                Meeting.starts_at >= start,
                Meeting.starts_at < end,
            )
            .order_by(col(Meeting.starts_at), col(Meeting.id))
        ).all()
    )


def meetings_ended_by(s: Session, *, network_id: int, moment: datetime) -> list[Meeting]:
    """The network's published meetings that ended by `moment`, oldest first."""
    rows = s.exec(
        select(Meeting)
        .where(
            Meeting.network_id == network_id,
            Meeting.status == MeetingStatus.PUBLISHED,
            Meeting.starts_at <= moment,
        )
        .order_by(col(Meeting.starts_at), col(Meeting.id))
    ).all()
    return [m for m in rows if m.starts_at + timedelta(minutes=m.duration_minutes) <= moment]


def reports_of(s: Session, *, meeting_ids: Sequence[int]) -> dict[int, MeetingReport]:
    """The coordinator's report (draft or submitted) of each of these meetings that has one."""
    if not meeting_ids:
        return {}
    rows = s.exec(
        select(MeetingReport).where(col(MeetingReport.meeting_id).in_(list(meeting_ids)))
    ).all()
    return {r.meeting_id: r for r in rows}

"""A meeting's programme: its parts (open or closed), and what each person may see of them
(observers: the open parts only)."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlmodel import Session, col, select

from models.errors import N_, DomainError
from models.meetings.tables import (
    Meeting,
    MeetingPart,
)


@dataclass(frozen=True)
class PartSpec:
    """A part as typed, before it is stored."""

    starts_at: datetime
    ends_at: datetime
    title: str
    open: bool = False
    stream_link: str | None = None


@dataclass(frozen=True)
class View:
    """What one person may see of a meeting: core members and staff everything, observers
    only the open parts (their times, titles and stream link) — never the closed part's link
    or details."""

    parts: tuple[PartSpec, ...]
    link: str | None
    agenda: str | None
    starts_at: datetime
    ends_at: datetime
    full: bool


def ends_at(meeting: Meeting) -> datetime:
    return meeting.starts_at + timedelta(minutes=meeting.duration_minutes)


def _spec(part: MeetingPart) -> PartSpec:
    return PartSpec(part.starts_at, part.ends_at, part.title, part.open, part.stream_link)


def view(meeting: Meeting, parts: Iterable[MeetingPart | PartSpec], *, observer: bool) -> View:
    """The meeting as a core member (observer=False) or an observer sees it."""
    specs = tuple(p if isinstance(p, PartSpec) else _spec(p) for p in parts)
    if not observer:
        return View(
            specs, meeting.online_link, meeting.agenda, meeting.starts_at, ends_at(meeting), True
        )
    if not specs:  # no programme: the whole meeting is open, or observers see nothing
        if not meeting.open_part:
            return View((), None, None, meeting.starts_at, ends_at(meeting), False)
        return View(
            (), meeting.online_link, meeting.agenda, meeting.starts_at, ends_at(meeting), False
        )
    shown = tuple(p for p in specs if p.open)
    closed = len(shown) < len(specs)
    link = next((p.stream_link for p in shown if p.stream_link), None)
    if link is None and not closed:  # one link, and no closed part on it
        link = meeting.online_link
    if not shown:
        return View((), None, None, meeting.starts_at, ends_at(meeting), False)
    return View(
        shown,
        link,
        None if closed else meeting.agenda,
        min(p.starts_at for p in shown),
        max(p.ends_at for p in shown),
        False,
    )


def parts_of(session: Session, meeting_id: int) -> list[MeetingPart]:
    return list(
        session.exec(
            select(MeetingPart)
            .where(MeetingPart.meeting_id == meeting_id)
            .order_by(col(MeetingPart.position), col(MeetingPart.id))
        ).all()
    )


def parts_by_meeting(session: Session, meeting_ids: Sequence[int]) -> dict[int, list[MeetingPart]]:
    ids = list(dict.fromkeys(meeting_ids))
    found: dict[int, list[MeetingPart]] = {i: [] for i in ids}
    for start in range(0, len(ids), 500):
        for part in session.exec(
            select(MeetingPart)
            .where(col(MeetingPart.meeting_id).in_(ids[start : start + 500]))
            .order_by(col(MeetingPart.meeting_id), col(MeetingPart.position), col(MeetingPart.id))
        ).all():
            found[part.meeting_id].append(part)
    return found


CLOSED_NETWORK = N_(
    "The leaders' network is closed: its meetings have no open part and no observers."
)


def check_open_part(closed_network: bool, open_part: bool) -> None:
    """The leaders' network is a closed platform: no part of its meetings is open."""
    if closed_network and open_part:
        raise DomainError(CLOSED_NETWORK)


def set_parts(
    session: Session, meeting: Meeting, parts: Sequence[PartSpec], closed_network: bool
) -> None:
    """Replace the meeting's programme. Parts lie within the meeting, in order, without
    overlapping; the meeting is open to observers exactly when one of its parts is."""
    previous_end = meeting.starts_at
    for part in parts:
        if not part.starts_at < part.ends_at:
            raise DomainError(N_("A part must end after it starts: {title}."), title=part.title)
        if part.starts_at < previous_end or part.ends_at > ends_at(meeting):
            raise DomainError(
                N_(
                    "The parts must follow one another within the meeting's time "
                    "(from its start, {hours} h): {title}."
                ),
                title=part.title,
                hours=round(meeting.duration_minutes / 60, 2),
            )
        previous_end = part.ends_at
    open_part = any(p.open for p in parts) if parts else meeting.open_part
    check_open_part(closed_network, open_part)
    for old in parts_of(session, meeting.id or 0):
        session.delete(old)
    session.flush()
    for position, part in enumerate(parts):
        session.add(
            MeetingPart(
                meeting_id=meeting.id or 0,
                position=position,
                starts_at=part.starts_at,
                ends_at=part.ends_at,
                title=part.title,
                open=part.open,
                stream_link=part.stream_link,
            )
        )
    meeting.open_part = open_part
    session.add(meeting)
    session.flush()


def shift_parts(session: Session, meeting_id: int, shift: timedelta) -> None:
    """A moved meeting takes its programme along."""
    for part in parts_of(session, meeting_id):
        part.starts_at, part.ends_at = part.starts_at + shift, part.ends_at + shift
        session.add(part)

"""Feedback results of a network on the desk: each meeting's poll (the same numbers `/wyniki`
and `/raport` give, with their anonymity rule: a question with fewer than 3 answers shows its
count only, a running poll shows nothing) and the trend across meetings (`/trend`'s), with the
report's charts drawn as SVG."""

from __future__ import annotations

import threading
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlmodel import Session

from core.i18n import Translator
from handlers.feedback import report as results
from handlers.feedback.report import PollResult, Report
from models import feedback as store
from models.core import Network
from models.feedback import PollKind, PollStatus
from models.meetings import Meeting

Points = list[tuple[str, dict[str, Any]]]
_DRAWING = threading.Lock()  # pyplot's figures are global state: one drawing at a time


@dataclass(frozen=True)
class PollLine:
    meeting: Meeting
    result: PollResult | None  # closed: its results
    closes_at: datetime | None  # running: hidden until then


def polls(s: Session, t: Translator, network: Network) -> list[PollLine]:
    """The network's meeting polls, the newest meeting first."""
    found = []
    for poll in store.polls_of_network(s, network.id or 0, PollKind.MEETING):
        meeting = s.get(Meeting, poll.meeting_id) if poll.meeting_id else None
        if meeting is None:
            continue
        closed = poll.status == PollStatus.CLOSED
        found.append(
            PollLine(
                meeting,
                results.results(s, t, poll) if closed else None,
                None if closed else poll.closes_at,
            )
        )
    return sorted(found, key=lambda p: (p.meeting.starts_at, p.meeting.id or 0), reverse=True)


def trend(s: Session, t: Translator, network: Network) -> Points:
    return results.trend_points(s, t, network.id or 0)


def questions(points: Points) -> list[str]:
    """The rating questions the trend chart draws (those of the latest poll)."""
    return [k for k in points[-1][1] if k != "_rate"] if points else []


def meeting_report(s: Session, t: Translator, meeting: Meeting) -> Report:
    return results.build(s, t, meeting)


def trend_svg(t: Translator, network: Network, points: Points) -> bytes:
    from handlers.feedback import charts  # matplotlib: only when drawn

    title = t("Feedback across meetings — {network}", network=network.name)
    desc = t(
        "Average rating (1–5) of each question at each meeting; the table beside it has the "
        "same numbers."
    )
    with _DRAWING:
        return charts.svg(charts.trend_figure(t, network.name, points), title, desc)


def meeting_svg(t: Translator, report: Report) -> bytes:
    from handlers.feedback import charts

    title = t(
        "Meeting #{id} “{title}”: attendance and feedback",
        id=report.meeting.id,
        title=report.meeting.title,
    )
    desc = t(
        "Invited, answered and present, then the answers to each question; the tables beside "
        "it have the same numbers."
    )
    with _DRAWING:
        return charts.svg(charts.meeting_figure(t, report), title, desc)

"""The figures of one period, every network the reader may see: meetings, attendance by city
and standing, cities losing touch, office hours used, feedback and its trend, the
coordinator's reports. Plain data for the PDF and the XLSX (handlers/summary/files.py).

The rules are the features' own: who was invited and present is models.attendance (the
signing sheet's and /obecnosc's people, staff not counted); feedback results are
handlers.feedback.report's (an average of fewer than 3 answers is not shown); office hours are
the bookings held (done, no-show, booked)."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta

from sqlmodel import Session

from core.collation import polish_key
from core.i18n import Translator
from handlers.feedback.report import attendance, results, standing_label
from handlers.office_hours.render import city_label
from handlers.summary.period import Period
from models import feedback as polls
from models import office_hours as oh
from models import summary as store
from models.core import Network
from models.feedback import PollStatus, QuestionKind
from models.meetings import Meeting
from models.office_hours import BookingStatus
from models.reports import MeetingReport

SUBMITTED, DRAFT, MISSING, NOT_DUE = "submitted", "draft", "missing", "not_due"


@dataclass
class MeetingLine:
    meeting: Meeting
    invited: int  # people (not staff)
    present: int
    cities_invited: int
    cities_present: int
    report: str  # SUBMITTED, DRAFT, MISSING (ended, none) or NOT_DUE (not ended yet)
    report_submitted_at: datetime | None = None


@dataclass
class CityLine:
    city: str
    standing: str  # label
    meetings_invited: int = 0
    meetings_attended: int = 0
    people_present: int = 0


@dataclass
class StandingLine:
    standing: str  # label
    invited: int = 0
    present: int = 0


@dataclass
class LosingTouch:
    city: str
    standing: str  # label
    missed: int  # meetings in a row with nobody present, up to the period's end
    last_attended: datetime | None  # the start of the last meeting someone came to


@dataclass
class OfficeLine:
    when: datetime
    city: str
    topic: str
    status: str  # BookingStatus


@dataclass
class FeedbackLine:
    meeting: Meeting
    asked: int
    answered: int
    average: float | None  # of the rating questions shown (3+ answers); None: none
    change: float | None  # against the network's previous meeting with an average


@dataclass
class NetworkSummary:
    network: Network
    meetings: list[MeetingLine] = field(default_factory=list)
    cities: list[CityLine] = field(default_factory=list)
    standings: list[StandingLine] = field(default_factory=list)
    losing_touch: list[LosingTouch] = field(default_factory=list)
    office: list[OfficeLine] = field(default_factory=list)
    feedback: list[FeedbackLine] = field(default_factory=list)

    @property
    def present(self) -> int:
        return sum(m.present for m in self.meetings)

    @property
    def invited(self) -> int:
        return sum(m.invited for m in self.meetings)

    def reports(self, state: str) -> int:
        return sum(1 for m in self.meetings if m.report == state)

    @property
    def office_used(self) -> int:
        return sum(1 for o in self.office if o.status != BookingStatus.NO_SHOW)


@dataclass
class Summary:
    period: Period
    made_at: datetime
    threshold: int  # meetings missed in a row that count as losing touch
    networks: list[NetworkSummary]


def build(
    s: Session,
    t: Translator,
    networks: list[Network],
    period: Period,
    now: datetime,
    threshold: int,
) -> Summary:
    start, end = period.start(t.tz), period.end(t.tz)
    found = []
    for network in sorted(networks, key=lambda n: polish_key(n.name)):
        found.append(_network(s, t, network, start, end, now, threshold))
    return Summary(period, now, threshold, found)


def _network(
    s: Session,
    t: Translator,
    network: Network,
    start: datetime,
    end: datetime,
    now: datetime,
    threshold: int,
) -> NetworkSummary:
    nid = network.id or 0
    meetings = store.meetings_between(s, network_ids=[nid], start=start, end=end)
    reports = store.reports_of(s, meeting_ids=[m.id or 0 for m in meetings])
    found = NetworkSummary(network)
    cities: dict[tuple[str, str], CityLine] = {}
    standings: dict[str, StandingLine] = {}
    for meeting in meetings:
        rows = attendance(s, meeting)
        for row in rows:
            label = standing_label(t, row.standing)
            line = cities.setdefault((row.city, label), CityLine(row.city, label))
            line.meetings_invited += int(row.invited > 0)
            line.meetings_attended += int(row.present > 0)
            line.people_present += row.present
            total = standings.setdefault(label, StandingLine(label))
            total.invited += row.invited
            total.present += row.present
        found.meetings.append(
            MeetingLine(
                meeting,
                sum(r.invited for r in rows),
                sum(r.present for r in rows),
                sum(1 for r in rows if r.invited),
                sum(1 for r in rows if r.present),
                *_report(meeting, reports.get(meeting.id or 0), now),
            )
        )
    found.cities = sorted(cities.values(), key=lambda c: (c.city == "—", polish_key(c.city)))
    found.standings = sorted(standings.values(), key=lambda x: polish_key(x.standing))
    found.losing_touch = losing_touch(s, t, nid, min(end, now), threshold)
    found.office = _office(s, nid, start, end)
    found.feedback = _feedback(s, t, nid, meetings)
    return found


def _report(
    meeting: Meeting, report: MeetingReport | None, now: datetime
) -> tuple[str, datetime | None]:
    if report is not None and report.submitted:
        return SUBMITTED, report.submitted_at
    if meeting.starts_at + timedelta(minutes=meeting.duration_minutes) > now:
        return NOT_DUE, None
    return (DRAFT if report is not None else MISSING), None


def losing_touch(
    s: Session, t: Translator, network_id: int, moment: datetime, threshold: int
) -> list[LosingTouch]:
    """Cities invited to `threshold` or more of the network's meetings in a row, up to
    `moment`, with nobody present (meetings a city was not invited to do not count)."""
    streaks: dict[tuple[str, str], int] = {}
    attended: dict[tuple[str, str], datetime] = {}
    for meeting in reversed(store.meetings_ended_by(s, network_id=network_id, moment=moment)):
        for row in attendance(s, meeting):
            key = (row.city, standing_label(t, row.standing))
            if key in attended or row.city == "—" or not row.invited:
                continue
            if row.present:
                attended[key] = meeting.starts_at
            else:
                streaks[key] = streaks.get(key, 0) + 1
    lost = [
        LosingTouch(city, standing, missed, attended.get((city, standing)))
        for (city, standing), missed in streaks.items()
        if missed >= threshold
    ]
    return sorted(lost, key=lambda x: (-x.missed, polish_key(x.city)))


def _office(s: Session, network_id: int, start: datetime, end: datetime) -> list[OfficeLine]:
    lines = []
    for session in oh.sessions_between(s, [network_id], start, end):
        for booking in oh.summary(s, session.id or 0):
            lines.append(
                OfficeLine(
                    session.slot_start(booking.slot),
                    city_label(s, booking.city_id),
                    booking.topic,
                    booking.status,
                )
            )
    return lines


def _average(s: Session, t: Translator, meeting: Meeting) -> tuple[int, int, float | None] | None:
    poll = polls.poll_for_meeting(s, meeting.id or 0)
    if poll is None or poll.status != PollStatus.CLOSED:
        return None
    result = results(s, t, poll)
    shown = [
        q.average
        for q in result.questions
        if q.kind == QuestionKind.RATING and q.shown and q.average is not None
    ]
    return result.asked, result.answered, (sum(shown) / len(shown) if shown else None)


def _feedback(
    s: Session, t: Translator, network_id: int, meetings: list[Meeting]
) -> list[FeedbackLine]:
    """Each meeting's closed poll: answered of asked, the average of its ratings, and the
    change against the network's previous meeting that had one (the trend)."""
    lines: list[FeedbackLine] = []
    if not meetings:
        return lines
    before = store.meetings_ended_by(s, network_id=network_id, moment=meetings[0].starts_at)
    previous: float | None = None
    for meeting in reversed(before):
        earlier = _average(s, t, meeting)
        if earlier is not None and earlier[2] is not None:
            previous = earlier[2]
            break
    for meeting in meetings:
        found = _average(s, t, meeting)
        if found is None:
            continue
        asked, answered, average = found
        change = average - previous if average is not None and previous is not None else None
        lines.append(FeedbackLine(meeting, asked, answered, average, change))
        if average is not None:
            previous = average
    return lines

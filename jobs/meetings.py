"""Meeting reminders, the answer nudge and the organiser's headcount, as due tasks.

Each is a row keyed by meeting and moment: moving a meeting moves them (same key), cancelling
drops them, and a restart neither loses nor repeats one.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime

from sqlmodel import Session

from core import links
from core import outbox as outbox_api
from core.config import Settings
from core.i18n import Translator
from core.messages import Action, Outgoing
from core.outbox import enqueue_to_people, enqueue_to_person
from jobs.dispatch import Job, batch_task, task
from models import directory
from models.core import Network
from models.due import DueTask
from models.errors import N_
from models.meetings import (
    REMINDERS,
    Meeting,
    coming_by_meeting,
    meetings_by_id,
    rsvps,
    silent_representatives,
)


def _message(
    t: Translator,
    meeting: Meeting,
    kind: str,
    text_id: str,
    page: str | None = None,
    **extra: object,
) -> Outgoing:
    # the last reminder comes with the check-in button (the same as /jestem <nr>)
    buttons = (Action(t("I'm here"), f"/jestem {meeting.id}"),) if kind == "reminder_1h" else ()
    if page is not None:  # the person's own answer page (core.links)
        buttons += (Action(t("Answer on a page"), url=page),)
    return Outgoing(
        t(text_id, id=meeting.id, title=meeting.title, when=t.datetime(meeting.starts_at), **extra),
        actions=buttons,
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
        lambda t: _message(t, meeting, kind, text_id, **extra),
        kind=kind,
        dedupe_key=f"{kind}:{meeting.id}:{meeting.sequence}:{person_id}",
    )


def _dedupe(kind: str, meeting: Meeting) -> Callable[[int], str]:
    return lambda person_id: f"{kind}:{meeting.id}:{meeting.sequence}:{person_id}"


IN_PERSON = N_("⏰ Reminder: meeting #{id} “{title}” — {when}.")
ONLINE = N_("⏰ Reminder: meeting #{id} “{title}” — {when}. Online: {link}")


def _builder(meeting: Meeting, kind: str, text_id: str) -> Callable[[Translator], Outgoing]:
    return lambda t: _message(t, meeting, kind, text_id, link=meeting.online_link)


def _reminders(job: Job, items: list[DueTask]) -> int:
    """Everyone coming (online and maybe: with the link), for many meetings at once: one
    query for the meetings, one for their answers, one lookup of every recipient's account,
    one insert of all the messages. Returns how many were queued."""
    meetings = meetings_by_id(job.session, [item.ref_id for item in items])
    coming = coming_by_meeting(job.session, list(meetings))
    found = outbox_api.reachable(
        job.session, [p for rows in coming.values() for p, _ in rows], job.settings
    )
    rows = []
    for item in items:
        meeting = meetings.get(item.ref_id)
        if meeting is None or meeting.status != "published":
            continue
        answers = coming[meeting.id or 0]
        online = [
            p for p, choice in answers if meeting.online_link and choice in ("online", "moze")
        ]
        in_person = [p for p, _ in answers if p not in set(online)]
        for people, text_id in ((in_person, IN_PERSON), (online, ONLINE)):
            rows += outbox_api.rows_for_people(
                found,
                people,
                job.settings,
                job.now,
                _builder(meeting, item.kind, text_id),
                kind=item.kind,
                dedupe=_dedupe(item.kind, meeting),
            )
    return outbox_api.queue_rows(job.session, rows)


for _kind in REMINDERS:
    batch_task(_kind)(_reminders)


@task("rsvp_nudge")
def nudge(job: Job, item: DueTask) -> None:
    """Representatives who have not answered (one indexed query), each with their own page."""
    meeting = job.session.get(Meeting, item.ref_id)
    if meeting is None or meeting.status != "published":
        return

    def message(t: Translator, person_id: int) -> Outgoing:
        return _message(
            t,
            meeting,
            "rsvp_nudge",
            N_(
                "Please answer the invitation to meeting #{id} “{title}” ({when}): /rsvp {id} "
                "stacjonarnie | online | nie | moze"
            ),
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
    if meeting is None or network is None or meeting.status != "published":
        return
    answers = [r for r in rsvps(job.session, meeting.id or 0) if not r.waitlisted]
    counts = {
        a: sum(1 for r in answers if r.answer == a)
        for a in ("stacjonarnie", "online", "moze", "nie")
    }
    notes = "; ".join(r.note for r in answers if r.note and r.answer == "stacjonarnie") or "—"
    for person, role, _city in directory.members(job.session, network.id or 0):
        if role in ("organiser", "coordinator"):
            _send(
                job.session,
                job.settings,
                job.now,
                person.id or 0,
                N_(
                    "Headcount for meeting #{id} “{title}” "
                    "({when}): in person {in_person}, online "
                    "{online}, maybe {maybe}, no {no}. Notes: "
                    "{notes}."
                ),
                meeting,
                "headcount",
                in_person=counts["stacjonarnie"],
                online=counts["online"],
                maybe=counts["moze"],
                no=counts["nie"],
                notes=notes,
            )

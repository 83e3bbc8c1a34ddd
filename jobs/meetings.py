"""Meeting reminders, the answer nudge and the organiser's headcount, as due tasks.

Each is a row keyed by meeting and moment: moving a meeting moves them (same key), cancelling
drops them, and a restart neither loses nor repeats one.
"""

from __future__ import annotations

from datetime import datetime

from sqlmodel import Session

from core import links
from core.config import Settings
from core.i18n import Translator
from core.messages import Action, Outgoing
from core.outbox import enqueue_to_person
from jobs.dispatch import task
from models import directory
from models.core import Network
from models.due import DueTask
from models.errors import N_
from models.meetings import REMINDERS, Meeting, rsvps


def _send(s: Session, settings: Settings, now: datetime, person_id: int, text_id: str,
          meeting: Meeting, kind: str, page: str | None = None, **extra: object) -> None:
    def build(t: Translator) -> Outgoing:
        # the last reminder comes with the check-in button (the same as /jestem <nr>)
        buttons = (Action(t("I'm here"), f"/jestem {meeting.id}"),) \
            if kind == "reminder_1h" else ()
        if page is not None:  # the person's own answer page (core.links)
            buttons += (Action(t("Answer on a page"), url=page),)
        return Outgoing(t(text_id, id=meeting.id, title=meeting.title,
                          when=t.datetime(meeting.starts_at), **extra), actions=buttons)

    enqueue_to_person(s, person_id, settings, now, build, kind=kind,
                      dedupe_key=f"{kind}:{meeting.id}:{meeting.sequence}:{person_id}")


def _reminder(s: Session, item: DueTask, now: datetime, settings: Settings) -> None:
    meeting = s.get(Meeting, item.ref_id)
    if meeting is None or meeting.status != "published":
        return
    for r in rsvps(s, meeting.id or 0):
        if r.answer in ("stacjonarnie", "moze", "online") and not r.waitlisted:
            _send(s, settings, now, r.person_id, N_("⏰ Reminder: meeting #{id} “{title}” — "
                                               "{when}."), meeting, item.kind)


for _kind in REMINDERS:
    task(_kind)(_reminder)


@task("rsvp_nudge")
def nudge(s: Session, item: DueTask, now: datetime, settings: Settings) -> None:
    meeting = s.get(Meeting, item.ref_id)
    if meeting is None or meeting.status != "published":
        return
    answered = {r.person_id for r in rsvps(s, meeting.id or 0)}
    for person, role, _city in directory.members(s, meeting.network_id):
        if role == "representative" and person.id not in answered:
            _send(s, settings, now, person.id or 0, N_("Please answer the invitation to meeting "
                                                  "#{id} “{title}” ({when}): /rsvp {id} "
                                                  "stacjonarnie | online | nie | moze"),
                  meeting, "rsvp_nudge", page=links.page_url_in(
                      s, settings, person.id or 0, links.RSVP, now,
                      expires_at=meeting.starts_at, meeting=meeting.id or 0))


@task("headcount")
def headcount(s: Session, item: DueTask, now: datetime, settings: Settings) -> None:
    meeting = s.get(Meeting, item.ref_id)
    network = s.get(Network, meeting.network_id) if meeting else None
    if meeting is None or network is None or meeting.status != "published":
        return
    answers = [r for r in rsvps(s, meeting.id or 0) if not r.waitlisted]
    counts = {a: sum(1 for r in answers if r.answer == a) for a in ("stacjonarnie", "online",
                                                                   "moze", "nie")}
    notes = "; ".join(r.note for r in answers if r.note and r.answer == "stacjonarnie") or "—"
    for person, role, _city in directory.members(s, network.id or 0):
        if role in ("organiser", "coordinator"):
            _send(s, settings, now, person.id or 0, N_("Headcount for meeting #{id} “{title}” "
                                                  "({when}): in person {in_person}, online "
                                                  "{online}, maybe {maybe}, no {no}. Notes: "
                                                  "{notes}."), meeting, "headcount",
                  in_person=counts["stacjonarnie"], online=counts["online"],
                  maybe=counts["moze"], no=counts["nie"], notes=notes)

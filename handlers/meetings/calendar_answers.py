"""Answers given with a calendar's own buttons (Outlook/Teams Accept, Tentative, Decline)
go through the same rules as typed answers (models.meetings.answer): deadline, format,
observers, capacity and the waitlist. The person hears privately only when something needs
their attention: a refusal, the waitlist, or a seat freed for someone else. The groups' live
invitations show the new counts at once, as after a typed answer."""

from __future__ import annotations

import logging
from datetime import datetime

from sqlmodel import Session

from core.config import Settings
from core.i18n import Translator
from core.messages import Outgoing
from core.outbox import enqueue_to_person
from handlers.meetings import render
from handlers.meetings.invitations import refresh_live_counts, tell_promoted
from models import directory
from models.core import Network, Person
from models.enums import Standing
from models.errors import N_, DomainError
from models.meetings import Answer, Meeting, MeetingFormat, answer

log = logging.getLogger("empirie.calendar")


def choice_for(meeting: Meeting, standing: Standing | None, response: str) -> Answer | None:
    """A calendar response as a typed answer; None when it says nothing (no answer yet).

    Accept means in person unless the meeting is online only (or the city observes: they
    follow online); a hybrid meeting's online seat is chosen with /rsvp <nr> online."""
    if response == "declined":
        return Answer.NO
    if response == "tentativelyAccepted":
        return Answer.MAYBE
    if response == "accepted":
        if meeting.format == MeetingFormat.ONLINE or standing is Standing.OBSERVER:
            return Answer.ONLINE
        return Answer.IN_PERSON
    return None


def apply(
    s: Session, settings: Settings, now: datetime, meeting: Meeting, person: Person, response: str
) -> Answer | None:
    """Record one calendar response; returns the answer recorded, or None."""
    standing = None
    for network in directory.networks_of(s, person.id or 0):
        if network.id == meeting.network_id:
            standing = directory.standing_of(s, person.city_id, network.id)
    choice = choice_for(meeting, standing, response)
    if choice is None:
        return None
    try:
        with s.begin_nested():
            mine, promoted = answer(s, meeting, person.id or 0, standing, choice, now)
    except DomainError as error:
        refusal = error
        log.info("calendar.refused meeting=%s person=%s", meeting.id, person.id)
        enqueue_to_person(
            s,
            person.id or 0,
            settings,
            now,
            lambda t: _refused(t, meeting, refusal),
            kind="calendar_answer",
            dedupe_key=f"calendar_refused:{meeting.id}:{person.id}:{response}:{now:%Y%m%d%H%M}",
        )
        return None
    if mine.waitlisted:
        enqueue_to_person(
            s,
            person.id or 0,
            settings,
            now,
            lambda t: Outgoing(render.waitlisted(t)),
            kind="calendar_answer",
        )
    if promoted is not None:
        tell_promoted(s, settings, now, meeting, promoted)
    home = s.get(Network, meeting.network_id)
    if home is not None:  # the groups' invitations: the counts move now
        refresh_live_counts(s, settings, now, meeting, home)
    log.info("calendar.answer meeting=%s person=%s answer=%s", meeting.id, person.id, choice)
    return choice


def _refused(t: Translator, meeting: Meeting, refusal: DomainError) -> Outgoing:
    return Outgoing(
        t(
            N_("Your calendar answer to meeting #{id} “{title}” was not recorded:"),
            id=meeting.id,
            title=meeting.title,
        )
        + " "
        + t(refusal.msgid, **refusal.params)
    )

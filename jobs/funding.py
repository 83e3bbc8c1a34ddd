"""Funding digests and reminders, as sweeps with once-only keys (models.funding.claim_once):
a restart or a second process never sends one twice.

- weekly, per network, at the configured weekday and time (default Monday 9:00, local);
- a few days before each published meeting: the review of calls for the meeting, also noted
  in the meeting's agenda;
- to followers, 7 days and 1 day before the call's next deadline.
"""

from __future__ import annotations

from datetime import datetime, time, timedelta

from sqlmodel import Session

from core.config import Settings
from core.i18n import Translator
from core.messages import Action, Outgoing
from core.outbox import enqueue_to_person
from handlers.funding.digest import days_left
from handlers.funding.digest import send as send_digest
from handlers.funding.parse import next_deadline
from jobs.dispatch import sweep
from models import funding as store
from models.core import Network
from models.errors import N_
from models.funding import FundingCall
from models.meetings import Meeting

WEEKLY = N_("Funding calls for {network} — weekly digest")
FOR_MEETING = N_("Funding calls for {network} — review for meeting #{id} “{title}” ({date})")
REMINDER_DAYS = (7, 1)


def weekly_moment(now: datetime, settings: Settings) -> datetime:
    """The latest scheduled digest moment at or before `now` (UTC)."""
    local = now.astimezone(settings.tz)
    hh, mm = (int(x) for x in settings.funding_digest_time.split(":"))
    day = local.date() - timedelta(days=(local.weekday() - settings.funding_digest_weekday) % 7)
    moment = datetime.combine(day, time(hh, mm), settings.tz)
    if moment > local:
        moment -= timedelta(days=7)
    return moment.astimezone(now.tzinfo)


@sweep
def weekly_digests(s: Session, now: datetime, settings: Settings) -> int:
    moment = weekly_moment(now, settings)
    if now - moment > timedelta(hours=12):
        return 0  # down at that hour: the next week's digest covers it, no stale catch-up
    sent = 0
    suffix = f":{moment.date().isoformat()}"
    for network in store.networks_without(s, "weekly:", suffix):  # usually none: one query
        key = f"weekly:{network.id}{suffix}"
        if store.claim_once(s, key, now, network.id):
            sent += send_digest(s, network, now, settings, heading_id=WEEKLY, key=key)
    return sent


@sweep
def meeting_reviews(s: Session, now: datetime, settings: Settings) -> int:
    sent = 0
    horizon = now + timedelta(days=settings.funding_meeting_days)
    for meeting in store.meetings_between(s, now, horizon, unless_sent="meeting:"):
        key = f"meeting:{meeting.id}"
        network = s.get(Network, meeting.network_id)
        if network is None or not store.claim_once(s, key, now, network.id):
            continue
        t = Translator(settings.default_language, settings.tz)
        count = send_digest(
            s,
            network,
            now,
            settings,
            heading_id=FOR_MEETING,
            key=key,
            force=True,
            id=meeting.id,
            title=meeting.title,
            date=t.local(meeting.starts_at).strftime("%d.%m.%Y"),
        )
        if count:
            _note_in_agenda(s, meeting, t)
        sent += count
    return sent


def _note_in_agenda(s: Session, meeting: Meeting, t: Translator) -> None:
    note = t("Review of funding calls (sent to the network chat; /konkursy for the list).")
    if note not in (meeting.agenda or ""):
        meeting.agenda = f"{meeting.agenda}\n{note}" if meeting.agenda else note
        s.add(meeting)


@sweep
def follow_reminders(s: Session, now: datetime, settings: Settings) -> int:
    sent = 0
    for follow, call in store.follows_with_calls(s):
        if call.withdrawn_at is not None:
            continue
        deadline = next_deadline(call.deadline_list, now)
        if deadline is None:
            continue
        for days in REMINDER_DAYS:
            moment = deadline - timedelta(days=days)
            if not moment <= now < min(deadline, moment + timedelta(days=1)):
                continue
            key = f"follow:{follow.id}:{deadline.isoformat()}:{days}"
            if not store.claim_once(s, key, now):
                continue

            def build(
                t: Translator, call: FundingCall = call, deadline: datetime = deadline
            ) -> Outgoing:
                return Outgoing(
                    t(
                        "⏰ Funding call #{id} “{title}”: the deadline is {when} "
                        "({days} days left). {link}",
                        id=call.id,
                        title=call.title,
                        when=t.datetime(deadline),
                        days=days_left(deadline, now, t),
                        link=call.link or "",
                    ),
                    actions=(Action(t("Stop following"), f"/nie_obserwuj {call.id}"),),
                )

            if enqueue_to_person(
                s,
                follow.person_id,
                settings,
                now,
                build,
                kind="funding_reminder",
                dedupe_key=key[:128],
            ):
                sent += 1
    return sent

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
from core.messages import Outgoing
from core.outbox import enqueue_to_person
from handlers.funding.digest import send as send_digest
from handlers.funding.parse import next_deadline
from handlers.funding.render import reminder
from jobs.dispatch import Job, sweep
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
def weekly_digests(job: Job) -> int:
    moment = weekly_moment(job.now, job.settings)
    # on a public holiday (Easter Monday) the digest waits for the next working morning
    shifted = job.settings.workdays.next_working_morning(moment)
    if shifted > job.now:
        moment = weekly_moment(moment - timedelta(minutes=1), job.settings)  # the week before
        shifted = job.settings.workdays.next_working_morning(moment)
    if not shifted <= job.now or job.now - shifted > timedelta(hours=12):
        return 0  # down at that hour: the next week's digest covers it, no stale catch-up
    sent = 0
    suffix = f":{moment.date().isoformat()}"
    for network in store.networks_without(
        job.session, "weekly:", suffix
    ):  # usually none: one query
        key = f"weekly:{network.id}{suffix}"
        if store.claim_once(job.session, key, job.now, network.id):
            sent += send_digest(
                job.session, network, job.now, job.settings, heading_id=WEEKLY, key=key
            )
    return sent


@sweep
def meeting_reviews(job: Job) -> int:
    sent = 0
    horizon = job.now + timedelta(days=job.settings.funding_meeting_days)
    for meeting in store.meetings_between(job.session, job.now, horizon, unless_sent="meeting:"):
        key = f"meeting:{meeting.id}"
        network = job.session.get(Network, meeting.network_id)
        if network is None or not store.claim_once(job.session, key, job.now, network.id):
            continue
        t = Translator(job.settings.default_language, job.settings.tz)
        count = send_digest(
            job.session,
            network,
            job.now,
            job.settings,
            heading_id=FOR_MEETING,
            key=key,
            force=True,
            id=meeting.id,
            title=meeting.title,
            date=t.local(meeting.starts_at).strftime("%d.%m.%Y"),
        )
        if count:
            _note_in_agenda(job.session, meeting, t)
        sent += count
    return sent


def _note_in_agenda(s: Session, meeting: Meeting, t: Translator) -> None:
    note = t("Review of funding calls (sent to the network chat; /konkursy for the list).")
    if note not in (meeting.agenda or ""):
        meeting.agenda = f"{meeting.agenda}\n{note}" if meeting.agenda else note
        s.add(meeting)


@sweep
def follow_reminders(job: Job) -> int:
    sent = 0
    for follow, call in store.follows_with_calls(job.session):
        if call.withdrawn_at is not None:
            continue
        deadline = next_deadline(call.deadline_list, job.now)
        if deadline is None:
            continue
        for days in REMINDER_DAYS:
            moment = deadline - timedelta(days=days)
            if not moment <= job.now < min(deadline, moment + timedelta(days=1)):
                continue
            key = f"follow:{follow.id}:{deadline.isoformat()}:{days}"
            if not store.claim_once(job.session, key, job.now):
                continue

            def build(
                t: Translator, call: FundingCall = call, deadline: datetime = deadline
            ) -> Outgoing:
                return reminder(t, call, deadline, job.now)

            if enqueue_to_person(
                job.session,
                follow.person_id,
                job.settings,
                job.now,
                build,
                kind="funding_reminder",
                dedupe_key=key[:128],
            ):
                sent += 1
    return sent

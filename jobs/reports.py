"""The coordinator's report: a reminder, once per meeting, to the network's coordinators (the
coordinating team when it has none) when the report is not submitted `report_reminder_days`
after the meeting ended. Meetings that ended long before that are left alone."""

from __future__ import annotations

from datetime import timedelta

from core import links
from core.i18n import Translator
from core.messages import Target
from core.outbox import enqueue_once, reachable
from handlers.reports import render
from jobs.dispatch import Job, sweep
from models import directory, outbox
from models import reports as store
from models.core import Network

WINDOW = timedelta(days=14)  # a meeting whose reminder day passed longer ago is not reminded


@sweep
def remind_missing_reports(job: Job) -> int:
    """Runs every sweep: the meetings, their coordinators, where they are reached and the
    reminders already queued are read once for the whole pass, not per meeting."""
    s, sent = job.session, 0
    days = job.settings.report_reminder_days
    due = job.now - timedelta(days=days)
    meetings = store.missing(s, due - WINDOW, due)
    if not meetings:
        return 0
    people = directory.coordinators_of(s, sorted({m.network_id for m in meetings}))
    found = reachable(s, sorted({p for ids in people.values() for p in ids}), job.settings)
    keys = {
        (meeting.id or 0, person): f"report_reminder:{meeting.id}:p{person}"
        for meeting in meetings
        for person in people[meeting.network_id]
        if person in found
    }
    done = outbox.queued_keys(s, list(keys.values()))
    networks: dict[int, Network] = {}
    for meeting in meetings:
        for person in people[meeting.network_id]:
            key = keys.get((meeting.id or 0, person))
            if key is None or key in done:
                continue
            network = networks.get(meeting.network_id) or s.get(Network, meeting.network_id)
            assert network is not None
            networks[meeting.network_id] = network
            language, platform, external_id = found[person]
            url = links.page_url_in(
                s, job.settings, person, links.MEETING_REPORT, job.now, meeting=meeting.id or 0
            )
            t = Translator(language or job.settings.default_language, job.settings.tz)
            sent += enqueue_once(
                s,
                Target(platform, external_id),
                render.reminder(t, meeting, network, days, url),
                job.now,
                dedupe_key=key,
                person_id=person,
                network_id=network.id,
                kind="report_reminder",
            )
    return sent

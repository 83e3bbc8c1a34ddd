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
from jobs.workplan import coordinators
from models import outbox
from models import reports as store
from models.core import Network

WINDOW = timedelta(days=14)  # a meeting whose reminder day passed longer ago is not reminded


@sweep
def remind_missing_reports(job: Job) -> int:
    s, sent = job.session, 0
    days = job.settings.report_reminder_days
    due = job.now - timedelta(days=days)
    for meeting in store.missing(s, due - WINDOW, due):
        network = s.get(Network, meeting.network_id)
        assert network is not None
        found = reachable(s, coordinators(job, meeting.network_id), job.settings)
        for person, (language, platform, external_id) in found.items():
            key = f"report_reminder:{meeting.id}:p{person}"
            if outbox.queued(s, key):
                continue
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

"""Consultations: the one reminder before the deadline, the close with the opinions for the
coordinator; and needs: when a meeting is published, its author and the network's experts
are told what the cities reported since the last meeting (for the programme)."""

from __future__ import annotations

from datetime import timedelta

from core.i18n import Translator
from core.messages import Action as Button
from core.messages import Outgoing, Target
from core.outbox import enqueue_once, reachable
from handlers.consultations import sending
from handlers.consultations.needs import need_line
from jobs.dispatch import Job, sweep, task
from models import consultations as store
from models import directory, outbox
from models.consultations import Consultation, NeedRow
from models.core import Network
from models.due import DueTask
from models.enums import Role
from models.meetings import Meeting

NEW_MEETING = timedelta(days=2)  # a meeting published longer ago is not told about
SHOWN = 5  # needs quoted in the notice; /potrzeby lists them all


@task(store.REMINDER, max_late=timedelta(days=1))
def remind(job: Job, item: DueTask) -> None:
    c = job.session.get(Consultation, item.ref_id)
    if c is not None:
        sending.remind(job.session, job.settings, job.now, c)


@task(store.CLOSE)
def close(job: Job, item: DueTask) -> None:
    c = job.session.get(Consultation, item.ref_id)
    if c is not None:
        sending.close(job.session, job.settings, job.now, c)


def _notice(t: Translator, meeting: Meeting, network: Network, rows: list[NeedRow]) -> Outgoing:
    lines = [
        t(
            "For the programme of meeting #{id} “{title}”: the cities of {network} reported "
            "{reported} since the last meeting.",
            id=meeting.id,
            title=meeting.title,
            network=network.name,
            reported=t.tn("{n} need or observation", "{n} needs and observations", len(rows)),
        ),
        *(need_line(t, r, short=True) for r in rows[:SHOWN]),
    ]
    return Outgoing(
        "\n".join(lines), actions=(Button(t("All needs"), f"/potrzeby {network.code}"),)
    )


@sweep
def needs_for_new_meetings(job: Job) -> int:
    s, sent = job.session, 0
    for meeting in store.new_meetings(s, job.now - NEW_MEETING, job.now):
        since = store.last_meeting_start(s, meeting.network_id, job.now)
        rows = store.needs(s, meeting.network_id, since)
        if not rows:
            continue
        network = s.get(Network, meeting.network_id)
        assert network is not None
        experts = [
            p.id or 0
            for p, role in directory.support_team(s, network.id or 0)
            if role is Role.EXPERT
        ]
        people = [p for p in dict.fromkeys([meeting.created_by, *experts]) if p]
        for person, (language, platform, external_id) in reachable(s, people, job.settings).items():
            key = f"needs_for_meeting:{meeting.id}:p{person}"
            if outbox.queued(s, key):
                continue
            t = Translator(language or job.settings.default_language, job.settings.tz)
            sent += enqueue_once(
                s,
                Target(platform, external_id),
                _notice(t, meeting, network, rows),
                job.now,
                dedupe_key=key,
                person_id=person,
                network_id=network.id,
                kind="needs_for_meeting",
            )
    return sent

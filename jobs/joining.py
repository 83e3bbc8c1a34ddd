"""Join requests over time: a network's coordinators get one summary of what came in (and of
what is about to lapse) at most every `join_summary_minutes`, never a message per request;
three days before a request lapses it is noted for that summary; when it lapses, the person
who asked is told (due tasks per request)."""

from __future__ import annotations

import logging
from datetime import timedelta

from core.i18n import Translator
from core.messages import Outgoing, Target
from core.outbox import enqueue, enqueue_to_people
from handlers.joining.render import deciders, summary
from jobs.dispatch import Job, sweep, task
from models import directory, joins
from models.core import Network
from models.due import DueTask
from models.errors import N_

log = logging.getLogger("empirie.joining")

LAPSED = N_(
    "Your request #{id} to join {networks} lapsed after 14 days without a decision. "
    "You may ask again with /zglos, or write to the Association of Polish Cities (ZMP)."
)


@task("join_expiry")
def lapse(job: Job, item: DueTask) -> None:
    request = joins.expire(job.session, item.ref_id, job.now)
    if request is None or request.external_id is None:
        return
    t = Translator(request.language or job.settings.default_language, job.settings.tz)
    names = ", ".join(
        n.name
        for code in request.pending
        if (n := directory.network_by_code(job.session, code)) is not None
    )
    enqueue(
        job.session,
        Target(request.platform, request.external_id),
        Outgoing(t(LAPSED, id=request.id, networks=names)),
        job.now,
        kind="join_expiry",
        dedupe_key=f"join_expiry:{request.id}",
    )


@task("join_remind", max_late=timedelta(days=2))
def remind(job: Job, item: DueTask) -> None:
    """Each undecided network's next summary reminds its coordinators of the request."""
    request = joins.waiting(job.session, item.ref_id, job.now)
    if request is None:
        return
    networks = (directory.network_by_code(job.session, code) for code in request.pending)
    for network in sorted((n for n in networks if n is not None), key=lambda n: n.id or 0):
        row = joins.digest(job.session, network.id or 0)  # locked in id order, as everywhere
        joins.note(job.session, row, request.id or 0, lapsing=True)


@sweep
def summaries(job: Job) -> int:
    """Each network with news whose last summary is at least `join_summary_minutes` old gets
    one now (the first request after a quiet spell: at the next tick). The network's digest
    row is locked while it is sent, so two processes never both send one."""
    quiet = timedelta(minutes=job.settings.join_summary_minutes)
    return sum(
        _summarise(job, network_id, quiet)
        for network_id in joins.digests_to_send(job.session, job.now, quiet)
    )


def _summarise(job: Job, network_id: int, quiet: timedelta) -> int:
    taken = joins.take(job.session, network_id, job.now, quiet)
    network = job.session.get(Network, network_id)
    if taken is None or network is None:
        return 0
    row, fresh_ids, lapsing_ids = taken
    fresh = joins.still_waiting(job.session, fresh_ids, network.code, job.now)
    lapsing = joins.still_waiting(job.session, lapsing_ids, network.code, job.now)
    if not fresh and not lapsing:
        return 0  # all decided meanwhile: nothing to say, and no summary spent
    waiting = joins.count_waiting(job.session, network.code, job.now)

    def build(t: Translator) -> Outgoing:
        return summary(t, job.session, network, fresh, lapsing, waiting, job.now)

    reached = 0
    for people in deciders(job.session, network):
        reached = enqueue_to_people(
            job.session, people, job.settings, job.now, build, kind="join_summary"
        )
        if reached:
            break
    row.sent_at = job.now
    job.session.add(row)
    log.info(
        "join.summary network=%s new=%s lapsing=%s reached=%s",
        network.code,
        len(fresh),
        len(lapsing),
        reached,
    )
    return reached

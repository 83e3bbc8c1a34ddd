"""Join requests lapse after 14 days: the person who asked is told (a due task per request)."""

from __future__ import annotations

from core.i18n import Translator
from core.messages import Outgoing, Target
from core.outbox import enqueue
from jobs.dispatch import Job, task
from models import directory, joins
from models.due import DueTask
from models.errors import N_

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

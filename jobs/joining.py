"""Join requests lapse after 14 days: three days before, the coordinators who have not
decided are reminded; when it lapses, the person who asked is told (due tasks per request)."""

from __future__ import annotations

from datetime import timedelta

from core.i18n import Translator
from core.messages import Action as Button
from core.messages import Outgoing, Target
from core.outbox import enqueue, enqueue_to_person
from jobs.dispatch import Job, task
from models import directory, joins
from models.due import DueTask
from models.enums import Role
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


REMINDER = N_(
    "⏳ Join request #{id} ({name}, {city}) to the network {network} still waits for your "
    "decision; it lapses on {when}: /przyjmij {id} {code} or /odrzuc {id} {code}."
)


@task("join_remind", max_late=timedelta(days=2))
def remind(job: Job, item: DueTask) -> None:
    """Each undecided network's coordinators (else the coordinating team) are reminded."""
    request = joins.waiting(job.session, item.ref_id, job.now)
    if request is None or request.expires_at is None:
        return
    lapses = request.expires_at
    for code in request.pending:
        network = directory.network_by_code(job.session, code)
        if network is None:
            continue
        staff = directory.members(job.session, network.id or 0)
        for wanted in (Role.COORDINATOR, Role.COORDINATING_TEAM):
            reached = 0

            def build(t: Translator, name: str = network.name, code: str = code) -> Outgoing:
                return Outgoing(
                    t(
                        REMINDER,
                        id=request.id,
                        name=request.name or "—",
                        city=request.city_name or "—",
                        network=name,
                        when=t.datetime(lapses),
                        code=code,
                    ),
                    actions=(
                        Button(t("Accept"), f"/przyjmij {request.id} {code}"),
                        Button(t("Reject"), f"/odrzuc {request.id} {code}"),
                    ),
                )

            for person, role, _city in staff:
                if role != wanted:
                    continue
                reached += enqueue_to_person(
                    job.session,
                    person.id or 0,
                    job.settings,
                    job.now,
                    build,
                    kind="join_remind",
                    dedupe_key=f"join_remind:{request.id}:{code}:{person.id}",
                )
            if reached:
                break

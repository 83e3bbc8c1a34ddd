"""The programme's summary for ZMP's leadership, on a schedule: after each month or quarter
(`EMPIRIE_SUMMARY_PERIOD`), on the first working morning of the next, every member of the
coordinating team gets the previous period's summary (PDF and XLSX) privately, once.

A bot that was down at that moment sends it when it is back, within a week (`CATCH_UP`); a
bot first started later in the period does not send a summary nobody expects any more.

Once-only across restarts and processes: each person's message has the key
`summary:<first day>_<last day>:p<person>` (models.outbox.queued keeps it after delivery).
The files are made only when somebody still has to get them, once per language and set of
networks seen (the closed leaders' network only for those the permission table lets see it)."""

from __future__ import annotations

from datetime import datetime, timedelta

from core.config import Settings
from core.i18n import Translator
from core.messages import Outgoing, Target
from core.outbox import enqueue_once, reachable
from handlers.kit.permissions import Action, Actor, allowed
from handlers.summary.period import Period, last_full
from handlers.summary.render import make
from jobs.dispatch import Job, sweep
from models import directory, outbox

KIND = "summary"
CATCH_UP = timedelta(days=7)


def key(period: Period, person_id: int) -> str:
    return f"{KIND}:{period.key}:p{person_id}"


def due_moment(period: Period, settings: Settings) -> datetime:
    """The first working morning after the period's last day."""
    workdays = settings.workdays
    return workdays.next_working_morning(
        datetime.combine(
            period.end(settings.tz).astimezone(settings.tz).date(), workdays.morning
        ).replace(tzinfo=settings.tz)
    )


@sweep
def send_summary(job: Job) -> int:
    s, settings = job.session, job.settings
    period = last_full(settings.summary_period, job.now, settings.tz)
    due = due_moment(period, settings)
    if not due <= job.now <= due + CATCH_UP:
        return 0
    team = [p.id or 0 for p in directory.coordinating_team(s)]
    waiting = [p for p in team if not outbox.queued(s, key(period, p))]
    if not waiting:
        return 0
    networks = list(directory.networks(s))
    found = reachable(s, waiting, settings)
    made: dict[tuple[str, tuple[int, ...]], Outgoing] = {}
    sent = 0
    for person, (language, platform, external_id) in found.items():
        person_row = directory.people_by_id(s, [person]).get(person)
        seen = [
            n
            for n in networks
            if allowed(
                Actor(
                    directory.roles_of(s, person, n.id),
                    directory.standing_of(s, person_row.city_id if person_row else None, n.id),
                ),
                Action.VIEW_SUMMARY,
                network_closed=n.closed,
            )
        ]
        if not seen:
            continue
        lang = language or settings.default_language
        which = (lang, tuple(n.id or 0 for n in seen))
        if which not in made:
            t = Translator(lang, settings.tz)
            made[which] = make(
                s, t, seen, period, job.now, settings.summary_missed_in_row, scheduled=True
            )
        sent += enqueue_once(
            s,
            Target(platform, external_id),
            made[which],
            job.now,
            dedupe_key=key(period, person),
            person_id=person,
            kind=KIND,
        )
    return sent

"""Office hours over time: sessions made from the series, booking opening, the expert's
agenda, reminders, offers that run out, and the summary after. Each is a due task (or the
materialising sweep), so a restart neither loses nor repeats one."""

from __future__ import annotations

from datetime import timedelta

from sqlmodel import Session

from core.i18n import Translator
from core.messages import Action, Outgoing, Target
from core.outbox import enqueue, enqueue_to_person
from handlers.office_hours.render import after_freed, agenda_lines, summary_text, where
from jobs.dispatch import Job, sweep, task
from models import directory
from models import office_hours as oh
from models.core import Network
from models.due import DueTask
from models.errors import N_
from models.office_hours import BookingStatus, OfficeBooking, OfficeSession


@sweep
def materialise(job: Job) -> int:
    """Sessions of every series up to the horizon exist as rows (with their due work)."""
    made = 0
    for series in oh.active_series(job.session):
        made += len(
            oh.materialise(
                job.session,
                series,
                job.settings.tz,
                job.now,
                timedelta(days=job.settings.office_horizon_days),
                job.settings.workdays,
            )
        )
    return made


def _session(s: Session, item: DueTask) -> OfficeSession | None:
    session = s.get(OfficeSession, item.ref_id)
    return session if session is not None and session.scheduled else None


@task("office_open")
def announce_opening(job: Job, item: DueTask) -> None:
    session = _session(job.session, item)
    if session is None or session.ends_at <= job.now:
        return
    network = job.session.get(Network, session.network_id)
    if network is None:
        return
    t = Translator(job.settings.default_language, job.settings.tz)
    free = len(oh.free_slots(job.session, session, job.now))
    for chat in directory.chats_of(job.session, [network.id or 0]):
        enqueue(
            job.session,
            Target(chat.platform, chat.chat_id),
            Outgoing(
                t.tn(
                    "🗓 Booking is open: the expert's office hours #{id}, {when} ({n} free slot of "
                    "{minutes} min). Core cities book privately: /dyzur or /dyzur_rezerwuj {id} "
                    "<slot> <topic>.",
                    "🗓 Booking is open: the expert's office hours #{id}, {when} ({n} free slots of "
                    "{minutes} min). Core cities book privately: /dyzur or /dyzur_rezerwuj {id} "
                    "<slot> <topic>.",
                    free,
                    id=session.id,
                    when=t.datetime(session.starts_at),
                    minutes=session.slot_minutes,
                ),
                actions=(Action(t("Free slots"), f"/dyzur {network.code}"),),
            ),
            job.now,
            kind="office_open",
            dedupe_key=f"office_open:{session.id}:{chat.platform}:{chat.chat_id}",
        )


def _agenda(job: Job, item: DueTask) -> None:
    session = _session(job.session, item)
    if session is None or session.expert_id is None:
        return
    enqueue_to_person(
        job.session,
        session.expert_id,
        job.settings,
        job.now,
        lambda t: Outgoing("\n".join(agenda_lines(job.session, t, session))),
        kind=item.kind,
        dedupe_key=f"{item.kind}:{session.id}:{session.sequence}",
    )


# After downtime the day-before agenda is dropped once the hour-before one is due: never twice.
task("office_agenda_1d", max_late=timedelta(hours=12))(_agenda)
task("office_agenda_1h", max_late=timedelta(minutes=45))(_agenda)

TOMORROW = N_(
    "⏰ Tomorrow: your city's office hours #{id} with the expert, {when}. "
    "Topic: {topic}. Join: {where}"
)
IN_15 = N_("⏰ In 15 minutes: office hours #{id}, {when}. Topic: {topic}. Join: {where}")
LATE = N_(
    "⏰ Reminder: your city's office hours #{id} with the expert, {when}. "
    "Topic: {topic}. Join: {where}"
)
LATE_REMINDER_AHEAD = timedelta(hours=1)  # closer than this, the 15-minute one covers it


def _remind(job: Job, item: DueTask) -> None:
    _send_reminder(job, item, TOMORROW if item.kind == "office_remind_24h" else IN_15)


def _remind_late(job: Job, item: DueTask) -> None:
    """The day-before reminder sent late (after downtime): worded with the date only, and
    only while the slot is still well ahead."""
    _send_reminder(job, item, LATE, ahead=LATE_REMINDER_AHEAD)


def _send_reminder(job: Job, item: DueTask, text_id: str, ahead: timedelta = timedelta(0)) -> None:
    booking = job.session.get(OfficeBooking, item.ref_id)
    if booking is None or booking.status != BookingStatus.BOOKED:
        return
    session = job.session.get(OfficeSession, booking.session_id)
    if session is None or not session.scheduled:
        return
    if session.slot_start(booking.slot) - job.now < ahead:
        return
    enqueue_to_person(
        job.session,
        booking.person_id,
        job.settings,
        job.now,
        lambda t: Outgoing(
            t(
                text_id,
                id=session.id,
                when=t.datetime(session.slot_start(booking.slot)),
                topic=booking.topic,
                where=where(t, session),
            )
        ),
        kind=item.kind,
        dedupe_key=f"{item.kind}:{booking.id}:{session.sequence}",
    )


task("office_remind_24h", max_late=timedelta(hours=2), rewrite=_remind_late)(_remind)
task("office_remind_15m", max_late=timedelta(minutes=10))(_remind)


@task("office_offer_expire")
def offer_expired(job: Job, item: DueTask) -> None:
    freed = oh.expire_offer(
        job.session, item.ref_id, job.now, job.settings.tz, job.settings.office_offer_minutes
    )
    if freed is None:
        return
    session = job.session.get(OfficeSession, freed.booking.session_id)
    assert session is not None
    enqueue_to_person(
        job.session,
        freed.booking.person_id,
        job.settings,
        job.now,
        lambda t: Outgoing(
            t(
                "The offered slot in office hours #{id} went to the next city: the time to take it "
                "has passed.",
                id=session.id,
            )
        ),
        kind="office_offer",
        dedupe_key=f"office_offer_expired:{freed.booking.id}",
    )
    after_freed(job.session, job.settings, job.now, session, freed)


@task("office_end")
def ended(job: Job, item: DueTask) -> None:
    """After the session: the topics go to the expert (the coordinator reads them with
    /dyzur_podsumowanie for the report)."""
    session = _session(job.session, item)
    if session is None or session.expert_id is None:
        return
    enqueue_to_person(
        job.session,
        session.expert_id,
        job.settings,
        job.now,
        lambda t: Outgoing(
            summary_text(job.session, t, session)
            + "\n"
            + t("Mark who did not come: /dyzur_nieobecny {id} <slot>", id=session.id)
        ),
        kind="office_end",
        dedupe_key=f"office_end:{session.id}",
    )

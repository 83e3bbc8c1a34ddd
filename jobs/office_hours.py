"""Office hours over time: sessions made from the series, booking opening, the expert's
agenda, reminders, offers that run out, and the summary after. Each is a due task (or the
materialising sweep), so a restart neither loses nor repeats one."""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlmodel import Session

from core.config import Settings
from core.i18n import Translator
from core.messages import Action, Outgoing, Target
from core.outbox import enqueue, enqueue_to_person
from handlers.office_hours.commands import (
    after_freed,
    agenda_lines,
    summary_text,
    where,
)
from jobs.dispatch import sweep, task
from models import directory
from models import office_hours as oh
from models.core import Network
from models.due import DueTask
from models.errors import N_
from models.office_hours import OfficeBooking, OfficeSession


@sweep
def materialise(s: Session, now: datetime, settings: Settings) -> int:
    """Sessions of every series up to the horizon exist as rows (with their due work)."""
    made = 0
    for series in oh.active_series(s):
        made += len(
            oh.materialise(
                s, series, settings.tz, now, timedelta(days=settings.office_horizon_days)
            )
        )
    return made


def _session(s: Session, item: DueTask) -> OfficeSession | None:
    session = s.get(OfficeSession, item.ref_id)
    return session if session is not None and session.status == "scheduled" else None


@task("office_open")
def announce_opening(s: Session, item: DueTask, now: datetime, settings: Settings) -> None:
    session = _session(s, item)
    if session is None or session.ends_at <= now:
        return
    network = s.get(Network, session.network_id)
    if network is None:
        return
    t = Translator(settings.default_language, settings.tz)
    free = len(oh.free_slots(s, session, now))
    for chat in directory.chats_of(s, [network.id or 0]):
        enqueue(
            s,
            Target(chat.platform, chat.chat_id),
            Outgoing(
                t(
                    "🗓 Booking is open: the expert's office hours #{id}, {when} ({free} slots of "
                    "{minutes} min). Core cities book privately: /dyzur or /dyzur_rezerwuj {id} "
                    "<slot> <topic>.",
                    id=session.id,
                    when=t.datetime(session.starts_at),
                    free=free,
                    minutes=session.slot_minutes,
                ),
                actions=(Action(t("Free slots"), f"/dyzur {network.code}"),),
            ),
            now,
            kind="office_open",
            dedupe_key=f"office_open:{session.id}:{chat.platform}:{chat.chat_id}",
        )


def _agenda(s: Session, item: DueTask, now: datetime, settings: Settings) -> None:
    session = _session(s, item)
    if session is None or session.expert_id is None:
        return
    enqueue_to_person(
        s,
        session.expert_id,
        settings,
        now,
        lambda t: Outgoing("\n".join(agenda_lines(s, t, session))),
        kind=item.kind,
        dedupe_key=f"{item.kind}:{session.id}:{session.sequence}",
    )


task("office_agenda_1d")(_agenda)
task("office_agenda_1h")(_agenda)


def _remind(s: Session, item: DueTask, now: datetime, settings: Settings) -> None:
    booking = s.get(OfficeBooking, item.ref_id)
    if booking is None or booking.status != "booked":
        return
    session = s.get(OfficeSession, booking.session_id)
    if session is None or session.status != "scheduled":
        return
    text_id = (
        N_(
            "⏰ Tomorrow: your city's office hours #{id} with the expert, {when}. "
            "Topic: {topic}. Join: {where}"
        )
        if item.kind == "office_remind_24h"
        else N_("⏰ In 15 minutes: office hours #{id}, {when}. Topic: {topic}. Join: {where}")
    )
    enqueue_to_person(
        s,
        booking.person_id,
        settings,
        now,
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


task("office_remind_24h")(_remind)
task("office_remind_15m")(_remind)


@task("office_offer_expire")
def offer_expired(s: Session, item: DueTask, now: datetime, settings: Settings) -> None:
    freed = oh.expire_offer(s, item.ref_id, now, settings.tz, settings.office_offer_minutes)
    if freed is None:
        return
    session = s.get(OfficeSession, freed.booking.session_id)
    assert session is not None
    enqueue_to_person(
        s,
        freed.booking.person_id,
        settings,
        now,
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
    after_freed(s, settings, now, session, freed)


@task("office_end")
def ended(s: Session, item: DueTask, now: datetime, settings: Settings) -> None:
    """After the session: the topics go to the expert (the coordinator reads them with
    /dyzur_podsumowanie for the report)."""
    session = _session(s, item)
    if session is None or session.expert_id is None:
        return
    enqueue_to_person(
        s,
        session.expert_id,
        settings,
        now,
        lambda t: Outgoing(
            summary_text(s, t, session)
            + "\n"
            + t("Mark who did not come: /dyzur_nieobecny {id} <slot>", id=session.id)
        ),
        kind="office_end",
        dedupe_key=f"office_end:{session.id}",
    )

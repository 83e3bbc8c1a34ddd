"""The office-hours calendar of a network on the desk: the expert's sessions of the last few
weeks and ahead, week by week, each slot with the city, the person and the topic booked, and the
free ones. The same bookings `/dyzur_agenda` lists (models.office_hours)."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, timedelta

from sqlmodel import Session

from core.i18n import Translator
from handlers.office_hours.render import city_label, state_label
from models import office_hours as oh
from models.core import Network, Person
from models.office_hours import OfficeSession, SessionStatus

PAST_WEEKS = 3  # the calendar starts this many weeks back (the Monday of that week)


@dataclass(frozen=True)
class Slot:
    number: int
    starts_at: datetime
    city: str = ""  # empty: free
    person: str = ""
    topic: str = ""
    state: str = ""  # done, no-show, offered (a label), or ""

    @property
    def free(self) -> bool:
        return not self.city


@dataclass(frozen=True)
class SessionDay:
    session: OfficeSession
    expert: str
    slots: list[Slot]
    waiting: list[str] = field(default_factory=list)

    @property
    def scheduled(self) -> bool:
        return self.session.status == SessionStatus.SCHEDULED

    @property
    def free(self) -> int:
        return sum(1 for slot in self.slots if slot.free) if self.scheduled else 0


@dataclass(frozen=True)
class Week:
    monday: datetime  # local midnight
    days: list[SessionDay]


def _day(s: Session, t: Translator, session: OfficeSession) -> SessionDay:
    held = {b.slot: b for b in oh.holding(s, session.id or 0)}
    slots = []
    for n in range(1, session.slots + 1):
        b = held.get(n)
        if b is None:
            slots.append(Slot(n, session.slot_start(n)))
            continue
        person = s.get(Person, b.person_id)
        slots.append(
            Slot(
                n,
                session.slot_start(n),
                city_label(s, b.city_id),
                person.display_name if person else "?",
                b.topic,
                state_label(t, b).strip(" ()"),
            )
        )
    expert = s.get(Person, session.expert_id) if session.expert_id else None
    return SessionDay(
        session,
        expert.display_name if expert else "",
        slots,
        [city_label(s, w.city_id) for w in oh.waiting(s, session.id or 0)],
    )


def calendar(
    s: Session, t: Translator, network: Network, now: datetime, horizon_days: int
) -> list[Week]:
    """The network's sessions from the Monday `PAST_WEEKS` weeks back to the booking horizon,
    grouped by week (Monday to Sunday, local time), oldest first."""
    today = t.local(now).date()
    first = today - timedelta(days=today.weekday(), weeks=PAST_WEEKS)
    start = datetime.combine(first, datetime.min.time(), t.tz)
    found = oh.sessions_between(
        s, [network.id or 0], start, now + timedelta(days=max(horizon_days, 7))
    )
    weeks: dict[date, Week] = {}
    for session in found:
        local = t.local(session.starts_at).date()
        monday = local - timedelta(days=local.weekday())
        midnight = datetime.combine(monday, datetime.min.time(), t.tz)
        weeks.setdefault(monday, Week(midnight, [])).days.append(_day(s, t, session))
    return list(weeks.values())

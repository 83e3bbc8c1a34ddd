"""Office hours in the coordinator's report: the cities' topics of a period (a section of the
network report) and the summary of one session (/dyzur_podsumowanie)."""

from __future__ import annotations

from datetime import datetime

from sqlmodel import Session

from core.i18n import Translator
from core.messages import Outgoing
from handlers.kit.args import Id, Words
from handlers.kit.context import Context
from handlers.kit.permissions import Action
from handlers.kit.registry import REGISTRY
from handlers.kit.report import Section, report_section
from handlers.office_hours.access import staff
from handlers.office_hours.render import city_label, summary_text
from models import office_hours as oh
from models.errors import N_
from models.office_hours import BookingStatus


@report_section(order=20)
def office_hours_held(
    s: Session, t: Translator, network_id: int, start: datetime, end: datetime
) -> Section:
    """The cities' office-hours topics in the period, and no-shows (the expert's queue)."""
    lines = []
    for session in oh.sessions_between(s, [network_id], start, end):
        for booking in oh.summary(s, session.id or 0):
            city = city_label(s, booking.city_id)
            absent = f" ({t('no-show')})" if booking.status == BookingStatus.NO_SHOW else ""
            when = t.short_datetime(session.slot_start(booking.slot))  # the city's own slot
            lines.append(f"• {when} {city}: {booking.topic}{absent}")
    return Section(
        t("Office hours in the period"), lines or [t("No office-hours bookings in this period.")]
    )


@REGISTRY.command(
    "dyzur_podsumowanie",
    "office_summary",
    summary=N_("office hours: topics and no-shows, for the report"),
    args=Words(Id("session")),
    usage=N_("<session>"),
    example="/dyzur_podsumowanie 12",
    action=Action.VIEW_REPORTS,
    private=True,
)
async def report(ctx: Context, session: int) -> list[Outgoing]:
    staff(ctx, session, Action.VIEW_REPORTS)
    with ctx.db.session() as s:
        return [Outgoing(summary_text(s, ctx.t, oh.get_session(s, session)))]

"""The funding section of the coordinator's report (handlers/feedback/report.py)."""

from __future__ import annotations

from datetime import datetime

from sqlmodel import Session

from core.i18n import Translator
from handlers.kit.report import Section, report_section
from models import funding as store


@report_section(order=10)
def funding_reviewed(
    s: Session, t: Translator, network_id: int, start: datetime, end: datetime
) -> Section:
    """The funding calls the network was told about in the period (the expert's digests)."""
    lines = []
    for call in store.reviewed_calls(s, network_id, start, end):
        line = f"• {call.title}" + (f" ({call.programme})" if call.programme else "")
        if call.deadlines:
            line += " — " + t("deadline {when}", when=t.date(call.deadline_list[0]))
        lines.append(line)
    return Section(
        t("Funding calls reviewed"),
        lines or [t("No funding calls were sent to the network in this period.")],
    )

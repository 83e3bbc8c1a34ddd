"""What the summary's message says (the command's reply and the scheduled one), and the one way
the summary is made for a reader: the networks they may see, the figures, the two files."""

from __future__ import annotations

from datetime import datetime

from sqlmodel import Session

from core.i18n import Translator
from core.messages import Outgoing
from handlers.summary.gather import DRAFT, MISSING, SUBMITTED, Summary, build
from handlers.summary.period import Period
from models.core import Network


def message(t: Translator, summary: Summary, scheduled: bool = False) -> str:
    networks = summary.networks
    lines = [
        t(
            "📑 The summary of the EMPIRIE networks for {period}, for ZMP's leadership.",
            period=summary.period.shown,
        )
        if not scheduled
        else t(
            "📑 The periodic summary of the EMPIRIE networks for {period}, for ZMP's "
            "leadership, is ready.",
            period=summary.period.shown,
        ),
        t.tn("{n} network", "{n} networks", len(networks))
        + "; "
        + t.tn("{n} meeting", "{n} meetings", sum(len(n.meetings) for n in networks))
        + "; "
        + t(
            "present {present} of {invited} invited",
            present=sum(n.present for n in networks),
            invited=sum(n.invited for n in networks),
        )
        + ".",
        t.tn(
            "Cities losing touch: {n}.",
            "Cities losing touch: {n}.",
            sum(len(n.losing_touch) for n in networks),
        ),
        t.tn(
            "Office hours used: {n}.",
            "Office hours used: {n}.",
            sum(n.office_used for n in networks),
        ),
        t(
            "Coordinator's reports: {submitted} submitted, {draft} in draft, {missing} missing.",
            submitted=sum(n.reports(SUBMITTED) for n in networks),
            draft=sum(n.reports(DRAFT) for n in networks),
            missing=sum(n.reports(MISSING) for n in networks),
        ),
        t("Attached: the summary as PDF (to read) and XLSX (to count with)."),
    ]
    return "\n".join(lines)


def make(
    s: Session,
    t: Translator,
    networks: list[Network],
    period: Period,
    now: datetime,
    threshold: int,
    scheduled: bool = False,
) -> Outgoing:
    """The message with the PDF and the XLSX (fpdf and openpyxl load here)."""
    from handlers.summary import files

    summary = build(s, t, networks, period, now, threshold)
    return Outgoing(message(t, summary, scheduled), files=files.files(t, summary))

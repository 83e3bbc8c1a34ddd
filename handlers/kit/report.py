"""Sections of the coordinator's report that other features contribute.

The report (handlers/feedback/report.py) covers a network between two moments; each feature
adds what happened there in its own module::

    from handlers.kit.report import Section, report_section

    @report_section(order=20)
    def office_hours_held(s, t, network_id, start, end) -> Section | None: ...

Sections appear in `order`, then name; a section that returns None is left out.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime

from sqlmodel import Session

from core.i18n import Translator


@dataclass
class Section:
    title: str
    lines: list[str]


SectionFn = Callable[[Session, Translator, int, datetime, datetime], Section | None]
_SECTIONS: list[tuple[int, str, SectionFn]] = []


def report_section(order: int) -> Callable[[SectionFn], SectionFn]:
    def register(fn: SectionFn) -> SectionFn:
        _SECTIONS.append((order, f"{fn.__module__}.{fn.__qualname__}", fn))
        _SECTIONS.sort(key=lambda entry: entry[:2])
        return fn

    return register


def sections(
    s: Session, t: Translator, network_id: int, start: datetime, end: datetime
) -> list[Section]:
    """Every feature's section for this network and period, in order."""
    return [
        section
        for _, _, fn in _SECTIONS
        if (section := fn(s, t, network_id, start, end)) is not None
    ]

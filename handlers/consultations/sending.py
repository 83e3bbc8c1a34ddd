"""Sending a consultation to its audience (when it opens, and to a person who joins while it
is open: the same message under the same key, never twice), the one reminder before the
deadline, and the close: the coordinator gets the collected opinions as documents."""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlmodel import Session

from core import links
from core.config import Settings
from core.i18n import Translator
from core.messages import Outgoing
from core.outbox import enqueue_to_people, reachable, to_payload
from handlers.consultations import render
from models import consultations as store
from models import directory, due, outbox
from models.consultations import Audience, Consultation, ConsultationStatus
from models.core import Network
from models.enums import Role


def _key(c: Consultation, person_id: int) -> str:
    return f"consultation:{c.id}:p{person_id}"


def send_to(
    s: Session,
    settings: Settings,
    now: datetime,
    c: Consultation,
    network: Network,
    people: list[int],
) -> int:
    """The consultation to each of these people privately (with the document, and their own
    page link); those who already got it, or cannot be reached, are skipped."""
    sent = 0
    found = reachable(s, people, settings)
    for person_id, (language, platform, external_id) in found.items():
        key = _key(c, person_id)
        if outbox.queued(s, key):
            continue
        t = Translator(language or settings.default_language, settings.tz)
        url = links.page_url_in(
            s,
            settings,
            person_id,
            links.CONSULTATION,
            now,
            expires_at=c.deadline,
            consultation=c.id or 0,
        )
        message = render.invitation(t, c, network, url)
        added = outbox.add_once(
            s,
            platform=platform,
            chat_id=external_id,
            payload=to_payload(message, (c.blob_id,) if c.blob_id else ()),
            now=now,
            dedupe_key=key,
            person_id=person_id,
            network_id=network.id,
            kind="consultation",
        )
        sent += added is not None
    return sent


def schedule(s: Session, c: Consultation, now: datetime, settings: Settings) -> None:
    """One reminder on a working morning before the deadline, and the close at it."""
    wanted = c.deadline - timedelta(days=settings.consultation_reminder_days)
    when = settings.workdays.before(wanted, c.deadline)
    if now < when < c.deadline:
        due.schedule(s, store.REMINDER, c.id or 0, f"{store.REMINDER}:{c.id}", when)
    due.schedule(s, store.CLOSE, c.id or 0, f"{store.CLOSE}:{c.id}", c.deadline)


def remind(s: Session, settings: Settings, now: datetime, c: Consultation) -> int:
    """Those in the audience who have not given their opinion, once."""
    if not c.open_at(now):
        return 0
    network = s.get(Network, c.network_id)
    assert network is not None
    answered = store.answered(s, c.id or 0)
    silent = [p for p in store.audience(s, c.network_id, Audience(c.audience)) if p not in answered]
    urls = {
        p: links.page_url_in(
            s, settings, p, links.CONSULTATION, now, expires_at=c.deadline, consultation=c.id or 0
        )
        for p in silent
    }
    return enqueue_to_people(
        s,
        silent,
        settings,
        now,
        lambda t: render.reminder(t, c, network, None),
        kind="consultation_reminder",
        dedupe=lambda p: f"consultation_reminder:{c.id}:p{p}",
        personal=lambda t, p: render.reminder(t, c, network, urls.get(p)),
    )


def keepers(s: Session, c: Consultation) -> list[int]:
    """Who gets the collected opinions: the author and the network's coordinators."""
    staff = directory.support_team(s, c.network_id)
    found = [p.id or 0 for p, role in staff if role is Role.COORDINATOR]
    return list(dict.fromkeys([*([c.created_by] if c.created_by else []), *found]))


def collected(s: Session, t: Translator, c: Consultation) -> Outgoing:
    """The opinions as the coordinator gets them: a summary line and the two documents."""
    from handlers.consultations import document  # fpdf: only when the documents are made

    network = s.get(Network, c.network_id)
    assert network is not None
    answered = store.answered(s, c.id or 0)
    asked = len(set(store.audience(s, c.network_id, Audience(c.audience))) | answered)
    return Outgoing(
        render.summary(t, s, c, asked, len(answered)),
        files=document.files(t, s, c, network, asked),
    )


def close(s: Session, settings: Settings, now: datetime, c: Consultation) -> int:
    if c.status == ConsultationStatus.CLOSED:
        return 0
    c.status, c.closed_at = ConsultationStatus.CLOSED, now
    s.add(c)
    due.cancel(s, store.REMINDER, c.id or 0)
    return enqueue_to_people(
        s,
        keepers(s, c),
        settings,
        now,
        lambda t: collected(s, t, c),
        kind="consultation_closed",
        dedupe=lambda p: f"consultation_closed:{c.id}:p{p}",
    )

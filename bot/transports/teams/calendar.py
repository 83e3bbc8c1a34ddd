"""Meetings as events in the service account's calendar, so people answer with Outlook's and
Teams' own Accept / Tentative / Decline.

`sync()` (woken by the scheduler) reconciles the database with the calendar: a published
meeting of a network bound to Teams gets an event (a Teams meeting when online or hybrid,
attendees = the invited representatives' roster e-mails); a meeting whose sequence moved on
is updated, a cancelled one cancelled; then each event's attendees[].status.response is read
and every changed response is applied through the same rules as typed answers.
"""

from __future__ import annotations

import hashlib
import html
import logging
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING

from msgraph.generated.models.attendee import Attendee
from msgraph.generated.models.attendee_type import AttendeeType
from msgraph.generated.models.body_type import BodyType
from msgraph.generated.models.date_time_time_zone import DateTimeTimeZone
from msgraph.generated.models.email_address import EmailAddress
from msgraph.generated.models.event import Event
from msgraph.generated.models.item_body import ItemBody
from msgraph.generated.models.location import Location
from msgraph.generated.models.online_meeting_provider_type import OnlineMeetingProviderType
from msgraph.generated.users.item.events.item.cancel.cancel_post_request_body import (
    CancelPostRequestBody,
)
from sqlmodel import Session

from bot.transports.teams import graph
from handlers.meetings import calendar_answers
from models import teams as store
from models.core import Network
from models.meetings import Meeting, rsvps
from models.teams import TeamsEvent

if TYPE_CHECKING:
    from bot.transports.teams.transport import TeamsTransport

log = logging.getLogger("empirie.teams")


def _when(moment: datetime) -> DateTimeTimeZone:
    return DateTimeTimeZone(
        date_time=moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S"), time_zone="UTC"
    )


def event_of(
    transport: TeamsTransport, meeting: Meeting, network: Network, emails: list[tuple[str, str]]
) -> Event:
    lines = [f"<p><b>{html.escape(network.name)}</b>: {html.escape(meeting.title)}</p>"]
    if meeting.agenda:
        lines.append(f"<p>{html.escape(meeting.agenda)}</p>")
    if meeting.online_link:
        link = html.escape(meeting.online_link, quote=True)
        lines.append(f'<p><a href="{link}">{link}</a></p>')
    lines.append(f"<p>/rsvp {meeting.id} stacjonarnie | online | nie | może</p>")
    online = meeting.format in ("online", "hybrydowe")
    return Event(
        subject=f"{network.name}: {meeting.title}",
        body=ItemBody(content_type=BodyType.Html, content="".join(lines)),
        start=_when(meeting.starts_at),
        end=_when(meeting.starts_at + timedelta(minutes=meeting.duration_minutes)),
        location=Location(display_name=meeting.place) if meeting.place else None,
        attendees=[
            Attendee(
                email_address=EmailAddress(address=address, name=name), type=AttendeeType.Required
            )
            for name, address in emails
        ],
        is_online_meeting=online,
        online_meeting_provider=OnlineMeetingProviderType.TeamsForBusiness if online else None,
        allow_new_time_proposals=False,
        response_requested=True,
        transaction_id=f"empirie-meeting-{meeting.id}",
    )


def attendees_for(s: Session, meeting: Meeting, mirror: TeamsEvent | None) -> list[tuple[str, str]]:
    """The invited representatives, except those who said “no” in chat (not in the calendar):
    the organiser's attendee list follows the chat answers, and they get the cancellation."""
    answered = {r.person_id: r.answer for r in rsvps(s, meeting.id or 0)}
    seen = mirror.responses if mirror is not None else {}
    return [
        (p.display_name, address)
        for p, address in store.invitees(s, meeting)
        if not (answered.get(p.id or 0) == "nie" and seen.get(address.lower()) != "declined")
    ]


def _digest(emails: list[tuple[str, str]]) -> str:
    return hashlib.sha256("\n".join(sorted(a.lower() for _n, a in emails)).encode()).hexdigest()


async def sync(transport: TeamsTransport) -> int:
    """Create, update or cancel events; read responses. Returns how many changes."""
    if transport.login_lost or not transport.me_id:
        return 0
    clock, db = transport.router.clock, transport.router.db
    now = clock.now()
    with db.session() as s:
        work = [(m, n, e, attendees_for(s, m, e)) for m, n, e in store.meetings_to_mirror(s, now)]
    changes = 0
    events = transport.client.me.events
    for meeting, network, mirror, emails in work:
        try:
            if mirror is None:
                if meeting.status != "published":
                    continue
                created = await events.post(event_of(transport, meeting, network, emails))
                assert created is not None and created.id
                with db.session() as s:
                    s.add(
                        TeamsEvent(
                            meeting_id=meeting.id or 0,
                            event_id=created.id,
                            synced_sequence=meeting.sequence,
                            created_at=now,
                            answers_digest=_digest(emails),
                        )
                    )
                log.info("teams.event_created meeting=%s", meeting.id)
                changes += 1
                continue
            if mirror.cancelled:
                continue
            if meeting.status == "cancelled":
                await events.by_event_id(mirror.event_id).cancel.post(
                    CancelPostRequestBody(comment=f"{network.name}: {meeting.title}")
                )
                _save(transport, mirror.id or 0, cancelled=True, synced_sequence=meeting.sequence)
                log.info("teams.event_cancelled meeting=%s", meeting.id)
                changes += 1
                continue
            if meeting.sequence > mirror.synced_sequence:
                await events.by_event_id(mirror.event_id).patch(
                    event_of(transport, meeting, network, emails)
                )
                _save(
                    transport,
                    mirror.id or 0,
                    synced_sequence=meeting.sequence,
                    answers_digest=_digest(emails),
                )
                log.info("teams.event_updated meeting=%s", meeting.id)
                changes += 1
            elif _digest(emails) != mirror.answers_digest:
                # a chat answer changed who should hold the invitation: only the attendees
                await events.by_event_id(mirror.event_id).patch(
                    Event(
                        attendees=[
                            Attendee(
                                email_address=EmailAddress(address=address, name=name),
                                type=AttendeeType.Required,
                            )
                            for name, address in emails
                        ]
                    )
                )
                _save(transport, mirror.id or 0, answers_digest=_digest(emails))
                log.info("teams.event_attendees meeting=%s", meeting.id)
                changes += 1
            changes += await read_responses(transport, meeting, mirror)
        except graph.LoginLost:
            transport.report_login_lost()
            return changes
        except Exception as error:
            log.warning(
                "teams.event_sync_failed meeting=%s status=%s", meeting.id, graph.status_code(error)
            )
    if changes:
        transport.router.wake_outbox()
    return changes


async def read_responses(transport: TeamsTransport, meeting: Meeting, mirror: TeamsEvent) -> int:
    """Apply each attendee response that changed since it was last read."""
    event = await transport.client.me.events.by_event_id(mirror.event_id).get()
    if event is None:
        return 0
    now = transport.router.clock.now()
    applied = 0
    with transport.router.db.session() as s:
        row = s.get(TeamsEvent, mirror.id)
        current = s.get(Meeting, meeting.id)
        if row is None or current is None:
            return 0
        seen = dict(row.responses)
        for attendee in event.attendees or []:
            address = (
                (attendee.email_address.address or "").lower() if attendee.email_address else ""
            )
            response = (
                str(attendee.status.response.value)  # msgraph's enums type values as tuples
                if attendee.status and attendee.status.response
                else "none"
            )
            if not address or seen.get(address) == response:
                continue
            seen[address] = response
            person = store.person_by_email(s, address)
            if person is None:
                continue
            if (
                calendar_answers.apply(s, transport.settings, now, current, person, response)
                is not None
            ):
                applied += 1
        row.responses, row.polled_at = seen, now
        s.add(row)
    return applied


def _save(transport: TeamsTransport, row_id: int, **values: object) -> None:
    with transport.router.db.session() as s:
        row = s.get(TeamsEvent, row_id)
        if row is not None:
            for key, value in values.items():
                setattr(row, key, value)
            s.add(row)

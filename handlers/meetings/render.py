"""The messages about a meeting that commands and jobs both send: the invitation with its live
counts, the notices of a change, the waitlist's news and the reminders."""

from __future__ import annotations

from datetime import datetime

from core.i18n import Translator
from core.messages import Action as Button
from core.messages import Outgoing
from models.errors import N_
from models.meetings import (
    Answer,
    Meeting,
    MeetingFormat,
    MeetingStatus,
    PartSpec,
    View,
    answer_choices,
    ends_at,
)

MISSING = N_("There is no meeting with the number “{id}”. /moje_spotkania lists yours.")
ANSWER_LABEL: dict[str, str] = {
    Answer.IN_PERSON: N_("In person"),
    Answer.ONLINE: N_("Online"),
    Answer.NO: N_("I won't come"),
    Answer.MAYBE: N_("Maybe"),
}
FORMAT_LABEL: dict[str, str] = {
    MeetingFormat.IN_PERSON: N_("in-person meeting"),
    MeetingFormat.ONLINE: N_("online meeting"),
    MeetingFormat.HYBRID: N_("hybrid meeting"),
}
# the invitation says the format in a sentence
FORMAT_LINE: dict[str, str] = {
    MeetingFormat.IN_PERSON: N_("The meeting is in person."),
    MeetingFormat.ONLINE: N_("The meeting is online."),
    MeetingFormat.HYBRID: N_("A hybrid meeting: come in person or join online."),
}
FIELD_LABEL = {
    "title": N_("title"),
    "place": N_("place"),
    "online_link": N_("online link"),
    "agenda": N_("agenda"),
    "capacity": N_("in-person seats"),
    "parts": N_("programme"),
}


def answer_label(t: Translator, answer: str) -> str:
    return t(ANSWER_LABEL[Answer(answer)])


def live_key(meeting: Meeting) -> str:
    """The group invitation's key in the outbox: it is edited in place as answers come."""
    return f"meeting:{meeting.id}"


def counts_line(t: Translator, meeting: Meeting, counts: dict[str, int]) -> str:
    in_person = counts[Answer.IN_PERSON]
    seats = f"{in_person}/{meeting.capacity}" if meeting.capacity else str(in_person)
    parts = [t("in person {n}", n=seats)] if meeting.format != MeetingFormat.ONLINE else []
    if meeting.format != MeetingFormat.IN_PERSON:
        parts.append(t("online {n}", n=counts[Answer.ONLINE]))
    parts += [t("maybe {n}", n=counts[Answer.MAYBE]), t("no {n}", n=counts[Answer.NO])]
    if counts["waitlist"]:
        parts.append(t("waitlist {n}", n=counts["waitlist"]))
    return t("Answers so far: {counts}", counts=" · ".join(parts))


def full_view(meeting: Meeting, parts: tuple[PartSpec, ...] = ()) -> View:
    """Everything (core members, staff): for messages built without the programme."""
    return View(
        parts, meeting.online_link, meeting.agenda, meeting.starts_at, ends_at(meeting), True
    )


def part_line(t: Translator, part: PartSpec) -> str:
    return t(
        "{start}–{end} {title} ({kind})",
        start=t.time(part.starts_at),
        end=t.time(part.ends_at),
        title=part.title,
        kind=t("open part, online for observers") if part.open else t("closed part"),
    )


def programme_lines(t: Translator, view: View) -> list[str]:
    if not view.parts:
        return []
    return [t("Programme:"), *(f"• {part_line(t, p)}" for p in view.parts)]


def invitation(
    t: Translator,
    meeting: Meeting,
    network_name: str,
    view: View | None = None,
    *,
    choices: tuple[str, ...] | None = None,
    counts: dict[str, int] | None = None,
    observer: bool = False,
) -> Outgoing:
    """The invitation as `view` shows the meeting: core members and staff everything; a group
    chat (which holds observers) and an observer only the open parts and their stream link —
    the closed part's link and details go privately to the core cities. `observer`: the
    person follows the open part online (their times are the open part's). `choices`: the
    answers offered (None: all the format allows, as in a group, where each press is
    checked); `counts`: the live counts shown in a group's copy."""
    view = view or full_view(meeting)
    lines = [
        t(
            "📅 Meeting #{id} of the network {network}: {title}",
            id=meeting.id,
            network=network_name,
            title=meeting.title,
        ),
        t(
            "When: {when}, {hours} h",
            when=t.datetime(view.starts_at),
            hours=t.number((view.ends_at - view.starts_at).total_seconds() / 3600),
        ),
    ]
    if observer:
        lines.append(t("Observers follow the open part online."))
    else:
        lines.append(t(FORMAT_LINE[MeetingFormat(meeting.format)]))
        if meeting.place:
            lines.append(t("Place: {place}", place=meeting.place))
    lines += programme_lines(t, view)
    if view.link:
        lines.append(
            t("Online: {link}", link=view.link)
            if view.full
            else t("Stream of the open part: {link}", link=view.link)
        )
    if view.agenda:
        lines.append(t("Agenda: {agenda}", agenda=view.agenda))
    if not view.full and not observer and (meeting.online_link or meeting.agenda):
        lines.append(
            t("The meeting link and the details of the agenda go privately to those invited.")
        )
    if meeting.format != MeetingFormat.ONLINE and not observer:
        lines.append(
            t.tn("{n} in-person seat", "{n} in-person seats", meeting.capacity)
            if meeting.capacity
            else t("In-person seats: no limit")
        )
    if not observer:
        lines.append(
            t("Open part for observers (online): yes")
            if meeting.open_part
            else t("Open part for observers: none (core cities only)")
        )
    if meeting.status == MeetingStatus.CANCELLED:
        lines.insert(0, t("❌ CANCELLED"))
        return Outgoing("\n".join(lines))
    offered = tuple(answer_choices(meeting)) if choices is None else choices
    if offered:
        lines.append(
            t(
                "Please answer by {when}. To answer: /rsvp {id} {choices}",
                when=t.datetime(meeting.rsvp_deadline),
                id=meeting.id,
                choices=" | ".join(Answer(a).word for a in offered),
            )
        )
    if counts is not None:
        lines.append(counts_line(t, meeting, counts))
    return Outgoing(
        "\n".join(lines),
        actions=tuple(Button(answer_label(t, a), f"/rsvp {meeting.id} {a}") for a in offered),
    )


# What changed, as everyone invited hears it (with the updated calendar file).


def cancelled(t: Translator, meeting: Meeting) -> str:
    return t(
        "❌ Meeting #{id} “{title}” ({when}) is cancelled.",
        id=meeting.id,
        title=meeting.title,
        when=t.datetime(meeting.starts_at),
    )


def moved(t: Translator, meeting: Meeting, before: datetime) -> str:
    return t(
        "🔁 Meeting #{id} “{title}” is moved: {old} → {new}. Answers by {deadline}. The "
        "calendar file is updated.",
        id=meeting.id,
        title=meeting.title,
        old=t.datetime(before),
        new=t.datetime(meeting.starts_at),
        deadline=t.datetime(meeting.rsvp_deadline),
    )


def confirm_moved(t: Translator, meeting: Meeting) -> Outgoing:
    """To those who answered “in person”: does the new date suit them?"""
    offered = [a for a in answer_choices(meeting) if a != Answer.MAYBE]
    return Outgoing(
        t(
            "You answered “in person” for the old date. Please confirm the new date: "
            "/rsvp {id} stacjonarnie, or change your answer.",
            id=meeting.id,
        ),
        actions=tuple(Button(answer_label(t, a), f"/rsvp {meeting.id} {a}") for a in offered),
    )


PRIVATE_FIELDS = ("online_link", "agenda", "parts")


def edited_privately(t: Translator, meeting: Meeting, field: str) -> str:
    """A change of the closed part's details, as groups and observers hear it: no values."""
    return t(
        "✏️ Meeting #{id} “{title}” ({when}): {field} changed. The calendar file is updated.",
        id=meeting.id,
        title=meeting.title,
        when=t.datetime(meeting.starts_at),
        field=t(FIELD_LABEL[field]),
    )


def edited(t: Translator, meeting: Meeting, field: str, old: object, new: object) -> str:
    return t(
        "✏️ Meeting #{id} “{title}” ({when}): {field} changed: {old} → {new}. The calendar "
        "file is updated.",
        id=meeting.id,
        title=meeting.title,
        when=t.datetime(meeting.starts_at),
        field=t(FIELD_LABEL[field]),
        old="—" if old in (None, "") else old,
        new=new,
    )


# The waitlist's news, for a typed answer and a calendar's button alike.


def waitlisted(t: Translator) -> str:
    return t(
        "All in-person seats are taken: you are on the waitlist. I will tell you when a seat "
        "frees up."
    )


def seat_freed(t: Translator, meeting: Meeting) -> Outgoing:
    return Outgoing(
        t(
            "A seat freed up: you now have an in-person place at meeting #{id} ({title}).",
            id=meeting.id,
            title=meeting.title,
        )
    )


# Reminders (jobs.meetings): each names the meeting by number, title and time.

IN_PERSON = N_("⏰ Reminder: meeting #{id} “{title}” — {when}.")
ONLINE = N_("⏰ Reminder: meeting #{id} “{title}” — {when}. Online: {link}")
NUDGE = N_(
    "Please answer the invitation to meeting #{id} “{title}” ({when}): /rsvp {id} "
    "stacjonarnie | online | nie | może"
)
HEADCOUNT = N_(
    "Headcount for meeting #{id} “{title}” "
    "({when}): in person {in_person}, online "
    "{online}, maybe {maybe}, no {no}. Notes: "
    "{notes}."
)


def reminder(
    t: Translator,
    meeting: Meeting,
    kind: str,
    text_id: str,
    page: str | None = None,
    seen: View | None = None,
    check_in: bool = True,
    **extra: object,
) -> Outgoing:
    """A reminder, nudge or headcount; the last reminder comes with the check-in button (the
    same as /jestem <nr>), a nudge with the person's own answer page. An observer's reminder
    (`seen` not full) names the open part's time and no check-in."""
    buttons: tuple[Button, ...] = ()
    if seen is not None and not seen.full:
        text = t(
            text_id, id=meeting.id, title=meeting.title, when=t.datetime(seen.starts_at), **extra
        )
        lines = [text, *(f"• {part_line(t, p)}" for p in seen.parts)]
        return Outgoing("\n".join(lines))
    if kind == "reminder_1h" and check_in:
        buttons += (Button(t("I'm here"), f"/jestem {meeting.id}"),)
    if page is not None:
        buttons += (Button(t("Answer on a page"), url=page),)
    return Outgoing(
        t(text_id, id=meeting.id, title=meeting.title, when=t.datetime(meeting.starts_at), **extra),
        actions=buttons,
    )

"""Meeting pages: answer one invitation, and my upcoming meetings. The answer is `/rsvp`."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from bot.pages.registry import PAGES, FormError, HubItem, Page, PageRequest, one_line
from core import links
from handlers.kit.limits import NOTE
from handlers.kit.permissions import Actor
from handlers.meetings.invitations import choices_for, choices_of
from handlers.meetings.render import ANSWER_LABEL, FORMAT_LABEL, part_line
from models import agenda
from models.errors import N_, Nn_

NOTE_MAX = NOTE  # the column's (models.fields)


def _state(req: PageRequest) -> tuple[agenda.MeetingState, tuple[str, ...]]:
    """The meeting as this person sees it, and the answers they may give: one query (two
    with a programme), whatever the number of answers."""
    with req.reading() as c:
        page = agenda.answer_page(c, req.int_param("meeting"), req.person.id or 0)
    if page is None:
        raise LookupError("meeting")
    state = page.state
    return state, choices_for(Actor(page.roles, page.standing), state.meeting, state.network)


def rsvp_view(req: PageRequest) -> dict[str, Any]:
    state, choices = _state(req)
    parts = [part_line(req.t, p) for p in state.shown.parts]
    format_label = req.t(FORMAT_LABEL.get(state.meeting.format, state.meeting.format))
    return {
        # everything the meeting's card shows: equal keys, equal cards (rendered once)
        "card_key": (
            req.t.language,
            tuple(getattr(state.meeting, name) for name in agenda.MEETING_COLUMNS),
            state.shown,
            tuple(parts),
            format_label,
            state.details,
            state.seats_taken,
            state.waiting,
        ),
        "state": state,
        "seen": state.shown,
        "parts": parts,
        "network": state.network,
        "meeting": state.meeting,
        "open": state.open_for_answers(req.now) and bool(choices),
        "choices": [(a, req.t(ANSWER_LABEL[a])) for a in choices],
        "may_answer": bool(choices),
        "answer_label": req.t(ANSWER_LABEL[state.answer.answer]) if state.answer else None,
        "format_label": format_label,
        "meetings_url": req.link(links.MEETINGS),
    }


def rsvp_form(req: PageRequest, data: Mapping[str, str]) -> str:
    """The form as `/rsvp <meeting> <answer> [note]`; the meeting comes from the signed link.
    The page shows the note given before in its field: a field sent empty removes it (`-`)."""
    meeting_id = req.int_param("meeting")
    choice = data.get("answer", "").strip()
    if choice not in ANSWER_LABEL:
        raise FormError(N_("Choose one of the answers."), field="answer")
    note = one_line(data, "note")
    if len(note) > NOTE_MAX:
        raise FormError(
            N_("Notes can be at most {most} long."),
            field="note",
            most=Nn_("{n} character", "{n} characters", NOTE_MAX),
        )
    if not note and "note" in data:
        note = "-"  # the field was emptied
    return f"/rsvp {meeting_id} {choice}" + (f" {note}" if note else "")


def meetings_view(req: PageRequest) -> dict[str, Any]:
    with req.db.session() as s:
        states = agenda.upcoming(s, req.person.id or 0, req.now)
        answering = {
            st.meeting.id: bool(choices_of(s, req.person.id or 0, st.meeting, st.network))
            for st in states
        }
    rows = []
    for state in states:
        label = req.t(ANSWER_LABEL[state.answer.answer]) if state.answer else None
        rows.append(
            {
                "state": state,
                "when": state.shown.starts_at,
                "answers": answering[state.meeting.id],
                "answer_label": label,
                "open": state.open_for_answers(req.now) and answering[state.meeting.id],
                "url": req.link(links.RSVP, meeting=state.meeting.id or 0),
            }
        )
    return {"rows": rows, "hub_url": req.link(links.HUB)}


def meetings_hub(req: PageRequest) -> list[HubItem]:
    """Invitations still open without an answer, and seats I am waiting for."""
    with req.db.session() as s:
        states = agenda.upcoming(s, req.person.id or 0, req.now)
        answering = {
            st.meeting.id: bool(choices_of(s, req.person.id or 0, st.meeting, st.network))
            for st in states
        }
    items = []
    for state in states:
        m, t = state.meeting, req.t
        url = req.link(links.RSVP, meeting=m.id or 0)
        if state.answer is None and state.open_for_answers(req.now) and answering[m.id]:
            items.append(
                HubItem(
                    t("Answer the invitation: {title}", title=m.title),
                    t(
                        "{network}, {when}. Answer by {deadline}.",
                        network=state.network.name,
                        when=t.datetime(m.starts_at),
                        deadline=t.datetime(m.rsvp_deadline),
                    ),
                    url,
                    m.rsvp_deadline,
                )
            )
        elif state.waitlist_position is not None:
            items.append(
                HubItem(
                    t("On the waitlist: {title}", title=m.title),
                    t(
                        "{network}, {when}. You are number {position} on the waitlist.",
                        network=state.network.name,
                        when=t.datetime(m.starts_at),
                        position=state.waitlist_position,
                    ),
                    url,
                    m.starts_at,
                )
            )
    return items


PAGES.add(
    Page(
        links.RSVP, "rsvp.html", N_("Answer the invitation"), rsvp_view, rsvp_form, hub=meetings_hub
    )
)
PAGES.add(Page(links.MEETINGS, "meetings.html", N_("My upcoming meetings"), meetings_view))

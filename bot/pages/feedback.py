"""The feedback page: the same anonymous poll as in chat, all remaining questions on one page.
The form becomes `/ankieta_strona <poll>` with one answer per line, run by the chat's handler
(every rule — once per question, closing, who was asked — stays there)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from bot.pages.registry import PAGES, FormError, HubItem, Page, PageRequest, one_line
from core import links
from handlers.feedback.render import option_texts, poll_title, question_text
from models import feedback as store
from models.errors import N_
from models.feedback import Poll, PollKind, PollParticipant, QuestionKind

TEXT_MAX = 1000


def _load(req: PageRequest) -> tuple[Poll, PollParticipant | None]:
    poll, mine, _title = _load_titled(req)
    return poll, mine


def _load_titled(req: PageRequest) -> tuple[Poll, PollParticipant | None, str]:
    with req.db.session() as s:
        poll = s.get(Poll, req.int_param("poll"))
        if poll is None or poll.kind == PollKind.ADHOC:
            raise LookupError("poll")
        mine = store.participant(s, poll.id or 0, req.person.id or 0)
        return poll, mine, poll_title(s, req.t, poll)


def _remaining(poll: Poll, mine: PollParticipant | None) -> range:
    start = mine.progress + 1 if mine is not None else 1
    return range(start, len(poll.questions) + 1)


def view(req: PageRequest) -> dict[str, Any]:
    poll, mine, title = _load_titled(req)
    t = req.t
    questions = []
    for number in _remaining(poll, mine):
        question = poll.questions[number - 1]
        questions.append(
            {
                "number": number,
                "kind": question["kind"],
                "text": question_text(t, question),
                "options": list(enumerate(option_texts(t, question), start=1)),
            }
        )
    return {
        "poll": poll,
        "poll_title": title,
        "closed": store.is_closed(poll, req.now),
        "asked": mine is not None,
        "done": mine is not None and mine.done,
        "questions": questions,
        "total": len(poll.questions),
        "ratings": store.RATING_VALUES,
        "closes": t.datetime(poll.closes_at),
        "hub_url": req.link(links.HUB),
    }


def form(req: PageRequest, data: Mapping[str, str]) -> str:
    """The answers in order, "-" for each one left empty (a skip)."""
    poll, mine = _load(req)
    lines = []
    for number in _remaining(poll, mine):
        question = poll.questions[number - 1]
        value = one_line(data, f"q{number}")
        if (
            question["kind"] != QuestionKind.TEXT
            and value
            and value not in store.values_of(question)
        ):
            raise FormError(N_("Choose one of the answers."), field=f"q{number}")
        if len(value) > TEXT_MAX:
            raise FormError(N_("Please keep it under 1000 characters."), field=f"q{number}")
        lines.append(value or store.SKIP)
    return "\n".join([f"/ankieta_strona {poll.id}", *lines])


def hub(req: PageRequest) -> list[HubItem]:
    with req.db.session() as s:
        polls = [
            (p, poll_title(s, req.t, p))
            for p in store.open_polls_for(s, req.person.id or 0, req.now)
        ]
    return [
        HubItem(
            title,
            req.t("Anonymous. Open until {when}.", when=req.t.datetime(p.closes_at)),
            req.link(links.FEEDBACK, poll=p.id or 0),
            p.closes_at,
        )
        for p, title in polls
    ]


PAGES.add(Page(links.FEEDBACK, "feedback.html", N_("Your feedback"), view, form, hub=hub))

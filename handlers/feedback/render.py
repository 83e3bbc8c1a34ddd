"""The feedback messages that the due tasks and the commands both send: a poll's questions, its
introduction, the reminder, the note in the network chat, the coordinators' closing note and the
quick vote with its totals."""

from __future__ import annotations

from typing import Any

from sqlmodel import Session

from core.i18n import Translator
from core.messages import Action as Button
from core.messages import Outgoing, PollSpec
from models import feedback as store
from models.core import Network
from models.errors import N_
from models.feedback import Poll, PollKind, QuestionKind, Survey
from models.meetings import Meeting

MIN_GROUP = 3  # fewer answers than this: counts only

SURVEY_LABEL = {
    Survey.MEETING: N_("after meetings"),
    Survey.TRUST: N_("trust (start of the network)"),
    Survey.EXPECTATIONS: N_("expectations (start of the network)"),
}


MEETING_TITLE = N_("Feedback on meeting #{id} “{title}”")
SURVEY_TITLE = {
    Survey.TRUST: N_("Survey on trust in the network {network}"),
    Survey.EXPECTATIONS: N_("Survey on expectations of the network {network}"),
}


def poll_title(s: Session, t: Translator, poll: Poll) -> str:
    """The poll's title in the reader's language, from what it is about (a meeting's current
    title, the network's name); a quick vote's title is its question, as typed."""
    if poll.kind == PollKind.MEETING and poll.meeting_id is not None:
        meeting = s.get(Meeting, poll.meeting_id)
        if meeting is not None:
            return t(MEETING_TITLE, id=meeting.id, title=meeting.title)
    if poll.kind == PollKind.SURVEY and poll.survey in SURVEY_TITLE:
        network = s.get(Network, poll.network_id)
        if network is not None:
            return t(SURVEY_TITLE[Survey(poll.survey)], network=network.name)
    return poll.title


def _builtin(t: Translator, question: dict[str, Any], text: str) -> str:
    """The handbook's questions are catalogue ids; a coordinator's own are shown as typed."""
    return t(text) if question.get("builtin") else text


def question_text(t: Translator, question: dict[str, Any]) -> str:
    return _builtin(t, question, str(question.get("text", "")))


def option_texts(t: Translator, question: dict[str, Any]) -> list[str]:
    return [_builtin(t, question, option) for option in question["options"]]


def ask(t: Translator, poll: Poll, number: int) -> Outgoing:
    """Question `number` (1-based) with its buttons; every button is a typed command too."""
    question = poll.questions[number - 1]
    total = len(poll.questions)
    lines = [
        t(
            "Question {number} of {total}: {text}",
            number=number,
            total=total,
            text=question_text(t, question),
        )
    ]
    skip = Button(t("Skip"), f"/ankieta {poll.id} {number} -")
    if question["kind"] == QuestionKind.RATING:
        lines.append(t("Tap a number from 1 (lowest) to 5 (highest), or type it; “-” skips."))
        buttons = [Button(v, f"/ankieta {poll.id} {number} {v}") for v in store.RATING_VALUES]
    elif question["kind"] == QuestionKind.CHOICE:
        options = option_texts(t, question)
        lines += [f"{n}. {o}" for n, o in enumerate(options, start=1)]
        lines.append(t("Tap an option or type its number; “-” skips."))
        buttons = [
            Button(f"{n}. {o}"[:60], f"/ankieta {poll.id} {number} {n}")
            for n, o in enumerate(options, start=1)
        ]
    else:
        lines.append(t("Type your answer in one message, or “-” to skip."))
        buttons = []
    return Outgoing("\n".join(lines), actions=(*buttons, skip))


def introduction(t: Translator, poll: Poll, title: str) -> str:
    return "\n".join(
        [
            t("📝 {title}", title=title),
            t.tn(
                "{n} short question, about two minutes. Every question can be skipped.",
                "{n} short questions, about two minutes. Every question can be skipped.",
                len(poll.questions),
            ),
            t(
                "🔒 Anonymous: your answers are stored without your name or anything that links "
                "them to you. I only note that you have answered, so that I do not ask again. "
                "Results are shown only after the poll closes on {when}.",
                when=t.datetime(poll.closes_at),
            ),
        ]
    )


def reminder(t: Translator, poll: Poll, title: str) -> str:
    return t(
        "⏰ A reminder: {title} is open until {when}. Your answers stay anonymous.",
        title=title,
        when=t.datetime(poll.closes_at),
    )


def thanks(t: Translator, poll: Poll) -> Outgoing:
    """The last answer's reply; it names the poll (so that closing finds and removes it from
    the outbox with the poll's other messages to the person: models.feedback_traces)."""
    return Outgoing(
        t(
            "Thank you! Your answers to {title} are saved anonymously. The results "
            "will be shared after the poll closes.",
            title=poll.title,
        )
    )


def group_note(t: Translator, poll: Poll, title: str, asked: int) -> Outgoing:
    """In the network's chats when a poll opens: who was asked, not who will answer."""
    return Outgoing(
        t.tn(
            "📝 {title}: I have sent the {n} person asked a short anonymous poll in a private "
            "message. It is open until {when}. Thank you for your opinions!",
            "📝 {title}: I have sent each of the {n} people asked a short anonymous poll in a "
            "private message. It is open until {when}. Thank you for your opinions!",
            asked,
            title=title,
            when=t.datetime(poll.closes_at),
        )
    )


def closed_note(t: Translator, poll: Poll, title: str, answered: int, asked: int) -> Outgoing:
    """To the coordinators when a poll closes, with the command for its report."""
    command = f"/raport {poll.meeting_id}" if poll.meeting_id else f"/wyniki {poll.id}"
    return Outgoing(
        t.tn(
            "📊 {title} has closed: {n} {of_asked} answered. The report: {command}",
            "📊 {title} has closed: {n} {of_asked} answered. The report: {command}",
            answered,
            title=title,
            of_asked=t.tn("of {n} person asked", "of {n} people asked", asked),
            command=command,
        ),
        actions=(Button(t("Report"), command),),
    )


def vote_message(t: Translator, poll: Poll) -> Outgoing:
    """The quick vote as posted in the group: buttons, or a native named poll when open."""
    question = poll.questions[0]
    options = question["options"]
    lines = [t("🗳 Poll #{id}: {question}", id=poll.id, question=question["text"])]
    lines += [f"{n}. {o}" for n, o in enumerate(options, start=1)]
    if poll.anonymous:
        lines.append(
            t(
                "🔒 Anonymous: I count the votes without names. Results when the poll "
                "closes, {when}.",
                when=t.datetime(poll.closes_at),
            )
        )
    else:
        lines.append(
            t(
                "👁 Open vote: each vote is counted under the voter's name (the "
                "coordinator needs individual votes). You may change it until {when}.",
                when=t.datetime(poll.closes_at),
            )
        )
    lines.append(t("Vote: /glosuj {id} <number>", id=poll.id))
    return Outgoing(
        "\n".join(lines),
        actions=tuple(
            Button(f"{n}. {o}"[:60], f"/glosuj {poll.id} {n}")
            for n, o in enumerate(options, start=1)
        ),
        poll=None
        if poll.anonymous
        else PollSpec(poll.id or 0, question["text"], tuple(options), anonymous=False),
    )


def vote_results(t: Translator, poll: Poll, found: list[int]) -> Outgoing:
    """The quick vote's totals when it closes (no names; an anonymous few: the count only)."""
    total = sum(found)
    lines = [
        t("🗳 Poll #{id} has closed: {question}", id=poll.id, question=poll.questions[0]["text"])
    ]
    if poll.anonymous and total < MIN_GROUP:
        lines.append(
            t.tn(
                "{n} vote — fewer than 3, so only the number is shown.",
                "{n} votes — fewer than 3, so only the number is shown.",
                total,
            )
        )
    else:
        lines += [
            f"{n}. {o}: {c}"
            for n, (o, c) in enumerate(
                zip(poll.questions[0]["options"], found, strict=True), start=1
            )
        ]
        lines.append(t.tn("{n} vote in all.", "{n} votes in all.", total))
    return Outgoing("\n".join(lines))

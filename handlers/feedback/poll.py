"""Feedback polls: after a meeting, start-of-network surveys, answered privately and anonymously.

The poll asks its questions one at a time: ratings and choices by buttons (or a typed number),
open questions as a short guided conversation; anything can be skipped with “-”. The answers
go to models.feedback, which keeps them apart from the person (see its docstring); nothing
here logs or sends anything that would join the two.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any

from sqlmodel import Session

from core import links
from core.config import Settings
from core.i18n import Translator
from core.messages import Action as Button
from core.messages import Outgoing, Target
from core.outbox import enqueue, enqueue_to_person
from handlers.kit.context import Context
from handlers.kit.limits import check_text, parse_count, parse_id
from handlers.kit.objects import shown
from handlers.kit.permissions import Action
from handlers.kit.registry import REGISTRY
from models import conversations, directory, due
from models import feedback as store
from models.core import Conversation, Network, Person
from models.enums import Role
from models.errors import N_, DomainError
from models.feedback import Poll
from models.meetings import Meeting, rsvps

log = logging.getLogger("empirie.feedback")
FLOW = "feedback"


def _q(kind: str, text: str, options: tuple[str, ...] = ()) -> dict[str, Any]:
    return {"kind": kind, "text": text, "options": list(options), "builtin": True}


DEFAULT_QUESTIONS: dict[str, list[dict[str, Any]]] = {
    "meeting": [
        _q("rating", N_("Overall, how do you rate the meeting?")),
        _q("rating", N_("How useful was the content for your city's work?")),
        _q("rating", N_("How well was the meeting organised?")),
        _q("text", N_("What was most valuable for you?")),
        _q("text", N_("What should we improve?")),
        _q("text", N_("What topics would you like next time?")),
    ],
    "trust": [
        _q("rating", N_("How much do you trust the other cities in the network to share openly?")),
        _q(
            "rating",
            N_("How comfortable are you talking about your city's difficulties in this network?"),
        ),
        _q("text", N_("What would help build trust in the network?")),
    ],
    "expectations": [
        _q(
            "choice",
            N_("What do you expect most from the network?"),
            (
                N_("Learning from other cities' practice"),
                N_("Solving a specific problem of my city"),
                N_("Contacts with experts"),
                N_("Information about funding"),
            ),
        ),
        _q("text", N_("What would make this network worth your time?")),
        _q("text", N_("Which topics should the network take up first?")),
    ],
}
SURVEY_WORDS = {
    "zaufanie": "trust",
    "trust": "trust",
    "oczekiwania": "expectations",
    "expectations": "expectations",
    "spotkanie": "meeting",
    "meeting": "meeting",
}
SURVEY_LABEL = {
    "meeting": N_("after meetings"),
    "trust": N_("trust (start of the network)"),
    "expectations": N_("expectations (start of the network)"),
}
KIND_WORDS = {
    "ocena": "rating",
    "rating": "rating",
    "wybor": "choice",
    "wybór": "choice",
    "choice": "choice",
    "tekst": "text",
    "text": "text",
}


def _builtin(t: Translator, question: dict[str, Any], text: str) -> str:
    """The handbook's questions are catalogue ids; a coordinator's own are shown as typed."""
    return t(text) if question.get("builtin") else text


def question_text(t: Translator, question: dict[str, Any]) -> str:
    return _builtin(t, question, str(question.get("text", "")))


def option_texts(t: Translator, question: dict[str, Any]) -> list[str]:
    return [_builtin(t, question, option) for option in question["options"]]


def questions_for(s: Session, network_id: int, survey: str) -> list[dict[str, Any]]:
    """The network's own questions for this survey, else the handbook's defaults."""
    own = store.network_questions(s, network_id, survey)
    if own:
        return [{"kind": q.kind, "text": q.text, "options": list(q.options)} for q in own]
    return [dict(q) for q in DEFAULT_QUESTIONS[survey]]


# --- asking -------------------------------------------------------------------------------


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
    if question["kind"] == "rating":
        lines.append(t("Tap a number from 1 (lowest) to 5 (highest), or type it; “-” skips."))
        buttons = [Button(v, f"/ankieta {poll.id} {number} {v}") for v in store.RATING_VALUES]
    elif question["kind"] == "choice":
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


def introduction(t: Translator, poll: Poll) -> str:
    return "\n".join(
        [
            t("📝 {title}", title=poll.title),
            t(
                "{count} short questions, about two minutes. Every question can be skipped.",
                count=len(poll.questions),
            ),
            t(
                "🔒 Anonymous: your answers are stored without your name or anything that links "
                "them to you. I only note that you have answered, so that I do not ask again. "
                "Results are shown only after the poll closes on {when}.",
                when=t.datetime(poll.closes_at),
            ),
        ]
    )


def _private_chat(s: Session, person_id: int, settings: Settings) -> tuple[str, str] | None:
    for platform in settings.active_platforms:
        account = directory.account_of(s, person_id, platform)
        if account is not None:
            return platform, account.external_id
    return None


def _send_question(
    s: Session,
    settings: Settings,
    now: datetime,
    poll: Poll,
    person: Person,
    number: int,
    header: str,
    kind: str,
) -> bool:
    """Queue a private message with the question and put the person's chat on it (unless
    they are in the middle of another guided command there)."""
    where = _private_chat(s, person.id or 0, settings)
    if where is None or person.erased_at is not None:
        return False
    t = Translator(person.language or settings.default_language, settings.tz)
    question = ask(t, poll, number)
    page = links.button(
        t("Answer on a page"),
        links.page_url_in(
            s,
            settings,
            person.id or 0,
            links.FEEDBACK,
            now,
            expires_at=poll.closes_at,
            poll=poll.id or 0,
        ),
        f"/ankieta {poll.id}",
    )
    if page is not None:
        header += "\n" + t("You can also answer on a page: type /strona.")
    enqueue(
        s,
        Target(*where),
        Outgoing(
            header + "\n\n" + question.text, actions=(*question.actions, *([page] if page else []))
        ),
        now,
        person_id=person.id,
        network_id=poll.network_id,
        kind=kind,
        dedupe_key=f"{kind}:{poll.id}:{person.id}",
    )
    current = conversations.current(s, where[0], where[1], person.id or 0)
    if current is None or current.flow == FLOW:
        conversations.start(
            s,
            where[0],
            where[1],
            person.id or 0,
            FLOW,
            "answer",
            {"poll": poll.id, "q": number},
            now,
        )
    return True


def meeting_participants(s: Session, meeting: Meeting) -> list[int]:
    """Checked in; or, when nobody was checked in, everyone who answered in person/online."""
    answers = list(rsvps(s, meeting.id or 0))
    present = [r.person_id for r in answers if r.checked_in_at is not None]
    if present:
        return present
    return [
        r.person_id for r in answers if r.answer in ("stacjonarnie", "online") and not r.waitlisted
    ]


def launch(s: Session, poll: Poll, person_ids: list[int], now: datetime, settings: Settings) -> int:
    """Open a poll: markers and counters, first question privately, one note per network
    chat, the reminder and the closing as due tasks. Returns how many people were asked."""
    store.open_poll(s, poll, person_ids)
    asked = 0
    for person_id in sorted(set(person_ids)):
        person = s.get(Person, person_id)
        if person is None:
            continue
        t = Translator(person.language or settings.default_language, settings.tz)
        asked += _send_question(
            s, settings, now, poll, person, 1, introduction(t, poll), "feedback_poll"
        )
    network = s.get(Network, poll.network_id)
    for binding in directory.chats_of(s, [poll.network_id]):
        if binding.platform not in settings.active_platforms:
            continue
        t = Translator(settings.default_language, settings.tz)
        enqueue(
            s,
            Target(binding.platform, binding.chat_id),
            Outgoing(
                t(
                    "📝 {title}: I have sent each of the {count} people asked a short anonymous poll "
                    "in a private message. It is open until {when}. Thank you for your opinions!",
                    title=poll.title,
                    count=len(set(person_ids)),
                    when=t.datetime(poll.closes_at),
                )
            ),
            now,
            network_id=network.id if network else None,
            kind="feedback_note",
            dedupe_key=f"feedback_note:{poll.id}:{binding.platform}:{binding.chat_id}",
        )
    remind_at = poll.opens_at + timedelta(hours=settings.feedback_reminder_hours)
    if remind_at < poll.closes_at:
        due.schedule(s, "feedback_remind", poll.id or 0, f"feedback_remind:{poll.id}", remind_at)
    due.schedule(s, "feedback_close", poll.id or 0, f"feedback_close:{poll.id}", poll.closes_at)
    log.info("feedback.opened poll=%s asked=%s", poll.id, asked)
    return asked


def open_for_meeting(s: Session, meeting_id: int, now: datetime, settings: Settings) -> None:
    meeting = s.get(Meeting, meeting_id)
    if meeting is None or meeting.status != "published":
        return
    if store.poll_for_meeting(s, meeting_id) is not None:
        return
    t = Translator(settings.default_language, settings.tz)
    poll = Poll(
        network_id=meeting.network_id,
        meeting_id=meeting.id,
        kind="meeting",
        survey="meeting",
        title=t("Feedback on meeting #{id} “{title}”", id=meeting.id, title=meeting.title),
        questions=questions_for(s, meeting.network_id, "meeting"),
        opens_at=now,
        closes_at=now + timedelta(days=settings.feedback_close_days),
    )
    launch(s, poll, meeting_participants(s, meeting), now, settings)


def remind(s: Session, poll_id: int, now: datetime, settings: Settings) -> int:
    """One reminder to everyone who has not finished (the marker knows; the answers don't)."""
    poll = s.get(Poll, poll_id)
    if poll is None or store.is_closed(poll, now):
        return 0
    told = 0
    for mine in store.participants(s, poll_id):
        if mine.done or mine.reminded:
            continue
        person = s.get(Person, mine.person_id)
        if person is None:
            continue
        t = Translator(person.language or settings.default_language, settings.tz)
        header = t(
            "⏰ A reminder: {title} is open until {when}. Your answers stay anonymous.",
            title=poll.title,
            when=t.datetime(poll.closes_at),
        )
        told += _send_question(
            s,
            settings,
            now,
            poll,
            person,
            min(mine.progress + 1, len(poll.questions)),
            header,
            "feedback_reminder",
        )
        mine.reminded = True
        s.add(mine)
    return told


# What happens at closing besides the coordinators' note, per poll kind (ad-hoc polls post
# their totals in the chat where they were asked).
CLOSING: dict[str, Callable[[Session, Poll, datetime, Settings], None]] = {}


def close(s: Session, poll_id: int, now: datetime, settings: Settings) -> None:
    poll = s.get(Poll, poll_id)
    if poll is None or poll.status == "closed":
        return
    store.close(s, poll)
    due.cancel(s, "feedback_remind", poll_id)
    due.cancel(s, "feedback_close", poll_id)
    if poll.kind in CLOSING:
        CLOSING[poll.kind](s, poll, now, settings)
        log.info("feedback.closed poll=%s", poll.id)
        return
    marks = store.participants(s, poll_id)
    answered = sum(1 for m in marks if m.progress > 0)
    command = f"/raport {poll.meeting_id}" if poll.meeting_id else f"/wyniki {poll.id}"
    for person, role, _city in directory.members(s, poll.network_id):
        if role in (Role.COORDINATOR, Role.COORDINATING_TEAM):
            enqueue_to_person(
                s,
                person.id or 0,
                settings,
                now,
                lambda t: Outgoing(
                    t(
                        "📊 {title} has closed: {answered} of {asked} people answered. The report: "
                        "{command}",
                        title=poll.title,
                        answered=answered,
                        asked=len(marks),
                        command=command,
                    ),
                    actions=(Button(t("Report"), command),),
                ),
                kind="feedback_closed",
                dedupe_key=f"feedback_closed:{poll.id}:{person.id}",
            )
    log.info("feedback.closed poll=%s", poll.id)


# --- answering ----------------------------------------------------------------------------


def _load_poll(s: Session, word: str) -> Poll:
    poll_id = parse_id(word)
    poll = s.get(Poll, poll_id) if poll_id is not None else None
    if poll is None:
        raise DomainError(
            N_("There is no poll with the number “{id}”. /ankieta lists yours."), id=shown(word)
        )
    return poll


def _finish_flow(ctx: Context) -> None:
    chat, person = ctx.incoming.chat, ctx.require_person()
    with ctx.db.session() as s:
        conv = conversations.current(s, chat.platform, chat.chat_id, person.id or 0)
        if conv is not None and conv.flow == FLOW:
            s.delete(conv)


def _answer(ctx: Context, poll_id: int, number: int, value: str) -> list[Outgoing]:
    me = ctx.require_person()
    chat = ctx.incoming.chat
    try:
        with ctx.db.session() as s:
            poll = _load_poll(s, str(poll_id))
            mine = store.record(
                s, poll, me.id or 0, number, check_text(value, 1000, "text"), ctx.now
            )
            if mine.done:
                conversations.finish(s, chat.platform, chat.chat_id, me.id or 0)
            else:
                conversations.start(
                    s,
                    chat.platform,
                    chat.chat_id,
                    me.id or 0,
                    FLOW,
                    "answer",
                    {"poll": poll.id, "q": mine.progress + 1},
                    ctx.now,
                )
    except DomainError as error:
        if error.msgid in (store.CLOSED, N_("You have already answered this poll. Thank you!")):
            _finish_flow(ctx)
        raise
    if mine.done:
        return [
            Outgoing(
                ctx.t(
                    "Thank you! Your answers are saved anonymously. The results "
                    "will be shared after the poll closes."
                )
            )
        ]
    return [ask(ctx.t, poll, mine.progress + 1)]


def _refuse_in_group(ctx: Context) -> None:
    if not ctx.private:
        raise DomainError(
            N_(
                "Please answer polls in a private chat with me, so that your "
                "answers stay anonymous."
            )
        )


@REGISTRY.command(
    "ankieta",
    "feedback",
    summary=N_("answer a feedback poll (anonymous)"),
    usage=N_("[poll] [question] [answer]"),
    action=Action.GIVE_OPINION,
    scope="private",
)
async def answer(ctx: Context, args: str) -> list[Outgoing]:
    me = ctx.require_person()
    _refuse_in_group(ctx)
    words = args.split(maxsplit=2)
    if not words:
        with ctx.db.session() as s:
            mine = store.open_polls_for(s, me.id or 0, ctx.now)
        if not mine:
            return [Outgoing(ctx.t("You have no open polls. Thank you!"))]
        return [
            Outgoing(
                "\n".join(
                    [ctx.t("Your open polls:")]
                    + [f"#{p.id} {p.title} — {ctx.t.datetime(p.closes_at)}" for p in mine]
                ),
                actions=tuple(
                    Button(ctx.t("Answer #{id}", id=p.id), f"/ankieta {p.id}") for p in mine
                ),
            )
        ]
    if len(words) == 1:  # resume at the next question
        chat = ctx.incoming.chat
        with ctx.db.session() as s:
            poll = _load_poll(s, words[0])
            if store.is_closed(poll, ctx.now):
                raise DomainError(store.CLOSED)
            mine_row = store.participant(s, poll.id or 0, me.id or 0)
            if mine_row is None:
                raise DomainError(N_("This poll is for the people it was sent to."))
            if mine_row.done:
                raise DomainError(N_("You have already answered this poll. Thank you!"))
            conversations.start(
                s,
                chat.platform,
                chat.chat_id,
                me.id or 0,
                FLOW,
                "answer",
                {"poll": poll.id, "q": mine_row.progress + 1},
                ctx.now,
            )
            return [Outgoing(introduction(ctx.t, poll)), ask(ctx.t, poll, mine_row.progress + 1)]
    poll_id, number = parse_id(words[0]), parse_count(words[1], low=1, high=50)
    if poll_id is None or number is None or len(words) < 3:
        raise DomainError(
            N_(
                "Write e.g. /ankieta 3 1 4 (poll 3, question 1, answer 4), or "
                "/ankieta 3 to continue."
            )
        )
    return _answer(ctx, poll_id, number, words[2])


@REGISTRY.flow(FLOW)
async def typed_answer(ctx: Context, conv: Conversation, text: str) -> list[Outgoing]:
    """A typed number or sentence answers the question the person is on."""
    if not text:
        return []
    return _answer(ctx, int(conv.data["poll"]), int(conv.data["q"]), text)


@REGISTRY.command(
    "ankieta_strona",
    "feedback_page",
    summary=N_("answers sent from the poll's page"),
    usage=N_("<poll>, then one answer per line"),
    action=Action.GIVE_OPINION,
    hidden=True,
)
async def page_answers(ctx: Context, args: str) -> list[Outgoing]:
    """All remaining answers at once (the page's form), in order; "-" skips. One transaction:
    a refused answer changes nothing."""
    me = ctx.require_person()
    _refuse_in_group(ctx)
    first, _newline, rest = args.partition("\n")
    poll_id = parse_id(first)
    if poll_id is None:
        raise DomainError(
            N_(
                "Write e.g. /ankieta 3 1 4 (poll 3, question 1, answer 4), or "
                "/ankieta 3 to continue."
            )
        )
    answers = rest.split("\n")
    with ctx.db.session() as s:
        poll = _load_poll(s, str(poll_id))
        mine = store.participant(s, poll.id or 0, me.id or 0)
        if mine is None:
            raise DomainError(N_("This poll is for the people it was sent to."))
        start = mine.progress + 1
        for number in range(start, len(poll.questions) + 1):
            index = number - start
            value = answers[index].strip() if index < len(answers) else ""
            store.record(
                s, poll, me.id or 0, number, check_text(value or store.SKIP, 1000, "text"), ctx.now
            )
    return [
        Outgoing(
            ctx.t(
                "Thank you! Your answers are saved anonymously. The results "
                "will be shared after the poll closes."
            )
        )
    ]

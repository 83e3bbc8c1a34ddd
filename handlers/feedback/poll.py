"""Feedback polls: after a meeting, start-of-network surveys, answered privately and anonymously.

The poll asks its questions one at a time: ratings and choices by buttons (or a typed number),
open questions as a short guided conversation; anything can be skipped with “-”. The answers
go to models.feedback, which keeps them apart from the person (see its docstring); nothing
here logs or sends anything that would join the two.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlmodel import Session

from core import links
from core.config import Settings
from core.i18n import Translator
from core.messages import Action as Button
from core.messages import Outgoing, Target
from core.outbox import enqueue, enqueue_to_person
from handlers.feedback.render import (
    MEETING_TITLE,
    ask,
    closed_note,
    group_note,
    introduction,
    poll_title,
    reminder,
    thanks,
)
from handlers.kit.args import Choice, Count, Id, Text, Words
from handlers.kit.context import Context
from handlers.kit.limits import check_text
from handlers.kit.permissions import Action
from handlers.kit.registry import REGISTRY
from models import conversations, directory, due, outbox
from models import feedback as store
from models import feedback_traces as traces
from models.core import Conversation, Network, Person
from models.enums import Role
from models.errors import N_, DomainError
from models.feedback import Poll, PollKind, PollStatus, Survey
from models.meetings import Meeting

log = logging.getLogger("empirie.feedback")
FLOW = "feedback"


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
            s,
            settings,
            now,
            poll,
            person,
            1,
            introduction(t, poll, poll_title(s, t, poll)),
            "feedback_poll",
        )
    network = s.get(Network, poll.network_id)
    for binding in directory.chats_of(s, [poll.network_id]):
        if binding.platform not in settings.active_platforms:
            continue
        t = Translator(settings.default_language, settings.tz)
        enqueue(
            s,
            Target(binding.platform, binding.chat_id),
            group_note(t, poll, poll_title(s, t, poll), len(set(person_ids))),
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


def ask_again(s: Session, settings: Settings, now: datetime, poll: Poll, person: Person) -> bool:
    """The poll's next question for someone asked who could not be reached when it opened
    (they linked their account since: handlers.welcome); never twice (same key)."""
    asked = store.participant(s, poll.id or 0, person.id or 0)
    if (
        store.is_closed(poll, now)
        or asked is None
        or asked.done
        or asked.progress
        or outbox.queued(s, f"feedback_poll:{poll.id}:{person.id}")
    ):
        return False
    t = Translator(person.language or settings.default_language, settings.tz)
    intro = introduction(t, poll, poll_title(s, t, poll))
    return _send_question(s, settings, now, poll, person, 1, intro, "feedback_poll")


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
        kind=PollKind.MEETING,
        survey=Survey.MEETING,
        title=t(MEETING_TITLE, id=meeting.id, title=meeting.title),
        questions=store.questions_for(s, meeting.network_id, Survey.MEETING),
        opens_at=now,
        closes_at=now + timedelta(days=settings.feedback_close_days),
    )
    launch(s, poll, store.meeting_participants(s, meeting.id or 0), now, settings)


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
        told += _send_question(
            s,
            settings,
            now,
            poll,
            person,
            min(mine.progress + 1, len(poll.questions)),
            reminder(t, poll, poll_title(s, t, poll)),
            "feedback_reminder",
        )
        mine.reminded = True
        s.add(mine)
    return told


# What happens at closing besides the coordinators' note, per poll kind (ad-hoc polls post
# their totals in the chat where they were asked).
CLOSING: dict[str, Callable[[Session, Poll, datetime, Settings], None]] = {}
# Who is told that a meeting's poll or a survey closed: the coordinator and the expert (the
# results are theirs to read and act on), and the coordinating team.
CLOSING_NOTE_ROLES = (Role.COORDINATOR, Role.EXPERT, Role.COORDINATING_TEAM)


def close(s: Session, poll_id: int, now: datetime, settings: Settings) -> None:
    poll = s.get(Poll, poll_id)
    if poll is None or poll.status == PollStatus.CLOSED:
        return
    asked = [m.person_id for m in store.participants(s, poll_id)]
    store.close(s, poll)  # the markers keep "asked" only
    traces.forget(
        s,
        poll_id,
        asked,
        poll.opens_at,
        flow=FLOW,
        commands=(f"/ankieta {poll_id}",),
        title=poll.title,
    )
    due.cancel(s, "feedback_remind", poll_id)
    due.cancel(s, "feedback_close", poll_id)
    if poll.kind in CLOSING:
        CLOSING[poll.kind](s, poll, now, settings)
        log.info("feedback.closed poll=%s", poll.id)
        return
    told = {
        person.id or 0
        for person, role, _city in directory.members(s, poll.network_id)
        if role in CLOSING_NOTE_ROLES
    }
    for person_id in sorted(told):
        enqueue_to_person(
            s,
            person_id,
            settings,
            now,
            lambda t: closed_note(t, poll, poll_title(s, t, poll), poll.answered or 0, len(asked)),
            kind="feedback_closed",
            dedupe_key=f"feedback_closed:{poll.id}:{person_id}",
        )
    log.info("feedback.closed poll=%s", poll.id)


# --- answering ----------------------------------------------------------------------------

MISSING = N_("There is no poll with the number “{id}”. /ankieta lists yours.")
HOW = N_("Write e.g. /ankieta 3 1 4 (poll 3, question 1, answer 4), or /ankieta 3 to continue.")
POLL, QUESTION = N_("poll"), N_("question")  # in the usage of a command
ALREADY = N_("You have already answered this poll. Thank you!")
NOT_ASKED = N_("This poll is for the people it was sent to.")


def _poll(s: Session, poll_id: int) -> Poll:
    poll = s.get(Poll, poll_id)
    if poll is None:
        raise DomainError(MISSING, id=poll_id)
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
            poll = _poll(s, poll_id)
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
        if error.msgid in (store.CLOSED, ALREADY):
            _finish_flow(ctx)
        raise
    if mine.done:
        return [thanks(ctx.t, poll)]
    return [ask(ctx.t, poll, mine.progress + 1)]


def _refuse_in_group(ctx: Context) -> None:
    """Answers are given in a private chat, where nobody sees them typed (not moved there: a
    poll answered in the group would no longer be anonymous)."""
    if not ctx.private:
        raise DomainError(
            N_(
                "Please answer polls in a private chat with me, so that your "
                "answers stay anonymous."
            )
        )


async def open_polls(ctx: Context) -> list[Outgoing]:
    """`/ankieta` alone: the caller's open polls, each a button."""
    me = ctx.require_person()
    _refuse_in_group(ctx)
    with ctx.db.session() as s:
        mine = store.open_polls_for(s, me.id or 0, ctx.now)
        titles = {p.id: poll_title(s, ctx.t, p) for p in mine}
    if not mine:
        return [Outgoing(ctx.t("You have no open polls. Thank you!"))]
    return [
        Outgoing(
            "\n".join(
                [ctx.t("Your open polls:")]
                + [f"#{p.id} {titles[p.id]} — {ctx.t.datetime(p.closes_at)}" for p in mine]
            ),
            actions=tuple(Button(ctx.t("Answer #{id}", id=p.id), f"/ankieta {p.id}") for p in mine),
        )
    ]


def _resume(ctx: Context, poll_id: int) -> list[Outgoing]:
    """`/ankieta <poll>`: the introduction and the next unanswered question."""
    me = ctx.require_person()
    chat = ctx.incoming.chat
    with ctx.db.session() as s:
        poll = _poll(s, poll_id)
        if store.is_closed(poll, ctx.now):
            raise DomainError(store.CLOSED)
        mine = store.participant(s, poll.id or 0, me.id or 0)
        if mine is None:
            raise DomainError(NOT_ASKED)
        if mine.done:
            raise DomainError(ALREADY)
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
        title = poll_title(s, ctx.t, poll)
        return [Outgoing(introduction(ctx.t, poll, title)), ask(ctx.t, poll, mine.progress + 1)]


@REGISTRY.command(
    "ankieta",
    "feedback",
    summary=N_("answer a feedback poll (anonymous)"),
    args=Words(
        Id("poll", label=POLL),
        Count("question", optional=True, label=QUESTION, low=1, high=50),
        Text("answer", optional=True, limit=1000, field_name="text"),
    ),
    example="/ankieta 3 1 4",
    action=Action.GIVE_OPINION,
    scope="private",
    when_empty=open_polls,
)
async def answer(
    ctx: Context, poll: int, question: int | None, answer: str | None
) -> list[Outgoing]:
    ctx.require_person()
    _refuse_in_group(ctx)
    if question is None and answer is None:
        return _resume(ctx, poll)
    if question is None or answer is None:
        raise DomainError(HOW)
    return _answer(ctx, poll, question, answer)


@REGISTRY.flow(FLOW)
async def typed_answer(ctx: Context, conv: Conversation, text: str) -> list[Outgoing]:
    """A typed number or sentence answers the question the person is on."""
    if not text:
        return []
    return _answer(ctx, int(conv.data["poll"]), int(conv.data["q"]), text)


@dataclass(frozen=True)
class Pick(Choice):
    """`Choice` with a hash (the kit's hashes its `choices` dict, which fails when the
    registry lists its commands)."""

    def __hash__(self) -> int:
        return hash((self.name, self.optional, tuple(self.choices.items())))


@dataclass(frozen=True)
class Lines(Text):
    """The rest of the message, one value per line (the page's answers, in order)."""

    def parse(self, text: str) -> list[str]:  # type: ignore[override]  # the line, split
        return text.strip().split("\n")


@REGISTRY.command(
    "ankieta_strona",
    "feedback_page",
    summary=N_("answers sent from the poll's page"),
    args=Words(Id("poll", label=POLL), Lines("answers", optional=True, default=())),
    usage=N_("<poll>, then one answer per line"),
    example="/ankieta_strona 3",
    action=Action.GIVE_OPINION,
    hidden=True,
)
async def page_answers(ctx: Context, poll: int, answers: Sequence[str]) -> list[Outgoing]:
    """All remaining answers at once (the page's form), in order; "-" skips. One transaction:
    a refused answer changes nothing."""
    me = ctx.require_person()
    _refuse_in_group(ctx)
    with ctx.db.session() as s:
        found = _poll(s, poll)
        mine = store.participant(s, found.id or 0, me.id or 0)
        if mine is None:
            raise DomainError(NOT_ASKED)
        start = mine.progress + 1
        for number in range(start, len(found.questions) + 1):
            index = number - start
            value = answers[index].strip() if index < len(answers) else ""
            store.record(
                s, found, me.id or 0, number, check_text(value or store.SKIP, 1000, "text"), ctx.now
            )
    return [thanks(ctx.t, found)]

"""Feedback polls, stored so that no row links an answer to a person.

Three kinds of rows, deliberately apart:
- `PollParticipant` — the marker: who was asked and, while the poll runs, how far they got
  (what resuming needs). It holds no answer, no timestamp, and is created for everyone at once
  when the poll opens, so its ids say nothing about who answered when. At closing the counts
  of those who answered and finished move to the poll and every marker is blanked to "asked"
  (models.feedback_traces removes the rest: guided-answer state, buttons, question messages).
- `PollTally` — ratings and choices as counters (one row per question and value, created at
  opening with 0): an answer is `count + 1`, never a new row, so there is no order to join.
- `PollText` — open answers with a random key, no person, no time; at closing they are
  rewritten in random order with fresh keys, and the counters and markers are touched in the
  same transaction, so even the store's internals (insertion order, PostgreSQL's xmin/ctid)
  no longer line up with the markers.
The one double-vote rule (a question is answered once, in one atomic conditional UPDATE of
the marker) lives here.

Named votes exist only for ad-hoc polls the coordinator declared open ("jawne"), where the
platform itself shows who voted (`PollVote`).
"""

from __future__ import annotations

import random
import secrets
from collections.abc import Sequence
from datetime import datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import JSON, Column, String, Text, UniqueConstraint, update
from sqlmodel import Field, Session, SQLModel, col, select

from models.errors import N_, DomainError
from models.types import UTCDateTime


class PollKind(StrEnum):
    MEETING = "meeting"  # after a meeting, to those who came
    SURVEY = "survey"  # start of the network (trust, expectations), to all representatives
    ADHOC = "adhoc"  # a coordinator's quick vote in the group chat


class PollStatus(StrEnum):
    OPEN = "open"
    CLOSED = "closed"


class Survey(StrEnum):
    """Which set of questions a poll asks (a network may have its own for each)."""

    MEETING = "meeting"
    TRUST = "trust"
    EXPECTATIONS = "expectations"
    ADHOC = "adhoc"  # the quick vote's one question, typed with it


class QuestionKind(StrEnum):
    RATING = "rating"
    CHOICE = "choice"
    TEXT = "text"


KINDS = tuple(QuestionKind)
SURVEYS = (Survey.MEETING, Survey.TRUST, Survey.EXPECTATIONS)
MAX_QUESTIONS = 12
CHOICE_OPTIONS = (2, 8)
RATING_VALUES = tuple(str(n) for n in range(1, 6))
SKIP = "-"
CLOSED = N_("This poll has closed. Thank you anyway — answers are no longer collected.")


class FeedbackQuestion(SQLModel, table=True):
    """A network's own question for one kind of survey (the defaults apply when none)."""

    __tablename__ = "feedback_question"

    id: int | None = Field(default=None, primary_key=True)
    network_id: int = Field(foreign_key="network.id", index=True)
    survey: str = Field(default=Survey.MEETING, sa_type=String(16))
    position: int = 0
    kind: str = Field(sa_type=String(8))  # QuestionKind
    text: str = Field(sa_type=String(300))
    options: list[str] = Field(default_factory=list, sa_column=Column(JSON, nullable=False))


class Poll(SQLModel, table=True):
    id: int | None = Field(default=None, primary_key=True)
    network_id: int = Field(foreign_key="network.id", index=True)
    meeting_id: int | None = Field(default=None, foreign_key="meeting.id", unique=True)
    kind: str = Field(sa_type=String(12))  # PollKind
    survey: str = Field(default=Survey.MEETING, sa_type=String(16))
    title: str = Field(sa_type=String(300))
    # a snapshot: later edits of the network's questions do not change a running poll
    questions: list[dict[str, Any]] = Field(
        default_factory=list, sa_column=Column(JSON, nullable=False)
    )
    anonymous: bool = True
    status: str = Field(default=PollStatus.OPEN, sa_type=String(8))
    opens_at: datetime = Field(sa_type=UTCDateTime)
    closes_at: datetime = Field(sa_type=UTCDateTime)
    created_by: int | None = Field(default=None, foreign_key="person.id")
    platform: str | None = Field(default=None, sa_type=String(16))  # ad-hoc: the group chat
    chat_id: str | None = Field(default=None, sa_type=String(128))
    native_id: str | None = Field(default=None, sa_type=String(64), index=True)
    native_message_id: str | None = Field(default=None, sa_type=String(64))  # to stop it
    # counted at closing, when the markers are blanked (None: still running)
    answered: int | None = None  # answered or skipped at least one question
    finished: int | None = None  # went through every question


class PollParticipant(SQLModel, table=True):
    """Asked; while the poll runs also how far answered and reminded (after closing: asked
    only, every row alike). Never an answer, never a time."""

    __tablename__ = "poll_participant"
    __table_args__ = (UniqueConstraint("poll_id", "person_id"),)

    id: int | None = Field(default=None, primary_key=True)
    poll_id: int = Field(foreign_key="poll.id", index=True)
    person_id: int = Field(foreign_key="person.id", index=True)
    progress: int = 0  # questions answered or skipped, in order
    done: bool = False
    reminded: bool = False


class PollTally(SQLModel, table=True):
    __tablename__ = "poll_tally"
    __table_args__ = (UniqueConstraint("poll_id", "question", "value"),)

    id: int | None = Field(default=None, primary_key=True)
    poll_id: int = Field(foreign_key="poll.id", index=True)
    question: int  # 1-based
    value: str = Field(sa_type=String(100))
    count: int = 0


class PollText(SQLModel, table=True):
    __tablename__ = "poll_text"

    key: str = Field(sa_type=String(32), primary_key=True)  # random, rewritten at closing
    poll_id: int = Field(foreign_key="poll.id", index=True)
    question: int
    text: str = Field(sa_type=Text)


class PollVote(SQLModel, table=True):
    """A named vote in an ad-hoc poll declared open (the platform shows voters anyway)."""

    __tablename__ = "poll_vote"
    __table_args__ = (UniqueConstraint("poll_id", "person_id"),)

    id: int | None = Field(default=None, primary_key=True)
    poll_id: int = Field(foreign_key="poll.id", index=True)
    person_id: int = Field(foreign_key="person.id", index=True)
    option: int  # 1-based


def values_of(question: dict[str, Any]) -> tuple[str, ...]:
    if question["kind"] == QuestionKind.RATING:
        return RATING_VALUES
    if question["kind"] == QuestionKind.CHOICE:
        return tuple(str(n) for n in range(1, len(question["options"]) + 1))
    return ()


def open_poll(s: Session, poll: Poll, person_ids: Sequence[int]) -> Poll:
    """Store a new poll with every marker and every counter at once (ids carry no order)."""
    s.add(poll)
    s.flush()
    people = sorted(set(person_ids))
    random.SystemRandom().shuffle(people)
    for person_id in people:
        s.add(PollParticipant(poll_id=poll.id or 0, person_id=person_id))
    for number, question in enumerate(poll.questions, start=1):
        for value in values_of(question):
            s.add(PollTally(poll_id=poll.id or 0, question=number, value=value))
    s.flush()
    return poll


def participant(s: Session, poll_id: int, person_id: int) -> PollParticipant | None:
    return s.exec(
        select(PollParticipant).where(
            PollParticipant.poll_id == poll_id, PollParticipant.person_id == person_id
        )
    ).first()


def participants(s: Session, poll_id: int) -> Sequence[PollParticipant]:
    return s.exec(
        select(PollParticipant)
        .where(PollParticipant.poll_id == poll_id)
        .order_by(col(PollParticipant.person_id))
    ).all()


def is_closed(poll: Poll, now: datetime) -> bool:
    return poll.status == PollStatus.CLOSED or now >= poll.closes_at


def normalise(question: dict[str, Any], value: str) -> str:
    """The stored form of an answer, or SKIP; a DomainError explains bad input."""
    value = value.strip()
    if value.lower() in (SKIP, "pomin", "pomiń", "skip"):
        return SKIP
    if question["kind"] == QuestionKind.TEXT:
        if len(value) > 1000:
            raise DomainError(N_("Please keep it under 1000 characters."))
        return value
    allowed = values_of(question)
    if value not in allowed:
        if question["kind"] == QuestionKind.RATING:
            raise DomainError(N_("Please answer with a number from 1 to 5, or “-” to skip."))
        raise DomainError(
            N_("Please answer with the number of an option (1–{last}), or “-” to skip."),
            last=len(allowed),
        )
    return value


def record(
    s: Session, poll: Poll, person_id: int, number: int, value: str, now: datetime
) -> PollParticipant:
    """Answer (or skip) question `number` once. Questions before it that were not answered
    count as skipped. Two presses at the same moment: the conditional UPDATE lets one in."""
    if is_closed(poll, now):
        raise DomainError(CLOSED)
    if not 1 <= number <= len(poll.questions):
        raise DomainError(N_("This poll has questions 1–{last}."), last=len(poll.questions))
    mine = participant(s, poll.id or 0, person_id)
    if mine is None:
        raise DomainError(N_("This poll is for the people it was sent to."))
    if mine.done:
        raise DomainError(N_("You have already answered this poll. Thank you!"))
    stored = normalise(poll.questions[number - 1], value)
    last = number == len(poll.questions)
    won = s.execute(
        update(PollParticipant)
        .where(
            col(PollParticipant.id) == mine.id,
            col(PollParticipant.progress) < number,
            col(PollParticipant.done).is_(False),
        )
        .values(progress=number, done=last)
    )
    if not won.rowcount:  # type: ignore[attr-defined]
        # no number in the refusal: a reply kept in the outbox must not say how far one got
        raise DomainError(N_("You have already answered this question."))
    if stored != SKIP:
        if poll.questions[number - 1]["kind"] == QuestionKind.TEXT:
            s.add(
                PollText(
                    key=secrets.token_hex(16), poll_id=poll.id or 0, question=number, text=stored
                )
            )
        else:
            s.execute(
                update(PollTally)
                .where(
                    col(PollTally.poll_id) == poll.id,
                    col(PollTally.question) == number,
                    col(PollTally.value) == stored,
                )
                .values(count=col(PollTally.count) + 1)
            )
    s.flush()
    s.refresh(mine)
    return mine


def close(s: Session, poll: Poll) -> None:
    """Close and scrub: how many answered and finished go to the poll, every marker is
    blanked to "asked", open answers are rewritten in random order under fresh keys, and the
    counters and markers are touched in the same transaction (nothing left that orders them
    or links them to a person)."""
    marks = participants(s, poll.id or 0)
    poll.answered = sum(1 for m in marks if m.progress > 0)
    poll.finished = sum(1 for m in marks if m.done)
    poll.status = PollStatus.CLOSED
    s.add(poll)
    texts = list(s.exec(select(PollText).where(PollText.poll_id == poll.id)).all())
    kept = [(t.question, t.text) for t in texts]
    for row in texts:
        s.delete(row)
    s.flush()
    random.SystemRandom().shuffle(kept)
    for question, text in kept:
        s.add(
            PollText(key=secrets.token_hex(16), poll_id=poll.id or 0, question=question, text=text)
        )
    s.execute(
        update(PollTally)
        .where(col(PollTally.poll_id) == poll.id)
        .values(count=col(PollTally.count))
    )
    s.execute(
        update(PollParticipant)
        .where(col(PollParticipant.poll_id) == poll.id)
        .values(progress=0, done=False, reminded=False)
    )
    s.flush()


def tallies(s: Session, poll_id: int) -> dict[int, dict[str, int]]:
    found: dict[int, dict[str, int]] = {}
    for row in s.exec(select(PollTally).where(PollTally.poll_id == poll_id)).all():
        found.setdefault(row.question, {})[row.value] = row.count
    return found


def texts(s: Session, poll_id: int) -> dict[int, list[str]]:
    found: dict[int, list[str]] = {}
    for row in s.exec(
        select(PollText).where(PollText.poll_id == poll_id).order_by(col(PollText.key))
    ).all():
        found.setdefault(row.question, []).append(row.text)
    return found


def vote(s: Session, poll: Poll, person_id: int, option: int | None, now: datetime) -> None:
    """A named vote (open ad-hoc poll): one per person, changeable, None withdraws it."""
    if is_closed(poll, now):
        raise DomainError(CLOSED)
    options = poll.questions[0]["options"]
    if option is not None and not 1 <= option <= len(options):
        raise DomainError(
            N_("Please answer with the number of an option (1–{last}), or “-” to skip."),
            last=len(options),
        )
    mine = s.exec(
        select(PollVote).where(PollVote.poll_id == poll.id, PollVote.person_id == person_id)
    ).first()
    if option is None:
        if mine is not None:
            s.delete(mine)
        return
    if mine is None:
        mine = PollVote(poll_id=poll.id or 0, person_id=person_id, option=option)
    mine.option = option
    s.add(mine)


def votes(s: Session, poll_id: int) -> Sequence[PollVote]:
    return s.exec(
        select(PollVote).where(PollVote.poll_id == poll_id).order_by(col(PollVote.person_id))
    ).all()


def option_counts(s: Session, poll: Poll) -> list[int]:
    """A quick vote's totals per option: the counters, or the named votes of an open one."""
    options = poll.questions[0]["options"]
    if poll.anonymous:
        found = tallies(s, poll.id or 0).get(1, {})
        return [found.get(str(n), 0) for n in range(1, len(options) + 1)]
    chosen = [v.option for v in votes(s, poll.id or 0)]
    return [chosen.count(n) for n in range(1, len(options) + 1)]


def network_questions(s: Session, network_id: int, survey: str) -> Sequence[FeedbackQuestion]:
    return s.exec(
        select(FeedbackQuestion)
        .where(FeedbackQuestion.network_id == network_id, FeedbackQuestion.survey == survey)
        .order_by(col(FeedbackQuestion.position), col(FeedbackQuestion.id))
    ).all()


def polls_of_network(s: Session, network_id: int, kind: str | None = None) -> Sequence[Poll]:
    query = select(Poll).where(Poll.network_id == network_id)
    if kind is not None:
        query = query.where(Poll.kind == kind)
    return s.exec(query.order_by(col(Poll.opens_at), col(Poll.id))).all()


def open_polls_for(s: Session, person_id: int, now: datetime) -> Sequence[Poll]:
    return s.exec(
        select(Poll)
        .join(PollParticipant, col(PollParticipant.poll_id) == col(Poll.id))
        .where(
            PollParticipant.person_id == person_id,
            Poll.kind != PollKind.ADHOC,
            col(PollParticipant.done).is_(False),
            Poll.status == PollStatus.OPEN,
            Poll.closes_at > now,
        )
        .order_by(col(Poll.id))
    ).all()


def by_native_id(s: Session, platform: str, native_id: str) -> Poll | None:
    return s.exec(
        select(Poll).where(Poll.platform == platform, Poll.native_id == native_id)
    ).first()


def poll_for_meeting(s: Session, meeting_id: int) -> Poll | None:
    return s.exec(select(Poll).where(Poll.meeting_id == meeting_id)).first()


def _q(kind: QuestionKind, text: str, options: tuple[str, ...] = ()) -> dict[str, Any]:
    return {"kind": kind.value, "text": text, "options": list(options), "builtin": True}


# The handbook's questions; their texts are catalogue ids (`builtin`), shown translated.
DEFAULT_QUESTIONS: dict[str, list[dict[str, Any]]] = {
    Survey.MEETING: [
        _q(QuestionKind.RATING, N_("Overall, how do you rate the meeting?")),
        _q(QuestionKind.RATING, N_("How useful was the content for your city's work?")),
        _q(QuestionKind.RATING, N_("How well was the meeting organised?")),
        _q(QuestionKind.TEXT, N_("What was most valuable for you?")),
        _q(QuestionKind.TEXT, N_("What should we improve?")),
        _q(QuestionKind.TEXT, N_("What topics would you like next time?")),
    ],
    Survey.TRUST: [
        _q(
            QuestionKind.RATING,
            N_("How much do you trust the other cities in the network to share openly?"),
        ),
        _q(
            QuestionKind.RATING,
            N_("How comfortable are you talking about your city's difficulties in this network?"),
        ),
        _q(QuestionKind.TEXT, N_("What would help build trust in the network?")),
    ],
    Survey.EXPECTATIONS: [
        _q(
            QuestionKind.CHOICE,
            N_("What do you expect most from the network?"),
            (
                N_("Learning from other cities' practice"),
                N_("Solving a specific problem of my city"),
                N_("Contacts with experts"),
                N_("Information about funding"),
            ),
        ),
        _q(QuestionKind.TEXT, N_("What would make this network worth your time?")),
        _q(QuestionKind.TEXT, N_("Which topics should the network take up first?")),
    ],
}


def questions_for(s: Session, network_id: int, survey: str) -> list[dict[str, Any]]:
    """The network's own questions for this survey, else the handbook's defaults."""
    own = network_questions(s, network_id, survey)
    if own:
        return [{"kind": q.kind, "text": q.text, "options": list(q.options)} for q in own]
    return [dict(q) for q in DEFAULT_QUESTIONS[survey]]


def add_question(
    s: Session, network_id: int, survey: str, kind: QuestionKind, text: str, options: list[str]
) -> int:
    """Append a question to the network's survey; its number. Options only for a choice."""
    if kind == QuestionKind.CHOICE:
        low, high = CHOICE_OPTIONS
        if not low <= len(options) <= high:
            raise DomainError(N_("A choice question needs 2 to 8 options after “|”."))
    else:
        options = []
    count = len(network_questions(s, network_id, survey))
    if count >= MAX_QUESTIONS:
        raise DomainError(N_("A survey has at most 12 questions: keep it short."))
    s.add(
        FeedbackQuestion(
            network_id=network_id,
            survey=survey,
            position=count + 1,
            kind=kind,
            text=text,
            options=options,
        )
    )
    s.flush()
    return count + 1


def running_survey(s: Session, network_id: int, survey: str, now: datetime) -> Poll | None:
    """The network's poll of this survey that is still open, if any."""
    return s.exec(
        select(Poll).where(
            Poll.network_id == network_id,
            Poll.survey == survey,
            Poll.status == PollStatus.OPEN,
            col(Poll.closes_at) > now,
        )
    ).first()


def meeting_participants(s: Session, meeting_id: int) -> list[int]:
    """Who is asked after a meeting: everyone who took part (models.attendance.took_part)."""
    from models.attendance import took_part
    from models.meetings import Meeting

    meeting = s.get(Meeting, meeting_id)
    return took_part(s, meeting) if meeting is not None else []

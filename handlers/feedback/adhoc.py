"""/glosowanie: a coordinator's quick poll in the network chat, on the same store.

Anonymous by default: buttons (and `/glosuj <nr> <option>`), the answer kept as a counter with
the "has voted" marker apart, results posted when it closes. `jawne` (open) when individual
votes must be counted: on Telegram a native non-anonymous poll (its `poll_answer` updates come
back as neutral POLL_ANSWER events), elsewhere the same buttons; each member's vote is kept
under their name and can be changed until closing.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, replace
from datetime import datetime, timedelta

from sqlmodel import Session

from core.config import Settings
from core.i18n import Translator
from core.messages import Outgoing, Target
from core.outbox import enqueue
from handlers.feedback.poll import ALREADY, CLOSING, POLL, Pick, close
from handlers.feedback.render import vote_message, vote_results
from handlers.kit.args import Count, Id, Text, Words
from handlers.kit.context import Context
from handlers.kit.limits import check_text, parse_count
from handlers.kit.objects import fetch, hidden_or
from handlers.kit.permissions import Action
from handlers.kit.registry import REGISTRY
from models import directory, due
from models import feedback as store
from models.core import Network
from models.enums import Role
from models.errors import N_, DomainError
from models.feedback import Poll, PollKind, PollStatus, QuestionKind, Survey

log = logging.getLogger("empirie.feedback")
OPEN_WORDS = ("jawne", "jawnie", "open", "named")
LASTS = timedelta(days=1)
MISSING = N_("There is no poll with the number “{id}”. /ankieta lists yours.")
ONLY_VOTERS = N_("Only representatives of the network's cities vote.")
HOW = N_(
    "Write e.g. /glosowanie Kiedy następne spotkanie? | maj | czerwiec "
    "(2–10 options; add “jawne” first when votes must be counted by "
    "name)."
)


@dataclass(frozen=True)
class Ballot:
    question: str
    options: tuple[str, ...]


@dataclass(frozen=True)
class BallotText(Text):
    """`<question> | <option> | <option> …`: 2 to 10 options (the rest of the line)."""

    def parse(self, text: str) -> Ballot:  # type: ignore[override]  # the line, split
        parts = [p.strip() for p in text.split("|")]
        question, options = parts[0], tuple(p for p in parts[1:] if p)
        if not question or not 2 <= len(options) <= 10:
            raise DomainError(HOW)
        check_text(question, 300, "text")
        for option in options:
            check_text(option, 100, "text")
        return Ballot(question, options)


@REGISTRY.command(
    "glosowanie",
    "poll",
    summary=N_("a quick poll in the network chat"),
    args=Words(
        Pick("named", optional=True, default=False, choices={w: True for w in OPEN_WORDS}),
        BallotText("ballot"),
    ),
    usage=N_("[jawne] <question> | <option> | <option> …"),
    example="/glosowanie Kiedy następne spotkanie? | maj | czerwiec",
    action=Action.MANAGE_POLLS,
    scope="group",
)
async def create(ctx: Context, named: bool, ballot: Ballot) -> list[Outgoing]:
    me = ctx.require_person()
    chat = ctx.incoming.chat
    if ctx.private or ctx.network is None:
        raise DomainError(
            N_("Start a poll in the network's group chat, so that everyone there can vote.")
        )
    network = ctx.network
    ctx.require(Action.MANAGE_POLLS, network)
    with ctx.db.session() as s:
        voters = [
            p.id or 0
            for p, role, _c in directory.members(s, network.id or 0)
            if role == Role.REPRESENTATIVE
        ]
        poll = store.open_poll(
            s,
            Poll(
                network_id=network.id or 0,
                kind=PollKind.ADHOC,
                survey=Survey.ADHOC,
                title=ballot.question,
                questions=[
                    {
                        "kind": QuestionKind.CHOICE.value,
                        "text": ballot.question,
                        "options": list(ballot.options),
                    }
                ],
                anonymous=not named,
                opens_at=ctx.now,
                closes_at=ctx.now + LASTS,
                created_by=me.id,
                platform=chat.platform,
                chat_id=chat.chat_id,
            ),
            voters,
        )
        due.schedule(s, "feedback_close", poll.id or 0, f"feedback_close:{poll.id}", poll.closes_at)
        t = Translator(ctx.settings.default_language, ctx.settings.tz)
        enqueue(
            s,
            Target(chat.platform, chat.chat_id),
            vote_message(t, poll),
            ctx.now,
            network_id=network.id,
            kind="adhoc_poll",
            dedupe_key=f"adhoc_poll:{poll.id}",
        )
    ctx.wake_outbox()
    return []


def _vote(s: Session, ctx: Context, poll: Poll, option: int | None) -> None:
    me = ctx.require_person()
    network = s.get(Network, poll.network_id)
    assert network is not None
    if not ctx.can(Action.GIVE_OPINION, network):
        raise DomainError(ONLY_VOTERS)
    if poll.anonymous:
        if option is None:
            raise DomainError(N_("An anonymous vote cannot be withdrawn or changed."))
        store.record(s, poll, me.id or 0, 1, str(option), ctx.now)
    else:
        store.vote(s, poll, me.id or 0, option, ctx.now)


@REGISTRY.command(
    "glosuj",
    "vote",
    summary=N_("vote in a quick poll"),
    args=Words(Id("poll", label=POLL), Count("option", label=N_("option"), low=1, high=10)),
    example="/glosuj 4 2",
    action=Action.GIVE_OPINION,
    hidden=True,
    refusal=ONLY_VOTERS,
)
async def vote(ctx: Context, poll: int, option: int) -> list[Outgoing]:
    ctx.require_person()
    with ctx.db.session() as s:
        found = hidden_or(ctx, s, Poll, str(poll), MISSING)
        if found.kind != PollKind.ADHOC:
            raise DomainError(MISSING, id=poll)
        try:
            _vote(s, ctx, found, option)
        except DomainError as error:
            if error.msgid == ALREADY:
                raise DomainError(
                    N_("You have already voted in poll #{id} “{title}”."),
                    id=found.id,
                    title=found.title,
                ) from error
            raise
    if found.anonymous:  # the title lets closing find this reply (models.feedback_traces)
        return [
            Outgoing(
                ctx.t(
                    "Your vote in poll #{id} “{title}” is counted (anonymously).",
                    id=found.id,
                    title=found.title,
                )
            )
        ]
    return [
        Outgoing(
            ctx.t(
                "Your vote in poll #{id} is counted: option {option}.", id=found.id, option=option
            )
        )
    ]


async def native_vote(ctx: Context, text: str) -> list[Outgoing]:
    """A Telegram `poll_answer`: "<native poll id> <option ids…>" (none: vote withdrawn).
    The voter sees their vote in the poll itself, so nothing is sent back; refusals are logged
    (ids only)."""
    words = text.split()
    if not words or ctx.person is None:
        return []
    poll_id = None
    try:  # a refusal undoes only this block (the update's transaction goes on)
        with ctx.db.session() as s:
            poll = store.by_native_id(s, ctx.incoming.chat.platform, words[0])
            if poll is None:
                return []
            poll_id = poll.id
            chosen = parse_count(words[1], low=0, high=9) if len(words) > 1 else None
            option = chosen + 1 if chosen is not None else None
            _vote(s, ctx, poll, option)
    except DomainError as error:
        log.info("feedback.native_vote_refused poll=%s reason=%s", poll_id, error.msgid)
    return []


def link_native(
    s: Session, poll_id: int, platform: str, native_id: str, message_id: str | None = None
) -> None:
    """Remember the platform's id of the native poll we sent, for its answers, and the id of
    the message holding it, to stop it when the poll closes."""
    poll = s.get(Poll, poll_id)
    if poll is not None:
        poll.platform, poll.native_id = platform, native_id
        poll.native_message_id = message_id or poll.native_message_id
        s.add(poll)


def native_message(s: Session, poll_id: int, platform: str) -> tuple[str, str] | None:
    """(chat, message id) of the native poll sent for this poll on the platform, if any."""
    poll = s.get(Poll, poll_id)
    if poll is None or poll.platform != platform or not poll.chat_id:
        return None
    if not poll.native_message_id:
        return None
    return poll.chat_id, poll.native_message_id


def announce_results(s: Session, poll: Poll, now: datetime, settings: Settings) -> None:
    """At closing, the totals go to the chat where the poll was asked (no names)."""
    if poll.platform is None or poll.chat_id is None:
        return
    t = Translator(settings.default_language, settings.tz)
    enqueue(
        s,
        Target(poll.platform, poll.chat_id),
        # the native poll, where one was sent, stops: no votes after the result is posted
        replace(vote_results(t, poll, store.option_counts(s, poll)), stop_poll=poll.id),
        now,
        network_id=poll.network_id,
        kind="adhoc_result",
        dedupe_key=f"adhoc_result:{poll.id}",
    )


@REGISTRY.command(
    "glosowanie_zamknij",
    "poll_close",
    summary=N_("close a quick poll now"),
    args=Words(Id("poll", label=POLL)),
    example="/glosowanie_zamknij 4",
    action=Action.MANAGE_POLLS,
)
async def close_now(ctx: Context, poll: int) -> list[Outgoing]:
    ctx.require_person()
    with ctx.db.session() as s:
        found, _network = fetch(ctx, s, Poll, str(poll), Action.MANAGE_POLLS, MISSING)
        if found.status == PollStatus.CLOSED:
            raise DomainError(N_("Poll #{id} is already closed."), id=found.id)
        close(s, found.id or 0, ctx.now, ctx.settings)
    ctx.wake_outbox()
    return [Outgoing(ctx.t("Poll #{id} is closed.", id=found.id))]


CLOSING[PollKind.ADHOC] = announce_results

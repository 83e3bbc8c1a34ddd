"""Coordinators shape the feedback: the network's own questions per survey (templates rating,
choice, text) and the start-of-network surveys (trust, expectations) on the same mechanism."""

from __future__ import annotations

from datetime import timedelta

from sqlmodel import col, select

from core.messages import Outgoing
from handlers.feedback.poll import (
    DEFAULT_QUESTIONS,
    KIND_WORDS,
    SURVEY_LABEL,
    SURVEY_WORDS,
    launch,
    question_text,
    questions_for,
)
from handlers.kit.context import Context
from handlers.kit.limits import check_text
from handlers.kit.objects import fetch
from handlers.kit.permissions import Action
from handlers.kit.registry import REGISTRY
from models import directory
from models import feedback as store
from models.core import Network
from models.enums import Role
from models.errors import N_, DomainError
from models.feedback import FeedbackQuestion, Poll

KIND_LABEL = {"rating": N_("rating 1–5"), "choice": N_("choice"), "text": N_("open")}


def _network(ctx: Context, code: str | None) -> Network:
    network = ctx.target_network(code)
    ctx.require(Action.MANAGE_POLLS, network)
    return network


def _survey(word: str) -> str:
    survey = SURVEY_WORDS.get(word.lower())
    if survey is None:
        raise DomainError(
            N_(
                "Which survey? spotkanie (after meetings), zaufanie (trust) or "
                "oczekiwania (expectations)."
            )
        )
    return survey


@REGISTRY.command(
    "ankieta_pytania",
    "poll_questions",
    summary=N_("the network's feedback questions"),
    usage=N_("[network] [spotkanie|zaufanie|oczekiwania]"),
    action=Action.MANAGE_POLLS,
)
async def list_questions(ctx: Context, args: str) -> list[Outgoing]:
    ctx.require_person()
    words = args.split()
    code = words[0] if words and words[0].lower() not in SURVEY_WORDS else None
    survey = _survey(words[-1]) if words and words[-1].lower() in SURVEY_WORDS else "meeting"
    network = _network(ctx, code)
    with ctx.db.session() as s:
        own = store.network_questions(s, network.id or 0, survey)
    t = ctx.t
    lines = [
        t(
            "Questions of the survey “{survey}” in {network}:",
            survey=t(SURVEY_LABEL[survey]),
            network=network.name,
        )
    ]
    if own:
        for number, q in enumerate(own, start=1):
            extra = f" ({' | '.join(q.options)})" if q.options else ""
            lines.append(
                f"{number}. [{t(KIND_LABEL[q.kind])}] {q.text}{extra} — "
                f"/ankieta_pytanie_usun {q.id}"
            )
    else:
        lines.append(t("The handbook's default questions (add your own to replace them):"))
        for number, q in enumerate(DEFAULT_QUESTIONS[survey], start=1):
            lines.append(f"{number}. [{t(KIND_LABEL[q['kind']])}] {question_text(t, q)}")
    lines.append(
        t(
            "Add: /ankieta_pytanie {code} {survey} ocena|wybor|tekst <question> "
            "[| option | option]",
            code=network.code,
            survey={"meeting": "spotkanie", "trust": "zaufanie", "expectations": "oczekiwania"}[
                survey
            ],
        )
    )
    return [Outgoing("\n".join(lines))]


@REGISTRY.command(
    "ankieta_pytanie",
    "poll_question_add",
    summary=N_("add a feedback question to a network"),
    usage=N_(
        "<network> <spotkanie|zaufanie|oczekiwania> ocena|wybor|tekst "
        "<question> [| option | option]"
    ),
    action=Action.MANAGE_POLLS,
)
async def add_question(ctx: Context, args: str) -> list[Outgoing]:
    ctx.require_person()
    words = args.split(maxsplit=3)
    if len(words) < 4 or words[2].lower() not in KIND_WORDS:
        raise DomainError(
            N_(
                "Write e.g. /ankieta_pytanie cyfrowe spotkanie ocena Jak oceniasz "
                "moderację? — or wybor with options after “|”, or tekst."
            )
        )
    network = _network(ctx, words[0])
    survey, kind = _survey(words[1]), KIND_WORDS[words[2].lower()]
    parts = [p.strip() for p in words[3].split("|")]
    text, options = parts[0], [p for p in parts[1:] if p]
    if not text:
        raise DomainError(N_("A question needs its text (up to 300 characters)."))
    check_text(text, 300, "text")
    for option in options:
        check_text(option, 100, "text")
    if kind == "choice" and not 2 <= len(options) <= 8:
        raise DomainError(N_("A choice question needs 2 to 8 options after “|”."))
    if kind != "choice":
        options = []
    with ctx.db.session() as s:
        count = len(store.network_questions(s, network.id or 0, survey))
        if count >= 12:
            raise DomainError(N_("A survey has at most 12 questions: keep it short."))
        s.add(
            FeedbackQuestion(
                network_id=network.id or 0,
                survey=survey,
                position=count + 1,
                kind=kind,
                text=text,
                options=options,
            )
        )
    note = (
        ctx.t("The defaults are replaced by your own questions; add the others you want to keep.")
        if count == 0
        else ""
    )
    return [
        Outgoing(
            ctx.t(
                "Added question {number} to the survey “{survey}” in {network}. "
                "New polls use it; running polls keep their questions.",
                number=count + 1,
                survey=ctx.t(SURVEY_LABEL[survey]),
                network=network.name,
            )
            + (" " + note if note else "")
        )
    ]


@REGISTRY.command(
    "ankieta_pytanie_usun",
    "poll_question_remove",
    summary=N_("remove a feedback question"),
    usage=N_("<question id>"),
    action=Action.MANAGE_POLLS,
)
async def remove_question(ctx: Context, args: str) -> list[Outgoing]:
    ctx.require_person()
    word = args.split()[0] if args.split() else ""
    with ctx.db.session() as s:
        question, _network = fetch(
            ctx,
            s,
            FeedbackQuestion,
            word,
            Action.MANAGE_POLLS,
            N_("There is no question with the number “{id}”."),
        )
        s.delete(question)
    return [Outgoing(ctx.t("Question removed. New polls will not ask it."))]


@REGISTRY.command(
    "ankieta_start",
    "survey_start",
    summary=N_("start-of-network survey (trust, expectations) for all members"),
    usage=N_("[network] zaufanie|oczekiwania"),
    action=Action.MANAGE_POLLS,
)
async def start_survey(ctx: Context, args: str) -> list[Outgoing]:
    me = ctx.require_person()
    words = args.split()
    if not words or words[-1].lower() not in ("zaufanie", "trust", "oczekiwania", "expectations"):
        raise DomainError(
            N_("Write /ankieta_start cyfrowe zaufanie or /ankieta_start cyfrowe oczekiwania.")
        )
    survey = _survey(words[-1])
    network = _network(ctx, words[0] if len(words) > 1 else None)
    with ctx.db.session() as s:
        running = s.exec(
            select(Poll).where(
                Poll.network_id == network.id,
                Poll.survey == survey,
                Poll.status == "open",
                col(Poll.closes_at) > ctx.now,
            )
        ).first()
        if running is not None:
            raise DomainError(
                N_("This survey is already running in {network} (poll #{id})."),
                network=network.name,
                id=running.id,
            )
        people = [
            p.id or 0
            for p, role, _c in directory.members(s, network.id or 0)
            if role == Role.REPRESENTATIVE
        ]
        title = {
            "trust": ctx.t("Survey on trust in the network {network}", network=network.name),
            "expectations": ctx.t(
                "Survey on expectations of the network {network}", network=network.name
            ),
        }[survey]
        poll = Poll(
            network_id=network.id or 0,
            kind="survey",
            survey=survey,
            title=title,
            questions=questions_for(s, network.id or 0, survey),
            opens_at=ctx.now,
            closes_at=ctx.now + timedelta(days=ctx.settings.feedback_close_days),
            created_by=me.id,
        )
        asked = launch(s, poll, people, ctx.now, ctx.settings)
    ctx.wake_outbox()
    return [
        Outgoing(
            ctx.t(
                "Survey #{id} is sent to {asked} people (of {count} "
                "representatives; the others have no linked account). Results: "
                "/wyniki {id} after it closes on {when}.",
                id=poll.id,
                asked=asked,
                count=len(people),
                when=ctx.t.datetime(poll.closes_at),
            )
        )
    ]

"""Coordinators shape the feedback: the network's own questions per survey (templates rating,
choice, text) and the start-of-network surveys (trust, expectations) on the same mechanism."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

from core.messages import Outgoing
from handlers.feedback.poll import Pick, launch
from handlers.feedback.render import SURVEY_LABEL, SURVEY_TITLE, question_text
from handlers.kit.args import Code, Id, Text, Words
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
from models.feedback import FeedbackQuestion, Poll, PollKind, QuestionKind, Survey

SURVEY_WORDS = {
    "spotkanie": Survey.MEETING,
    "meeting": Survey.MEETING,
    "zaufanie": Survey.TRUST,
    "trust": Survey.TRUST,
    "oczekiwania": Survey.EXPECTATIONS,
    "expectations": Survey.EXPECTATIONS,
}
SURVEY_WORD = {
    Survey.MEETING: "spotkanie",
    Survey.TRUST: "zaufanie",
    Survey.EXPECTATIONS: "oczekiwania",
}
START_WORDS = {w: s for w, s in SURVEY_WORDS.items() if s != Survey.MEETING}
KIND_WORDS = {
    "ocena": QuestionKind.RATING,
    "rating": QuestionKind.RATING,
    "wybor": QuestionKind.CHOICE,
    "choice": QuestionKind.CHOICE,
    "tekst": QuestionKind.TEXT,
    "text": QuestionKind.TEXT,
}
KIND_LABEL = {
    QuestionKind.RATING: N_("rating 1–5"),
    QuestionKind.CHOICE: N_("choice"),
    QuestionKind.TEXT: N_("open"),
}


def _network(ctx: Context, code: str | None) -> Network:
    network = ctx.target_network(code)
    ctx.require(Action.MANAGE_POLLS, network)
    return network


@REGISTRY.command(
    "ankieta_pytania",
    "poll_questions",
    summary=N_("the network's feedback questions"),
    args=Words(
        Code("network", optional=True),
        Pick("survey", optional=True, default=Survey.MEETING, choices=SURVEY_WORDS),
    ),
    usage=N_("[network] [spotkanie|zaufanie|oczekiwania]"),
    example="/ankieta_pytania cyfrowe zaufanie",
    action=Action.MANAGE_POLLS,
)
async def list_questions(ctx: Context, network: str | None, survey: Survey) -> list[Outgoing]:
    found = _network(ctx, network)
    with ctx.db.session() as s:
        own = store.network_questions(s, found.id or 0, survey)
    t = ctx.t
    lines = [
        t(
            "Questions of the survey “{survey}” in {network}:",
            survey=t(SURVEY_LABEL[survey]),
            network=found.name,
        )
    ]
    if own:
        for number, q in enumerate(own, start=1):
            extra = f" ({' | '.join(q.options)})" if q.options else ""
            lines.append(
                f"{number}. [{t(KIND_LABEL[QuestionKind(q.kind)])}] {q.text}{extra} — "
                f"/ankieta_pytanie_usun {q.id}"
            )
    else:
        lines.append(t("The handbook's default questions (add your own to replace them):"))
        for number, default in enumerate(store.DEFAULT_QUESTIONS[survey], start=1):
            kind = t(KIND_LABEL[default["kind"]])
            lines.append(f"{number}. [{kind}] {question_text(t, default)}")
    lines.append(
        t(
            "Add: /ankieta_pytanie {code} {survey} ocena|wybor|tekst <question> "
            "[| option | option]",
            code=found.code,
            survey=SURVEY_WORD[survey],
        )
    )
    return [Outgoing("\n".join(lines))]


@dataclass(frozen=True)
class Question:
    text: str
    options: tuple[str, ...]


@dataclass(frozen=True)
class QuestionText(Text):
    """`<question> [| option | option]`, the rest of the line."""

    def parse(self, text: str) -> Question:  # type: ignore[override]  # the line, split
        parts = [p.strip() for p in text.split("|")]
        question, options = parts[0], tuple(p for p in parts[1:] if p)
        if not question:
            raise DomainError(N_("A question needs its text (up to 300 characters)."))
        check_text(question, 300, "text")
        for option in options:
            check_text(option, 100, "text")
        return Question(question, options)


@REGISTRY.command(
    "ankieta_pytanie",
    "poll_question_add",
    summary=N_("add a feedback question to a network"),
    args=Words(
        Code("network"),
        Pick("survey", choices=SURVEY_WORDS),
        Pick("kind", choices=KIND_WORDS),
        QuestionText("question"),
    ),
    usage=N_(
        "<network> <spotkanie|zaufanie|oczekiwania> ocena|wybor|tekst "
        "<question> [| option | option]"
    ),
    example="/ankieta_pytanie cyfrowe spotkanie ocena Jak oceniasz moderację?",
    action=Action.MANAGE_POLLS,
)
async def add_question(
    ctx: Context, network: str, survey: Survey, kind: QuestionKind, question: Question
) -> list[Outgoing]:
    found = _network(ctx, network)
    with ctx.db.session() as s:
        number = store.add_question(
            s, found.id or 0, survey, kind, question.text, list(question.options)
        )
    note = (
        ctx.t("The defaults are replaced by your own questions; add the others you want to keep.")
        if number == 1
        else ""
    )
    return [
        Outgoing(
            ctx.t(
                "Added question {number} to the survey “{survey}” in {network}. "
                "New polls use it; running polls keep their questions.",
                number=number,
                survey=ctx.t(SURVEY_LABEL[survey]),
                network=found.name,
            )
            + (" " + note if note else "")
        )
    ]


@REGISTRY.command(
    "ankieta_pytanie_usun",
    "poll_question_remove",
    summary=N_("remove a feedback question"),
    args=Words(Id("question")),
    usage=N_("<question id>"),
    example="/ankieta_pytanie_usun 4",
    action=Action.MANAGE_POLLS,
)
async def remove_question(ctx: Context, question: int) -> list[Outgoing]:
    with ctx.db.session() as s:
        found, _network = fetch(
            ctx,
            s,
            FeedbackQuestion,
            str(question),
            Action.MANAGE_POLLS,
            N_("There is no question with the number “{id}”."),
        )
        s.delete(found)
    return [Outgoing(ctx.t("Question removed. New polls will not ask it."))]


@REGISTRY.command(
    "ankieta_start",
    "survey_start",
    summary=N_("start-of-network survey (trust, expectations) for all members"),
    args=Words(Code("network", optional=True), Pick("survey", choices=START_WORDS)),
    usage=N_("[network] zaufanie|oczekiwania"),
    example="/ankieta_start cyfrowe zaufanie",
    action=Action.MANAGE_POLLS,
)
async def start_survey(ctx: Context, network: str | None, survey: Survey) -> list[Outgoing]:
    me = ctx.require_person()
    found = _network(ctx, network)
    with ctx.db.session() as s:
        running = store.running_survey(s, found.id or 0, survey, ctx.now)
        if running is not None:
            raise DomainError(
                N_("This survey is already running in {network} (poll #{id})."),
                network=found.name,
                id=running.id,
            )
        people = [
            p.id or 0
            for p, role, _c in directory.members(s, found.id or 0)
            if role == Role.REPRESENTATIVE
        ]
        title = ctx.t(SURVEY_TITLE[survey], network=found.name)
        poll = Poll(
            network_id=found.id or 0,
            kind=PollKind.SURVEY,
            survey=survey,
            title=title,
            questions=store.questions_for(s, found.id or 0, survey),
            opens_at=ctx.now,
            closes_at=ctx.now + timedelta(days=ctx.settings.feedback_close_days),
            created_by=me.id,
        )
        asked = launch(s, poll, people, ctx.now, ctx.settings)
    ctx.wake_outbox()
    t = ctx.t
    lines = [
        t.tn(
            "Survey #{id} is sent to {n} person.",
            "Survey #{id} is sent to {n} people.",
            asked,
            id=poll.id,
        )
    ]
    if len(people) > asked:  # the others have no linked account
        lines.append(
            t.tn(
                "{n} representative has no linked account and did not get it.",
                "{n} representatives have no linked account and did not get it.",
                len(people) - asked,
            )
        )
    lines.append(
        t(
            "Results: /wyniki {id} once it closes ({when}).",
            id=poll.id,
            when=t.datetime(poll.closes_at),
        )
    )
    return [Outgoing(" ".join(lines))]

"""The coordinator opens a consultation on a result — in one line, or asked step by step —
and it goes privately to its audience at once; /konsultacje lists a network's consultations;
/konsultacja_opinie gives the opinions collected so far as documents."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlmodel import Session

from core.messages import Action as Button
from core.messages import Outgoing
from handlers.consultations import render
from handlers.consultations.sending import collected, schedule, send_to
from handlers.kit.args import Code, Id, Rest, Text, Words
from handlers.kit.context import Context
from handlers.kit.dates import fold, parse_when, require_future
from handlers.kit.limits import check_link, check_text, is_link, looks_like_link
from handlers.kit.objects import fetch, shown
from handlers.kit.permissions import Action
from handlers.kit.registry import REGISTRY
from models import audit, blobs, conversations, directory
from models import consultations as store
from models.consultations import BODY_MAX, TITLE_MAX, Audience, Consultation
from models.core import Conversation, Network
from models.errors import N_, DomainError

FLOW = "consultation"
MISSING = N_("There is no consultation with the number “{id}”.")
REFUSAL = N_("Only coordinators and the coordinating team open consultations.")
STEPS = ("network", "title", "content", "deadline", "audience")
QUESTIONS = {
    "network": N_("Which network? Its code, e.g. cyfrowe."),
    "title": N_("The result's title (e.g. Rekomendacje dla małych miast)?"),
    "content": N_(
        "The result itself: write it, give its web address (https://…), or attach the "
        "document to your message."
    ),
    "deadline": N_("Opinions by when? E.g. 15.02.2027 or 15.02.2027 16:00."),
    "audience": N_("Who is asked: obserwatorzy, rdzeń or wszyscy?"),
}


def parse_deadline(text: str, ctx: Context) -> datetime:
    """A date (the end of that day) or a date and time, in the future."""
    tz = ctx.settings.tz
    try:
        when = parse_when(text, ctx.now, tz)
    except DomainError:
        when = parse_when(f"{text.strip()} 23:59", ctx.now, tz)
    return require_future(when, ctx.now, shown(text))


def parse_audience(text: str) -> Audience:
    found = render.AUDIENCE_WORDS.get(fold(text))
    if found is None:
        raise DomainError(N_("Audience: obserwatorzy, rdzeń or wszyscy."))
    return found


def _content(ctx: Context, s: Session, text: str | None) -> dict[str, Any]:
    """The result as text, a link or the attached document (at least one)."""
    found: dict[str, Any] = {"body": None, "link": None, "blob_id": None, "file_name": None}
    if ctx.incoming.files:
        file = ctx.incoming.files[0]
        found["blob_id"] = blobs.store(s, file.name, file.mime, file.content).id
        found["file_name"] = file.name[:200]
    text = (text or "").strip()
    if text and looks_like_link(text) and len(text.split()) == 1:
        found["link"] = check_link(text)
    elif text:
        first = text.split()[-1]
        if is_link(first) and len(text) > len(first):  # a text ending in its address
            found["link"] = check_link(first)
            text = text[: -len(first)].strip()
        found["body"] = check_text(text, BODY_MAX, "text")
    if not any(found[k] for k in ("body", "link", "blob_id")):
        raise DomainError(N_("Give the result: its text, its web address or the document."))
    return found


def open_consultation(
    ctx: Context,
    network: str,
    title: str,
    deadline: str,
    audience: str,
    content: dict[str, Any] | str | None,
) -> list[Outgoing]:
    """Open it and send it; `content` is what was typed, or (from the guide) already read."""
    me = ctx.require_person()
    chosen = parse_audience(audience)
    when = parse_deadline(deadline, ctx)
    with ctx.db.session() as s:
        where = directory.require_network(s, network)
        ctx.require(Action.MANAGE_PLAN, where)
        if where.closed and chosen is Audience.OBSERVERS:
            raise DomainError(
                N_("The leaders' network has no observer cities: ask rdzeń (the core).")
            )
        found = content if isinstance(content, dict) else _content(ctx, s, content)
        c = Consultation(
            network_id=where.id or 0,
            title=check_text(title.strip(), TITLE_MAX, "title"),
            audience=chosen,
            deadline=when,
            created_by=me.id,
            created_at=ctx.now,
            **found,
        )
        s.add(c)
        s.flush()
        people = store.audience(s, where.id or 0, chosen)
        sent = send_to(s, ctx.settings, ctx.now, c, where, people)
        schedule(s, c, ctx.now, ctx.settings)
        audit.record(s, ctx.now, me.id, "consultation.open", f"consultation:{c.id}")
        number, name = c.id, where.name
    ctx.wake_outbox()
    return [
        Outgoing(
            ctx.t(
                "Consultation #{id} of the network {network} is open until {deadline}; sent "
                "privately to {sent} {of_people} ({audience}). Those who have not "
                "answered are reminded once; at the deadline you get the opinions as "
                "documents (CSV and PDF). /konsultacja_opinie {id} gives them any time.",
                id=number,
                network=name,
                deadline=ctx.t.datetime(when),
                sent=sent,
                of_people=ctx.t.tn("of {n} person", "of {n} people", len(people)),
                audience=render.audience_label(ctx.t, chosen),
            )
        )
    ]


async def _guide(ctx: Context) -> list[Outgoing]:
    if not ctx.private:
        raise DomainError(
            N_("Write /konsultacja to me in a private chat: I will ask step by step.")
        )
    me = ctx.require_person()
    chat = ctx.incoming.chat
    with ctx.db.session() as s:
        conversations.start(
            s, chat.platform, chat.chat_id, me.id or 0, FLOW, "network", {}, ctx.now
        )
    return [Outgoing(ctx.t(QUESTIONS["network"]) + " " + ctx.t("/anuluj stops."))]


@REGISTRY.command(
    "konsultacja",
    "consultation",
    summary=N_("ask for opinions on a result of the network (privately, by a deadline)"),
    args=Rest(
        Code("network"),
        Text("title", limit=TITLE_MAX, field_name="title"),
        Text("deadline", limit=40, label=N_("deadline")),
        Text("audience", limit=20, label=N_("obserwatorzy|rdzeń|wszyscy")),
        Text("content", optional=True, limit=BODY_MAX, label=N_("the text or its address")),
    ),
    example="/konsultacja cyfrowe; Rekomendacje e-usług; 15.02.2027; obserwatorzy; "
    "https://zmp.pl/rekomendacje.pdf",
    action=Action.MANAGE_PLAN,
    private=True,
    when_empty=_guide,
    refusal=REFUSAL,
)
async def open_command(
    ctx: Context, network: str, title: str, deadline: str, audience: str, content: str | None
) -> list[Outgoing]:
    return open_consultation(ctx, network, title, deadline, audience, content)


@REGISTRY.flow(FLOW)
async def guide_step(ctx: Context, conv: Conversation, text: str) -> list[Outgoing]:
    data = dict(conv.data)
    step = conv.step
    try:
        if step == "network":
            with ctx.db.session() as s:
                where = directory.require_network(s, text.strip())
            ctx.require(Action.MANAGE_PLAN, where)
            data["network"] = where.code
        elif step == "title":
            data["title"] = check_text(text, TITLE_MAX, "title")
        elif step == "content":
            with ctx.db.session() as s:  # checked now: a wrong address is asked again
                found = _content(ctx, s, text)
            data["content"] = found
        elif step == "deadline":
            parse_deadline(text, ctx)
            data["deadline"] = text
        else:
            data["audience"] = parse_audience(text)
    except DomainError as error:
        return [Outgoing(ctx.t(error.msgid, **error.params)), Outgoing(ctx.t(QUESTIONS[step]))]
    if not text and step != "content":
        return [Outgoing(ctx.t(QUESTIONS[step]))]
    following = STEPS[STEPS.index(step) + 1 :]
    with ctx.db.session() as s:
        if following:
            conversations.advance(s, conv, following[0], data, ctx.now)
        else:
            conversations.finish(s, conv.platform, conv.chat_id, conv.person_id)
    if following:
        return [Outgoing(ctx.t(QUESTIONS[following[0]]))]
    return _from_guide(ctx, data)


def _from_guide(ctx: Context, data: dict[str, Any]) -> list[Outgoing]:
    """The guide's answers (the document already stored): opened as the one-line form is."""
    try:
        return open_consultation(
            ctx, data["network"], data["title"], data["deadline"], data["audience"], data["content"]
        )
    except DomainError as error:  # nothing sent: say why and how to start again
        return [
            Outgoing(ctx.t(error.msgid, **error.params)),
            Outgoing(ctx.t("Nothing was sent. Type /konsultacja to start again.")),
        ]


def _keeper(ctx: Context, network: Network) -> bool:
    return ctx.can(Action.MANAGE_PLAN, network) or ctx.can(Action.VIEW_REPORTS, network)


@REGISTRY.command(
    "konsultacja_opinie",
    "consultation_opinions",
    summary=N_("the opinions collected in a consultation, as documents (CSV and PDF)"),
    args=Words(Id("consultation")),
    usage=N_("<consultation>"),
    example="/konsultacja_opinie 3",
    action=(Action.MANAGE_PLAN, Action.VIEW_REPORTS),
    private=True,
)
async def opinions(ctx: Context, consultation: int) -> list[Outgoing]:
    with ctx.db.session() as s:
        c, network = fetch(ctx, s, Consultation, str(consultation), Action.READ, MISSING)
        if not _keeper(ctx, network):
            raise DomainError(MISSING, id=consultation)
        return [collected(s, ctx.t, c)]


@REGISTRY.command(
    "konsultacje",
    "consultations",
    summary=N_("the network's consultations and whether you have given your opinion"),
    args=Words(Code("network", optional=True)),
    example="/konsultacje cyfrowe",
    action=Action.READ,
    private=True,
)
async def listing(ctx: Context, network: str | None) -> list[Outgoing]:
    where = ctx.target_network(network)
    ctx.require(Action.READ, where)
    me = ctx.require_person()
    keeper = _keeper(ctx, where)
    lines = [ctx.t("Consultations of the network {network}:", network=where.name)]
    buttons = []
    with ctx.db.session() as s:
        for c in store.of_network(s, where.id or 0):
            state = ctx.t("open until {when}", when=ctx.t.short_datetime(c.deadline))
            if not c.open_at(ctx.now):
                state = ctx.t("closed for opinions")
            if keeper:
                asked = len(store.audience(s, c.network_id, Audience(c.audience)))
                count = len(store.answered(s, c.id or 0))
                lines.append(
                    f"#{c.id} {c.title} — {state} — "
                    + ctx.t.tn(
                        "{n} opinion {of_asked}",
                        "{n} opinions {of_asked}",
                        count,
                        of_asked=ctx.t.tn("of {n} person asked", "of {n} people asked", asked),
                    )
                )
                continue
            if not store.in_audience(s, c, me):
                continue
            mine = store.opinion_of(s, c.id or 0, me.id or 0)
            given = ctx.t("your opinion is in") if mine else ctx.t("no opinion from you yet")
            lines.append(f"#{c.id} {c.title} — {state} — {given}")
            if c.open_at(ctx.now) and mine is None:
                buttons.append(Button(ctx.t("My opinion on #{id}", id=c.id), f"/opinia {c.id}"))
    if len(lines) == 1:
        lines.append(ctx.t("none for you yet"))
    return [Outgoing("\n".join(lines), actions=tuple(buttons[:4]))]

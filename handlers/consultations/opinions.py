"""People in a consultation's audience give their opinion — named, with their city — typed
(`/opinia 3 <text>`), in a guided message (`/opinia 3`, then the text) or on the page; they
may rewrite it until the deadline. Someone who joins while a consultation is open gets it."""

from __future__ import annotations

from datetime import datetime

from sqlmodel import Session

from core.config import Settings
from core.i18n import Translator
from core.messages import Outgoing, Target
from handlers.consultations.sending import send_to
from handlers.kit.args import Id, Text, Words
from handlers.kit.context import Context
from handlers.kit.limits import check_text
from handlers.kit.objects import hidden_or
from handlers.kit.permissions import Action
from handlers.kit.registry import REGISTRY
from handlers.welcome import on_arrival
from models import consultations as store
from models import conversations, directory
from models.consultations import OPINION_MAX, Consultation
from models.core import Conversation, Network, Person
from models.errors import N_, DomainError

FLOW = "opinion"
MISSING = N_("There is no consultation with the number “{id}”.")


def _open_for_me(ctx: Context, s: Session, number: int) -> tuple[Consultation, Person]:
    me = ctx.require_person()
    c = hidden_or(ctx, s, Consultation, str(number), MISSING)
    network = s.get(Network, c.network_id)
    assert network is not None
    if not ctx.can(Action.GIVE_OPINION, network) or not store.in_audience(s, c, me):
        raise DomainError(
            N_("Consultation #{id} asks other cities for their opinion, not yours."), id=number
        )
    if not c.open_at(ctx.now):
        raise DomainError(
            N_("Consultation #{id} closed on {when}; opinions are no longer collected."),
            id=number,
            when=ctx.t.datetime(c.deadline),
        )
    return c, me


def give(ctx: Context, number: int, text: str) -> list[Outgoing]:
    text = check_text(text.strip(), OPINION_MAX, "text")
    if not text:
        raise DomainError(N_("Write your opinion."))
    with ctx.db.session() as s:
        c, me = _open_for_me(ctx, s, number)
        _opinion, new = store.give_opinion(s, c, me, text, ctx.now)
        city = directory.city_name(s, me.city_id) or "—"
        deadline = ctx.t.datetime(c.deadline)
    said = (
        N_("Thank you: your opinion ({city}) on consultation #{id} is in.")
        if new
        else N_("Your opinion ({city}) on consultation #{id} is changed.")
    )
    again = (
        ctx.t("You may change it on this page until {deadline}.", deadline=deadline)
        if ctx.on_page
        else ctx.t(
            "You may rewrite it until {deadline}: /opinia {id} again.",
            deadline=deadline,
            id=number,
        )
    )
    return [Outgoing(ctx.t(said, city=city, id=number) + " " + again)]


@REGISTRY.command(
    "opinia",
    "opinion",
    summary=N_("give your opinion in a consultation (named, with your city)"),
    args=Words(Id("consultation"), Text("text", optional=True, limit=OPINION_MAX)),
    usage=N_("<consultation> <your opinion>"),
    example="/opinia 3 Rekomendacja 2 jest dla nas kluczowa, ale potrzebny jest wzór umowy.",
    action=Action.GIVE_OPINION,
    private=True,
    refusal=N_("Opinions are given by representatives of the network's cities."),
)
async def opinion(ctx: Context, consultation: int, text: str | None) -> list[Outgoing]:
    if text is not None:
        return give(ctx, consultation, text)
    with ctx.db.session() as s:
        c, me = _open_for_me(ctx, s, consultation)
        mine = store.opinion_of(s, c.id or 0, me.id or 0)
        chat = ctx.incoming.chat
        if ctx.private:
            conversations.start(
                s, chat.platform, chat.chat_id, me.id or 0, FLOW, "text", {"id": c.id}, ctx.now
            )
        title = c.title
    if not ctx.private:
        return [
            Outgoing(
                ctx.t("Send your opinion privately: /opinia {id} <your opinion>", id=consultation)
            )
        ]
    lines = [
        ctx.t(
            "Consultation #{id} “{title}”: write your opinion in one message (several "
            "paragraphs are fine). It is named, with your city. /anuluj stops.",
            id=consultation,
            title=title,
        )
    ]
    if mine is not None:
        lines.append(ctx.t("Your opinion so far (it will be replaced):"))
        lines.append(mine.text)
    return [Outgoing("\n".join(lines))]


@REGISTRY.flow(FLOW)
async def written(ctx: Context, conv: Conversation, text: str) -> list[Outgoing]:
    if not text.strip():
        return [Outgoing(ctx.t("Write your opinion."))]
    with ctx.db.session() as s:
        conversations.finish(s, conv.platform, conv.chat_id, conv.person_id)
    try:
        return give(ctx, int(conv.data["id"]), text)
    except DomainError as error:  # what was written comes back
        return [
            Outgoing(ctx.t(error.msgid, **error.params)),
            Outgoing(f"/opinia {conv.data['id']} {text.strip()}"),
        ]


@on_arrival
def open_consultations(
    s: Session, person: Person, where: Target, t: Translator, settings: Settings, now: datetime
) -> int:
    """Open consultations the newcomer's city is asked in (the same message, never twice)."""
    sent = 0
    for c in store.open_for(s, person, now):
        network = s.get(Network, c.network_id)
        assert network is not None
        sent += send_to(s, settings, now, c, network, [person.id or 0])
    return sent

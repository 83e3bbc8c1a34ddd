"""The guided roster form: a roster command typed with nothing after it asks its fields one at
a time, then runs the command with the answers as its fields (each answer whole: a `;` in a
name or a position is kept, not taken for the one-line form's separator)."""

from __future__ import annotations

from core.messages import Outgoing
from handlers.kit.context import Context
from handlers.kit.registry import REGISTRY, Handler
from models import conversations
from models.core import Conversation
from models.errors import N_, DomainError

FLOW = "roster"
NETWORK_Q = N_("Network code? (e.g. cyfrowe; /sieci lists them)")
CITY_Q = N_("City?")
STANDING_Q = N_("Standing? laureat, finalista, lider zmian or obserwator")
PERSON_Q = N_("Person's number? (/osoby <network> lists them)")
OPTIONAL = N_("“-” skips.")
# Per command: its questions, each with whether it may be skipped.
GUIDES: dict[str, tuple[tuple[str, bool], ...]] = {
    "miasto_dodaj": (
        (NETWORK_Q, False),
        (CITY_Q, False),
        (STANDING_Q, False),
        (N_("Voivodeship?"), True),
    ),
    "status": ((NETWORK_Q, False), (CITY_Q, False), (STANDING_Q, False)),
    "osoba_dodaj": (
        (NETWORK_Q, False),
        (CITY_Q, False),
        (N_("Full name?"), False),
        (N_("Position?"), False),
        (N_("E-mail?"), True),
    ),
    "zastap": (
        (NETWORK_Q, False),
        (N_("Number of the person being replaced?"), False),
        (N_("The new person: full name, or their number if already in the roster?"), False),
        (N_("Position?"), True),
        (N_("E-mail?"), True),
    ),
    "zakoncz": ((NETWORK_Q, False), (PERSON_Q, False)),
    "rola_nadaj": (
        (N_("Network code, or “wszystkie” for the coordinating team?"), False),
        (PERSON_Q, False),
        (N_("Role? koordynator, ekspert, opiekun or zespół"), False),
    ),
}
GUIDES["rola_odbierz"] = GUIDES["rola_nadaj"]


def private_only(ctx: Context) -> None:
    """Roster changes are made in a private chat, never where a group watches."""
    if not ctx.private:
        raise DomainError(
            N_("Roster changes are made in a private chat with me: write to me privately.")
        )


def _question(ctx: Context, command: str, index: int) -> Outgoing:
    msgid, optional = GUIDES[command][index]
    return Outgoing(ctx.t(msgid) + (" " + ctx.t(OPTIONAL) if optional else ""))


def asking(command: str) -> Handler:
    """The `when_empty` of a roster command: start asking its fields."""

    async def start(ctx: Context) -> list[Outgoing]:
        private_only(ctx)
        me = ctx.require_person()
        chat = ctx.incoming.chat
        with ctx.db.session() as s:
            conversations.start(
                s,
                chat.platform,
                chat.chat_id,
                me.id or 0,
                FLOW,
                "0",
                {"command": command, "answers": []},
                ctx.now,
            )
        return [Outgoing(ctx.t("/anuluj stops.")), _question(ctx, command, 0)]

    return start


@REGISTRY.flow(FLOW)
async def guide_step(ctx: Context, conv: Conversation, text: str) -> list[Outgoing]:
    command = str(conv.data["command"])
    answers = [*conv.data["answers"], "" if text.strip() == "-" else text.strip()]
    steps = GUIDES[command]
    if not answers[-1] and not steps[len(answers) - 1][1]:
        return [_question(ctx, command, len(answers) - 1)]
    if len(answers) < len(steps):
        with ctx.db.session() as s:
            conversations.advance(
                s, conv, str(len(answers)), {"command": command, "answers": answers}, ctx.now
            )
        return [_question(ctx, command, len(answers))]
    with ctx.db.session() as s:
        conversations.finish(s, conv.platform, conv.chat_id, conv.person_id)
    found = REGISTRY.lookup(command)
    assert found is not None
    try:
        return await found.run_fields(ctx, answers)  # each answer whole, `;` and all
    except DomainError as error:  # nothing saved: say why and how to start again
        return [
            Outgoing(
                ctx.t(error.msgid, **error.params)
                + "\n"
                + ctx.t("Type /{command} to start again.", command=command)
            )
        ]

"""A representative's side of a meeting: answer an invitation (the waitlist included) and see
one's upcoming meetings. The rules of answers are models.meetings'."""

from __future__ import annotations

from dataclasses import dataclass

from core import links
from core.messages import TOAST_LIMIT, EventKind, Outgoing
from handlers.kit.args import Arg, Id, Text, Words
from handlers.kit.context import Context
from handlers.kit.dates import fold
from handlers.kit.limits import NOTE
from handlers.kit.objects import readable
from handlers.kit.permissions import Action
from handlers.kit.registry import REGISTRY
from handlers.meetings import render
from handlers.meetings.invitations import choices_of, refresh_group_invitations, tell_promoted
from handlers.meetings.render import MISSING
from models import agenda
from models.errors import N_, DomainError
from models.meetings import Answer, Meeting, answer, answers_of

REPRESENTATIVES_ONLY = N_("Only representatives of the network's cities answer invitations.")
# typed as the note, these remove the one given before (nothing typed keeps it)
CLEAR_NOTE = ("-", "usun", "delete")

# the confirmation of an answer, a sentence for each answer
NOTED = {
    Answer.IN_PERSON: N_(
        "You are down for meeting #{id}, in person. You can change it until {when}."
    ),
    Answer.ONLINE: N_("You are down for meeting #{id}, online. You can change it until {when}."),
    Answer.NO: N_("Noted: you will not come to meeting #{id}. You can change it until {when}."),
    Answer.MAYBE: N_("Noted: you might come to meeting #{id}. You can change it until {when}."),
}


@dataclass(frozen=True)
class AnswerArg(Arg):
    """stacjonarnie | online | nie | może (`moze` too); anything else is explained."""

    def parse(self, text: str) -> Answer:
        try:
            return Answer(fold(text))
        except ValueError:
            raise DomainError(N_("Answer stacjonarnie, online, nie or może.")) from None


async def how_to_answer(ctx: Context) -> list[Outgoing]:
    """/rsvp alone: how to answer, and where the numbers are."""
    raise DomainError(
        N_(
            "To answer an invitation write /rsvp <meeting number> and your "
            "answer: stacjonarnie, online, nie or może, e.g. /rsvp 3 online "
            "(a note for the organisers may follow, e.g. a diet; “-” instead of a note "
            "removes the one you gave). Your meetings and their numbers: /moje_spotkania."
        )
    )


@REGISTRY.command(
    "rsvp",
    "odpowiedz",
    summary=N_("answer a meeting invitation"),
    args=Words(
        Id("meeting"),
        AnswerArg("choice"),
        Text("note", optional=True, limit=NOTE, field_name="note"),
    ),
    usage=N_("<meeting> stacjonarnie|online|nie|może [notes, e.g. diet; “-” removes them]"),
    example="/rsvp 3 stacjonarnie wegetariańskie",
    action=Action.RSVP_ONLINE,
    private=True,
    when_empty=how_to_answer,
    refusal=REPRESENTATIVES_ONLY,
    english="rsvp",
)
async def rsvp(ctx: Context, meeting: int, choice: Answer, note: str | None) -> list[Outgoing]:
    me = ctx.require_person()
    with ctx.db.session() as s:
        found, network = readable(ctx, s, Meeting, str(meeting), MISSING)
        if not ctx.can(Action.RSVP_ONLINE, network):  # in person: models.meetings decides
            raise DomainError(REPRESENTATIVES_ONLY)
        standing = ctx.actor(network).standing
        clear = note is not None and fold(note) in CLEAR_NOTE
        before = answers_of(s, me.id or 0, [found.id or 0]).get(found.id or 0) if clear else None
        had_note = before is not None and bool(before.note)
        mine, promoted = answer(
            s, found, me.id or 0, standing, choice, ctx.now, "" if clear else note
        )
        if promoted is not None:
            tell_promoted(s, ctx.settings, ctx.now, found, promoted)
        due = refresh_group_invitations(s, ctx, found, network)
    if promoted is not None or due:  # a debounced edit of the counts waits its turn anyway
        ctx.wake_outbox()
    # typed in a group (on Teams that is how everyone answers) the group sees the edited
    # invitation's counts, the person alone their confirmation; a press in a group is
    # answered with the presser's toast
    pressed = ctx.incoming.kind is EventKind.ACTION and not ctx.private
    if mine.waitlisted:
        text = render.waitlisted(ctx.t)
        if pressed:  # the toast, and the whole of it privately
            return [
                Outgoing(ctx.t("Waitlist: all in-person seats are taken."), ack=True),
                Outgoing(text),
            ]
        return [Outgoing(text)]
    text = ctx.t(NOTED[Answer(mine.answer)], id=found.id, when=ctx.t.datetime(found.rsvp_deadline))
    if clear and had_note:
        text += " " + ctx.t("Your notes for the organisers are removed.")
    return [Outgoing(text, ack=pressed and len(text) <= TOAST_LIMIT)]


@REGISTRY.command(
    "moje_spotkania",
    "my_meetings",
    summary=N_("my upcoming meetings"),
    action=Action.READ,
    scope="private",
    private=True,
)
async def mine(ctx: Context) -> list[Outgoing]:
    me = ctx.require_person()
    with ctx.db.session() as s:
        states = agenda.upcoming(s, me.id or 0, ctx.now)
        answering = {
            st.meeting.id: bool(choices_of(s, me.id or 0, st.meeting, st.network)) for st in states
        }
    # the page link only when asked in the private chat (asked in a group: the list alone)
    page = ctx.page_button(ctx.t("Open as a page"), links.MEETINGS) if ctx.private else None
    links_row = (page,) if page is not None else ()
    if not states:
        return [Outgoing(ctx.t("You have no upcoming meetings."), actions=links_row)]
    lines = [ctx.t("Your upcoming meetings:")]
    for st in states:
        m, reply, seen = st.meeting, st.answer, st.shown
        line = f"#{m.id} {ctx.t.datetime(seen.starts_at)} — {m.title}"
        if answering[m.id]:  # staff answer nothing: no "no answer yet"
            state = (
                ctx.t("no answer yet")
                if reply is None
                else render.answer_label(ctx.t, reply.answer)
            )
            if reply is not None and reply.waitlisted:
                state += " " + ctx.t("(waitlist)")
            line += f" — {state}"
        lines.append(line)
        if not seen.full:  # an observer: the open parts and their stream
            lines += [f"  • {render.part_line(ctx.t, p)}" for p in seen.parts]
            if seen.link:
                lines.append("  " + ctx.t("Stream of the open part: {link}", link=seen.link))
    return [Outgoing("\n".join(lines), actions=links_row)]

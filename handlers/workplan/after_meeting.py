"""Actions agreed at a meeting, entered right after it: several at once, one per line
(`<what>; <owner>; <due date>`), typed in the private chat (a guided flow: message after
message until "gotowe") or written on the page's multi-line form. A line that cannot be read
comes back with the reason, as written, so nothing a person wrote is lost."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from zoneinfo import ZoneInfo

from sqlmodel import Session

from core import links
from core.i18n import Translator
from core.messages import Outgoing
from handlers.kit.args import Id, Text, Words
from handlers.kit.context import Context
from handlers.kit.objects import fetch
from handlers.kit.permissions import Action
from handlers.kit.registry import REGISTRY
from handlers.workplan import render
from handlers.workplan.actions import Draft, added_text, check, create
from models import conversations
from models.core import Conversation, Network
from models.errors import N_, DomainError
from models.meetings import Meeting
from models.workplan import queries as plan

FLOW = "plan_meeting_actions"
MISSING = N_("There is no meeting with the number “{id}”.")
FORM = N_("Write one action a line: <what>; <owner: a city or a person>; <due date>")
DONE_WORDS = {"gotowe", "koniec", "done", "end"}
MAX_LINES = 40


@dataclass(frozen=True)
class Line:
    text: str
    draft: Draft | None
    problem: str | None  # the reason, translated


def read_lines(
    s: Session, network: Network, text: str, now: datetime, tz: ZoneInfo, t: Translator
) -> list[Line]:
    """Each non-empty line checked: `<what>; <owner>; <due date>` (the description may hold
    a `;`: the owner and the date are the last two fields)."""
    found = []
    for raw in text.splitlines():
        line = raw.strip().lstrip("-•*").strip()
        if not line:
            continue
        parts = [p.strip() for p in line.rsplit(";", 2)]
        try:
            if len(parts) != 3 or not all(parts):
                raise DomainError(FORM)
            what, who, due = parts
            found.append(Line(line, check(s, network, what, who, due, now, tz), None))
        except DomainError as error:
            found.append(Line(line, None, t(error.msgid, **error.params)))
    if len(found) > MAX_LINES:
        raise DomainError(N_("At most {count} actions at once, please."), count=MAX_LINES)
    return found


def _meeting(ctx: Context, s: Session, number: int) -> tuple[Meeting, Network]:
    return fetch(ctx, s, Meeting, str(number), Action.MANAGE_PLAN, MISSING)


def add_lines(ctx: Context, meeting_id: int, text: str) -> list[Outgoing]:
    """Add every line that reads; say which did not, and why, with the line as written."""
    with ctx.db.session() as s:
        meeting, network = _meeting(ctx, s, meeting_id)
        lines = read_lines(s, network, text, ctx.now, ctx.settings.tz, ctx.t)
        added = [create(s, ctx, network, line.draft, meeting.id) for line in lines if line.draft]
        today = ctx.t.local(ctx.now).date()
        shown = [render.action_line(s, ctx.t, a, today) for a in added]
        single = added_text(ctx, s, added[0], network) if len(added) == 1 else ""
    replies = []
    if added:
        replies.append(
            Outgoing(
                single
                or "\n".join(
                    [
                        ctx.t.tn(
                            "{n} action added to the plan from meeting #{id}:",
                            "{n} actions added to the plan from meeting #{id}:",
                            len(added),
                            id=meeting_id,
                        ),
                        *shown,
                    ]
                )
            )
        )
    failed = [line for line in lines if line.draft is None]
    if failed:
        replies.append(
            Outgoing(
                "\n".join(
                    [
                        ctx.t("Not added — correct these lines and send them again:"),
                        *(f"• {line.problem}" for line in failed),
                    ]
                )
            )
        )
        replies.append(Outgoing("\n".join(line.text for line in failed)))
    if not lines:
        replies.append(Outgoing(ctx.t(FORM)))
    return replies


async def _start(ctx: Context, meeting: int) -> list[Outgoing]:
    me = ctx.require_person()
    with ctx.db.session() as s:
        found, network = _meeting(ctx, s, meeting)
        title = found.title
    if not ctx.private:
        raise DomainError(
            N_("Write /dzialania_ze_spotkania {id} to me in a private chat."), id=meeting
        )
    chat = ctx.incoming.chat
    with ctx.db.session() as s:
        conversations.start(
            s, chat.platform, chat.chat_id, me.id or 0, FLOW, "lines", {"meeting": meeting}, ctx.now
        )
    button = ctx.page_button(ctx.t("Enter them on a page"), links.PLAN_ACTIONS, meeting=meeting)
    return [
        Outgoing(
            ctx.t(
                "The actions agreed at meeting #{id} “{title}” ({network}). {form}, e.g.\n"
                "Ankieta o e-usługach; Łomża; 29.01.2027\n"
                "You may send several lines in one message, and several messages. "
                "“gotowe” ends.",
                id=meeting,
                title=title,
                network=network.name,
                form=ctx.t(FORM),
            ),
            actions=(button,) if button else (),
        )
    ]


@REGISTRY.command(
    "dzialania_ze_spotkania",
    "meeting_actions",
    summary=N_("enter the actions agreed at a meeting (several, one per line)"),
    args=Words(Id("meeting"), Text("lines", optional=True, limit=8000)),
    usage=N_("<meeting> [lines: <what>; <owner>; <due date>]"),
    example="/dzialania_ze_spotkania 3 Ankieta o e-usługach; Łomża; 29.01.2027",
    action=Action.MANAGE_PLAN,
    refusal=N_("Only coordinators and the coordinating team keep the network's work plan."),
)
async def from_meeting(ctx: Context, meeting: int, lines: str | None) -> list[Outgoing]:
    if lines is None:
        return await _start(ctx, meeting)
    return ctx.privately(add_lines(ctx, meeting, lines))


@REGISTRY.flow(FLOW)
async def next_lines(ctx: Context, conv: Conversation, text: str) -> list[Outgoing]:
    if text.strip().lower() in DONE_WORDS:
        with ctx.db.session() as s:
            conversations.finish(s, conv.platform, conv.chat_id, conv.person_id)
            count = len(plan.of_meeting(s, int(conv.data["meeting"])))
        return [
            Outgoing(
                ctx.t.tn(
                    "Done. Meeting #{id} has {n} action in the plan.",
                    "Done. Meeting #{id} has {n} actions in the plan.",
                    count,
                    id=conv.data["meeting"],
                )
            )
        ]
    replies = add_lines(ctx, int(conv.data["meeting"]), text)
    return [*replies, Outgoing(ctx.t("More lines, or “gotowe”."))]

"""After a meeting the coordinator or the expert sends its note and materials.

`/notatka <meeting> [otwarta] <text>` sends the note at once; `/notatka <meeting>` in the
private chat takes it message after message and keeps what was written (in the conversation,
so nothing is lost between messages) until “wyślij”. `/material <meeting> [otwarta] <link>
[description]` sends a link (SharePoint, MIRO; http(s) only); files attached to the message
(a Telegram document with the command as its caption, a Teams attachment) are stored once and
sent with it; `/material <meeting>` alone asks for the file or the link.

Each material goes privately to those who took part (models.materials.recipients), through the
outbox; `otwarta` marks the meeting's open part: observer cities get it as well, and it is
posted in the network's group chats (on Teams the file lands in the channel's files)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlmodel import Session

from core import links
from core.messages import File, Outgoing, Target
from core.outbox import enqueue, reachable, rows_for_people
from handlers.kit.args import Id, Text, Words
from handlers.kit.context import Context
from handlers.kit.dates import fold
from handlers.kit.limits import check_link, check_text, is_link, looks_like_link
from handlers.kit.objects import fetch
from handlers.kit.permissions import Action
from handlers.kit.registry import REGISTRY
from handlers.materials import render
from models import audit, blobs, conversations, directory, outbox
from models import materials as store
from models.core import Conversation, Network, Person
from models.errors import N_, DomainError
from models.materials import NOTE_MAX, TITLE_MAX, Material, MaterialKind
from models.meetings import Meeting, MeetingStatus

NOTE_FLOW, FILE_FLOW = "material_note", "material_file"
MISSING = N_("There is no meeting with the number “{id}”.")
REFUSAL = N_(
    "The network's coordinator, its expert and the coordinating team send a meeting's note "
    "and materials."
)
OPEN_WORDS = {"otwarta", "open"}
SEND_WORDS = {"wyslij", "send", "gotowe", "done"}
ASK_CONTENT = N_(
    "Send the file (attached to your message) or its link (https://…, e.g. SharePoint or "
    "MIRO), with a short description after the link if you like. /anuluj stops."
)


def split_open(text: str | None) -> tuple[bool, str]:
    """A leading “otwarta” marks the meeting's open part."""
    words = (text or "").strip().split(None, 1)
    if words and fold(words[0]) in OPEN_WORDS:
        return True, words[1] if len(words) > 1 else ""
    return False, (text or "").strip()


def meeting_for(ctx: Context, s: Session, number: int, open_part: bool) -> tuple[Meeting, Network]:
    """The meeting, in a network where the caller may send materials, once it has begun."""
    meeting, network = fetch(ctx, s, Meeting, str(number), Action.SHARE_MATERIALS, MISSING)
    if meeting.status == MeetingStatus.CANCELLED:
        raise DomainError(N_("Meeting #{id} was cancelled: nothing is sent from it."), id=number)
    if meeting.starts_at > ctx.now:
        raise DomainError(
            N_("Meeting #{id} has not begun yet: its note and materials come after it."),
            id=number,
        )
    if open_part and not meeting.open_part:
        raise DomainError(
            N_(
                "Meeting #{id} had no open part: leave out “otwarta”, its materials go to "
                "those who took part."
            ),
            id=number,
        )
    return meeting, network


def read_link(text: str) -> tuple[str | None, str | None]:
    """`<link> [description]` → (link, description); a description alone → (None, it)."""
    words = text.strip().split(None, 1)
    if not words:
        return None, None
    if is_link(words[0]) or looks_like_link(words[0]):
        link = check_link(words[0])  # http(s) only, refused politely otherwise
        rest = words[1].strip() if len(words) > 1 else ""
        return link, check_text(rest, TITLE_MAX, "description") if rest else None
    return None, check_text(text.strip(), TITLE_MAX, "description")


def deliver(
    s: Session,
    ctx: Context,
    m: Material,
    meeting: Meeting,
    network: Network,
    people: Sequence[int],
    sender: str | None,
) -> int:
    """The material privately to each of these people (once: keyed), the file by its blob."""
    found = reachable(s, list(people), ctx.settings)
    rows = rows_for_people(
        found,
        people,
        ctx.settings,
        ctx.now,
        lambda t: render.material(t, m, meeting, network, sender),
        kind="material",
        dedupe=lambda p: f"material:{m.id}:p{p}",
    )
    for row in rows:
        row["network_id"] = network.id
        if m.blob_id:
            row["payload"] = {**row["payload"], "files": [{"blob": m.blob_id}]}
    fresh = [r for r in rows if not outbox.queued(s, str(r["dedupe_key"]))]
    outbox.add_many(s, fresh)
    return len(fresh)


def post_in_groups(
    s: Session, ctx: Context, m: Material, meeting: Meeting, network: Network
) -> int:
    """An open part's material in the network's group chats (Teams: the file goes to the
    channel's files on SharePoint and the post links to it)."""
    posted = 0
    message = render.material(ctx.t, m, meeting, network, None)
    for chat in directory.chats_of(s, [network.id or 0]):
        enqueue(
            s,
            Target(chat.platform, chat.chat_id),
            message,
            ctx.now,
            blob_ids=(m.blob_id,) if m.blob_id else (),
            network_id=network.id,
            kind="material_group",
            dedupe_key=f"material:{m.id}:chat{chat.id}",
        )
        posted += 1
    return posted


def share(
    ctx: Context,
    number: int,
    open_part: bool,
    *,
    note: str | None = None,
    link: str | None = None,
    description: str | None = None,
    files: Sequence[File] = (),
) -> list[Outgoing]:
    """Keep the note, the link and each file (stored once), and send each privately."""
    me: Person = ctx.require_person()
    with ctx.db.session() as s:
        meeting, network = meeting_for(ctx, s, number, open_part)
        made: list[Material] = []
        common: dict[str, Any] = {
            "network_id": network.id or 0,
            "meeting_id": meeting.id or 0,
            "open_part": open_part,
            "created_by": me.id,
            "created_at": ctx.now,
        }
        if note:
            made.append(Material(kind=MaterialKind.NOTE, body=note, **common))
        if link:
            made.append(
                Material(kind=MaterialKind.LINK, link=link, description=description, **common)
            )
        for file in files:
            blob = blobs.store(s, file.name[:200], file.mime[:100], file.content)
            made.append(
                Material(
                    kind=MaterialKind.FILE,
                    blob_id=blob.id,
                    file_name=file.name[:200],
                    description=description,
                    **common,
                )
            )
        if not made:
            raise DomainError(ASK_CONTENT)
        s.add_all(made)
        s.flush()
        people = [p for p in store.recipients(s, meeting, open_part) if p != me.id]
        groups = 0
        for m in made:
            m.sent_to = deliver(s, ctx, m, meeting, network, people, me.display_name)
            if open_part:
                groups = post_in_groups(s, ctx, m, meeting, network)
            s.add(m)
            audit.record(s, ctx.now, me.id, "material.send", f"material:{m.id}")
        sent = max(m.sent_to for m in made)
        numbers = ", ".join(f"#{m.id}" for m in made)
        title, code = meeting.title, network.code
    ctx.wake_outbox()
    lines = [
        ctx.t.tn(
            "Kept in the network's archive ({numbers}) and sent privately to {n} person who "
            "took part in meeting #{id} “{title}”.",
            "Kept in the network's archive ({numbers}) and sent privately to {n} people who "
            "took part in meeting #{id} “{title}”.",
            sent,
            numbers=numbers,
            id=number,
            title=title,
        )
    ]
    if open_part:
        lines.append(
            ctx.t.tn(
                "The open part's material also went to the observer cities and to {n} group "
                "chat of the network.",
                "The open part's material also went to the observer cities and to {n} group "
                "chats of the network.",
                groups,
            )
        )
    lines.append(ctx.t("The archive: /materialy {code}", code=code))
    return [Outgoing("\n".join(lines))]


# --- the note ---------------------------------------------------------------------------------


def _note_text(text: str) -> str:
    return check_text(text.strip(), NOTE_MAX, "meeting_note")


@REGISTRY.command(
    "notatka",
    "meeting_note",
    summary=N_("send a meeting's note to those who took part (kept in the network's archive)"),
    args=Words(Id("meeting"), Text("text", optional=True, limit=NOTE_MAX)),
    usage=N_("<meeting> [otwarta] [the note]"),
    example="/notatka 3 Wnioski: 1. Wspólny standard e-usług. 2. Ankieta do 15.01.",
    action=Action.SHARE_MATERIALS,
    private=True,
    refusal=REFUSAL,
)
async def note(ctx: Context, meeting: int, text: str | None) -> list[Outgoing]:
    open_part, body = split_open(text)
    if body:
        return share(ctx, meeting, open_part, note=_note_text(body))
    return _start(ctx, NOTE_FLOW, meeting, open_part)


def _start(ctx: Context, flow: str, number: int, open_part: bool) -> list[Outgoing]:
    me = ctx.require_person()
    with ctx.db.session() as s:
        meeting, network = meeting_for(ctx, s, number, open_part)
        chat = ctx.incoming.chat
        current = conversations.current(s, chat.platform, chat.chat_id, me.id or 0)
        kept = ""
        if current and current.flow == flow and current.data.get("meeting") == number:
            kept = str(current.data.get("text") or "")  # a note begun before: kept
        data = {"meeting": number, "open": open_part, "text": kept}
        conversations.start(
            s, chat.platform, chat.chat_id, me.id or 0, flow, "content", data, ctx.now
        )
        shown = render.header(ctx.t, meeting, network)
    if flow == FILE_FLOW:
        return [
            Outgoing(
                ctx.t("Material from meeting {meeting}.", meeting=shown) + " " + ctx.t(ASK_CONTENT)
            )
        ]
    button = ctx.page_button(ctx.t("Write it on a page"), links.MEETING_NOTE, meeting=number)
    lines = [
        ctx.t(
            "The note from meeting {meeting}: write it, in one message or several; I keep what you "
            "write. “send” sends it to those who took part; /anuluj stops.",
            meeting=shown,
        )
    ]
    if kept:
        lines.append(
            ctx.t.tn(
                "What you wrote before is kept ({n} character).",
                "What you wrote before is kept ({n} characters).",
                len(kept),
            )
        )
    return [Outgoing("\n".join(lines), actions=(button,) if button else ())]


@REGISTRY.flow(NOTE_FLOW)
async def note_step(ctx: Context, conv: Conversation, text: str) -> list[Outgoing]:
    data = dict(conv.data)
    written = str(data.get("text") or "")
    if fold(text.strip()) in SEND_WORDS:
        if not written:
            return [Outgoing(ctx.t("Nothing written yet: write the note, then “send”."))]
        try:
            replies = share(ctx, int(data["meeting"]), bool(data["open"]), note=written)
        except DomainError as error:  # the note stays kept: say why
            return [Outgoing(ctx.t(error.msgid, **error.params))]
        with ctx.db.session() as s:
            conversations.finish(s, conv.platform, conv.chat_id, conv.person_id)
        return replies
    if not text.strip():
        return [Outgoing(ctx.t("Write the note, then “send”."))]
    joined = f"{written}\n\n{text.strip()}" if written else text.strip()
    try:
        joined = _note_text(joined)
    except DomainError as error:
        return [Outgoing(ctx.t(error.msgid, **error.params))]
    data["text"] = joined
    with ctx.db.session() as s:
        conversations.advance(s, conv, "content", data, ctx.now)
    return [
        Outgoing(
            ctx.t.tn(
                "Kept ({n} character so far). Write more, or “send” to send it.",
                "Kept ({n} characters so far). Write more, or “send” to send it.",
                len(joined),
            )
        )
    ]


# --- files and links --------------------------------------------------------------------------


def _files_or_link(ctx: Context, number: int, open_part: bool, rest: str) -> list[Outgoing]:
    link, description = read_link(rest)
    files = ctx.incoming.files
    if link is None and not files:
        raise DomainError(ASK_CONTENT)
    return share(ctx, number, open_part, link=link, description=description, files=files)


@REGISTRY.command(
    "material",
    "meeting_material",
    summary=N_("send a meeting's material (a file attached, or a link) to those who took part"),
    args=Words(Id("meeting"), Text("rest", optional=True, limit=TITLE_MAX + 520)),
    usage=N_("<meeting> [otwarta] [link] [description]"),
    example="/material 3 https://miro.com/app/board/uXjVO1 Tablica z warsztatów",
    action=Action.SHARE_MATERIALS,
    private=True,
    refusal=REFUSAL,
)
async def material(ctx: Context, meeting: int, rest: str | None) -> list[Outgoing]:
    open_part, text = split_open(rest)
    if not text and not ctx.incoming.files:
        if not ctx.private:
            raise DomainError(ASK_CONTENT)
        return _start(ctx, FILE_FLOW, meeting, open_part)
    return _files_or_link(ctx, meeting, open_part, text)


@REGISTRY.flow(FILE_FLOW)
async def file_step(ctx: Context, conv: Conversation, text: str) -> list[Outgoing]:
    data = dict(conv.data)
    try:
        replies = _files_or_link(ctx, int(data["meeting"]), bool(data["open"]), text)
    except DomainError as error:
        return [Outgoing(ctx.t(error.msgid, **error.params))]
    with ctx.db.session() as s:
        conversations.finish(s, conv.platform, conv.chat_id, conv.person_id)
    return replies

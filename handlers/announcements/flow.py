"""/ogloszenie, guided: text → file → networks → audience → delivery → pin → when → preview;
or in one line (`/ogloszenie cyfrowe; wszyscy; czaty; nie; teraz; Treść`, what the staff desk
sends). Both end in `draft`. Nothing is sent before the explicit confirmation
(handlers.announcements.commands)."""

from __future__ import annotations

import re
from datetime import datetime
from typing import Any

from core.messages import Action as Button
from core.messages import Outgoing
from handlers.announcements.render import AUDIENCE_LABEL, DELIVERY_LABEL, label, preview
from handlers.kit.args import Choice, Rest, Text
from handlers.kit.context import Context
from handlers.kit.dates import parse_when, require_future
from handlers.kit.limits import ANNOUNCEMENT, check_text
from handlers.kit.permissions import Action
from handlers.kit.registry import REGISTRY
from models import blobs, conversations, directory
from models.announcements import Announcement
from models.core import Conversation, Network
from models.enums import Platform
from models.errors import N_, DomainError

FLOW = "announcement"
AUDIENCE_WORDS = {
    "wszyscy": "all",
    "all": "all",
    "everyone": "all",
    "rdzen": "core",
    "rdzeń": "core",
    "core": "core",
    "liderzy": "leaders",
    "leaders": "leaders",
}
DELIVERY_WORDS = {"czaty": "chats", "chats": "chats", "prywatnie": "private", "private": "private"}
YES = {"tak", "przypnij", "yes", "pin"}
NO = {"nie", "bez", "bez przypinania", "no", "none", "bez pliku", "bez załącznika"}
PIN_WORDS = {**dict.fromkeys(YES, True), **dict.fromkeys(NO, False)}


def _networks_i_may_address(ctx: Context) -> list[Network]:
    with ctx.db.session() as s:
        return [n for n in directory.networks(s) if ctx.can(Action.ANNOUNCE, n)]


def _prompt(ctx: Context, step: str, data: dict) -> Outgoing:
    t = ctx.t
    if step == "file":
        return Outgoing(
            t("Attach a file now (send it as an attachment), or choose “no file”."),
            actions=(Button(t("No file"), "bez"),),
        )
    if step == "target":
        mine = _networks_i_may_address(ctx)
        buttons = [Button(n.name, n.code) for n in mine]
        if len(mine) > 1 and all(ctx.can(Action.ANNOUNCE_ALL, n) for n in mine):
            buttons.insert(0, Button(t("All networks"), "wszystkie"))
        return Outgoing(
            t(
                "To which networks? Choose, or type codes separated by commas "
                "(e.g. cyfrowe, zielone)."
            ),
            actions=tuple(buttons),
        )
    if step == "audience":
        return Outgoing(
            t("Who should get it?"),
            actions=(
                Button(label(t, AUDIENCE_LABEL, "all"), "wszyscy"),
                Button(label(t, AUDIENCE_LABEL, "core"), "rdzen"),
                Button(label(t, AUDIENCE_LABEL, "leaders"), "liderzy"),
            ),
        )
    if step == "delivery":
        return Outgoing(
            t("Post it in the network chats only, or also send it privately to each person?"),
            actions=(
                Button(label(t, DELIVERY_LABEL, "chats"), "czaty"),
                Button(label(t, DELIVERY_LABEL, "private"), "prywatnie"),
            ),
        )
    if step == "pin":
        return Outgoing(
            t("Pin it in the network chats?"),
            actions=(Button(t("Pin"), "tak"), Button(t("Don't pin"), "nie")),
        )
    return Outgoing(
        t("When? “now”, or a date and time, e.g. 12.05.2026 10:00 or jutro 9:00."),
        actions=(Button(t("Now"), "teraz"),),
    )


async def start(ctx: Context) -> list[Outgoing]:
    """`/ogloszenie` alone: the guide, step by step."""
    me = ctx.require_person()
    chat = ctx.incoming.chat
    with ctx.db.session() as s:
        conversations.start(s, chat.platform, chat.chat_id, me.id or 0, FLOW, "text", {}, ctx.now)
    return [Outgoing(ctx.t(WRITE_IT.get(chat.platform, WRITE_IT[""])))]


@REGISTRY.command(
    "ogloszenie",
    "announce",
    summary=N_("send an announcement to networks"),
    args=Rest(
        Text("networks", limit=400, field_name="networks", label=N_("networks")),
        Choice("audience", choices=AUDIENCE_WORDS, label=N_("wszyscy|rdzeń|liderzy")),
        Choice("delivery", choices=DELIVERY_WORDS, label=N_("czaty|prywatnie")),
        Choice("pin", choices=PIN_WORDS, label=N_("przypnij|nie")),
        Text("when", limit=40, field_name="when", label=N_("teraz|date")),
        Text("text", limit=ANNOUNCEMENT, label=N_("text")),
    ),
    example="/ogloszenie cyfrowe; wszyscy; czaty; nie; teraz; Spotkanie sieci 12 maja.",
    action=Action.ANNOUNCE,
    when_empty=start,
    refusal=N_("Only coordinators and the coordinating team send announcements."),
)
async def announce(
    ctx: Context, networks: str, audience: str, delivery: str, pin: bool, when: str, text: str
) -> list[Outgoing]:
    """The whole announcement in one line: the same checks as the guide's steps, then the
    preview of the draft. (A restricted audience is reached privately, whatever was typed.)"""
    data: dict[str, Any] = {"text": text, "networks": _parse_networks(ctx, networks)}
    data.update({"delivery": delivery, "pin": pin} | _audience(audience))
    data["send_at"] = _when(ctx, when)
    return [draft(ctx, data)]


def _audience(audience: str) -> dict[str, Any]:
    """The audience, and for a restricted one the delivery it implies: group chats hold
    observers too, so a restricted audience is reached privately (nothing pinned)."""
    if audience == "all":
        return {"audience": audience}
    return {"audience": audience, "delivery": "private", "pin": False}


def _when(ctx: Context, text: str) -> str | None:
    """None (now) or the moment, in the future, as ISO text."""
    if text.strip().lower() in ("teraz", "now"):
        return None
    return require_future(parse_when(text, ctx.now, ctx.settings.tz), ctx.now, text).isoformat()


# How to format, the way the platform at hand does it: typed markers, or Teams' toolbar
# (converted to the same formatting, bot.transports.teams.render).
WRITE_IT = {
    "": N_(
        "Write the announcement. Formatting: **bold**, _italics_, "
        "[link](https://…), lines starting with “- ” become a list. "
        "/anuluj stops."
    ),
    Platform.TEAMS: N_(
        "Write the announcement. Format it as usual in Teams: bold, italics, "
        "underline, bulleted lists and links are kept on every platform. You can "
        "attach a file to the same message. /anuluj stops."
    ),
}


def _parse_networks(ctx: Context, text: str) -> list[int]:
    words = [w for w in re.split(r"[,;\s]+", text.lower()) if w]
    with ctx.db.session() as s:
        everything = list(directory.networks(s))
        chosen = (
            everything
            if words in (["wszystkie"], ["all"])
            else [directory.require_network(s, w) for w in words]
        )
    if not chosen:
        raise DomainError(N_("Choose at least one network."))
    for network in chosen:
        ctx.require(
            Action.ANNOUNCE_ALL if len(chosen) == len(everything) > 1 else Action.ANNOUNCE, network
        )
    return sorted({n.id or 0 for n in chosen})


def _store_file(ctx: Context, data: dict) -> bool:
    if not ctx.incoming.files:
        return False
    file = ctx.incoming.files[0]
    with ctx.db.session() as s:
        data["blob_id"] = blobs.store(s, file.name, file.mime, file.content).id
    data["file_name"] = file.name
    return True


@REGISTRY.flow(FLOW)
async def next_step(ctx: Context, conv: Conversation, text: str) -> list[Outgoing]:
    data = dict(conv.data)
    answer = text.strip().lower()
    step = conv.step
    if step == "text":
        attached = _store_file(ctx, data)
        if not text and not attached:
            return [Outgoing(ctx.t("The announcement needs some text. Write it, or /anuluj."))]
        data["text"] = check_text(text, ANNOUNCEMENT, "text")
        step = "target" if attached else "file"
    elif step == "file":
        if not _store_file(ctx, data) and answer not in NO:
            return [_prompt(ctx, step, data)]
        step = "target"
    elif step == "target":
        data["networks"] = _parse_networks(ctx, text)
        step = "audience"
    elif step == "audience":
        if answer not in AUDIENCE_WORDS:
            return [_prompt(ctx, step, data)]
        data.update(_audience(AUDIENCE_WORDS[answer]))
        step = "delivery" if data["audience"] == "all" else "when"
    elif step == "delivery":
        if answer not in DELIVERY_WORDS:
            return [_prompt(ctx, step, data)]
        data["delivery"] = DELIVERY_WORDS[answer]
        step = "pin"
    elif step == "pin":
        if answer not in PIN_WORDS:
            return [_prompt(ctx, step, data)]
        data["pin"] = PIN_WORDS[answer]
        step = "when"
    elif step == "when":
        data["send_at"] = _when(ctx, text)
        with ctx.db.session() as s:
            conversations.finish(s, conv.platform, conv.chat_id, conv.person_id)
        return [draft(ctx, data)]
    with ctx.db.session() as s:
        conversations.advance(s, conv, step, data, ctx.now)
    return [_prompt(ctx, step, data)]


def draft(ctx: Context, data: dict[str, Any]) -> Outgoing:
    """The draft of a checked announcement, and its preview with the buttons that confirm or
    cancel it: where the guide and the one-line form (the desk's) end."""
    me = ctx.require_person()
    with ctx.db.session() as s:
        announcement = Announcement(
            author_id=me.id,
            created_at=ctx.now,
            text=data["text"],
            blob_id=data.get("blob_id"),
            network_ids=data["networks"],
            audience=data["audience"],
            delivery=data["delivery"],
            pin=data.get("pin", False),
            send_at=datetime.fromisoformat(data["send_at"]) if data.get("send_at") else None,
        )
        s.add(announcement)
        s.flush()
        return preview(ctx.t, s, announcement, ctx.settings)

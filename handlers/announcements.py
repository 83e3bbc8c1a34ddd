"""/ogloszenie: coordinators broadcast to one, several or all networks, through the outbox.

Guided: text → file → networks → audience → delivery → pin → when → preview. Nothing is sent
before the explicit confirmation; a scheduled announcement can be cancelled until it goes.
"""

from __future__ import annotations

import csv
import io
import re
from datetime import datetime

from sqlmodel import Session

from core.config import Settings
from core.i18n import Translator
from core.messages import Action as Button
from core.messages import File, Outgoing, Target
from core.outbox import enqueue
from handlers.kit.context import Context
from handlers.kit.dates import parse_when, require_future
from handlers.kit.feature import Feature
from handlers.kit.limits import ANNOUNCEMENT, check_text, parse_id
from handlers.kit.objects import first_word, shown
from handlers.kit.permissions import Action
from handlers.kit.registry import REGISTRY
from models import announcements as announcements_store
from models import blobs, conversations, directory, due, outbox
from models.announcements import Announcement, network_names, recipients, unreachable
from models.core import Conversation, Network
from models.enums import Role
from models.errors import N_, DomainError

FEATURE = Feature("announcements", jobs=True)

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
AUDIENCE_LABEL = {
    "all": N_("everyone, observers included"),
    "core": N_("core cities only"),
    "leaders": N_("leaders only (mayors, presidents, deputies)"),
}
DELIVERY_LABEL = {
    "chats": N_("network chats"),
    "private": N_("network chats and privately to each person"),
}


def _label(t: Translator, table: dict[str, str], key: str) -> str:
    return t(table[key])


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
                Button(_label(t, AUDIENCE_LABEL, "all"), "wszyscy"),
                Button(_label(t, AUDIENCE_LABEL, "core"), "rdzen"),
                Button(_label(t, AUDIENCE_LABEL, "leaders"), "liderzy"),
            ),
        )
    if step == "delivery":
        return Outgoing(
            t("Post it in the network chats only, or also send it privately to each person?"),
            actions=(
                Button(_label(t, DELIVERY_LABEL, "chats"), "czaty"),
                Button(_label(t, DELIVERY_LABEL, "private"), "prywatnie"),
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


@REGISTRY.command(
    "ogloszenie",
    "announce",
    summary=N_("send an announcement to networks"),
    action=Action.ANNOUNCE,
    refusal=N_("Only coordinators and the coordinating team send announcements."),
)
async def start(ctx: Context, args: str) -> list[Outgoing]:
    me = ctx.require_person()
    if not _networks_i_may_address(ctx):
        raise DomainError(N_("Only coordinators and the coordinating team send announcements."))
    chat = ctx.incoming.chat
    with ctx.db.session() as s:
        conversations.start(s, chat.platform, chat.chat_id, me.id or 0, FLOW, "text", {}, ctx.now)
    return [
        Outgoing(
            ctx.t(
                "Write the announcement. Formatting: **bold**, _italics_, "
                "[link](https://…), lines starting with “- ” become a list. "
                "/anuluj stops."
            )
        )
    ]


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
        data["audience"] = AUDIENCE_WORDS[answer]
        if data["audience"] == "all":
            step = "delivery"
        else:  # group chats hold observers too: a restricted audience is reached privately
            data.update(delivery="private", pin=False)
            step = "when"
    elif step == "delivery":
        if answer not in DELIVERY_WORDS:
            return [_prompt(ctx, step, data)]
        data["delivery"] = DELIVERY_WORDS[answer]
        step = "pin"
    elif step == "pin":
        if answer not in YES | NO:
            return [_prompt(ctx, step, data)]
        data["pin"] = answer in YES
        step = "when"
    elif step == "when":
        if answer in ("teraz", "now"):
            data["send_at"] = None
        else:
            when = require_future(parse_when(text, ctx.now, ctx.settings.tz), ctx.now, text)
            data["send_at"] = when.isoformat()
        return [_draft(ctx, conv, data)]
    with ctx.db.session() as s:
        conversations.advance(s, conv, step, data, ctx.now)
    return [_prompt(ctx, step, data)]


def _draft(ctx: Context, conv: Conversation, data: dict) -> Outgoing:
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
        conversations.finish(s, conv.platform, conv.chat_id, conv.person_id)
        s.flush()
        return _preview(ctx, s, announcement)


def _preview(ctx: Context, s: Session, ann: Announcement) -> Outgoing:
    t = ctx.t
    platforms = ctx.settings.active_platforms
    chats, people = recipients(s, ann.network_ids, ann.audience, ann.delivery, platforms)
    missing = (
        unreachable(s, ann.network_ids, ann.audience, platforms) if ann.delivery == "private" else 0
    )
    when = t("now") if ann.send_at is None else t.datetime(ann.send_at)
    lines = [
        t("📣 Announcement #{id} — preview", id=ann.id),
        t("Networks: {names}", names=", ".join(network_names(s, ann.network_ids))),
        t("Audience: {audience}", audience=_label(t, AUDIENCE_LABEL, ann.audience)),
        t("Delivery: {delivery}", delivery=_label(t, DELIVERY_LABEL, ann.delivery)),
        t("Pinned: {pinned}", pinned=t("yes") if ann.pin else t("no")),
        t("Sending: {when}", when=when),
        t(
            "It will reach {chats} chats and {people} people privately.",
            chats=len(chats),
            people=len(people),
        ),
    ]
    if missing:
        lines.append(
            t(
                "{count} people in the audience have no linked account and will not "
                "get it privately.",
                count=missing,
            )
        )
    if ann.audience != "all":
        lines.append(
            t("Group chats include observers, so a restricted audience is reached privately only.")
        )
    if ann.blob_id:
        lines.append(t("Attachment: yes"))
    lines += ["", ann.text]
    return Outgoing(
        "\n".join(lines),
        markdown=True,
        actions=(
            Button(
                t("Send") if ann.send_at is None else t("Schedule"), f"/ogloszenie_wyslij {ann.id}"
            ),
            Button(t("Cancel"), f"/ogloszenie_anuluj {ann.id}"),
        ),
    )


def _load_mine(ctx: Context, s: Session, args: str) -> Announcement:
    """The caller's own announcement (or any, for the coordinating team). Someone else's gets
    the same answer as a number that does not exist: numbers reveal nothing."""
    me = ctx.require_person()
    number = parse_id(first_word(args))
    ann = s.get(Announcement, number) if number is not None else None
    team = Role.COORDINATING_TEAM in directory.roles_of(s, me.id or 0, None)
    if ann is None or (ann.author_id != me.id and not team):
        raise DomainError(
            N_("There is no announcement with the number “{id}”."), id=shown(first_word(args))
        )
    return ann


def render(t: Translator, names: list[str], text: str) -> str:
    return t("📣 **Announcement** — {networks}", networks=", ".join(names)) + "\n\n" + text


def queue_announcement(
    s: Session, ann: Announcement, now: datetime, settings: Settings
) -> tuple[int, int]:
    """Write one outbox row per chat and person; the dedupe key makes a second call a no-op."""
    if ann.status == "queued":
        return 0, 0
    chats, people = recipients(
        s, ann.network_ids, ann.audience, ann.delivery, settings.active_platforms
    )
    names = network_names(s, ann.network_ids)
    files = (ann.blob_id,) if ann.blob_id else ()
    for r in [*chats, *people]:
        t = Translator(r.language or settings.default_language, settings.tz)
        message = Outgoing(
            render(t, names, ann.text), markdown=True, pin=ann.pin and r.person_id is None
        )
        enqueue(
            s,
            Target(r.platform, r.chat_id),
            message,
            now,
            blob_ids=files,
            person_id=r.person_id,
            network_id=r.network_id,
            announcement_id=ann.id,
            kind="announcement",
            dedupe_key=f"ann:{ann.id}:{r.platform}:{r.chat_id}",
        )
    ann.status, ann.queued_at = "queued", now
    s.add(ann)
    return len(chats), len(people)


@REGISTRY.command(
    "ogloszenie_wyslij",
    "announce_send",
    summary=N_("confirm an announcement"),
    usage=N_("<number>"),
    hidden=True,
)
async def confirm(ctx: Context, args: str) -> list[Outgoing]:
    with ctx.db.session() as s:
        ann = _load_mine(ctx, s, args)
        if ann.status != "draft":
            raise DomainError(
                N_("Announcement #{id} was already confirmed or cancelled."), id=ann.id
            )
        for network_id in ann.network_ids:
            network = s.get(Network, network_id)
            assert network is not None
            ctx.require(Action.ANNOUNCE, network)
        if ann.send_at is not None and ann.send_at > ctx.now:
            ann.status = "scheduled"
            s.add(ann)
            due.schedule(s, "announcement", ann.id or 0, f"announcement:{ann.id}", ann.send_at)
            return [
                Outgoing(
                    ctx.t(
                        "Announcement #{id} is scheduled for {when}. "
                        "/ogloszenie_anuluj {id} cancels it.",
                        id=ann.id,
                        when=ctx.t.datetime(ann.send_at),
                    ),
                    actions=(Button(ctx.t("Cancel"), f"/ogloszenie_anuluj {ann.id}"),),
                )
            ]
        chats, people = queue_announcement(s, ann, ctx.now, ctx.settings)
    ctx.wake_outbox()
    return [
        Outgoing(
            ctx.t(
                "Sending announcement #{id}: {chats} chats, {people} people. "
                "I will send you a delivery report; /ogloszenie_raport {id} shows "
                "it any time.",
                id=ann.id,
                chats=chats,
                people=people,
            )
        )
    ]


@REGISTRY.command(
    "ogloszenie_anuluj",
    "announce_cancel",
    summary=N_("cancel a draft or scheduled announcement"),
    usage=N_("<number>"),
    action=Action.ANNOUNCE,
)
async def cancel(ctx: Context, args: str) -> list[Outgoing]:
    with ctx.db.session() as s:
        ann = _load_mine(ctx, s, args)
        if ann.status not in ("draft", "scheduled"):
            raise DomainError(
                N_("Announcement #{id} has already been sent; it cannot be cancelled."), id=ann.id
            )
        ann.status = "cancelled"
        s.add(ann)
        due.cancel(s, "announcement", ann.id or 0)
    return [Outgoing(ctx.t("Announcement #{id} is cancelled; nothing will be sent.", id=ann.id))]


@REGISTRY.command(
    "ogloszenia",
    "announcements",
    summary=N_("my announcements and their status"),
    action=Action.ANNOUNCE,
)
async def list_mine(ctx: Context, args: str) -> list[Outgoing]:
    me = ctx.require_person()
    with ctx.db.session() as s:
        rows = announcements_store.by_author(s, me.id or 0)
    if not rows:
        return [Outgoing(ctx.t("You have no announcements yet. /ogloszenie starts one."))]
    status = {
        "draft": ctx.t("draft"),
        "scheduled": ctx.t("scheduled"),
        "queued": ctx.t("sent"),
        "cancelled": ctx.t("cancelled"),
    }
    lines, buttons = [ctx.t("Your announcements:")], []
    for ann in rows:
        when = ctx.t.short_datetime(ann.send_at or ann.queued_at or ann.created_at)
        first = ann.text.splitlines()[0][:60] if ann.text else ""
        lines.append(f"#{ann.id} {when} — {status[ann.status]} — {first}")
        if ann.status == "scheduled":
            buttons.append(Button(ctx.t("Cancel #{id}", id=ann.id), f"/ogloszenie_anuluj {ann.id}"))
    return [Outgoing("\n".join(lines), actions=tuple(buttons))]


def reason_label(t: Translator, reason: str | None) -> str:
    reason = reason or ""
    if reason.startswith("forbidden"):
        return t("the bot was blocked or removed from the chat")
    if "chat not found" in reason:
        return t("the chat no longer exists")
    if reason.startswith(("network", "rate_limited", "unexpected", "telegram")):
        return t("the platform did not answer (retried)")
    return reason or "—"


def delivery_report(s: Session, t: Translator, ann: Announcement) -> Outgoing:
    rows = outbox.for_announcement(s, ann.id or 0)
    people = directory.people_by_id(s, [r.person_id for r in rows if r.person_id])
    chats = {(c.platform, c.chat_id): c for c in directory.all_chats(s)}
    labels = {"sent": t("sent"), "failed": t("failed"), "pending": t("waiting")}
    counts = {(kind, st): 0 for kind in ("chat", "person") for st in labels}
    buffer = io.StringIO()
    writer = csv.writer(buffer, delimiter=";")
    writer.writerow([t("type"), t("recipient"), t("platform"), t("status"), t("reason"), t("time")])
    failures = []
    for row in rows:
        kind = "person" if row.person_id else "chat"
        counts[(kind, row.status)] += 1
        if row.person_id:
            person = people.get(row.person_id)
            who = person.display_name if person else f"#{row.person_id}"
        else:
            binding = chats.get((row.platform, row.chat_id))
            who = binding.title if binding and binding.title else row.chat_id
        reason = reason_label(t, row.last_error) if row.status == "failed" else ""
        writer.writerow(
            [
                t("chat") if kind == "chat" else t("person"),
                who,
                row.platform,
                labels[row.status],
                reason,
                t.short_datetime(row.sent_at) if row.sent_at else "",
            ]
        )
        if row.status == "failed":
            failures.append(f"• {who}: {reason}")
    lines = [
        t("Delivery report for announcement #{id}", id=ann.id),
        t(
            "Chats: {sent} sent, {failed} failed, {pending} waiting.",
            sent=counts[("chat", "sent")],
            failed=counts[("chat", "failed")],
            pending=counts[("chat", "pending")],
        ),
        t(
            "People: {sent} sent, {failed} failed, {pending} waiting.",
            sent=counts[("person", "sent")],
            failed=counts[("person", "failed")],
            pending=counts[("person", "pending")],
        ),
        *failures,
    ]
    content = ("\ufeff" + buffer.getvalue()).encode("utf-8")  # BOM: Excel reads UTF-8
    return Outgoing(
        "\n".join(lines), files=(File(f"raport_ogloszenia_{ann.id}.csv", content, "text/csv"),)
    )


@REGISTRY.command(
    "ogloszenie_raport",
    "announce_report",
    summary=N_("delivery report of an announcement"),
    usage=N_("<number>"),
    action=Action.ANNOUNCE,
)
async def report(ctx: Context, args: str) -> list[Outgoing]:
    with ctx.db.session() as s:
        ann = _load_mine(ctx, s, args)
        if ann.status != "queued":
            raise DomainError(N_("Announcement #{id} has not been sent yet."), id=ann.id)
        return [delivery_report(s, ctx.t, ann)]

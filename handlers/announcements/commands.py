"""What an author does with an announcement after the preview: confirm (send now or at the
time set), cancel, list their own, and read the delivery report."""

from __future__ import annotations

from core.formatting import to_plain
from core.messages import Action as Button
from core.messages import Outgoing
from handlers.announcements.render import (
    STATUS_LABEL,
    delivery_report,
    queue_announcement,
    reach,
)
from handlers.kit.args import Id, Words
from handlers.kit.context import Context
from handlers.kit.permissions import Action
from handlers.kit.registry import REGISTRY
from models import announcements as announcements_store
from models import due
from models.announcements import AnnouncementStatus
from models.core import Network
from models.errors import N_, DomainError

NUMBER = Words(Id("number"))
MISSING = N_("There is no announcement with the number “{id}”.")


def _me(ctx: Context) -> int:
    return ctx.require_person().id or 0


@REGISTRY.command(
    "ogloszenie_wyslij",
    "announce_send",
    summary=N_("confirm an announcement"),
    args=NUMBER,
    usage=N_("<number>"),
    example="/ogloszenie_wyslij 3",
    action=Action.ANNOUNCE,
    hidden=True,
)
async def confirm(ctx: Context, number: int) -> list[Outgoing]:
    with ctx.db.session() as s:
        ann = announcements_store.of_author(s, number, _me(ctx))
        if ann is None:
            raise DomainError(MISSING, id=number)
        if ann.status != AnnouncementStatus.DRAFT:
            raise DomainError(
                N_("Announcement #{id} was already confirmed or cancelled."), id=ann.id
            )
        for network_id in ann.network_ids:
            network = s.get(Network, network_id)
            assert network is not None
            ctx.require(Action.ANNOUNCE, network)
        if ann.send_at is not None and ann.send_at > ctx.now:
            ann.status = AnnouncementStatus.SCHEDULED
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
                "Sending announcement #{id}. {reach} I will send you a delivery report; "
                "/ogloszenie_raport {id} shows it any time.",
                id=ann.id,
                reach=reach(ctx.t, chats, people),
            )
        )
    ]


@REGISTRY.command(
    "ogloszenie_anuluj",
    "announce_cancel",
    summary=N_("cancel a draft or scheduled announcement"),
    args=NUMBER,
    usage=N_("<number>"),
    example="/ogloszenie_anuluj 3",
    action=Action.ANNOUNCE,
)
async def cancel(ctx: Context, number: int) -> list[Outgoing]:
    with ctx.db.session() as s:
        ann = announcements_store.of_author(s, number, _me(ctx))
        if ann is None:
            raise DomainError(MISSING, id=number)
        if ann.status not in (AnnouncementStatus.DRAFT, AnnouncementStatus.SCHEDULED):
            raise DomainError(
                N_("Announcement #{id} has already been sent; it cannot be cancelled."), id=ann.id
            )
        ann.status = AnnouncementStatus.CANCELLED
        s.add(ann)
        due.cancel(s, "announcement", ann.id or 0)
    return [Outgoing(ctx.t("Announcement #{id} is cancelled; nothing will be sent.", id=ann.id))]


@REGISTRY.command(
    "ogloszenia",
    "announcements",
    summary=N_("my announcements and their status"),
    action=Action.ANNOUNCE,
    private=True,
)
async def list_mine(ctx: Context) -> list[Outgoing]:
    me = ctx.require_person()
    with ctx.db.session() as s:
        rows = announcements_store.by_author(s, me.id or 0)
    if not rows:
        return [Outgoing(ctx.t("You have no announcements yet. /ogloszenie starts one."))]
    lines, buttons = [ctx.t("Your announcements:")], []
    for ann in rows:
        when = ctx.t.short_datetime(ann.send_at or ann.queued_at or ann.created_at)
        # the first line as text: markup is for the message itself, not for this list
        first = to_plain(ann.text.splitlines()[0])[:60] if ann.text else ""
        lines.append(
            f"#{ann.id} {when} — {ctx.t(STATUS_LABEL[AnnouncementStatus(ann.status)])} — {first}"
        )
        if ann.status == AnnouncementStatus.SCHEDULED:
            buttons.append(Button(ctx.t("Cancel #{id}", id=ann.id), f"/ogloszenie_anuluj {ann.id}"))
    return [Outgoing("\n".join(lines), actions=tuple(buttons))]


@REGISTRY.command(
    "ogloszenie_raport",
    "announce_report",
    summary=N_("delivery report of an announcement"),
    args=NUMBER,
    usage=N_("<number>"),
    example="/ogloszenie_raport 3",
    action=Action.ANNOUNCE,
    private=True,
)
async def report(ctx: Context, number: int) -> list[Outgoing]:
    with ctx.db.session() as s:
        ann = announcements_store.of_author(s, number, _me(ctx))
        if ann is None:
            raise DomainError(MISSING, id=number)
        if ann.status != AnnouncementStatus.QUEUED:
            raise DomainError(N_("Announcement #{id} has not been sent yet."), id=ann.id)
        return [delivery_report(s, ctx.t, ann)]

"""What announcements say, to the people who get them and to their authors: the message
itself (queued by the confirmation and by the scheduled job), the preview and the delivery
report."""

from __future__ import annotations

import io
from dataclasses import dataclass
from datetime import datetime

from sqlmodel import Session

from core.cells import SafeWriter
from core.collation import person_key, polish_key
from core.config import Settings
from core.formatting import escape
from core.i18n import Translator
from core.messages import Action as Button
from core.messages import File, Outgoing, Target
from core.outbox import enqueue
from models import directory, outbox
from models.announcements import (
    Announcement,
    AnnouncementStatus,
    network_names,
    recipients,
    unreachable,
)
from models.errors import N_

AUDIENCE_LABEL = {
    "all": N_("everyone, observers included"),
    "core": N_("core cities only"),
    "leaders": N_("leaders only (mayors, presidents, deputies)"),
}
STATUS_LABEL = {
    AnnouncementStatus.DRAFT: N_("draft"),
    AnnouncementStatus.SCHEDULED: N_("scheduled"),
    AnnouncementStatus.QUEUED: N_("sent"),
    AnnouncementStatus.CANCELLED: N_("cancelled"),
}
DELIVERY_LABEL = {
    "chats": N_("network chats"),
    "private": N_("network chats and privately to each person"),
}


def reach(t: Translator, chats: int, people: int) -> str:
    """Where an announcement goes: "2 group chats and, privately, 5 people"."""
    where = t.tn("{n} group chat", "{n} group chats", chats)
    if people:
        where = t(
            "{group_chats} and, privately, {recipients}",
            group_chats=where,
            recipients=t.tn("to {n} person", "to {n} people", people),
        )
    return t("It will go to {where}.", where=where)


def label(t: Translator, table: dict[str, str], key: str) -> str:
    return t(table[key])


def addressed_to(s: Session, network_ids: list[int]) -> list[str] | None:
    """The names of the networks an announcement goes to; None when it goes to all of them."""
    every = {n.id for n in directory.networks(s)}
    if len(network_ids) > 1 and every <= set(network_ids):
        return None
    return network_names(s, network_ids)


def networks_label(t: Translator, names: list[str] | None) -> str:
    """As markdown: the names as text, or "all networks" (None)."""
    if names is None:
        return t("all networks")
    return ", ".join(escape(name) for name in names)  # names are text, the body markdown


def render(t: Translator, names: list[str] | None, text: str) -> str:
    """The announcement as its recipients read it (`names`: addressed_to)."""
    header = t("📣 **Announcement** — {networks}", networks=networks_label(t, names))
    return header + "\n\n" + text


def queue_announcement(
    s: Session, ann: Announcement, now: datetime, settings: Settings
) -> tuple[int, int]:
    """Write one outbox row per chat and person; the dedupe key makes a second call a no-op."""
    if ann.status == AnnouncementStatus.QUEUED:
        return 0, 0
    chats, people = recipients(
        s, ann.network_ids, ann.audience, ann.delivery, settings.active_platforms
    )
    names = addressed_to(s, ann.network_ids)
    files = (ann.blob_id,) if ann.blob_id else ()
    for r in [*chats, *people]:
        t = Translator(r.language or settings.default_language, settings.tz)
        message = Outgoing(
            render(t, names, ann.text),
            markdown=True,
            pin=ann.pin and r.person_id is None,
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
    ann.status, ann.queued_at = AnnouncementStatus.QUEUED, now
    s.add(ann)
    return len(chats), len(people)


@dataclass(frozen=True)
class Reach:
    """Where an announcement would go now: group chats, people privately, and the people of
    its audience it cannot reach privately (no linked account on a running platform)."""

    chats: int
    people: int
    missing: int


def reach_of(s: Session, ann: Announcement, settings: Settings) -> Reach:
    platforms = settings.active_platforms
    chats, people = recipients(s, ann.network_ids, ann.audience, ann.delivery, platforms)
    missing = (
        unreachable(s, ann.network_ids, ann.audience, platforms) if ann.delivery == "private" else 0
    )
    return Reach(len(chats), len(people), missing)


def unreached(t: Translator, missing: int) -> str:
    return t.tn(
        "{n} person in the audience has no linked account and will not get it privately.",
        "{n} people in the audience have no linked account and will not get it privately.",
        missing,
    )


RESTRICTED = N_(
    "Group chats include observers, so a restricted audience is reached privately only."
)


def preview(t: Translator, s: Session, ann: Announcement, settings: Settings) -> Outgoing:
    """What the author sees before confirming: whom it reaches, when, and the text."""
    where = reach_of(s, ann, settings)
    when = t("now") if ann.send_at is None else t.datetime(ann.send_at)
    lines = [
        t("📣 Announcement #{id} — preview", id=ann.id),
        t("Networks: {names}", names=networks_label(t, addressed_to(s, ann.network_ids))),
        t("Audience: {audience}", audience=label(t, AUDIENCE_LABEL, ann.audience)),
        t("Delivery: {delivery}", delivery=label(t, DELIVERY_LABEL, ann.delivery)),
        t("Pinned: {pinned}", pinned=t("yes") if ann.pin else t("no")),
        t("Sending: {when}", when=when),
        reach(t, where.chats, where.people),
    ]
    if where.missing:
        lines.append(unreached(t, where.missing))
    if ann.audience != "all":
        lines.append(t(RESTRICTED))
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


def reason_label(t: Translator, reason: str | None) -> str:
    """Why a copy was not delivered, in the reader's language: never the platform's words."""
    if not reason:
        return "—"
    failure = outbox.failure_of(reason)
    return t(
        {
            outbox.Failure.BLOCKED: N_("the bot was blocked or removed from the chat"),
            outbox.Failure.DEACTIVATED: N_("the account was deleted or deactivated"),
            outbox.Failure.CHAT_NOT_FOUND: N_("the chat no longer exists"),
            outbox.Failure.TOO_LONG: N_("the message is too long for the platform"),
            outbox.Failure.RETRIED: N_("the platform did not answer (retried)"),
            outbox.Failure.OTHER: N_("the platform refused the message"),
        }[failure]
    )


@dataclass(frozen=True)
class Copy:
    """One copy of an announcement: to a group chat or to a person."""

    kind: str  # chat | person
    who: str
    platform: str
    status: str  # sent | failed | pending
    reason: str  # why it failed, in the reader's words ("" unless failed)
    sent_at: datetime | None


@dataclass(frozen=True)
class Report:
    copies: list[Copy]
    counts: dict[tuple[str, str], int]  # (chat|person, sent|failed|pending) → how many


def report_of(s: Session, t: Translator, ann: Announcement) -> Report:
    """Every copy of the announcement and how it went: chats, then people, in Polish order
    (surname first)."""
    rows = outbox.for_announcement(s, ann.id or 0)
    people = directory.people_by_id(s, [r.person_id for r in rows if r.person_id])
    chats = {(c.platform, c.chat_id): c for c in directory.all_chats(s)}
    counts = {(kind, st): 0 for kind in ("chat", "person") for st in ("sent", "failed", "pending")}
    entries = []
    for row in rows:
        if row.person_id:
            person = people.get(row.person_id)
            who = person.display_name if person else f"#{row.person_id}"
            key = (True, *person_key(person.name if person else who))
        else:
            binding = chats.get((row.platform, row.chat_id))
            who = binding.title if binding and binding.title else row.chat_id
            key = (False, polish_key(who), b"")
        entries.append((key, who, row))
    entries.sort(key=lambda e: e[0])
    copies = []
    for _key, who, row in entries:
        kind = "person" if row.person_id else "chat"
        counts[(kind, row.status)] += 1
        reason = reason_label(t, row.last_error) if row.status == "failed" else ""
        copies.append(Copy(kind, who, row.platform, row.status, reason, row.sent_at))
    return Report(copies, counts)


# the platform as people know it, not by the bot's own id (the report's page and its CSV)
PLATFORM_NAME = {
    "telegram": N_("Telegram"),
    "teams": N_("Microsoft Teams"),
    "console": N_("console"),
}


def platform_name(t: Translator, platform: str) -> str:
    return t(PLATFORM_NAME[platform]) if platform in PLATFORM_NAME else platform


def status_labels(t: Translator) -> dict[str, str]:
    return {"sent": t("sent"), "failed": t("failed"), "pending": t("waiting")}


def delivery_report(s: Session, t: Translator, ann: Announcement) -> Outgoing:
    report = report_of(s, t, ann)
    labels = status_labels(t)
    buffer = io.StringIO()
    writer = SafeWriter(buffer, delimiter=";")
    writer.writerow([t("type"), t("recipient"), t("platform"), t("status"), t("reason"), t("time")])
    for copy in report.copies:
        writer.writerow(
            [
                t("chat") if copy.kind == "chat" else t("person"),
                copy.who,
                platform_name(t, copy.platform),
                labels[copy.status],
                copy.reason,
                t.short_datetime(copy.sent_at) if copy.sent_at else "",
            ]
        )
    counts = report.counts
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
        *(f"• {c.who}: {c.reason}" for c in report.copies if c.status == "failed"),
    ]
    content = ("\ufeff" + buffer.getvalue()).encode("utf-8")  # BOM: Excel reads UTF-8
    return Outgoing(
        "\n".join(lines), files=(File(f"raport_ogloszenia_{ann.id}.csv", content, "text/csv"),)
    )

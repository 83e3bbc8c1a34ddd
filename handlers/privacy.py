"""Data protection: a person sees everything stored about them, and can have it erased."""

from __future__ import annotations

import json
import logging
from datetime import datetime
from typing import Any

from core.i18n import Translator
from core.messages import Action as Button
from core.messages import File, Outgoing
from handlers.kit.args import Text, Words
from handlers.kit.context import Context
from handlers.kit.feature import Feature
from handlers.kit.labels import ROLE
from handlers.kit.registry import REGISTRY
from handlers.roster.office import tell_promoted
from models import privacy
from models.enums import Role
from models.errors import N_

FEATURE = Feature("privacy", jobs=True)

log = logging.getLogger("empirie.privacy")
CONFIRM_WORDS = ("potwierdzam", "confirm")

SECTION = {
    "person": N_("About you"),
    "accounts": N_("Linked accounts"),
    "roles": N_("Roles in the networks"),
    "answers": N_("Answers to meeting invitations"),
    "invitations": N_("Invitation codes issued for you"),
    "link_requests": N_("Requests to link another account"),
    "code_attempts": N_("Refused invitation-code attempts from your accounts"),
    "audit": N_("Changes about you and by you (audit log)"),
    "pending_messages": N_("Messages to you still waiting to be sent"),
    "created_meetings": N_("Meetings you created"),
    "created_announcements": N_("Announcements you wrote"),
    "issued_invitations": N_("Invitation codes you issued"),
    "bound_chats": N_("Group chats you bound to a network"),
    "polls": N_("Feedback polls you were asked (your answers are anonymous: not stored with you)"),
    "other": N_("Other records about you"),
}
FIELD = {
    "name": N_("name"),
    "position": N_("position"),
    "email": N_("e-mail"),
    "city": N_("city"),
    "office": N_("office"),
    "language": N_("language"),
    "created_at": N_("created"),
    "platform": N_("platform"),
    "external_id": N_("account id on the platform"),
    "username": N_("user name"),
    "linked_at": N_("linked"),
    "network": N_("network"),
    "role": N_("role"),
    "started_at": N_("since"),
    "ended_at": N_("until"),
    "meeting": N_("meeting"),
    "answer": N_("answer"),
    "waitlisted": N_("on the waitlist"),
    "note": N_("notes"),
    "answered_at": N_("answered"),
    "checked_in_at": N_("checked in"),
    "expires_at": N_("valid until"),
    "used_at": N_("used"),
    "voided_at": N_("voided"),
    "status": N_("status"),
    "decided_at": N_("decided"),
    "at": N_("when"),
    "what": N_("what happened"),
    "by": N_("by whom"),
    "details": N_("details"),
    "failures": N_("wrong codes"),
    "locked_until": N_("paused until"),
    "kind": N_("kind"),
    "text": N_("text"),
    "files": N_("files"),
    "starts_at": N_("starts"),
    "announcement": N_("announcement"),
    "for": N_("for whom"),
    "chat": N_("chat"),
    "bound_at": N_("bound"),
    "table": N_("record type"),
    "poll": N_("poll"),
    "progress": N_("questions answered or skipped so far"),
}

WHAT = {
    "invitation.issue": N_("invitation code issued"),
    "invitation.redeem": N_("invitation code used"),
    "invitation.unknown": N_("an unknown code was typed"),
    "invitation.reused": N_("a used code was typed"),
    "invitation.expired": N_("an expired code was typed"),
    "invitation.voided": N_("a cancelled code was typed"),
    "invitation.locked": N_("attempts paused after too many wrong codes"),
    "invitation.exposed": N_("a code shown in a group chat was cancelled"),
    "invitation.wrong_codes": N_("wrong codes in a row"),
    "role.grant": N_("role granted"),
    "role.end": N_("role ended"),
    "chat.bind": N_("chat bound to a network"),
    "chat.unbind": N_("chat unbound"),
    "account.relink_requested": N_("a new account asked to be linked"),
    "account.relink": N_("a new account linked"),
    "account.relink_refused": N_("a new account refused"),
}
STATUS = {
    "pending": N_("waiting"),
    "confirmed": N_("confirmed"),
    "refused": N_("refused"),
    "draft": N_("draft"),
    "scheduled": N_("scheduled"),
    "queued": N_("sent"),
    "cancelled": N_("cancelled"),
    "open": N_("still running"),
    "closed": N_("closed"),
}


def _value(t: Translator, key: str, value: Any) -> Any:
    if isinstance(value, datetime):
        return t.short_datetime(value)
    if isinstance(value, bool):
        return t("yes") if value else t("no")
    if key == "role" and value in set(Role):
        return t(ROLE[Role(value)])
    if key == "what" and value in WHAT:
        return t(WHAT[value])
    if key == "status" and value in STATUS:
        return t(STATUS[value])
    if isinstance(value, dict):
        fields: dict[str, Any] = value
        return {t(FIELD.get(k, k)): _value(t, k, v) for k, v in fields.items()}
    return value


def readable(t: Translator, data: dict[str, list[dict[str, Any]]]) -> dict[str, Any]:
    """Section and field names in the person's language, dates as people write them."""
    return {
        t(SECTION.get(section, section)): [
            {t(FIELD.get(k, k)): _value(t, k, v) for k, v in row.items() if v not in (None, "")}
            for row in rows
        ]
        for section, rows in data.items()
    }


@REGISTRY.command(
    "moje_dane", "my_data", summary=N_("everything stored about me, as a file"), scope="private"
)
async def my_data(ctx: Context) -> list[Outgoing]:
    me = ctx.require_person()
    with ctx.db.session() as s:
        data = readable(ctx.t, privacy.export(s, me.id or 0))
    content = json.dumps(data, ensure_ascii=False, indent=2, default=str).encode()
    reply = Outgoing(
        ctx.t("Everything I store about you is in the attached file."),
        files=(File(f"moje_dane_{me.id}.json", content, "application/json"),),
    )
    return ctx.privately([reply], say_so=True)  # a group only hears where it went


@REGISTRY.command(
    "usun_dane",
    "delete_my_data",
    summary=N_("erase my personal data"),
    args=Words(Text("answer", optional=True, limit=100)),
    usage="[potwierdzam]",
    example="/usun_dane potwierdzam",
    scope="private",
)
async def delete_my_data(ctx: Context, answer: str | None) -> list[Outgoing]:
    me = ctx.require_person()
    if not ctx.private:  # a destructive confirmation is never offered where others can press
        return [
            Outgoing(
                ctx.t(
                    "Erasing your data is done in our private chat: write /usun_dane to me there."
                )
            )
        ]
    if (answer or "").lower() not in CONFIRM_WORDS:
        return [
            Outgoing(
                ctx.t(
                    "This erases your name, position, e-mail, linked accounts and notes, and I will "
                    "no longer recognise you. Anonymous counts (e.g. how many attended a meeting) "
                    "stay. This cannot be undone. To confirm, type /usun_dane potwierdzam."
                ),
                actions=(Button(ctx.t("Erase my data"), "/usun_dane potwierdzam"),),
            )
        ]
    with ctx.db.session() as s:
        promoted = privacy.erase(s, me.id or 0, ctx.now)
        tell_promoted(s, ctx.settings, ctx.now, promoted)  # a freed seat goes to the next
    if promoted:
        ctx.wake_outbox()
    log.info("person.erased person=%s", me.id)
    return [Outgoing(ctx.t("Your personal data has been erased. Goodbye!"))]

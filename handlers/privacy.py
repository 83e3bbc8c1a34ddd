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
from handlers.meetings.render import ANSWER_LABEL
from handlers.roster.office import tell_promoted
from models import privacy
from models.enums import Office, Role
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
    "poll_state": N_("status"),
    "decided_at": N_("decided"),
    "at": N_("when"),
    "what": N_("what happened"),
    "by": N_("by whom"),
    "details": N_("details"),
    "failures": N_("wrong codes"),
    "locked_until": N_("paused until"),
    "text": N_("text"),
    "files": N_("files"),
    "starts_at": N_("starts"),
    "announcement": N_("announcement"),
    "for": N_("for whom"),
    "chat": N_("chat"),
    "bound_at": N_("bound"),
    "table": N_("record type"),
    "poll": N_("poll"),
    "office_title": N_("title of your office"),
    "progress": N_("questions answered or skipped so far"),
    "done": N_("finished"),
    "reminded": N_("reminder sent"),
    "option": N_("your vote"),
    "slot": N_("slot"),
    "topic": N_("topic"),
    "offer_expires_at": N_("offer valid until"),
    "called_at": N_("called in"),
    "joined_at": N_("joined the waitlist"),
    "city_name": N_("city"),
    "networks": N_("networks"),
    "decisions": N_("decisions"),
    "submitted_at": N_("sent"),
}
# the bot's bookkeeping (a form's step, the columns keeping one slot per city, a message's kind)
HIDDEN = {"step", "active_slot", "active_city", "kind"}
TABLE = {
    "join_request": N_("request to join a network"),
    "funding_follow": N_("funding call you follow"),
    "office_booking": N_("office-hours booking"),
    "office_waitlist": N_("place on an office-hours waitlist"),
    "poll_participant": N_("poll you were asked to answer"),
    "poll_vote": N_("your vote in a quick poll"),
}
OFFICE: dict[str, str] = {
    Office.MAYOR: N_("mayor or commune head"),
    Office.CITY_PRESIDENT: N_("city president"),
    Office.DEPUTY: N_("deputy mayor or president"),
    Office.OFFICIAL: N_("city official"),
}
LANGUAGE = {"pl": N_("Polish"), "en": N_("English")}
PLATFORM = {"telegram": "Telegram", "teams": "Microsoft Teams", "console": N_("console")}

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
    "open": N_("open"),
    "closed": N_("closed"),
    "accepted": N_("accepted"),
    "rejected": N_("rejected"),
    "expired": N_("expired"),
    "offered": N_("offered, waiting for an answer"),
    "booked": N_("booked"),
    "done": N_("held"),
    "no_show": N_("no-show"),
    "late_cancelled": N_("cancelled after the cutoff"),
    "declined": N_("offer declined"),
    "waiting": N_("waiting"),
    "gone": N_("left the waitlist"),
}
# values that are words of the bot's own, shown by what they mean
POLL_STATE = {"open": N_("still running"), "closed": N_("closed")}
LABELS: dict[str, dict[str, str]] = {
    "status": STATUS,
    "poll_state": POLL_STATE,
    "what": WHAT,
    "table": TABLE,
    "office": OFFICE,
    "language": LANGUAGE,
    "platform": PLATFORM,
    "answer": ANSWER_LABEL,
}


def _value(t: Translator, key: str, value: Any) -> Any:
    if isinstance(value, datetime):
        return t.short_datetime(value)
    if isinstance(value, bool):
        return t("yes") if value else t("no")
    if key == "role" and value in set(Role):
        return t(ROLE[Role(value)])
    if isinstance(value, str) and value in LABELS.get(key, {}):
        return t(LABELS[key][value])
    if key == "decisions" and isinstance(value, dict):  # network code: accepted | rejected
        return {code: t(STATUS.get(str(v), str(v))) for code, v in value.items()}
    if isinstance(value, dict):
        return _fields(t, value)
    return value


def _fields(t: Translator, row: dict[str, Any]) -> dict[str, Any]:
    return {
        t(FIELD.get(k, k)): _value(t, k, v)
        for k, v in row.items()
        if v not in (None, "") and k not in HIDDEN
    }


def readable(t: Translator, data: dict[str, list[dict[str, Any]]]) -> dict[str, Any]:
    """Section and field names in the person's language, dates as people write them, the
    bot's own words (statuses, answers, record types) by what they mean."""
    return {
        t(SECTION.get(section, section)): [_fields(t, row) for row in rows]
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
        files=(File(ctx.t("my_data_{id}.json", id=me.id), content, "application/json"),),
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

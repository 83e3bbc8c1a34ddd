"""Queueing messages for the outbox, in the caller's transaction (delivery lives in bot/)."""

from __future__ import annotations

import base64
from collections.abc import Callable, Sequence
from datetime import datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from sqlmodel import Session

from core.config import Settings
from core.i18n import Translator
from core.messages import Action, Outgoing, Target
from models import directory, outbox
from models.core import Person
from models.outbox import EDIT, PENDING, OutboxMessage

EDIT_DEBOUNCE = timedelta(seconds=5)  # at most one edit of a live message this often

# Renderers of live messages by their key's prefix ("meeting" for "meeting:12"): called by the
# outbox right before it sends an edit marked for a refresh (see `refresh_live`), with the
# language and time zone recorded in the mark; None keeps the text stored with the edit.
LiveRenderer = Callable[[Session, str, Translator, datetime], Outgoing | None]
LIVE_RENDERERS: dict[str, LiveRenderer] = {}


def register_live(prefix: str, renderer: LiveRenderer) -> None:
    LIVE_RENDERERS[prefix] = renderer


def to_payload(message: Outgoing, blob_ids: tuple[int, ...] = ()) -> dict[str, Any]:
    files: list[dict[str, Any]] = [{"blob": b} for b in blob_ids]
    files += [
        {"name": f.name, "mime": f.mime, "b64": base64.b64encode(f.content).decode()}
        for f in message.files
    ]
    return {
        "text": message.text,
        "markdown": message.markdown,
        "pin": message.pin,
        "actions": [_action(a) for a in message.actions],
        "files": files,
        **(
            {
                "poll": {
                    "ref": message.poll.ref,
                    "question": message.poll.question,
                    "options": list(message.poll.options),
                    "anonymous": message.poll.anonymous,
                }
            }
            if message.poll
            else {}
        ),
        **({"stop_poll": message.stop_poll} if message.stop_poll is not None else {}),
    }


def _action(action: Action) -> list[Any]:
    """[label, command(, url(, owner))]: positional, as Action's fields, shortest form."""
    spec: list[Any] = [action.label, action.command, action.url, action.owner]
    while len(spec) > 2 and spec[-1] is None:
        spec.pop()
    return spec


def enqueue(
    session: Session,
    target: Target,
    message: Outgoing,
    now: datetime,
    *,
    blob_ids: tuple[int, ...] = (),
    **meta: Any,
) -> OutboxMessage:
    """Queue a message in the caller's transaction: it is sent only if that commits."""
    return outbox.add(
        session,
        platform=target.platform,
        chat_id=target.chat_id,
        payload=to_payload(message, blob_ids),
        now=now,
        **meta,
    )


def enqueue_once(
    session: Session,
    target: Target,
    message: Outgoing,
    now: datetime,
    *,
    dedupe_key: str,
    **meta: Any,
) -> bool:
    """`enqueue` unless a message with this key was ever queued (e.g. a late catch-up of what
    was sent to others): False then."""
    row = outbox.add_once(
        session,
        platform=target.platform,
        chat_id=target.chat_id,
        payload=to_payload(message),
        now=now,
        dedupe_key=dedupe_key,
        **meta,
    )
    return row is not None


def enqueue_to_person(
    session: Session,
    person_id: int,
    settings: Settings,
    now: datetime,
    build: Callable[[Translator], Outgoing],
    **meta: Any,
) -> bool:
    """Queue a private message in the person's language on the first running platform where
    they have an account; False when they cannot be reached (or were erased)."""
    person = session.get(Person, person_id)
    if person is None or person.erased_at is not None:
        return False
    for platform in settings.active_platforms:
        account = directory.account_of(session, person_id, platform)
        if account is not None:
            t = Translator(person.language or settings.default_language, settings.tz)
            enqueue(
                session,
                Target(platform, account.external_id),
                build(t),
                now,
                person_id=person_id,
                **meta,
            )
            return True
    return False


def enqueue_edit(
    session: Session,
    target: Target,
    live_key: str,
    message: Outgoing,
    now: datetime,
    debounce: timedelta = EDIT_DEBOUNCE,
) -> OutboxMessage | None:
    """Edit the message queued under `live_key` in that chat (text and buttons), debounced.

    Not sent yet: the queued message itself is rewritten. An edit already waiting: it gets the
    new text (many changes, one edit). Otherwise a new edit is queued, no sooner than
    `debounce` after the previous one. None when there is nothing to edit."""
    original = outbox.live_original(session, target.platform, target.chat_id, live_key)
    if original is None or (original.status != PENDING and not original.sent_ids):
        return None
    payload = to_payload(message)
    idle = original.lease_until is None or original.lease_until < now
    if original.status == PENDING and original.parts_done == 0 and idle:
        original.payload = {
            **original.payload,
            "text": payload["text"],
            "markdown": payload["markdown"],
            "actions": payload["actions"],
        }
        session.add(original)
        return original
    edits = outbox.live_edits(session, target.platform, target.chat_id, live_key)
    waiting = next((e for e in edits if e.status == PENDING), None)
    if waiting is not None and (waiting.lease_until is None or waiting.lease_until < now):
        waiting.payload = payload
        session.add(waiting)
        return waiting
    last = max((e.sent_at or e.not_before for e in edits), default=None)
    not_before = max(now, last + debounce) if last is not None else now
    return outbox.add(
        session,
        platform=target.platform,
        chat_id=target.chat_id,
        payload=payload,
        now=now,
        kind=EDIT,
        live_key=live_key,
        not_before=not_before,
        network_id=original.network_id,
    )


def refresh_live(
    session: Session,
    live_key: str,
    now: datetime,
    build: Callable[[], Outgoing],
    language: str,
    tz: str,
) -> bool:
    """Mark the message kept live under `live_key` in every chat as out of date: its edit is
    rendered afresh when the outbox sends it (by the renderer registered for the key's
    prefix), so many changes cost one edit and one rendering, not one per change. Where an
    edit so marked is already waiting (not being sent), nothing is done; elsewhere `build()`
    (called at most once) is queued as with `enqueue_edit`, with the mark. Returns whether
    anything queued is due now (worth waking the outbox for; a debounced edit is not)."""
    targets = live_targets(session, live_key)
    if not targets:
        return False
    marked = outbox.waiting_edits(session, live_key, now)
    todo = [t for t in targets if (t.platform, t.chat_id) not in marked]
    if not todo:
        return False
    message = build()
    due = False
    for target in todo:
        row = enqueue_edit(session, target, live_key, message, now)
        if row is None:
            continue
        if row.kind == EDIT:
            row.payload = {**row.payload, "refresh": {"language": language, "tz": tz}}
            session.add(row)
        due = due or row.not_before <= now
    return due


def render_live(session: Session, row: OutboxMessage, now: datetime) -> Outgoing | None:
    """An edit marked by `refresh_live`, rendered now (None: send the text stored with it)."""
    spec = row.payload.get("refresh")
    key = row.live_key or ""
    renderer = LIVE_RENDERERS.get(key.split(":", 1)[0])
    if not isinstance(spec, dict) or renderer is None:
        return None
    t = Translator(str(spec.get("language", "pl")), ZoneInfo(str(spec.get("tz", "UTC"))))
    return renderer(session, key, t, now)


def live_targets(session: Session, live_key: str) -> list[Target]:
    """Every chat holding a message queued under this key (e.g. a meeting's groups)."""
    return [Target(platform, chat_id) for platform, chat_id in outbox.live_chats(session, live_key)]


def enqueue_to_people(
    session: Session,
    person_ids: Sequence[int],
    settings: Settings,
    now: datetime,
    build: Callable[[Translator], Outgoing],
    *,
    kind: str,
    dedupe: Callable[[int], str] | None = None,
    personal: Callable[[Translator, int], Outgoing] | None = None,
) -> int:
    """`enqueue_to_person` for many people at once (1,000 reminders due together): one lookup
    of their accounts, the message built once per language (or per person with `personal`),
    one bulk insert. Returns how many were queued (the unreachable and erased are skipped)."""
    found = directory.reachable(session, person_ids, settings.active_platforms)
    rows = rows_for_people(
        found, person_ids, settings, now, build, kind=kind, dedupe=dedupe, personal=personal
    )
    outbox.add_many(session, rows)
    return len(rows)


def reachable(
    session: Session, person_ids: Sequence[int], settings: Settings
) -> dict[int, tuple[str | None, str, str]]:
    """Where each person gets private messages (see models.directory.reachable): look it up
    once for a whole batch of fan-outs, then build each one's rows with `rows_for_people`."""
    return directory.reachable(session, person_ids, settings.active_platforms)


def rows_for_people(
    found: dict[int, tuple[str | None, str, str]],
    person_ids: Sequence[int],
    settings: Settings,
    now: datetime,
    build: Callable[[Translator], Outgoing],
    *,
    kind: str,
    dedupe: Callable[[int], str] | None = None,
    personal: Callable[[Translator, int], Outgoing] | None = None,
) -> list[dict[str, Any]]:
    """Outbox rows of one message to these people (each once; those not in `found` skipped),
    to be queued with `queue_rows` in the caller's transaction."""
    payloads: dict[str, dict[str, Any]] = {}
    rows = []
    for person_id in dict.fromkeys(person_ids):
        if person_id not in found:
            continue
        language, platform, external_id = found[person_id]
        language = language or settings.default_language
        if personal is not None:
            payload = to_payload(personal(Translator(language, settings.tz), person_id))
        else:
            if language not in payloads:
                payloads[language] = to_payload(build(Translator(language, settings.tz)))
            payload = payloads[language]
        rows.append(
            {
                "created_at": now,
                "platform": platform,
                "chat_id": external_id,
                "payload": payload,
                "person_id": person_id,
                "kind": kind,
                "dedupe_key": dedupe(person_id) if dedupe else None,
                "not_before": now,
            }
        )
    return rows


def queue_rows(session: Session, rows: list[dict[str, Any]]) -> int:
    """Queue rows made by `rows_for_people` (of many fan-outs) in one bulk insert."""
    outbox.add_many(session, rows)
    return len(rows)

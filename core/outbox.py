"""Queueing messages for the outbox, in the caller's transaction (delivery lives in bot/)."""

from __future__ import annotations

import base64
from collections.abc import Callable
from datetime import datetime
from typing import Any

from sqlmodel import Session

from core.config import Settings
from core.i18n import Translator
from core.messages import Action, Outgoing, Target
from models import directory, outbox
from models.core import Person
from models.outbox import OutboxMessage


def to_payload(message: Outgoing, blob_ids: tuple[int, ...] = ()) -> dict[str, Any]:
    files: list[dict[str, Any]] = [{"blob": b} for b in blob_ids]
    files += [{"name": f.name, "mime": f.mime, "b64": base64.b64encode(f.content).decode()}
              for f in message.files]
    return {"text": message.text, "markdown": message.markdown, "pin": message.pin,
            "actions": [_action(a) for a in message.actions], "files": files,
            **({"poll": {"ref": message.poll.ref, "question": message.poll.question,
                         "options": list(message.poll.options),
                         "anonymous": message.poll.anonymous}} if message.poll else {})}


def _action(action: Action) -> list[Any]:
    """[label, command(, url(, owner))]: positional, as Action's fields, shortest form."""
    spec: list[Any] = [action.label, action.command, action.url, action.owner]
    while len(spec) > 2 and spec[-1] is None:
        spec.pop()
    return spec


def enqueue(session: Session, target: Target, message: Outgoing, now: datetime, *,
            blob_ids: tuple[int, ...] = (), **meta: Any) -> OutboxMessage:
    """Queue a message in the caller's transaction: it is sent only if that commits."""
    return outbox.add(session, platform=target.platform, chat_id=target.chat_id,
                      payload=to_payload(message, blob_ids), now=now, **meta)


def enqueue_to_person(session: Session, person_id: int, settings: Settings, now: datetime,
                      build: Callable[[Translator], Outgoing], **meta: Any) -> bool:
    """Queue a private message in the person's language on the first running platform where
    they have an account; False when they cannot be reached (or were erased)."""
    person = session.get(Person, person_id)
    if person is None or person.erased_at is not None:
        return False
    for platform in settings.active_platforms:
        account = directory.account_of(session, person_id, platform)
        if account is not None:
            t = Translator(person.language or settings.default_language, settings.tz)
            enqueue(session, Target(platform, account.external_id), build(t), now,
                    person_id=person_id, **meta)
            return True
    return False

"""State of guided, multi-step commands, kept in the store so a restart loses nothing."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlmodel import Session, select

from models.core import Conversation


def current(session: Session, platform: str, chat_id: str, person_id: int) -> Conversation | None:
    return session.exec(
        select(Conversation).where(
            Conversation.platform == platform,
            Conversation.chat_id == chat_id,
            Conversation.person_id == person_id,
        )
    ).first()


def start(
    session: Session,
    platform: str,
    chat_id: str,
    person_id: int,
    flow: str,
    step: str,
    data: dict[str, Any],
    now: datetime,
) -> Conversation:
    conv = current(session, platform, chat_id, person_id)
    if conv is None:
        conv = Conversation(
            platform=platform,
            chat_id=chat_id,
            person_id=person_id,
            flow=flow,
            step=step,
            data=data,
            updated_at=now,
        )
    else:
        conv.flow, conv.step, conv.data, conv.updated_at = flow, step, data, now
    session.add(conv)
    return conv


def advance(
    session: Session, conv: Conversation, step: str, data: dict[str, Any], now: datetime
) -> None:
    conv.step, conv.data, conv.updated_at = step, dict(data), now
    session.add(conv)


def finish(session: Session, platform: str, chat_id: str, person_id: int) -> bool:
    conv = current(session, platform, chat_id, person_id)
    if conv is None:
        return False
    session.delete(conv)
    return True

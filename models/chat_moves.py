"""A chat that lives on under a new id (a Telegram group upgraded to a supergroup): everything
keyed by the old id follows it, in one transaction."""

from __future__ import annotations

from datetime import datetime

from sqlmodel import Session, col, select, update

from models import audit, outbox
from models.core import ActionToken, ChatBinding, Conversation, Network


def move_chat(
    session: Session, platform: str, old_chat_id: str, new_chat_id: str, now: datetime
) -> Network | None:
    """Move the binding, queued messages, button tokens and guided conversations; returns the
    network the chat is bound to (None: not bound)."""
    if old_chat_id == new_chat_id:
        return None
    old = session.exec(
        select(ChatBinding).where(
            ChatBinding.platform == platform, ChatBinding.chat_id == old_chat_id
        )
    ).first()
    new = session.exec(
        select(ChatBinding).where(
            ChatBinding.platform == platform, ChatBinding.chat_id == new_chat_id
        )
    ).first()
    network_id = new.network_id if new is not None else old.network_id if old else None
    if old is not None and new is None:
        old.chat_id = new_chat_id
        session.add(old)
    elif old is not None:
        session.delete(old)
    moved = outbox.move_chat(session, platform, old_chat_id, new_chat_id)
    for model in (ActionToken, Conversation):
        session.execute(
            update(model)
            .where(col(model.platform) == platform, col(model.chat_id) == old_chat_id)
            .values(chat_id=new_chat_id)
        )
    audit.record(
        session,
        now,
        None,
        "chat.moved",
        f"chat:{platform}:{old_chat_id}",
        to=new_chat_id,
        outbox_rows=moved,
    )
    return session.get(Network, network_id) if network_id is not None else None

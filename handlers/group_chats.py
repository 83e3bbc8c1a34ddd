"""The bot's own life in group chats: a short hello when added, following a chat that moves."""

from __future__ import annotations

import logging

from core.messages import Outgoing
from handlers.kit.context import Context
from handlers.kit.feature import Feature
from models.chat_moves import move_chat

FEATURE = Feature("group_chats")

log = logging.getLogger("empirie.groups")


async def bot_added(ctx: Context) -> list[Outgoing]:
    """One short hello: what the group gets from the bot and how to bind it."""
    t = ctx.t
    if ctx.network is not None:
        return [
            Outgoing(
                t(
                    "Hello again! This group is bound to the network {network}: I post "
                    "meetings, changes and announcements here. Personal answers come "
                    "in a private chat with me.",
                    network=ctx.network.name,
                )
            )
        ]
    return [
        Outgoing(
            t(
                "Hello! I am the EMPIRIE networks bot. A coordinator binds this group "
                "to its network with /polacz <code>, e.g. /polacz cyfrowe (/sieci lists "
                "the codes). Then I post meetings, changes and announcements here; "
                "personal answers come in a private chat with me."
            )
        )
    ]


async def chat_moved(ctx: Context, new_chat_id: str) -> list[Outgoing]:
    """The group now lives under a new id: keep its network, queued messages and buttons."""
    chat = ctx.incoming.chat
    with ctx.db.session() as s:
        network = move_chat(s, chat.platform, chat.chat_id, new_chat_id, ctx.now)
    log.info(
        "chat.moved platform=%s old=%s new=%s network=%s",
        chat.platform,
        chat.chat_id,
        new_chat_id,
        network.code if network else None,
    )
    ctx.wake_outbox()
    return []

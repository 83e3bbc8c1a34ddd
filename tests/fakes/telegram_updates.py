"""Updates in the Bot API's documented JSON shapes (https://core.telegram.org/bots/api#update)."""

from __future__ import annotations

import itertools
import time
from typing import Any

from tests.fakes.telegram_api import BOT_ID

_message_ids = itertools.count(50_000)


def user(
    user_id: int, first_name: str = "Jan", username: str | None = None, language_code: str = "pl"
) -> dict[str, Any]:
    data: dict[str, Any] = {
        "id": user_id,
        "is_bot": False,
        "first_name": first_name,
        "language_code": language_code,
    }
    if username:
        data["username"] = username
    return data


def private_chat(user_id: int, first_name: str = "Jan") -> dict[str, Any]:
    return {"id": user_id, "type": "private", "first_name": first_name}


def group_chat(chat_id: int, title: str = "EMPIRIE – Miasto Cyfrowe") -> dict[str, Any]:
    return {"id": chat_id, "type": "supergroup", "title": title}


def message(sender: dict[str, Any], chat: dict[str, Any], text: str) -> dict[str, Any]:
    msg: dict[str, Any] = {
        "message_id": next(_message_ids),
        "from": sender,
        "chat": chat,
        "date": int(time.time()),
        "text": text,
    }
    if text.startswith("/"):
        msg["entities"] = [{"type": "bot_command", "offset": 0, "length": len(text.split()[0])}]
    return {"message": msg}


def callback(
    sender: dict[str, Any], chat: dict[str, Any], data: str, message_id: int = 1
) -> dict[str, Any]:
    return {
        "callback_query": {
            "id": str(next(_message_ids)),
            "from": sender,
            "chat_instance": "ci-1",
            "data": data,
            "message": {
                "message_id": message_id,
                "date": int(time.time()),
                "chat": chat,
                "from": {"id": BOT_ID, "is_bot": True, "first_name": "EMPIRIE"},
                "text": "…",
            },
        }
    }


def bot_membership(
    sender: dict[str, Any], chat: dict[str, Any], old: str, new: str
) -> dict[str, Any]:
    bot = {"id": BOT_ID, "is_bot": True, "first_name": "EMPIRIE"}

    def member(status: str) -> dict[str, Any]:
        if status == "kicked":
            return {"status": "kicked", "user": bot, "until_date": 0}
        if status == "administrator":
            return {
                "status": "administrator",
                "user": bot,
                "can_be_edited": False,
                "is_anonymous": False,
                "can_manage_chat": True,
                "can_delete_messages": True,
                "can_manage_video_chats": False,
                "can_restrict_members": False,
                "can_promote_members": False,
                "can_change_info": False,
                "can_invite_users": True,
                "can_post_stories": False,
                "can_edit_stories": False,
                "can_delete_stories": False,
                "can_pin_messages": True,
            }
        return {"status": status, "user": bot}

    return {
        "my_chat_member": {
            "chat": chat,
            "from": sender,
            "date": int(time.time()),
            "old_chat_member": member(old),
            "new_chat_member": member(new),
        }
    }


def document(
    sender: dict[str, Any],
    chat: dict[str, Any],
    file_id: str,
    name: str,
    size: int,
    caption: str = "",
    mime: str = "application/pdf",
) -> dict[str, Any]:
    msg: dict[str, Any] = {
        "message_id": next(_message_ids),
        "from": sender,
        "chat": chat,
        "date": int(time.time()),
        "document": {
            "file_id": file_id,
            "file_unique_id": f"u-{file_id}",
            "file_name": name,
            "mime_type": mime,
            "file_size": size,
        },
    }
    if caption:
        msg["caption"] = caption
    return {"message": msg}


def poll_answer(sender: dict[str, Any], poll_id: str, option_ids: list[int]) -> dict[str, Any]:
    """A vote in a non-anonymous poll the bot sent (empty options: the vote was retracted)."""
    return {
        "poll_answer": {
            "poll_id": poll_id,
            "user": sender,
            "option_ids": option_ids,
            "option_persistent_ids": [f"opt-{n}" for n in option_ids],
        }
    }

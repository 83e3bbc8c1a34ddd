"""What a feedback poll leaves about each person besides its marker, removed when it closes.

While a poll runs, answering needs per person more than the marker (models.feedback): the
guided-answer state (which question is next), the buttons of the questions sent (tokens that
map back to `/ankieta <poll> <question> <value>`) and the messages themselves in the outbox
(the question someone is on, a reminder to those not finished, the thanks at the end). Each of
them says how far a person got and when, which, beside the per-question counts, can tell who
wrote which open answer. At closing they are deleted, pending or sent: a closed poll asks
nothing more, and nobody needs the history of its questions.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import delete, or_
from sqlmodel import Session, col, select

from models.core import Account, ActionToken, Conversation
from models.outbox import OutboxMessage


def _chats(s: Session, person_ids: Sequence[int]) -> set[tuple[str, str]]:
    """The people's private chats: on every platform, keyed by their account's id."""
    if not person_ids:
        return set()
    return {
        (a.platform, a.external_id)
        for a in s.exec(select(Account).where(col(Account.person_id).in_(person_ids))).all()
    }


def _about_the_poll(payload: dict[str, Any], commands: tuple[str, ...], title: str) -> bool:
    """A message with one of the poll's buttons, or one that names the poll."""
    for action in payload.get("actions", []):
        command = str(action[1]) if len(action) > 1 and action[1] else ""
        if any(command == c or command.startswith(c + " ") for c in commands):
            return True
    return bool(title) and title in str(payload.get("text", ""))


def forget(
    s: Session,
    poll_id: int,
    person_ids: Sequence[int],
    since: datetime,
    *,
    flow: str,
    commands: tuple[str, ...],
    title: str,
) -> dict[str, int]:
    """Delete the per-person traces of poll `poll_id`: the guided-answer state of `flow` on
    it, the buttons whose command is one of `commands` (or starts with one and a space), and
    the messages to the people asked since `since` that carry such a button or the poll's
    `title`. Returns how many rows of each went."""
    people = sorted(set(person_ids))
    gone = {"conversation": 0, "action_token": 0, "outbox_message": 0}
    if people:
        for conv in s.exec(
            select(Conversation).where(
                col(Conversation.person_id).in_(people), Conversation.flow == flow
            )
        ).all():
            if conv.data.get("poll") == poll_id:
                s.delete(conv)
                gone["conversation"] += 1
    if commands:
        result = s.execute(
            delete(ActionToken).where(
                or_(
                    *[col(ActionToken.payload) == c for c in commands],
                    *[
                        col(ActionToken.payload).startswith(c + " ", autoescape=True)
                        for c in commands
                    ],
                )
            )
        )
        gone["action_token"] = int(result.rowcount)  # type: ignore[attr-defined]
    chats = _chats(s, people)
    if not people:
        return gone
    addressed = [col(OutboxMessage.person_id).in_(people)]
    if chats:
        addressed.append(col(OutboxMessage.chat_id).in_(sorted({c for _p, c in chats})))
    for row in s.exec(
        select(OutboxMessage).where(col(OutboxMessage.created_at) >= since, or_(*addressed))
    ).all():
        mine = row.person_id in people or (row.platform, row.chat_id) in chats
        if mine and _about_the_poll(row.payload, commands, title):
            s.delete(row)
            gone["outbox_message"] += 1
    s.flush()
    return gone

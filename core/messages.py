"""The neutral event and message types every transport maps to and from."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum


@dataclass(frozen=True)
class Sender:
    platform: str
    user_id: str
    username: str | None = None
    display_name: str | None = None
    language_hint: str | None = None  # what the platform says; the person's choice wins


@dataclass(frozen=True)
class ChatRef:
    platform: str
    chat_id: str
    private: bool
    title: str | None = None


class EventKind(StrEnum):
    TEXT = "text"  # typed text or command
    ACTION = "action"  # a button press; `text` holds the command the button stands for
    BOT_REMOVED = "bot_removed"  # the bot was removed from the chat
    POLL_ANSWER = "poll_answer"  # a vote in a native poll: `text` is "<poll id> <option ids>"


@dataclass(frozen=True)
class File:
    name: str
    content: bytes
    mime: str = "application/octet-stream"


@dataclass(frozen=True)
class Incoming:
    sender: Sender
    chat: ChatRef
    kind: EventKind = EventKind.TEXT
    text: str = ""
    event_id: str | None = None  # platform's id, for exactly-once handling of redeliveries
    files: tuple[File, ...] = ()  # attachments sent with the message


@dataclass(frozen=True)
class Action:
    """A button. `command` is the typed command it stands for, e.g. `/rsvp 12 online`.

    `url`, when set, is a signed link to a page of ours (core.links) doing the same. Platforms
    without working buttons (Teams through Graph) show it as a link card (Action.OpenUrl)
    beside the typed command. An action with a `url` and no `command` is a pure link: Telegram
    shows a URL button, the console prints the address.

    `owner`: the person the button acts for; pressed by anyone else it is refused. Replies
    get the caller as owner (bot.router); a shared button (RSVP under a group invitation) has
    none."""

    label: str
    command: str = ""
    url: str | None = None
    owner: int | None = None

    @property
    def is_link(self) -> bool:
        """A pure link (nothing to press in the chat itself)."""
        return self.url is not None and not self.command


@dataclass(frozen=True)
class Target:
    """Where a message goes: a chat on a platform (a private chat is the person's account)."""

    platform: str
    chat_id: str


@dataclass(frozen=True)
class PollSpec:
    """A native poll where the platform has one (Telegram); elsewhere the message's text and
    buttons stand in. `ref` is our poll's id, so the platform's answers find their way back."""

    ref: int
    question: str
    options: tuple[str, ...]
    anonymous: bool = True


@dataclass(frozen=True)
class Outgoing:
    text: str
    actions: tuple[Action, ...] = ()
    files: tuple[File, ...] = ()
    to: Target | None = None  # None: the chat the request came from
    markdown: bool = False  # text uses the small formatting subset: **bold**, [link](url), lists
    pin: bool = False
    poll: PollSpec | None = None

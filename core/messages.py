"""The neutral event and message types every transport maps to and from.

Three conventions every transport follows (console, Telegram, Teams, answer pages):

* **Acknowledging a button press.** For an `EventKind.ACTION` event the router returns exactly
  one reply with `ack=True`, first in the list, short (≤ `TOAST_LIMIT` characters). It answers
  the presser only: Telegram shows it as the callback answer's toast, the console prints it as
  a toast line, an answer page shows it as the page's result; a platform without a private
  acknowledgement sends it privately to the presser. It is never posted in a group. Any other
  reply to a press that was made in a group is already addressed privately to the presser
  (`to` set), so nothing is posted in the group per press. In a private chat (the presser's
  own) the replies are posted there as well, and the toast repeats their first line.
* **Parts.** A platform delivers an `Outgoing` as `parts(message, max_text)`: text chunks
  (buttons on the last one), then each file, then the pin of the first text part. The outbox
  sends them one at a time, remembers how many went out and the platform's message ids, and
  resumes after the last one sent, so each part reaches the chat exactly once.
* **Live messages.** A message queued with a `live_key` (e.g. a meeting's invitation in a
  group) can later be edited in place (`core.outbox.enqueue_edit`): the outbox asks the
  transport to replace the text and buttons of the part that carried the buttons, debounced.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from dataclasses import dataclass
from enum import StrEnum

from core.formatting import split

WEB = "web"  # the neutral platform of what a person does on a page (bot/pages, the desk)


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
    BOT_ADDED = "bot_added"  # the bot was added to a group chat
    CHAT_MOVED = "chat_moved"  # the chat lives on under a new id, given in `text`
    POLL_ANSWER = "poll_answer"  # a vote in a native poll: `text` is "<poll id> <option ids>"


@dataclass(frozen=True)
class File:
    name: str
    content: bytes
    mime: str = "application/octet-stream"

    @staticmethod
    def later(name: str, build: Callable[[], bytes], mime: str) -> File:
        """A file whose content is built when it is first read (once), e.g. a booking's .ics:
        the handler returns it inside the transaction that holds a lock, and it is built when
        the reply is sent or queued, after that transaction has committed. `build` must use
        only values it captured (not a database session)."""
        return _Later(name, build, mime)


class _Later(File):
    """File.later: `content` is built on first read; otherwise a File like any other."""

    _build: Callable[[], bytes] | None
    _built: bytes | None
    _lock: threading.Lock

    def __init__(
        self,
        name: str,
        build: Callable[[], bytes] | None = None,
        mime: str = "application/octet-stream",
        content: bytes | None = None,  # dataclasses.replace passes the built content
    ) -> None:
        object.__setattr__(self, "name", name)
        object.__setattr__(self, "mime", mime)
        object.__setattr__(self, "_build", build)
        object.__setattr__(self, "_built", content)
        object.__setattr__(self, "_lock", threading.Lock())

    @property
    def content(self) -> bytes:
        with self._lock:
            built = self._built
            if built is None:
                assert self._build is not None
                built = self._build()
                object.__setattr__(self, "_built", built)
            return built


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
    ack: bool = False  # the answer to a button press, shown to the presser only (see above)
    poll: PollSpec | None = None
    stop_poll: int | None = None  # our poll whose native poll (if one was sent) stops now


TOAST_LIMIT = 190  # Telegram's callback answer takes 200 characters


@dataclass(frozen=True)
class Part:
    """One platform message of an `Outgoing`: "text" (a chunk; buttons on the last chunk),
    "poll" (a native poll, where the platform has them), "file" (one attachment), "pin"
    (pin the first text part, whose id is `ref`) or "stop_poll" (stop the native poll of our
    poll `ref`: no more votes)."""

    kind: str
    text: str = ""
    markdown: bool = False
    actions: tuple[Action, ...] = ()
    file: File | None = None
    ref: str | None = None
    poll: PollSpec | None = None


def parts(message: Outgoing, max_text: int, native_polls: bool = False) -> list[Part]:
    """The parts a message is delivered as, in order; the pin needs the first text part's id,
    which the sender fills in as `ref`. With `native_polls` a message's poll is its own part
    and replaces the buttons."""
    chunks = split(message.text, max_text) if message.text else []
    poll = message.poll if native_polls else None
    buttons = () if poll is not None else message.actions
    out = [
        Part("text", chunk, message.markdown, buttons if i == len(chunks) - 1 else ())
        for i, chunk in enumerate(chunks)
    ]
    if poll is not None:
        out.append(Part("poll", poll=poll))
    out += [Part("file", file=f) for f in message.files]
    if message.pin and chunks:
        out.append(Part("pin"))
    if native_polls and message.stop_poll is not None:  # last: the parts before keep their ids
        out.append(Part("stop_poll", ref=str(message.stop_poll)))
    return out

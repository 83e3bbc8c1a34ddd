"""The command table: Polish names, English aliases, the handler, and what /pomoc shows."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass

from core.messages import Outgoing
from handlers.kit.context import Context
from handlers.kit.permissions import Action
from models.core import Conversation

Handler = Callable[[Context, str], Awaitable[list[Outgoing]]]
FlowHandler = Callable[[Context, Conversation, str], Awaitable[list[Outgoing]]]
# Plain text from someone the bot does not know, in a private chat (e.g. a join request being
# filled in); None: not theirs to answer.
StrangerHandler = Callable[[Context, str], Awaitable[list[Outgoing] | None]]


@dataclass(frozen=True)
class Command:
    name: str
    aliases: tuple[str, ...]
    handler: Handler
    summary: str  # catalogue message id
    usage: str = ""
    action: Action | None = None  # what /pomoc checks before listing it
    hidden: bool = False  # reachable, not listed (e.g. button targets)
    scope: str = "any"  # where platform menus offer it: any | private | group


class Registry:
    def __init__(self) -> None:
        self._commands: dict[str, Command] = {}
        self._flows: dict[str, FlowHandler] = {}
        self._strangers: list[StrangerHandler] = []

    def command(
        self,
        name: str,
        *aliases: str,
        summary: str,
        usage: str = "",
        action: Action | None = None,
        hidden: bool = False,
        scope: str = "any",
    ) -> Callable[[Handler], Handler]:
        def register(handler: Handler) -> Handler:
            cmd = Command(name, aliases, handler, summary, usage, action, hidden, scope)
            for key in (name, *aliases):
                if key in self._commands:
                    raise ValueError(f"command /{key} registered twice")
                self._commands[key] = cmd
            return handler

        return register

    def flow(self, name: str) -> Callable[[FlowHandler], FlowHandler]:
        def register(handler: FlowHandler) -> FlowHandler:
            self._flows[name] = handler
            return handler

        return register

    def stranger(self, handler: StrangerHandler) -> StrangerHandler:
        self._strangers.append(handler)
        return handler

    def stranger_handlers(self) -> list[StrangerHandler]:
        return list(self._strangers)

    def lookup(self, name: str) -> Command | None:
        return self._commands.get(name.lower())

    def flow_handler(self, name: str) -> FlowHandler | None:
        return self._flows.get(name)

    def commands(self) -> list[Command]:
        """Each command once, in registration order."""
        return list(dict.fromkeys(self._commands.values()))


REGISTRY = Registry()

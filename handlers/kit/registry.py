"""The command table. A command declares, on itself, everything the router needs:

    @command(
        "dyzur_odwolaj", "office_cancel",
        summary=N_("cancel your city's office-hours booking"),
        args=Words(Id("session")), example="/dyzur_odwolaj 12",
        action=Action.BOOK_OFFICE_HOURS, private=True,
    )
    async def cancel(ctx: Context, session: int) -> list[Outgoing]: ...

- `args`: the declared arguments (handlers.kit.args); the handler gets the parsed values by
  name. A command without `args` takes nothing after its name.
- `action`: the permission the caller must hold in some network to use it at all; the router
  refuses everyone else before parsing anything (and /pomoc lists only what the caller may use).
  The handler still checks the action in the network it acts on (objects.fetch, ctx.require).
- `private`: the answer (and a refusal) goes to the caller's private chat, never to a group.
- `when_empty`: typed with nothing after it, this runs instead (a guided form, a list).
- `refusal`: what the gate says instead of the generic "you may not use /x".
- `english`: the name shown to English readers when it is not the first alias (`/start`,
  `/rsvp`); the other aliases work as well, in any language.
- `newcomers`: for people the bot does not know yet (`/start <kod>`, `/zglos`): /pomoc leaves it
  out for everyone it knows.
"""

from __future__ import annotations

import inspect
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

from core.messages import Outgoing
from handlers.kit.args import BadArgs, Fields, Spec
from handlers.kit.context import Context
from handlers.kit.labels import ROLE
from handlers.kit.permissions import Action, holders
from models.core import Conversation, Network
from models.errors import N_, DomainError

Handler = Callable[..., Awaitable[list[Outgoing]]]
FlowHandler = Callable[[Context, Conversation, str], Awaitable[list[Outgoing]]]
# Plain text from someone the bot does not know, in a private chat (e.g. a join request being
# filled in); None: not theirs to answer.
StrangerHandler = Callable[[Context, str], Awaitable[list[Outgoing] | None]]
# Why the gate refused: a message id, or a function of the caller for a refusal that depends on
# who they are (e.g. an observer city asking for the expert's office hours).
Refusal = str | Callable[[Context], DomainError]
USAGE = N_("Usage: {usage}\nFor example: {example}")


@dataclass(frozen=True, eq=False)  # one object per command: compared and hashed by identity
class Command:
    name: str
    aliases: tuple[str, ...]
    handler: Handler
    summary: str  # catalogue message id
    args: Spec | None = None
    usage: str = ""  # catalogue id; defaults to what `args` declares
    example: str = ""  # a complete example, shown with the usage when the input does not fit
    action: Action | tuple[Action, ...] | None = None  # several: any one of them will do
    private: bool = False
    hidden: bool = False  # reachable, not listed (e.g. button targets)
    scope: str = "any"  # where platform menus offer it: any | private | group
    when_empty: Handler | None = None
    refusal: Refusal = ""
    english: str = ""
    newcomers: bool = False

    def called(self, language: str) -> str:
        """The name people of this language are shown (all names work in every language)."""
        if language == "en":
            return self.english or (self.aliases[0] if self.aliases else self.name)
        return self.name

    def usage_text(self, t: Callable[..., str]) -> str:
        if self.usage:
            return t(self.usage)
        return self.args.usage(t) if self.args is not None else ""

    def parse(self, ctx: Context, text: str) -> dict[str, Any]:
        """The declared values, or a DomainError with the usage and the example."""
        if self.args is None:
            return {}
        try:
            return self.args.parse(text, ctx)
        except BadArgs:
            raise self.usage_error(ctx) from None

    def usage_error(self, ctx: Context) -> DomainError:
        name = self.called(ctx.t.language)
        usage = f"/{name} {self.usage_text(ctx.t)}".rstrip()
        example = self.example or f"/{self.name}"
        if example == f"/{self.name}" or example.startswith(f"/{self.name} "):
            example = f"/{name}{example[len(self.name) + 1 :]}"  # the same name as the usage
        return DomainError(USAGE, usage=usage, example=example)

    async def run(self, ctx: Context, text: str) -> list[Outgoing]:
        if self.when_empty is not None and not text.strip():
            return await self.when_empty(ctx)
        return await self.handler(ctx, **self.parse(ctx, text))

    async def run_fields(self, ctx: Context, answers: list[str]) -> list[Outgoing]:
        """Run a `Fields` command with its values given one by one (a guided form): an
        answer is taken whole, `;` and all, never joined into a line and split again."""
        assert isinstance(self.args, Fields), self.name
        try:
            values = self.args.read_parts(answers, ctx)
        except BadArgs:
            raise self.usage_error(ctx) from None
        return await self.handler(ctx, **values)

    @property
    def actions(self) -> tuple[Action, ...]:
        """The rights that open this command (any one of them); none: open to everyone."""
        if self.action is None:
            return ()
        return self.action if isinstance(self.action, tuple) else (self.action,)

    def usable(self, ctx: Context, networks: list[Network]) -> bool:
        """May the caller use it in one of these networks (what /pomoc lists)?"""
        return not self.actions or any(ctx.can(a, n) for a in self.actions for n in networks)

    def gate(self, ctx: Context) -> None:
        """Refuse, before anything is parsed, whoever may not use this command anywhere."""
        if not self.actions:
            return
        ctx.require_person()
        if any(ctx.can_anywhere(action) for action in self.actions):
            return
        if callable(self.refusal):
            raise self.refusal(ctx)
        if self.refusal:
            raise DomainError(self.refusal)
        if ctx.network is not None:
            ctx.require(self.actions[0], ctx.network)
        held = dict.fromkeys(role for action in self.actions for role in holders(action))
        roles = ", ".join(ctx.t(ROLE[role]) for role in held)
        raise DomainError(
            N_("You have no right to use /{name}: it is for {roles}."), name=self.name, roles=roles
        )


def _check_signature(cmd: Command) -> None:
    """The handler takes exactly the declared values (by name), so a typo fails at import."""
    declared = [a.name for a in cmd.args.args] if cmd.args is not None else []
    params = list(inspect.signature(cmd.handler).parameters)[1:]  # after ctx
    if params != declared:
        raise TypeError(f"/{cmd.name}: handler takes {params}, the command declares {declared}")


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
        args: Spec | None = None,
        usage: str = "",
        example: str = "",
        action: Action | tuple[Action, ...] | None = None,
        private: bool = False,
        hidden: bool = False,
        scope: str = "any",
        when_empty: Handler | None = None,
        refusal: Refusal = "",
        english: str = "",
        newcomers: bool = False,
    ) -> Callable[[Handler], Handler]:
        def register(handler: Handler) -> Handler:
            cmd = Command(
                name,
                aliases,
                handler,
                summary,
                args,
                usage,
                example,
                action,
                private,
                hidden,
                scope,
                when_empty,
                refusal,
                english,
                newcomers,
            )
            _check_signature(cmd)
            if english and english not in (name, *aliases):
                raise ValueError(f"/{name}: the English name /{english} is not one of its names")
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

    def called(self, name: str, language: str) -> str:
        """`/name` as a reader of `language` is shown it (`/strona`, in English `/my_page`)."""
        cmd = self.lookup(name)
        return f"/{cmd.called(language) if cmd is not None else name}"

    def flow_handler(self, name: str) -> FlowHandler | None:
        return self._flows.get(name)

    def commands(self) -> list[Command]:
        """Each command once, in registration order."""
        return list(dict.fromkeys(self._commands.values()))


REGISTRY = Registry()
command = REGISTRY.command
flow = REGISTRY.flow
stranger = REGISTRY.stranger

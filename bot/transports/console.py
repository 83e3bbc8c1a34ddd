"""The local chat in a terminal: pick who you are and which network chat you are in.

Works interactively and with piped stdin, so scripted scenarios can drive the bot.
"""

from __future__ import annotations

import asyncio
import logging
import mimetypes
import sys
from dataclasses import replace
from pathlib import Path
from typing import TextIO

from bot.pacing import Limits, Pacer
from bot.router import Router, parse_command
from core import formatting
from core.i18n import Translator
from core.messages import (
    Action,
    ChatRef,
    EventKind,
    File,
    Incoming,
    Outgoing,
    Part,
    Sender,
    Target,
)
from handlers.kit.labels import ROLE
from models import directory
from models.core import Person
from models.enums import Platform, Role

PRIVATE = "prywatny"
log = logging.getLogger("empirie.console")


class ConsoleTransport:
    platform = Platform.CONSOLE
    max_text = 4096

    def __init__(
        self,
        router: Router,
        stdin: TextIO | None = None,
        stdout: TextIO | None = None,
        files_dir: str = "./empirie-files",
    ) -> None:
        self.router = router
        self.stdin = stdin or sys.stdin
        self.stdout = stdout or sys.stdout
        self.files_dir = Path(files_dir)
        self.person: Person | None = None
        self.chat_id: str | None = None  # network code, or None for the private chat
        self.actions: tuple[Action, ...] = ()
        self.attached: tuple[File, ...] = ()  # /plik: goes with the next message
        self._seq = 0
        self._message_ids = 0
        self.pacer = Pacer(Limits(0.0, 10_000, 10_000), lambda chat_id: False)

    @property
    def t(self) -> Translator:
        return self.router.translator(self.person.language if self.person else None)

    def _print(self, text: str) -> None:
        self.stdout.write(text + "\n")
        self.stdout.flush()

    def _chat(self) -> ChatRef:
        if self.chat_id is None:
            return ChatRef(
                self.platform, str(self.person.id) if self.person else "anonymous", private=True
            )
        return ChatRef(self.platform, self.chat_id, private=False, title=self.chat_id)

    def _prompt(self) -> str:
        who = self.person.display_name if self.person else "?"
        return f"[{who} @ {self.chat_id or PRIVATE}]> "

    async def run(self) -> None:
        """Read lines until end of input or /wyjdz."""
        self._print(
            self.t(
                "EMPIRIE console. /kto lists people, /jako <no.|name> chooses who you "
                "are, /czat <network>|prywatny chooses the chat, /plik <path> attaches a "
                "file to your next message, /pomoc lists commands, /wyjdz exits."
            )
        )
        interactive = self.stdin.isatty()
        loop = asyncio.get_running_loop()
        while True:
            if interactive:
                self.stdout.write(self._prompt())
                self.stdout.flush()
            line = await loop.run_in_executor(None, self.stdin.readline)
            if not line:
                return
            line = line.strip()
            if not line or line.startswith("#"):
                continue
            if not interactive:
                self._print(f"{self._prompt()}{line}")
            if not await self.safely(line):
                return

    async def safely(self, line: str) -> bool:
        """Whatever is typed, the console keeps running (only /wyjdz or end of input stop it)."""
        try:
            return await self.handle_line(line)
        except Exception:
            log.exception("console.crash")
            self._print(
                self.t(
                    "Sorry, something went wrong on my side. Please try again in a "
                    "moment; if it keeps happening, tell your coordinator."
                )
            )
            return True

    async def handle_line(self, line: str) -> bool:
        """Handle one typed line; False when the user wants to leave. A number presses the
        button with that number (a button press, answered like on a platform)."""
        kind = EventKind.TEXT
        if "\x00" in line:  # PostgreSQL refuses it; the router says the same for commands
            self._print(
                self.t(
                    "The message contains a NUL character, which I cannot store. "
                    "Please type it again."
                )
            )
            return True
        if line.isascii() and line.isdigit() and self.actions:
            index = int(line) - 1 if len(line) < 6 else -1
            if not 0 <= index < len(self.actions):
                self._print(self.t("Choose a number from 1 to {n}.", n=len(self.actions)))
                return True
            action = self.actions[index]
            chat = self._chat()
            line = self.router.button_token(
                action.command, self.platform, chat.chat_id, action.owner
            )
            kind = EventKind.ACTION  # the router refuses someone else's button
        parsed = parse_command(line) if kind is EventKind.TEXT else None
        if parsed is not None:
            name, args = parsed
            if name in ("wyjdz", "exit", "quit"):
                return False
            local = {
                "jako": self._as,
                "as": self._as,
                "czat": self._chat_cmd,
                "chat": self._chat_cmd,
                "kto": self._who,
                "who": self._who,
                "plik": self._attach,
                "file": self._attach,
            }.get(name)
            if local is not None:
                local(args)
                return True
        self._seq += 1
        sender = Sender(
            self.platform,
            str(self.person.id) if self.person else "anonymous",
            display_name=self.person.display_name if self.person else None,
        )
        files, self.attached = self.attached, ()
        replies = await self.router.handle(Incoming(sender, self._chat(), kind, line, files=files))
        for message in replies:
            if message.ack:  # what a platform shows the presser only, as a toast
                if message.text:
                    self._print(self.t("  (only you see:) {text}", text=message.text))
                continue
            await self.deliver(message.to, message)
        return True

    async def send(self, target: Target, message: Outgoing) -> None:
        await self.deliver(target, message)

    async def send_part(self, target: Target, part: Part) -> str | None:
        if part.kind == "pin":
            self._print(self.t("  📌 pinned"))
            return None
        if part.kind == "file" and part.file is not None:
            await self.deliver(target, Outgoing("", files=(part.file,)))
        else:
            await self.deliver(
                target, Outgoing(part.text, actions=part.actions, markdown=part.markdown)
            )
        self._message_ids += 1
        return str(self._message_ids)

    async def edit(self, target: Target, message_id: str, message: Outgoing) -> None:
        header = self._describe(target) if target.chat_id != self._chat().chat_id else ""
        text = formatting.to_plain(message.text) if message.markdown else message.text
        self._print(
            self.t("  ✎ {chat} message updated:", chat=f"[{header}]" if header else "")
            + "\n"
            + "\n".join(f"    {line}" for line in text.splitlines())
        )

    async def deliver(self, target: Target | None, message: Outgoing) -> None:
        if not message.text and not message.files:
            return
        if message.markdown:
            message = replace(message, text=formatting.to_plain(message.text), markdown=False)
        here = self._chat()
        if not message.text:
            pass
        elif target is not None and (target.platform, target.chat_id) != (
            here.platform,
            here.chat_id,
        ):
            header = self._describe(target)
            self._print(
                "\n".join(
                    f"  ⇢ [{header}] {line}" if i == 0 else f"    {line}"
                    for i, line in enumerate(message.text.splitlines() or [""])
                )
            )
        else:
            self._print(message.text)
        if target is None or (target.platform, target.chat_id) == (here.platform, here.chat_id):
            buttons = tuple(a for a in message.actions if not a.is_link)
            self.actions = buttons or self.actions
        for number, action in enumerate((a for a in message.actions if not a.is_link), start=1):
            self._print(f"  [{number}] {action.label}")
        for action in message.actions:
            if action.is_link:
                self._print(f"  🔗 {action.label}: {action.url}")
        elsewhere = target is not None and (target.platform, target.chat_id) != (
            here.platform,
            here.chat_id,
        )
        for file in message.files:
            self.files_dir.mkdir(parents=True, exist_ok=True)
            path = self.files_dir / file.name
            path.write_bytes(file.content)
            line = self.t("  📎 file: {path}", path=str(path))
            self._print(f"  ⇢ [{self._describe(target)}]{line}" if elsewhere and target else line)

    def _describe(self, target: Target) -> str:
        if not target.chat_id.isdigit():
            return target.chat_id
        with self.router.db.session() as s:
            person = s.get(Person, int(target.chat_id))
        name = person.display_name if person else target.chat_id
        return self.t("private: {name}", name=name)

    def _attach(self, args: str) -> None:
        """/plik <path>: the file goes with the next message (as a document on a platform:
        a CSV to import, an announcement's attachment)."""
        path = Path(args.strip().strip("\"'")).expanduser()
        if not args.strip() or not path.is_file():
            self._print(
                self.t("There is no file “{path}”. Type /plik <path to the file>.", path=args)
            )
            return
        mime = mimetypes.guess_type(path.name)[0] or "application/octet-stream"
        self.attached = (File(path.name, path.read_bytes(), mime),)
        self._print(self.t("📎 {name} goes with your next message.", name=path.name))

    def _as(self, args: str) -> None:
        with self.router.db.session() as s:
            found = directory.find_people(s, args) if args else []
            if len(found) != 1:
                self._print(
                    self.t(
                        "{matches} “{query}”, not exactly one. /kto lists people.",
                        query=args,
                        matches=self.t.tn("{n} person matches", "{n} people match", len(found)),
                    )
                )
                return
            person = found[0]
            directory.link_account(
                s, person.id or 0, self.platform, str(person.id), None, self.router.clock.now()
            )
            city = directory.city_name(s, person.city_id)
        self.person, self.actions = person, ()
        where = f", {city}" if city else ""
        self._print(
            self.t(
                "You are now {name}{where} ({position}).",
                name=person.display_name,
                where=where,
                position=person.position or "—",
            )
        )

    def _chat_cmd(self, args: str) -> None:
        code = args.strip().lower()
        if code in ("", PRIVATE, "private"):
            self.chat_id, self.actions = None, ()
            self._print(self.t("You are in your private chat with the bot."))
            return
        with self.router.db.session() as s:
            network = directory.network_by_code(s, code)
            bound = network and directory.chat_network(s, self.platform, network.code)
            if network is not None and not bound:
                directory.bind_chat(
                    s,
                    network,
                    self.platform,
                    network.code,
                    network.name,
                    None,
                    self.router.clock.now(),
                )
        if network is None:
            self._print(self.t("Unknown network “{code}”. /sieci lists the codes.", code=code))
            return
        self.chat_id, self.actions = network.code, ()
        self._print(
            self.t("You are in the group chat of the network {network}.", network=network.name)
        )

    def _who(self, args: str) -> None:
        with self.router.db.session() as s:
            networks = directory.networks(s)
            code = args.strip().lower() or self.chat_id
            chosen = [n for n in networks if n.code == code] if code else list(networks)
            for network in chosen:
                self._print(f"— {network.code}: {network.name}")
                for person, role, city in directory.members(s, network.id or 0):
                    where = f", {city.name}" if city else ""
                    label = self.t(ROLE[Role(role)])
                    self._print(f"  #{person.id} {person.display_name}{where} — {label}")

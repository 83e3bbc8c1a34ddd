"""What a handler gets: the caller, the chat's network, the store, the clock, the language."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field, replace
from datetime import datetime

from core import links
from core.clock import Clock
from core.config import Settings
from core.i18n import Translator
from core.messages import WEB, EventKind, Incoming, Outgoing, Target
from core.messages import Action as Button
from handlers.kit.permissions import Action, Actor, allowed
from models import directory
from models.core import Network, Person
from models.db import Database
from models.errors import N_, DomainError


@dataclass
class Context:
    db: Database
    clock: Clock
    settings: Settings
    incoming: Incoming
    person: Person | None
    network: Network | None  # the network the chat is bound to, if any
    t: Translator
    wake_outbox: Callable[[], None] = lambda: None  # deliver queued messages now
    _actors: dict[int, Actor] = field(default_factory=dict)

    @property
    def now(self) -> datetime:
        return self.clock.now()

    @property
    def private(self) -> bool:
        return self.incoming.chat.private

    @property
    def on_page(self) -> bool:
        """Whether the person acts on a page (a signed page or the desk), not in a chat: the
        reply is read there, where typing a command is not the way to go on."""
        return self.incoming.sender.platform == WEB

    def page_url(
        self,
        purpose: str,
        person_id: int | None = None,
        *,
        expires_at: datetime | None = None,
        **params: links.Param,
    ) -> str | None:
        """A signed link to a page for the caller (or `person_id`); None when links are off
        or nobody is known."""
        return self._page_url(purpose, person_id, expires_at, params)

    def _page_url(
        self,
        purpose: str,
        person_id: int | None,
        expires_at: datetime | None,
        params: dict[str, links.Param],
    ) -> str | None:
        who = person_id if person_id is not None else (self.person.id if self.person else None)
        if who is None:
            return None
        return links.signed_url(
            self.db, self.settings, who, purpose, self.now, params, expires_at=expires_at
        )

    def page_button(
        self, label: str, purpose: str, command: str = "", **params: links.Param
    ) -> Button | None:
        """A link button to the caller's page, or None (see page_url)."""
        return links.button(label, self._page_url(purpose, None, None, params), command)

    def private_target(self) -> Target:
        """The caller's private chat on this platform: their linked account there, else the
        sender's own id (Telegram: the same; Teams: the transport finds the 1:1 chat)."""
        sender = self.incoming.sender
        if self.person is not None:
            with self.db.session() as s:
                account = directory.account_of(s, self.person.id or 0, sender.platform)
            if account is not None:
                return Target(account.platform, account.external_id)
        return Target(sender.platform, sender.user_id)

    def privately(self, replies: list[Outgoing], say_so: bool = False) -> list[Outgoing]:
        """The one way to answer privately: replies not addressed elsewhere go to the caller's
        private chat (nothing moves in a private chat). `say_so`: the group gets one line
        saying where the answer went (a typed command only; a press has its toast)."""
        if self.private:
            return replies
        to = self.private_target()
        moved = [replace(m, to=to) if m.to is None else m for m in replies]
        if say_so and self.incoming.kind is not EventKind.ACTION:
            moved.append(Outgoing(self.t("I answered you in our private chat.")))
        return moved

    def actor(self, network: Network) -> Actor:
        key = network.id or 0
        if key not in self._actors:
            if self.person is None:
                self._actors[key] = Actor(frozenset())
            else:
                with self.db.session() as s:
                    self._actors[key] = Actor(
                        directory.roles_of(s, self.person.id or 0, network.id),
                        directory.standing_of(s, self.person.city_id, network.id),
                    )
        return self._actors[key]

    def can(self, action: Action, network: Network) -> bool:
        if self.person is None:
            return False
        return allowed(self.actor(network), action, network_closed=network.closed)

    def can_anywhere(self, action: Action) -> bool:
        """May the caller do `action` in any network (the router's gate for a command)?"""
        if self.person is None:
            return False
        if self.network is not None and self.can(action, self.network):
            return True
        with self.db.session() as s:
            everywhere = directory.actors_by_network(s, self.person)
        found = False
        for network_id, (roles, standing, closed) in everywhere.items():
            # the same roles and standing `actor` would read: kept for the command's later checks
            actor = self._actors.setdefault(network_id, Actor(roles, standing))
            found = found or allowed(actor, action, network_closed=closed)
        return found

    def require(self, action: Action, network: Network) -> None:
        if not self.can(action, network):
            raise DomainError(
                N_("You may not do this in the network {network}."), network=network.name
            )

    def require_person(self) -> Person:
        if self.person is None:
            raise DomainError(
                N_(
                    "I don't know you yet. Open the invitation link from your "
                    "coordinator, or type /start followed by your code."
                )
                if self.private
                else N_(
                    "I don't know you yet. Open the invitation link from your "
                    "coordinator, or type /start followed by your code in a private "
                    "chat with me (not here: a code works once)."
                )
            )
        return self.person

    def target_network(self, code: str | None) -> Network:
        """The network named in the command, else the chat's, else the caller's only one."""
        with self.db.session() as s:
            if code:
                return directory.require_network(s, code)
            if self.network is not None:
                return self.network
            if self.person is not None:
                mine = directory.networks_of(s, self.person.id or 0)
                if len(mine) == 1:
                    return mine[0]
        raise DomainError(
            N_("Which network? Add its code, e.g. cyfrowe, or write in the network's group chat.")
        )

"""What a handler gets: the caller, the chat's network, the store, the clock, the language."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime

from core.clock import Clock
from core.config import Settings
from core.i18n import Translator
from core.messages import Incoming
from handlers.permissions import Action, Actor, allowed
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

    def actor(self, network: Network) -> Actor:
        key = network.id or 0
        if key not in self._actors:
            if self.person is None:
                self._actors[key] = Actor(frozenset())
            else:
                with self.db.session() as s:
                    self._actors[key] = Actor(
                        directory.roles_of(s, self.person.id or 0, network.id),
                        directory.standing_of(s, self.person.city_id, network.id))
        return self._actors[key]

    def can(self, action: Action, network: Network) -> bool:
        if self.person is None:
            return False
        return allowed(self.actor(network), action, network_closed=network.closed)

    def require(self, action: Action, network: Network) -> None:
        if not self.can(action, network):
            raise DomainError(N_("You may not do this in the network {network}."),
                              network=network.name)

    def require_person(self) -> Person:
        if self.person is None:
            raise DomainError(N_("I don't know you yet. Open the invitation link from your "
                                 "coordinator, or type /start followed by your code."))
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
        raise DomainError(N_("Which network? Add its code, e.g. cyfrowe, or write in the "
                             "network's group chat."))

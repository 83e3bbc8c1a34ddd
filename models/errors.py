"""Domain errors carry a catalogue message id; the router translates them for the user."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any


def N_(msgid: str) -> str:
    """Mark a string for the translation catalogue without translating it here."""
    return msgid


class Msgid(str):
    """A message parameter that is itself a catalogue id: translated with the message."""


@dataclass(frozen=True)
class Count:
    """A message parameter that is a counted phrase ("5 osób"): translated with the message,
    in the plural form its count needs."""

    singular: str
    plural: str
    n: int


def Nn_(singular: str, plural: str, n: int) -> Count:
    """Mark a message with plural forms (`{n}` is the count) for the catalogue; translated
    when the message that holds it is shown."""
    return Count(singular, plural, n)


class DomainError(Exception):
    """The user's request is refused. `keep` commits what the session recorded about the
    refusal (e.g. an audit entry for a reused invitation code) instead of rolling it back."""

    def __init__(self, msgid: str, *, keep: bool = False, **params: Any) -> None:
        super().__init__(msgid)
        self.msgid = msgid
        self.params = params
        self.keep = keep

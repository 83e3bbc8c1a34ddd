"""The page table: one entry per link purpose (core.links), each with a template, what it
shows, how its form becomes a typed command, and what it adds to the person's hub.

A feature adds its page in a module of this package::

    from bot.pages.registry import PAGES, FormError, Page, PageRequest

    def view(req: PageRequest) -> dict[str, Any]:          # what the template shows (reads only)
        ...
    def form(req: PageRequest, data: Mapping[str, str]) -> str:   # validated form -> command
        if ...: raise FormError(N_("Choose a slot."), field="slot")
        return f"/dyzur_zapisz {req.params['slot']} ..."

    PAGES.add(Page(links.OFFICE_HOURS, "office_hours.html", N_("Office hours"), view, form,
                   hub=lambda req: [...]))

and its feature's manifest says `pages=True` (handlers/kit/feature.py). The server checks the link, the person and the
form's CSRF token; the command goes through the router to the same handler as in chat, so no
rule is written twice. Templates extend `base.html` and translate with `t("English id")`.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy.engine import Connection

from core import links
from core.clock import Clock
from core.config import Settings
from core.i18n import Translator
from handlers.kit.permissions import Actor
from models import directory
from models.core import Network, Person
from models.db import Database
from models.errors import N_
from models.meetings import Meeting

_CONTROL = re.compile(r"[\x00-\x1f\x7f]+")
_CONTROL_KEEP_LINES = re.compile(r"[\x00-\x09\x0b-\x1f\x7f]+")


def one_line(data: Mapping[str, str], field: str) -> str:
    """A form field as one line of text: control characters (newlines too) become spaces."""
    return _CONTROL.sub(" ", data.get(field, "")).strip()


def paragraphs(data: Mapping[str, str], field: str) -> str:
    """A multi-line form field: line breaks kept (as \\n), other control characters spaces."""
    return _CONTROL_KEEP_LINES.sub(" ", data.get(field, "").replace("\r\n", "\n")).strip()


def long_text(data: Mapping[str, str], field: str, empty: str, most: int) -> str:
    """A multi-line field that must be given and fit `most` characters, else a FormError
    (`empty` is its msgid)."""
    text = paragraphs(data, field)
    if not text:
        raise FormError(empty, field=field)
    if len(text) > most:
        raise FormError(N_("Please keep it under {max} characters."), field=field, max=most)
    return text


class FormError(Exception):
    """A form field the person must correct; nothing is sent to the handler."""

    def __init__(self, msgid: str, field: str | None = None, **params: Any) -> None:
        super().__init__(msgid)
        self.msgid, self.field, self.params = msgid, field, params


@dataclass
class PageRequest:
    """One verified visit: who, which link, in which language; and a way to link onwards."""

    db: Database
    clock: Clock
    settings: Settings
    person: Person
    claim: links.Claim
    t: Translator
    connection: Connection | None = None  # the visit's read connection, while it is open

    @contextmanager
    def reading(self) -> Iterator[Connection]:
        """A connection for the view's reads: the one the person was read on while the visit
        holds it (one checkout per page), else a new one."""
        if self.connection is not None and not self.connection.closed:
            yield self.connection
            return
        with self.db.reading() as connection:
            yield connection

    @property
    def now(self) -> datetime:
        return self.clock.now()

    @property
    def params(self) -> dict[str, links.Param]:
        return self.claim.params

    def int_param(self, name: str) -> int:
        value = self.params.get(name)
        if not isinstance(value, int):
            raise LookupError(name)
        return value

    def meeting_actor(self) -> tuple[Meeting, Network, Actor]:
        """The link's meeting, its network, and the person's roles and standing there."""
        with self.db.session() as s:
            meeting = s.get(Meeting, self.int_param("meeting"))
            if meeting is None:
                raise LookupError("meeting")
            network = s.get(Network, meeting.network_id)
            assert network is not None
            actor = Actor(
                directory.roles_of(s, self.person.id or 0, network.id),
                directory.standing_of(s, self.person.city_id, network.id),
            )
        return meeting, network, actor

    def link(self, purpose: str, **params: links.Param) -> str | None:
        """A fresh signed link to another page of the same person, in the same language."""
        url = links.signed_url(
            self.db, self.settings, self.person.id or 0, purpose, self.now, params
        )
        return None if url is None else f"{url}?lang={self.t.language}"


@dataclass(frozen=True)
class HubItem:
    """One thing waiting for the person, shown on their hub with a link to act on it."""

    title: str
    detail: str
    url: str | None
    due: datetime | None = None  # sooner first


View = Callable[[PageRequest], dict[str, Any]]
Form = Callable[[PageRequest, Mapping[str, str]], str]
Hub = Callable[[PageRequest], list[HubItem]]


@dataclass(frozen=True)
class Page:
    purpose: str  # the link purpose (core.links); also the URL's /p/<purpose>/ part
    template: str
    title: str  # msgid
    view: View
    form: Form | None = None  # None: a page to read only
    hub: Hub | None = None  # what this feature has waiting for the person


class Pages:
    def __init__(self) -> None:
        self._pages: dict[str, Page] = {}

    def add(self, page: Page) -> Page:
        if page.purpose in self._pages:
            raise ValueError(f"page {page.purpose} registered twice")
        self._pages[page.purpose] = page
        return page

    def get(self, purpose: str) -> Page | None:
        return self._pages.get(purpose)

    def all(self) -> list[Page]:
        return list(self._pages.values())


PAGES = Pages()

"""A command's arguments, declared on the command and parsed before the handler runs.

Two forms, as people type them::

    /dyzur_wybierz 12 2                      Words(Id("session"), Id("slot"))
    /miasto_dodaj cyfrowe; Łomża; obserwator Fields(Code("network"), Text("city", field_name="city"), ...)

`Words` reads whitespace-separated values (the last may be `Text`, the rest of the line);
`Fields` reads `;`-separated ones. An optional value may be left out at the end (and, for
`Words`, an optional `Code` at the start: `/dyzur` or `/dyzur cyfrowe`). The handler receives
each value under its name: `async def pick(ctx, session: int, slot: int)`.

What a person typed wrong comes back as the command's usage and example in Polish; a value that
is well-formed but wrong (no such network, a title too long) is explained by its own message.
A feature may declare a type of its own by subclassing `Arg`.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from handlers.kit.dates import fold
from handlers.kit.limits import check_link, check_text, limit_of, parse_count, parse_id
from models.errors import N_

if TYPE_CHECKING:
    from handlers.kit.context import Context

_CODE = re.compile(r"[a-z][a-z0-9_-]{0,31}")


class BadArgs(Exception):
    """What was typed does not fit the declared form: the router answers with the usage."""


@dataclass(frozen=True)
class Arg:
    name: str
    optional: bool = False
    label: str = ""  # catalogue id shown in a generated usage; defaults to the name
    default: Any = None

    def parse(self, text: str) -> Any:
        """The value, or BadArgs when the text is not one (DomainError for a specific reason)."""
        return text

    def matches(self, text: str, ctx: Context) -> bool:
        """For an optional leading value: is this word one?"""
        try:
            self.parse(text)
        except BadArgs:
            return False
        return True

    def shown(self) -> str:
        return self.label or self.name


@dataclass(frozen=True)
class Id(Arg):
    """An object number: `12` or `#12` (ASCII digits, within a database integer)."""

    def parse(self, text: str) -> int:
        value = parse_id(text)
        if value is None:
            raise BadArgs(self.name)
        return value


@dataclass(frozen=True)
class Count(Arg):
    """A small whole number within bounds (seats, minutes, weeks)."""

    low: int = 0
    high: int = 10_000

    def parse(self, text: str) -> int:
        value = parse_count(text, low=self.low, high=self.high)
        if value is None:
            raise BadArgs(self.name)
        return value


@dataclass(frozen=True)
class Code(Arg):
    """A network's code (`cyfrowe`), lower-cased; the handler resolves it (unknown codes are
    explained there, with the list of networks)."""

    label: str = N_("network")

    def parse(self, text: str) -> str:
        word = text.strip().lower()
        if not _CODE.fullmatch(word):
            raise BadArgs(self.name)
        return word

    def matches(self, text: str, ctx: Context) -> bool:
        """Only a network that exists: `/profil_dodaj cyfryzacja` is a word, not a network."""
        from models import directory

        word = text.strip().lower()
        if not _CODE.fullmatch(word):
            return False
        with ctx.db.session() as s:
            return directory.network_by_code(s, word) is not None


@dataclass(frozen=True)
class Choice(Arg):
    """One word from a fixed set (`online`, `stacjonarnie`…), mapped to its value. Case and
    Polish diacritics do not matter: `może` and `moze` are the same word."""

    choices: Mapping[str, Any] = field(default_factory=dict)

    def parse(self, text: str) -> Any:
        key = fold(text.strip())
        for word, value in self.choices.items():
            if fold(word) == key:
                return value
        raise BadArgs(self.name)


@dataclass(frozen=True)
class Word(Arg):
    """One word, as typed."""

    def parse(self, text: str) -> str:
        word = text.strip()
        if not word or any(c.isspace() for c in word):
            raise BadArgs(self.name)
        return word


@dataclass(frozen=True)
class Text(Arg):
    """Free text: the rest of the line (in `Words`) or one field (in `Fields`), checked
    against the column it ends in: `field_name` names a field of models.fields (its column's
    limit, and its label in the refusal) unless `limit` is given; else at most 4000."""

    limit: int | None = None
    field_name: str = ""

    def parse(self, text: str) -> str:
        value = text.strip()
        if not value:
            raise BadArgs(self.name)
        bound = self.limit if self.limit is not None else limit_of(self.field_name)
        return check_text(value, bound, self.field_name or self.name)


@dataclass(frozen=True)
class WebLink(Arg):
    """A web address (http or https only, see limits.check_link); anything else is refused
    with the reason."""

    limit: int = 500

    def parse(self, text: str) -> str:
        return check_link(text.replace("\x00", ""), self.limit)


@dataclass(frozen=True)
class Spec:
    args: tuple[Arg, ...]

    def parse(self, text: str, ctx: Context) -> dict[str, Any]:
        raise NotImplementedError

    def usage(self, t: Any) -> str:
        raise NotImplementedError

    @staticmethod
    def _shown(t: Any, arg: Arg) -> str:
        label = t(arg.shown())
        return f"[{label}]" if arg.optional else f"<{label}>"


class Words(Spec):
    """Whitespace-separated values; a last `Text` takes the rest of the line."""

    def __init__(self, *args: Arg) -> None:
        super().__init__(args)

    def parse(self, text: str, ctx: Context) -> dict[str, Any]:
        rest = text.strip()
        values: dict[str, Any] = {}
        for index, arg in enumerate(self.args):
            last = index == len(self.args) - 1
            if isinstance(arg, Text) and last:
                word, rest = rest, ""
            else:
                parts = rest.split(None, 1)
                word = parts[0] if parts else ""
                if word and arg.optional and not last and not arg.matches(word, ctx):
                    values[arg.name] = arg.default  # an optional leading value left out
                    continue
                rest = parts[1] if len(parts) > 1 else ""
            if not word:
                if not arg.optional:
                    raise BadArgs(arg.name)
                values[arg.name] = arg.default
                continue
            values[arg.name] = arg.parse(word)
        if rest:
            raise BadArgs("extra")
        return values

    def usage(self, t: Any) -> str:
        return " ".join(self._shown(t, a) for a in self.args)


class Fields(Spec):
    """`;`-separated values; optional ones may be left out at the end or left empty."""

    def __init__(self, *args: Arg) -> None:
        super().__init__(args)

    def parse(self, text: str, ctx: Context) -> dict[str, Any]:
        return self.read_parts(text.split(";") if text.strip() else [], ctx)

    def read_parts(self, parts: list[str], ctx: Context) -> dict[str, Any]:
        """The values of fields already apart (a guided form's answers, one per question):
        none is split again, so a `;` inside an answer stays in it."""
        parts = [p.strip() for p in parts]
        if len(parts) > len(self.args):
            raise BadArgs("extra")
        values: dict[str, Any] = {}
        for index, arg in enumerate(self.args):
            part = parts[index] if index < len(parts) else ""
            if not part:
                if not arg.optional:
                    raise BadArgs(arg.name)
                values[arg.name] = arg.default
                continue
            values[arg.name] = arg.parse(part)
        return values

    def usage(self, t: Any) -> str:
        return "; ".join(self._shown(t, a) for a in self.args)


class Rest(Fields):
    """`;`-separated fields of which the last (a text, a content) takes the rest of the line,
    `;` and line breaks included."""

    def parse(self, text: str, ctx: Context) -> dict[str, Any]:
        parts = text.split(";", len(self.args) - 1) if text.strip() else []
        return self.read_parts(parts, ctx)

"""Argument types of the funding commands: a web address and an amount of money."""

from __future__ import annotations

import math
import re
from dataclasses import dataclass

from handlers.funding.match import fold
from handlers.kit.args import Arg, BadArgs
from handlers.kit.limits import check_link as _check_link
from handlers.kit.limits import is_link
from models.errors import N_, DomainError

BAD_AMOUNT = N_("The amount “{text}” is not a number.")
# /konkurs_zmien: the words for a call's fields (Polish and English) -> the field
EDIT_FIELDS = {
    "tytul": "title",
    "title": "title",
    "termin": "deadline",
    "deadline": "deadline",
    "kwota": "budget",
    "amount": "budget",
    "link": "link",
    "tagi": "tags",
    "tags": "tags",
    "grantodawca": "programme",
    "funder": "programme",
    "program": "programme",
}


def clean(text: str) -> str:
    """PostgreSQL refuses NUL in text; nobody means one."""
    return text.replace("\x00", "").strip()


# "2 mln zł", "1,5 mld EUR", "500 tys. zł": the words Polish calls use for the big numbers
SCALE = {
    **dict.fromkeys(("tys", "tysiac", "tysiace", "tysiecy"), 1e3),
    **dict.fromkeys(("mln", "milion", "miliony", "milionow"), 1e6),
    **dict.fromkeys(("mld", "miliard", "miliardy", "miliardow"), 1e9),
}
_CURRENCY = re.compile(r"\b(pln|zl|zlotych|eur|euro)\b\.?")
_SCALED = re.compile(r"^(?P<number>.*?)\s*(?P<scale>[a-z]+)\.?$")


def parse_amount(text: str) -> float | None:
    """`500 000 zł`, `1 500 000,00 zł`, `1.500.000,00`, `1,5 EUR`, `2 mln zł`, `500 tys. zł`
    -> the number; None for nothing at all."""
    folded = _CURRENCY.sub(" ", fold(text)).strip()  # NFKD: no-break spaces are spaces
    scale = 1.0
    scaled = _SCALED.match(folded)
    if scaled is not None and scaled["scale"] in SCALE:
        folded, scale = scaled["number"], SCALE[scaled["scale"]]
    cleaned = "".join(folded.split())
    if "," in cleaned:  # Polish: a decimal comma, dots (if any) group thousands
        cleaned = cleaned.replace(".", "").replace(",", ".")
    elif cleaned.count(".") > 1:  # 1.500.000
        cleaned = cleaned.replace(".", "")
    if not cleaned:
        if scale != 1.0:
            raise DomainError(BAD_AMOUNT, text=text)
        return None
    try:
        value = float(cleaned) * scale
    except ValueError as error:
        raise DomainError(BAD_AMOUNT, text=text) from error
    if not math.isfinite(value) or value > 1e13:
        raise DomainError(BAD_AMOUNT, text=text)
    if value < 0:
        raise DomainError(N_("The amount cannot be negative."))
    return value


def check_link(text: str, limit: int = 500) -> str:
    """An http(s) address that fits its column, or why not (the kit's one rule)."""
    return _check_link(text, limit)


@dataclass(frozen=True)
class Link(Arg):
    """An http(s) address of at most `limit` characters. `explained`: a wrong one is refused
    with BAD_LINK (else with the command's usage)."""

    limit: int = 500
    explained: bool = True

    def parse(self, text: str) -> str:
        value = clean(text)
        if not self.explained and (not is_link(value) or len(value) > self.limit):
            raise BadArgs(self.name)
        return check_link(value, self.limit)


@dataclass(frozen=True)
class Amount(Arg):
    """A sum of money (see parse_amount); a wrong one is explained."""

    def parse(self, text: str) -> float | None:
        return parse_amount(text)


@dataclass(frozen=True)
class EditedField(Arg):
    """Which field of a call to change: a word of EDIT_FIELDS, case and accents aside. (The
    kit's Choice holds a dict, which a frozen command cannot hash.)"""

    def parse(self, text: str) -> str:
        found = EDIT_FIELDS.get(fold(text.strip()))
        if found is None:
            raise BadArgs(self.name)
        return found

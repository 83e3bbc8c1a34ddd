"""Polish alphabetical order (ICU's `pl` collator, through PyICU) for everything people read in
order: lists in chat, pages, CSV/XLSX exports and sheets.

Code-point order puts "Łomża" and "Świdnik" after "Zabrze"; Polish order is
"Lublin, Łomża, …, Sopot, Szczecinek, Świdnik, Zabrze". The databases are not asked to sort names
(SQLite and PostgreSQL would disagree, and neither knows Polish by default): queries return rows,
and the code that shows them sorts with `polish_key` / `person_key`.

People are ordered by surname, then first name(s): the surname is the last word of the name as
written ("Anna Maria Nowak-Kowalska" → "Nowak-Kowalska", "Anna Maria").
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from functools import cache
from typing import TYPE_CHECKING, TypeVar

if TYPE_CHECKING:
    import icu

T = TypeVar("T")


@cache
def _collator() -> icu.Collator:
    import icu  # ~9 MB: loaded at the first sort, not at start

    collator = icu.Collator.createInstance(icu.Locale("pl_PL"))
    # "a" before "A" only when the letters are otherwise equal (ICU's tertiary strength)
    collator.setStrength(icu.Collator.TERTIARY)
    return collator


def polish_key(text: str | None) -> bytes:
    """A sort key: bytes compare in Polish alphabetical order. None sorts like ""."""
    return bytes(_collator().getSortKey(text or ""))


def person_key(name: str | None) -> tuple[bytes, bytes]:
    """Surname first, then the first name(s), both in Polish order."""
    words = (name or "").split()
    if not words:
        return polish_key(""), polish_key("")
    return polish_key(words[-1]), polish_key(" ".join(words[:-1]))


def sort_polish(items: Iterable[T], key: Callable[[T], str | None] | None = None) -> list[T]:
    """The items in Polish alphabetical order of `key(item)` (the items themselves if no key)."""
    get: Callable[[T], str | None] = key if key is not None else (lambda item: str(item))
    return sorted(items, key=lambda item: polish_key(get(item)))


def sort_people(items: Iterable[T], name: Callable[[T], str | None]) -> list[T]:
    """The items in Polish order of the person's surname, then first name."""
    return sorted(items, key=lambda item: person_key(name(item)))

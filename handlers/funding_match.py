"""Matching funding calls to network theme profiles, in Polish and English.

Text is lower-cased and stripped of diacritics ("Cyfryzacją" -> "cyfryzacja"). Polish words
are compared by stem: a keyword's stem is the keyword minus its longest inflectional ending;
a word of the call matches when it is that stem plus any inflectional ending, allowing the
usual consonant alternations before an ending (polityka -> polityce, senior -> seniorzy,
klimat -> klimacie). A dictionary stemmer (pystempel's Polimorf table) was tried: it is
accurate but takes ~15 s and hundreds of MB to load, and its small table garbles common
words (dostępność -> "dostępnośy"), so the rules below are ours and tested on real forms.

Words of three letters or fewer (OZE, ICT, AI) match exactly. A multi-word keyword
("zasoby ludzkie") matches when its words appear one after another, each inflected.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from functools import lru_cache

# Inflectional endings (diacritics removed), Polish nouns, adjectives and some verbs, plus the
# common English ones. Derivational suffixes (-owy, -yczny) are deliberately absent: a
# profile lists "klimat" and "klimatyczny" when it wants both.
_ENDINGS = sorted({
    "", "a", "e", "i", "y", "o", "u", "em", "om", "ow", "ach", "ami", "mi",
    "ego", "emu", "ej", "ym", "ymi", "ych", "im", "imi", "ich", "iem", "ie", "iom", "iach",
    "ia", "ii", "io", "iu", "ja", "ji", "je", "jom", "jami", "jach", "ju",
    "osc", "osci", "oscia", "oscmi", "osciom", "osciach",
    "owie", "owi", "zy", "rzy", "anie", "ania", "aniu", "aniem", "an", "aniom", "aniach",
    "enie", "enia", "eniu", "eniem", "en",
    "s", "es", "ed", "ing", "ies",
}, key=len, reverse=True)
_ENDING_SET = frozenset(_ENDINGS)
_MAX_ENDING = max(len(e) for e in _ENDINGS)
# A stem's last consonant(s) and how it looks before some endings (alternations).
_ALTERNATIONS = (("k", "c"), ("g", "dz"), ("r", "rz"), ("t", "ci"), ("d", "dzi"),
                 ("st", "sci"), ("ch", "sz"), ("n", "ni"), ("w", "wi"), ("m", "mi"),
                 ("s", "si"), ("z", "zi"), ("l", "l"))
_MIN_STEM = 3
_WORD = re.compile(r"[a-z0-9]+")
_FOLD = str.maketrans({"ł": "l", "Ł": "l"})


def fold(text: str) -> str:
    """Lower-case without diacritics: "Łódź, Przedsiębiorczość" -> "lodz, przedsiebiorczosc"."""
    decomposed = unicodedata.normalize("NFKD", text.translate(_FOLD).lower())
    return "".join(c for c in decomposed if not unicodedata.combining(c))


def words(text: str) -> list[str]:
    return _WORD.findall(fold(text))


@lru_cache(maxsize=200_000)
def keyword_stem(word: str) -> str:
    """The stem of a keyword word (already folded): the longest ending stripped."""
    if len(word) <= _MIN_STEM:
        return word
    for ending in _ENDINGS:
        if ending and word.endswith(ending) and len(word) - len(ending) >= _MIN_STEM:
            return word[: len(word) - len(ending)]
    return word


@lru_cache(maxsize=500_000)
def word_stems(word: str) -> frozenset[str]:
    """Every stem this word of a call could be an inflection of."""
    if len(word) <= _MIN_STEM:
        return frozenset({word})
    found = {word}
    for cut in range(1, min(_MAX_ENDING, len(word) - _MIN_STEM) + 1):
        stem, ending = word[:-cut], word[-cut:]
        if ending not in _ENDING_SET:
            continue
        found.add(stem)
        for plain, altered in _ALTERNATIONS:
            if stem.endswith(altered) and len(stem) - len(altered) + len(plain) >= _MIN_STEM:
                found.add(stem[: len(stem) - len(altered)] + plain)
    return frozenset(found)


class Indexed:
    """A call's text, tokenised once: stem -> positions of the words it may come from."""

    __slots__ = ("positions", "words")

    def __init__(self, text: str) -> None:
        self.words = words(text)
        self.positions: dict[str, list[int]] = {}
        for i, word in enumerate(self.words):
            for stem in word_stems(word):
                self.positions.setdefault(stem, []).append(i)

    def has(self, phrase: Sequence[str]) -> bool:
        """Are the stems of `phrase` present, in order, next to each other?"""
        first = self.positions.get(phrase[0])
        if not first:
            return False
        if len(phrase) == 1:
            return True
        rest = [set(self.positions.get(stem, ())) for stem in phrase[1:]]
        return any(all(start + k + 1 in rest[k] for k in range(len(rest))) for start in first)


@dataclass(frozen=True)
class Keyword:
    text: str  # as the coordinator typed it, shown in "why it matched"
    stems: tuple[str, ...]

    @classmethod
    def of(cls, text: str) -> Keyword:
        return cls(text.strip(), tuple(keyword_stem(w) for w in words(text)))


@dataclass(frozen=True)
class Profile:
    network_id: int
    keywords: tuple[Keyword, ...]
    programmes: frozenset[str]  # upper-case programme codes, e.g. DIGITAL, LIFE

    @classmethod
    def of(cls, network_id: int, keywords: Iterable[str], programmes: Iterable[str]
           ) -> Profile:
        kws = tuple(k for k in (Keyword.of(t) for t in keywords) if k.stems)
        return cls(network_id, kws, frozenset(p.strip().upper() for p in programmes))


@dataclass(frozen=True)
class Match:
    network_id: int
    programme: str | None  # the programme that matched, if any
    keywords: tuple[str, ...]  # the keywords that matched, as typed


def match(profiles: Iterable[Profile], text: str, programme: str | None) -> list[Match]:
    """Every network whose profile the call fits, with the reasons."""
    indexed = Indexed(text)
    programme = (programme or "").upper()
    found = []
    for profile in profiles:
        by_programme = programme if programme and programme in profile.programmes else None
        hits = tuple(k.text for k in profile.keywords if indexed.has(k.stems))
        if by_programme or hits:
            found.append(Match(profile.network_id, by_programme, hits))
    return found

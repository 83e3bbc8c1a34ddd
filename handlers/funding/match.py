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
from collections.abc import Iterable
from dataclasses import dataclass
from functools import lru_cache
from itertools import accumulate, chain, filterfalse, groupby
from operator import itemgetter
from typing import NamedTuple

# Inflectional endings (diacritics removed), Polish nouns, adjectives and some verbs, plus the
# common English ones. Derivational suffixes (-owy, -yczny) are deliberately absent: a
# profile lists "klimat" and "klimatyczny" when it wants both.
_ENDINGS = sorted(
    {
        "",
        "a",
        "e",
        "i",
        "y",
        "o",
        "u",
        "em",
        "om",
        "ow",
        "ach",
        "ami",
        "mi",
        "ego",
        "emu",
        "ej",
        "ym",
        "ymi",
        "ych",
        "im",
        "imi",
        "ich",
        "iem",
        "ie",
        "iom",
        "iach",
        "ia",
        "ii",
        "io",
        "iu",
        "ja",
        "ji",
        "je",
        "jom",
        "jami",
        "jach",
        "ju",
        "osc",
        "osci",
        "oscia",
        "oscmi",
        "osciom",
        "osciach",
        "owie",
        "owi",
        "zy",
        "rzy",
        "anie",
        "ania",
        "aniu",
        "aniem",
        "an",
        "aniom",
        "aniach",
        "enie",
        "enia",
        "eniu",
        "eniem",
        "en",
        "s",
        "es",
        "ed",
        "ing",
        "ies",
    },
    key=len,
    reverse=True,
)
_ENDING_SET = frozenset(_ENDINGS)
_MAX_ENDING = max(len(e) for e in _ENDINGS)
# A stem's last consonant(s) and how it looks before some endings (alternations).
_ALTERNATIONS = (
    ("k", "c"),
    ("g", "dz"),
    ("r", "rz"),
    ("t", "ci"),
    ("d", "dzi"),
    ("st", "sci"),
    ("ch", "sz"),
    ("n", "ni"),
    ("w", "wi"),
    ("m", "mi"),
    ("s", "si"),
    ("z", "zi"),
    ("l", "l"),
)
_MIN_STEM = 3
_WORD = re.compile(r"[a-z0-9]+")


@lru_cache(maxsize=1)
def _combining_marks() -> re.Pattern[str]:
    """Every combining mark of this Python's Unicode tables as one character class (built on
    first use, ~0.1 s): stripping them with one C-level sub beats a per-character loop 10×."""
    ranges: list[list[int]] = []
    for code in range(0x110000):
        if unicodedata.combining(chr(code)):
            if ranges and ranges[-1][1] == code - 1:
                ranges[-1][1] = code
            else:
                ranges.append([code, code])
    return re.compile(
        "[" + "".join(f"{re.escape(chr(a))}-{re.escape(chr(b))}" for a, b in ranges) + "]"
    )


def fold(text: str) -> str:
    """Lower-case without diacritics: "Łódź, Przedsiębiorczość" -> "lodz, przedsiebiorczosc"."""
    lowered = text.replace("ł", "l").replace("Ł", "l").lower()
    if lowered.isascii():  # nothing to decompose or strip
        return lowered
    decomposed = unicodedata.normalize("NFKD", lowered)
    if decomposed.isascii():
        return decomposed
    return _combining_marks().sub("", decomposed)


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
    def of(cls, network_id: int, keywords: Iterable[str], programmes: Iterable[str]) -> Profile:
        kws = tuple(k for k in (Keyword.of(t) for t in keywords) if k.stems)
        return cls(network_id, kws, frozenset(p.strip().upper() for p in programmes))


class Match(NamedTuple):
    """Immutable like the frozen dataclass it was, but built several times faster (a
    classification run makes one per call and network)."""

    network_id: int
    programme: str | None  # the programme that matched, if any
    keywords: tuple[str, ...]  # the keywords that matched, as typed


class Matcher:
    """Profiles compiled once for many calls (a digest, a classification run).

    Titles and summaries reuse a small vocabulary, so the work per distinct whitespace-separated
    chunk of text (folding, splitting into words, finding which keyword stems each word may be
    an inflection of) is done once per matcher and remembered: a chunk is known by its number
    of words, the one-word keywords it satisfies, and where the stems of several-word keywords
    sit in it. A call is then a few dictionary look-ups per chunk, mapped in C; a keyword
    shared by several profiles is looked for once. Results are exactly those of checking every
    keyword of every profile in turn (tests/test_funding_match_reference.py keeps that
    reference)."""

    _CHUNKS = 100_000  # remembered chunks per matcher; past that it forgets and starts over

    def __init__(self, profiles: Iterable[Profile]) -> None:
        self.profiles = tuple(profiles)
        ids: dict[tuple[str, ...], int] = {}  # distinct phrase (stems) -> its id
        owners: list[list[tuple[int, int]]] = []  # id -> [(profile index, keyword index)]
        for pi, profile in enumerate(self.profiles):
            for ki, keyword in enumerate(profile.keywords):
                if keyword.stems:
                    pid = ids.setdefault(keyword.stems, len(ids))
                    if pid == len(owners):
                        owners.append([])
                    owners[pid].append((pi, ki))
        self._owners = owners
        self._texts = [tuple(k.text for k in p.keywords) for p in self.profiles]
        self._network_ids = [p.network_id for p in self.profiles]
        self._by_programme: dict[str, frozenset[int]] = {}
        for pi, profile in enumerate(self.profiles):
            for code in profile.programmes:
                self._by_programme[code] = self._by_programme.get(code, frozenset()) | {pi}
        self._single: dict[str, int] = {p[0]: i for p, i in ids.items() if len(p) == 1}
        # several-word phrases by their first stem: [(id, the other stems)]
        self._several: dict[str, list[tuple[int, tuple[str, ...]]]] = {}
        for phrase, pid in ids.items():
            if len(phrase) > 1:
                self._several.setdefault(phrase[0], []).append((pid, phrase[1:]))
        self._placed = frozenset(s for p in ids if len(p) > 1 for s in p)
        self._vocabulary = self._placed | self._single.keys()
        self._counts: dict[str, int] = {}  # chunk -> its number of words
        self._singles: dict[str, frozenset[int]] = {}  # chunk -> one-word phrase ids (if any)
        # chunk -> ((word offset, stems of several-word phrases), ...) (if any)
        self._placed_at: dict[str, tuple[tuple[int, tuple[str, ...]], ...]] = {}

    def _learn(self, chunks: list[str]) -> None:
        if len(self._counts) + len(chunks) > self._CHUNKS:
            self._counts.clear()
            self._singles.clear()
            self._placed_at.clear()
        for chunk in filterfalse(self._counts.__contains__, chunks):
            # Splitting at whitespace first is exact: folding maps no whitespace character to
            # a letter or digit, and never reorders or merges characters across it.
            chunk_words = words(chunk)
            singles: set[int] = set()
            placed = []
            for offset, word in enumerate(chunk_words):
                stems = word_stems(word) & self._vocabulary
                singles.update(self._single[s] for s in stems if s in self._single)
                if at := tuple(sorted(stems & self._placed)):
                    placed.append((offset, at))
            self._counts[chunk] = len(chunk_words)
            if singles:
                self._singles[chunk] = frozenset(singles)
            if placed:
                self._placed_at[chunk] = tuple(placed)

    def match(self, text: str, programme: str | None) -> list[Match]:
        """Every network whose profile the call fits, with the reasons."""
        chunks = text.split()
        if not all(map(self._counts.__contains__, chunks)):
            self._learn(chunks)
        satisfied: set[int] = set().union(*filter(None, map(self._singles.get, chunks)))
        if self._several:
            positions: dict[str, list[int]] = {}
            bases = accumulate(map(self._counts.__getitem__, chunks), initial=0)
            at_chunks = zip(bases, map(self._placed_at.get, chunks), strict=False)
            for base, placed in filter(itemgetter(1), at_chunks):
                for offset, stems in placed or ():  # filter() dropped the None already
                    for stem in stems:
                        if stem in positions:
                            positions[stem].append(base + offset)
                        else:
                            positions[stem] = [base + offset]
            for stem, starts in positions.items():
                for pid, rest in self._several.get(stem, ()):
                    if pid not in satisfied and _follow(positions, starts, rest):
                        satisfied.add(pid)
        pairs = sorted(chain.from_iterable(map(self._owners.__getitem__, satisfied)))
        grouped = {
            pi: tuple(texts[ki] for _, ki in group)
            for pi, group in groupby(pairs, itemgetter(0))
            for texts in (self._texts[pi],)
        }
        code = (programme or "").upper()
        by_programme = self._by_programme.get(code, ()) if code else ()
        found = []
        for pi in sorted(grouped.keys() | by_programme) if by_programme else grouped:
            found.append(
                Match(
                    self._network_ids[pi], code if pi in by_programme else None, grouped.get(pi, ())
                )
            )
        return found


def _follow(positions: dict[str, list[int]], starts: list[int], rest: tuple[str, ...]) -> bool:
    """Do the stems `rest` come right after one of `starts`, in order, next to each other?"""
    following = []
    for stem in rest:
        at = positions.get(stem)
        if at is None:
            return False
        following.append(at)
    for start in starts:
        for k, at in enumerate(following, start + 1):
            if k not in at:
                break
        else:
            return True
    return False


def match(profiles: Iterable[Profile], text: str, programme: str | None) -> list[Match]:
    """Every network whose profile the call fits, with the reasons (one call; for many,
    compile a Matcher once)."""
    return Matcher(profiles).match(text, programme)

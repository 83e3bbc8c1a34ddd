"""The compiled matcher (one pass per call, only keyword stems indexed, C-speed folding) gives
exactly the networks, programmes and reasons of the straightforward matcher it replaced: every
keyword of every profile looked for in turn. The straightforward one is kept here as the
reference and both run over varied titles: the default profiles on a realistic mix, and
generated profiles and texts (inflected words, diacritics, arbitrary Unicode)."""

from __future__ import annotations

import random
import unicodedata
from collections.abc import Iterable, Sequence

from hypothesis import given, settings
from hypothesis import strategies as st

from handlers.funding.match import (
    _WORD,
    Match,
    Matcher,
    Profile,
    fold,
    match,
    word_stems,
    words,
)
from handlers.funding.store import DEFAULT_PROFILES

_FOLD = str.maketrans({"ł": "l", "Ł": "l"})


def reference_fold(text: str) -> str:
    decomposed = unicodedata.normalize("NFKD", text.translate(_FOLD).lower())
    return "".join(c for c in decomposed if not unicodedata.combining(c))


class ReferenceIndexed:
    def __init__(self, text: str) -> None:
        self.words = _WORD.findall(reference_fold(text))
        self.positions: dict[str, list[int]] = {}
        for i, word in enumerate(self.words):
            for stem in word_stems(word):
                self.positions.setdefault(stem, []).append(i)

    def has(self, phrase: Sequence[str]) -> bool:
        first = self.positions.get(phrase[0])
        if not first:
            return False
        if len(phrase) == 1:
            return True
        rest = [set(self.positions.get(stem, ())) for stem in phrase[1:]]
        return any(all(start + k + 1 in rest[k] for k in range(len(rest))) for start in first)


def reference_match(profiles: Iterable[Profile], text: str, programme: str | None) -> list[Match]:
    indexed = ReferenceIndexed(text)
    programme = (programme or "").upper()
    found = []
    for profile in profiles:
        by_programme = programme if programme and programme in profile.programmes else None
        hits = tuple(k.text for k in profile.keywords if indexed.has(k.stems))
        if by_programme or hits:
            found.append(Match(profile.network_id, by_programme, hits))
    return found


DEFAULTS = [Profile.of(i, kw, pr) for i, (kw, pr) in enumerate(DEFAULT_PROFILES.values(), 1)]
FORMS = [
    "cyfryzacji",
    "cyfryzację",
    "usług cyfrowych",
    "cyfrowej",
    "polityce społecznej",
    "seniorów",
    "Seniorzy",
    "ochrony klimatu",
    "klimacie",
    "klimatyzacji",
    "energii odnawialnej",
    "instalacji OZE",
    "przedsiębiorczości",
    "przedsiębiorców",
    "turystyce",
    "zasobami ludzkimi",
    "zasoby wodne i ludzkie",
    "konsultacji społecznych",
    "budżetu obywatelskiego",
    "budżet",
    "przywództwa",
    "liderów",
    "dostępności",
    "niepełnosprawności",
    "włączenia społecznego",
    "e-usług",
    "e-usługi",
    "MŚP",
    "msp",
    "smart city",
    "Smart Cities",
    "digital skills",
    "digitalisation",
    "climate adaptation",
    "renewable energies",
    "civil society",
    "Civil Societies",
    "tourism",
    "SME",
    "SMEs",
    "leadership",
    "governance",
    "start-upów",
    "start-up",
    "Łódź",
    "zieleni",
    "środowiska",
    "adaptacji do zmian klimatu",
    "efektywności energetycznej",
    "strategii rozwoju",
    "zarządzania strategicznego",
    "human resources",
    "training",
    "kadr",
    "kompetencji",
    "szkoleń",
    "pracowników",
    "finansowania",
    "inwestycji",
    "funduszy",
    "rozwoju lokalnego",
    "partnerstwa publiczno-prywatnego",
    "demokracji",
    "organizacji pozarządowych",
    "partycypacji",
    "opieki",
    "wykluczenia",
    "retencji",
    "biodiversity",
    "circular economy",
    "AI",
    "aid",
    "sztucznej inteligencji",
    "danych otwartych",
    "dane otwarte",
    "cyberbezpieczeństwa",
    "interoperability",
]
FRAMES = [
    "Wsparcie {0} w gminach",
    "Program rozwoju {0} i {1}",
    "Nabór: {0}",
    "Dotacje dla miast na rzecz {0}",
    "{0} — call for proposals",
    "Grants for {0} and {1}",
    "{0}{1}",
    "{0}, {1}; {0}",
    "ZAPROSZENIE: {1} / {0} (2026)",
]
PROGRAMMES = ["DIGITAL", "digital", "LIFE", "CERV", "ESF", "SMP", "EUI", "CEF", None, ""]


def test_the_default_profiles_on_a_realistic_mix_match_exactly_as_before() -> None:
    rng = random.Random(16)
    matcher = Matcher(DEFAULTS)
    compared = matched = 0
    for i in range(2000):
        title = rng.choice(FRAMES).format(rng.choice(FORMS), rng.choice(FORMS))
        summary = " ".join(rng.choice(FORMS) for _ in range(rng.randint(0, 25)))
        programme = rng.choice(PROGRAMMES)
        text = f"{title} {i} {programme or ''} {summary}"
        ours = matcher.match(text, programme)
        assert ours == reference_match(DEFAULTS, text, programme), text
        compared += 1
        matched += len(ours)
    assert compared == 2000 and matched > 2000  # the sample really exercises matching


words_st = st.one_of(
    st.sampled_from(FORMS),
    st.text(min_size=1, max_size=12),
    st.sampled_from(
        [
            "ą",
            "ł",
            "Ł",
            "ß",
            "ﬁ",
            "İ",
            "²",
            "e\u0301",
            "\u00a0",
            "ΣΑΣ",
            "Ⅻ",
            "ｆｕｌｌ",
            "  ",
            "\t",
            "-",
            "0",
        ]
    ),
)
keywords_st = st.lists(
    st.one_of(st.sampled_from(FORMS), st.text(min_size=1, max_size=15)), min_size=0, max_size=6
)


@settings(max_examples=300, deadline=None)
@given(
    profiles=st.lists(
        st.tuples(
            keywords_st, st.lists(st.sampled_from(["DIGITAL", "life", "CERV", " esf "]), max_size=2)
        ),
        min_size=1,
        max_size=4,
    ),
    text=st.lists(words_st, max_size=30).map(" ".join),
    programme=st.one_of(st.none(), st.sampled_from(["DIGITAL", "Life", "esf", "X"])),
)
def test_generated_profiles_and_texts_match_exactly_as_before(
    profiles: list[tuple[list[str], list[str]]], text: str, programme: str | None
) -> None:
    compiled = [Profile.of(i, kws, progs) for i, (kws, progs) in enumerate(profiles, 1)]
    expected = reference_match(compiled, text, programme)
    assert Matcher(compiled).match(text, programme) == expected
    assert match(compiled, text, programme) == expected


@settings(max_examples=500, deadline=None)
@given(st.text())
def test_folding_and_words_are_unchanged_on_any_text(text: str) -> None:
    assert fold(text) == reference_fold(text)
    assert words(text) == _WORD.findall(reference_fold(text))

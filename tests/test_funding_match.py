"""Matching calls to network profiles: Polish inflections, diacritics, phrases, English, short
words, programmes; a call may fit several networks, and the reasons are given."""

from __future__ import annotations

import pytest

from handlers.funding.match import Profile, fold, match

INFLECTED = [
    ("cyfryzacja", "Wsparcie cyfryzacji urzędów gmin"),
    ("cyfryzacja", "Dotacje na cyfryzację szkół"),
    ("cyfrowy", "Rozwój usług cyfrowych"),
    ("cyfrowy", "Cyfrowej transformacji samorządów"),
    ("polityka senioralna", "Program dla gmin prowadzących aktywną politykę senioralną"),
    ("polityka senioralna", "wsparcie w polityce senioralnej"),
    ("senior", "Kluby dla seniorów"),
    ("senior", "Seniorzy w mieście"),
    ("klimat", "Ochrona klimatu w miastach"),
    ("klimat", "Rozmowy o klimacie"),
    ("przedsiębiorczość", "Rozwój przedsiębiorczości lokalnej"),
    ("zasoby ludzkie", "Zarządzanie zasobami ludzkimi w urzędzie"),
    ("konsultacje społeczne", "Standardy konsultacji społecznych"),
    ("turystyka", "Inwestycje w turystyce"),
    ("energia odnawialna", "Instalacje energii odnawialnej"),
    ("dostępność", "Poprawa dostępności budynków"),
    ("rewitalizacja", "Plan rewitalizacji centrum"),
    ("lider", "Szkoła liderów"),
    ("lider", "Liderzy zmian"),
    ("OZE", "Montaż instalacji OZE w szkołach"),
    ("digital", "Digital Europe Programme"),
    ("renewable energy", "Renewable Energies for Cities"),
    ("Łódź", "lodz i okolice"),
]


@pytest.mark.parametrize(("keyword", "text"), INFLECTED)
def test_inflected_forms_match(keyword: str, text: str) -> None:
    assert match([Profile.of(1, [keyword], [])], text, None), (keyword, text)


@pytest.mark.parametrize(
    ("keyword", "text"),
    [
        ("miasto", "miastowy festyn"),  # a different word, not an inflection
        ("klimat", "Serwis klimatyzacji"),
        ("las", "klasa szkolna"),
        ("AI", "First aid training"),  # short words match whole words only
        ("zasoby ludzkie", "zasoby wodne i ludzkie"),  # phrase words must be adjacent
        ("senior", "sen i orientacja"),
    ],
)
def test_other_words_do_not_match(keyword: str, text: str) -> None:
    assert not match([Profile.of(1, [keyword], [])], text, None), (keyword, text)


def test_a_call_fits_several_networks_and_says_why() -> None:
    profiles = [
        Profile.of(1, ["cyfryzacja", "e-usługi"], ["DIGITAL"]),
        Profile.of(2, ["klimat", "OZE"], ["LIFE"]),
        Profile.of(3, ["senior"], []),
    ]
    found = {
        m.network_id: m
        for m in match(profiles, "Cyfryzacja sieci ciepłowniczych dla ochrony klimatu", "DIGITAL")
    }
    assert set(found) == {1, 2}
    assert found[1].programme == "DIGITAL" and found[1].keywords == ("cyfryzacja",)
    assert found[2].programme is None and found[2].keywords == ("klimat",)
    only_programme = match(profiles, "Something unrelated", "life")
    assert [(m.network_id, m.programme, m.keywords) for m in only_programme] == [(2, "LIFE", ())]


def test_fold_removes_diacritics_and_case() -> None:
    assert fold("ZAŻÓŁĆ Gęślą JAŹŃ") == "zazolc gesla jazn"

"""A synthetic office sheet of any size, for the import's scale test and benchmark: cities
with one representative in each of three networks, standings consistent per city and network,
Polish names and e-mail addresses that are all different."""

from __future__ import annotations

NETWORKS = ("cyfrowe", "zasoby", "obywatele", "dostepne", "przedsiebiorcze", "zielone", "kadry")
STANDINGS = ("laureat", "finalista", "lider zmian", "obserwator")
VOIVODESHIPS = ("podlaskie", "lubelskie", "mazowieckie", "śląskie", "łódzkie", "pomorskie")


def synthetic_rows(n: int) -> list[list[str]]:
    """`n` rows in the sheet's columns (see tests.test_roster_import.HEADER)."""
    rows = []
    for i in range(n):
        city = i // 3
        rows.append(
            [
                NETWORKS[i % len(NETWORKS)],
                f"Świętochłowice-Łódź {city}",
                VOIVODESHIPS[city % len(VOIVODESHIPS)],
                STANDINGS[(city + i) % len(STANDINGS)],
                f"Gęślą Jaźń {i}",
                "Naczelniczka Wydziału",
                "naczelnik",
                f"osoba{i}@um.example.pl",
                "przedstawiciel",
                "pl",
            ]
        )
    return rows

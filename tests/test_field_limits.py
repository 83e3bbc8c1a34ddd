# ruff: noqa: F811  (a test takes the `url` fixture imported from tests.test_roster_cli)
"""One length rule per field, the same on SQLite and PostgreSQL (issue #23 item 8).

PostgreSQL refused what SQLite stored — a call link over 500 characters, a city name over 120,
a person's name or e-mail over 200, a NUL byte in the roster file — and the bot crashed there
only. Now each field's limit is its column's (models.fields), checked before the database in
every entry path with a Polish message naming the field and the limit, and nothing is stored;
a last guard under every flush refuses the same way whatever path a value took."""

from __future__ import annotations

import logging
from pathlib import Path

import pytest
from sqlmodel import select

from core.clock import FrozenClock
from handlers.kit import limits
from models import fields
from models.core import City, Person
from models.db import Database
from models.errors import DomainError
from models.funding import FundingCall
from models.joins import JoinRequest
from models.meetings import Meeting, Rsvp
from tests.cast import find_cast
from tests.conftest import START, Chat
from tests.test_roster_cli import cli, url  # noqa: F401  (url: a fixture)
from tests.test_roster_import import HEADER, ROWS, write_csv

LINK = "https://example.org/" + "l" * 481  # 501 characters
CITY = "Ś" * 121
NAME = "Ż" * 201
EMAIL = "a" * 190 + "@" + "b" * 7 + ".pl"  # 201


def test_each_limit_is_its_columns() -> None:
    """The rule and the column cannot disagree: the limit is read from the String(n)."""
    for name, field in fields.FIELDS.items():
        sizes = {fields.length(column) for column in field.columns}
        assert sizes == {field.limit}, (name, sizes)
    assert (
        fields.length(Meeting.title),
        fields.length(Meeting.place),
        fields.length(Meeting.online_link),
        fields.length(Rsvp.note),
    ) == (limits.TITLE, limits.PLACE, limits.LINK, limits.NOTE)
    assert (limits.CITY, limits.NAME, limits.EMAIL) == (120, 200, 200)
    assert fields.length(FundingCall.link) == 500 == limits.LINK
    assert fields.length(JoinRequest.city_name) == fields.length(City.name)


def _crashed(caplog: pytest.LogCaptureFixture) -> list[str]:
    return [r.getMessage() for r in caplog.records if "handler.crash" in r.getMessage()]


async def test_a_long_call_link_or_funder_is_refused_alike(
    chat: Chat, seeded: Database, caplog: pytest.LogCaptureFixture
) -> None:
    team = find_cast(seeded).team
    with caplog.at_level(logging.ERROR):
        reply = await chat.text(team, f"/konkurs_dodaj Cyfrowa gmina; CPPC; {LINK}")
        assert "Pole „link” jest za długie: najwyżej 500 znaków (wpisano 501)." in reply
        reply = await chat.text(team, "/konkurs_dodaj Cyfrowa gmina; " + "F" * 121)
        assert "Pole „grantodawca” jest za długie: najwyżej 120 znaków (wpisano 121)." in reply
        reply = await chat.text(team, "/konkurs_dodaj " + "T" * 301)
        assert "Pole „tytuł” jest za długie: najwyżej 300 znaków (wpisano 301)." in reply
        with seeded.session() as s:
            assert s.exec(select(FundingCall)).all() == []
        await chat.say(team, "/konkurs_dodaj Cyfrowa gmina; CPPC; https://example.org/n")
        with seeded.session() as s:
            call = s.exec(select(FundingCall)).one()
        reply = await chat.text(team, f"/konkurs_zmien {call.id} link {LINK}")
        assert "najwyżej 500 znaków" in reply
        reply = await chat.text(team, f"/konkurs_zmien {call.id} grantodawca " + "F" * 121)
        assert "Pole „grantodawca” jest za długie: najwyżej 120 znaków" in reply
    with seeded.session() as s:
        stored = s.exec(select(FundingCall)).one()
    assert (stored.link, stored.programme) == ("https://example.org/n", "CPPC")
    assert _crashed(caplog) == []


async def test_a_long_city_name_email_or_a_nul_is_refused_alike(
    chat: Chat, seeded: Database, caplog: pytest.LogCaptureFixture
) -> None:
    coordinator = find_cast(seeded).coordinator
    with caplog.at_level(logging.ERROR):
        reply = await chat.text(coordinator, f"/miasto_dodaj cyfrowe; {CITY}; obserwator")
        assert "Pole „miasto” jest za długie: najwyżej 120 znaków (wpisano 121)." in reply
        reply = await chat.text(coordinator, "/miasto_dodaj cyfrowe; Nowe; obserwator; " + "W" * 61)
        assert "Pole „województwo” jest za długie: najwyżej 60 znaków (wpisano 61)." in reply
        reply = await chat.text(coordinator, f"/osoba_dodaj cyfrowe; Łomża; {NAME}; Naczelnik")
        assert "Pole „imię i nazwisko” jest za długie: najwyżej 200 znaków" in reply
        reply = await chat.text(
            coordinator, f"/osoba_dodaj cyfrowe; Łomża; Halina Próbna; Naczelnik; {EMAIL}"
        )
        assert "Pole „e-mail” jest za długie: najwyżej 200 znaków (wpisano 201)." in reply
        reply = await chat.text(coordinator, "/osoba_dodaj cyfrowe; Łomża; Anna\x00; Naczelnik")
        assert "znak NUL" in reply
        reply = await chat.text(coordinator, "/zastap cyfrowe; 1; " + NAME)
        assert "Pole „imię i nazwisko” jest za długie: najwyżej 200 znaków" in reply
    with seeded.session() as s:
        assert s.exec(select(City).where(City.name == CITY)).first() is None
        assert s.exec(select(Person).where(Person.name == "Halina Próbna")).first() is None
    assert _crashed(caplog) == []

    # other control characters are dropped, not stored and not refused
    await chat.say(coordinator, "/miasto_dodaj cyfrowe; Nowe\x07 Miasto\x1b; obserwator")
    with seeded.session() as s:
        assert s.exec(select(City).where(City.name == "Nowe Miasto")).first() is not None


async def test_the_join_questions_name_the_field_and_its_limit(
    chat: Chat, seeded: Database, caplog: pytest.LogCaptureFixture
) -> None:
    with caplog.at_level(logging.ERROR):
        await chat.say("nowa-osoba", "/zglos")
        reply = await chat.text("nowa-osoba", CITY)
        assert reply.startswith("Pole „miasto” jest za długie: najwyżej 120 znaków")
        assert "Jakie miasto reprezentujesz?" in reply  # asked again
        await chat.say("nowa-osoba", "Łomża")
        reply = await chat.text("nowa-osoba", "Anna\x00Nowak")
        assert "znak NUL" in reply
        reply = await chat.text("nowa-osoba", NAME)
        assert "Pole „imię i nazwisko” jest za długie: najwyżej 200 znaków" in reply
        await chat.say("nowa-osoba", "Anna Nowak")
        await chat.say("nowa-osoba", "Naczelniczka")
        reply = await chat.text("nowa-osoba", EMAIL)
        assert "Pole „e-mail” jest za długie: najwyżej 200 znaków (wpisano 201)." in reply
    with seeded.session() as s:
        request = s.exec(select(JoinRequest)).one()
        assert (request.city_name, request.name, request.step) == ("Łomża", "Anna Nowak", "email")
    assert _crashed(caplog) == []


def test_the_roster_file_names_the_row_field_and_limit(
    url: str, clock: FrozenClock, tmp_path: Path
) -> None:
    rows = [
        ["cyfrowe", CITY, "", "laureat", "Anna Nowak", "", "", "", "przedstawiciel", ""],
        ["cyfrowe", "Łomża", "", "laureat", NAME, "", "", "", "przedstawiciel", ""],
        ["cyfrowe", "Łomża", "", "laureat", "Jan Wąs", "", "", EMAIL, "przedstawiciel", ""],
        ["cyfrowe", "Łomża", "", "laureat", "Ewa\x00Żak", "", "", "", "przedstawiciel", ""],
        ["cyfrowe", "Łomża", "", "laureat", "Ola\x07 Mróz", "", "", "", "przedstawiciel", ""],
    ]
    sheet = write_csv(tmp_path / "skład.csv", rows)
    code, out = cli(clock, "roster", "import", str(sheet))
    assert code == 1
    assert out.splitlines() == [
        "W pliku są 4 błędne wiersze; niczego nie zmieniono. Popraw je i zaimportuj plik ponownie:",
        "Wiersz 2: pole „miasto” jest za długie: najwyżej 120 znaków (ma 121)",
        "Wiersz 3: pole „imię i nazwisko” jest za długie: najwyżej 200 znaków (ma 201)",
        "Wiersz 4: pole „e-mail” jest za długie: najwyżej 200 znaków (ma 201)",
        "Wiersz 5: pole „imię i nazwisko” zawiera znak NUL: usuń go",
    ]
    code, out = cli(clock, "people", "cyfrowe")
    assert out.splitlines() == ["MIASTO CYFROWE (cyfrowe) — 0 osób"]
    write_csv(tmp_path / "skład.csv", [ROWS[0], rows[-1]], HEADER)
    code, out = cli(clock, "roster", "import", str(sheet))
    assert code == 0, out
    code, out = cli(clock, "people", "cyfrowe")
    assert "Ola Mróz, Łomża (laureat)" in out  # the bell character dropped


def test_the_guard_under_every_flush_refuses_the_same_on_both(db: Database) -> None:
    """Whatever path a value takes to the store, the rule holds: SQLite no longer keeps what
    PostgreSQL would refuse."""
    for row, expected in (
        (City(name=CITY), "city"),
        (Person(name=NAME, created_at=START), "name"),
    ):
        with pytest.raises(DomainError) as refused, db.session() as s:
            s.add(row)
        assert refused.value.params["field"] == fields.FIELDS[expected].label
        assert refused.value.params["most"].n == fields.FIELDS[expected].limit
    with pytest.raises(DomainError) as refused, db.session() as s:
        s.add(City(name="Łódź\x00"))
    assert refused.value.msgid == fields.HAS_NUL
    with db.session() as s:
        assert s.exec(select(City)).all() == [] and s.exec(select(Person)).all() == []


# Every command's own example, with each of its values in turn made just too long for the
# column it may end in, or given a NUL: refused in Polish (or accepted where the value is not
# stored), never a crash, on both databases. Random fuzzing rarely gets past the first value.
LABELS = [
    *("tytuł", "miejsce", "link", "uwagi", "temat", "imię i nazwisko", "e-mail", "stanowisko"),
    *("funkcja", "miasto", "województwo", "grantodawca", "program", "treść", "odpowiedź"),
    *(
        "kto odpowiada",
        "termin",
        "kiedy",
        "kogo pytamy",
        "nowa wartość",
        "opis",
        "notatka ze spotkania",
        "sieci",
        "okres",
    ),
]
HOSTILE = ["Ś" * 121, "N" * 201, "T" * 301, "https://example.org/" + "l" * 481, "Ł\x00ódź"]


def _worked_examples() -> list[tuple[str, str]]:
    from handlers import load_all
    from handlers.kit.registry import REGISTRY
    from tests.test_fuzz_commands import _hostile

    load_all()
    found = []
    for command in sorted(REGISTRY.commands(), key=lambda c: c.name):
        example = command.example.replace("…", "example.org/x")
        if not example.startswith(f"/{command.name} "):
            continue
        pieces = len(example.split(None, 1)[1].split(";" if ";" in example else None))
        for piece in range(pieces):
            for value in HOSTILE:
                found.append((command.name, f"/{command.name} {_hostile(example, piece, value)}"))
    return found


async def test_every_value_of_every_command_is_bounded(
    chat: Chat, seeded: Database, caplog: pytest.LogCaptureFixture
) -> None:
    from tests.polish import polish_problem

    cast = find_cast(seeded)
    await chat.say(
        cast.coordinator,
        "/spotkanie_nowe cyfrowe; Spotkanie; 12.12.2026 10:00; hybrydowe; 6; Łomża; "
        "https://example.org/x; 2; nie",
    )
    problems = []
    with caplog.at_level(logging.ERROR, logger="empirie"):
        for _name, command in _worked_examples():
            caplog.clear()
            replies = await chat.say(cast.team, command)
            text = "\n".join(m.text for m in replies)
            crashed = [r for r in caplog.records if "handler.crash" in r.getMessage()]
            problem = polish_problem(text) if text.strip() else "no answer"
            raw_column = "Pole „" in text and not any(f"Pole „{w}”" in text for w in LABELS)
            if crashed or problem or raw_column:
                problems.append((command[:90], problem, text[:120], bool(crashed)))
    assert problems == [], "\n".join(map(str, problems))

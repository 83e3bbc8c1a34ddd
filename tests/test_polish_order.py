"""Polish alphabetical order (issue 24): Ł after L, Ś after S (and after Sz), people by surname
then first name — in chat lists, the attendance overview and sheet, and the roster export (CSV
and XLSX), on SQLite and PostgreSQL."""

from __future__ import annotations

import csv
import io
import re
from pathlib import Path

from openpyxl import load_workbook

from core.collation import person_key, sort_people, sort_polish
from handlers.roster.office import export_file
from models import directory
from models.db import Database
from tests.cast import find_cast
from tests.conftest import START, Chat
from tests.test_meetings import create

# as an office would expect them in a list: Lublin, Łomża, Sopot, Szczecinek, Świdnik, Zabrze
CITIES_IN_ORDER = ["Lublin", "Łomża", "Sopot", "Szczecinek", "Świdnik", "Zabrze", "Żyrardów"]
NEW_CITIES = ("Zabrze", "Szczecinek", "Sopot", "Lublin")  # Łomża, Świdnik, Żyrardów are seeded
NEW_PEOPLE = {  # city: representative
    "Zabrze": "Olga Śliwa",
    "Szczecinek": "Ewa Łukasiewicz",
    "Sopot": "Piotr Sowa",
    "Lublin": "Jan Lis",
}


def test_the_collator_knows_the_polish_alphabet() -> None:
    shuffled = ["Świdnik", "Zabrze", "Sopot", "Łomża", "Żyrardów", "Szczecinek", "Lublin"]
    assert sort_polish(shuffled) == CITIES_IN_ORDER
    assert sort_polish(["Łódź", "Łosice", "Ośno", "Opole", "Ćmielów", "Cieszyn"]) == [
        "Cieszyn",
        "Ćmielów",
        "Łosice",
        "Łódź",
        "Opole",
        "Ośno",
    ]
    people = ["Łukasz Nowak", "Anna Nowak", "Zofia Adamska", "Ewa Śliwa", "Piotr Sowa"]
    assert sort_people(people, name=lambda p: p) == [
        "Zofia Adamska",
        "Anna Nowak",
        "Łukasz Nowak",
        "Piotr Sowa",
        "Ewa Śliwa",
    ]
    assert person_key("Anna Maria Nowak-Kowalska") == person_key("Anna  Maria Nowak-Kowalska")


async def _add_cities_and_people(chat: Chat, coordinator: int) -> dict[str, int]:
    ids = {}
    for city in NEW_CITIES:
        await chat.text(coordinator, f"/miasto_dodaj cyfrowe; {city}; obserwator")
        added = await chat.text(
            coordinator, f"/osoba_dodaj cyfrowe; {city}; {NEW_PEOPLE[city]}; Sekretarz Miasta"
        )
        match = re.search(r"/zaproszenie (\d+)", added)
        assert match, added
        ids[city] = int(match.group(1))
    with chat.router.db.session() as s:  # the console knows people by their number
        for person in ids.values():
            directory.link_account(s, person, "console", str(person), None, START)
    return ids


def _representatives(db: Database) -> list[str]:
    with db.session() as s:
        network = directory.require_network(s, "cyfrowe")
        return [
            p.display_name for p, role, _c in directory.members(s, network.id or 0) if p.city_id
        ]


async def test_people_are_listed_by_surname_in_polish_order(chat: Chat, seeded: Database) -> None:
    cast = find_cast(seeded)
    await _add_cities_and_people(chat, cast.coordinator)
    listing = await chat.text(cast.coordinator, "/osoby cyfrowe")
    lines = [line for line in listing.splitlines() if "przedstawiciel" in line]
    names = [re.sub(r"^#\d+ ", "", line).split(",")[0] for line in lines]
    # L < Ł < S (Sowa) < Ś (Śliwa): code-point order would put Łukasiewicz and Śliwa last
    assert names.index("Jan Lis") < names.index("Ewa Łukasiewicz") < names.index("Piotr Sowa")
    assert names.index("Piotr Sowa") < names.index("Olga Śliwa") < len(names) - 1
    assert names.index("Olga Śliwa") < names.index("Magdalena Zielińska")
    assert names == sort_people(names, name=lambda n: n) == _representatives(seeded)


async def test_attendance_counts_and_sheet_list_cities_in_polish_order(
    chat: Chat, seeded: Database
) -> None:
    cast = find_cast(seeded)
    ids = await _add_cities_and_people(chat, cast.coordinator)
    meeting_id = await create(chat, cast.coordinator, open_part="tak")
    for person in ids.values():
        await chat.say(person, f"/rsvp {meeting_id} online")
    await chat.say(cast.laureate_rep, f"/rsvp {meeting_id} stacjonarnie")  # Łomża or Świdnik

    overview = await chat.text(cast.organiser, f"/obecnosc {meeting_id}")
    [per_city] = [line for line in overview.splitlines() if line.startswith("Według miast:")]
    shown = [part.rsplit(" ", 1)[0] for part in per_city.removeprefix("Według miast: ").split(", ")]
    assert shown == sort_polish(shown)
    assert shown.index("Lublin") < shown.index("Sopot") < shown.index("Szczecinek")
    assert shown.index("Szczecinek") < shown.index("Zabrze")

    [reply] = await chat.say(cast.organiser, f"/lista_obecnosci {meeting_id}")
    rows = list(csv.reader(io.StringIO(reply.files[0].content.decode("utf-8-sig")), delimiter=";"))
    online = [r for r in rows[1:] if r[6] == "online"]
    cities = [r[2] for r in online]
    assert cities[:4] == ["Lublin", "Sopot", "Szczecinek", "Zabrze"]  # no Ł/Ś among them
    for section in ("stacjonarnie", "online"):  # each part of the sheet in Polish order
        in_section = list(dict.fromkeys(r[2] for r in rows[1:] if r[2] and r[6] == section))
        assert in_section == sort_polish(in_section), section


async def test_roster_export_lists_cities_and_people_in_polish_order(
    chat: Chat, seeded: Database, tmp_path: Path
) -> None:
    cast = find_cast(seeded)
    await _add_cities_and_people(chat, cast.coordinator)
    export_file(seeded, tmp_path / "skład.csv")
    export_file(seeded, tmp_path / "skład.xlsx")
    text = (tmp_path / "skład.csv").read_text(encoding="utf-8-sig")
    from_csv = list(csv.reader(io.StringIO(text), delimiter=";"))[1:]
    sheet = load_workbook(tmp_path / "skład.xlsx").active
    assert sheet is not None
    from_xlsx = [[c or "" for c in row] for row in sheet.iter_rows(min_row=2, values_only=True)]
    assert from_csv == from_xlsx
    representatives = [r for r in from_csv if r[0] == "cyfrowe" and r[8] == "przedstawiciel"]
    cities = list(dict.fromkeys(r[1] for r in representatives))
    assert [c for c in cities if c in CITIES_IN_ORDER] == [
        c for c in CITIES_IN_ORDER if c in cities
    ]
    assert cities == sort_polish(cities)
    for city in cities:  # within a city, by surname
        people = [r[4] for r in representatives if r[1] == city]
        assert people == sort_people(people, name=lambda n: n)

"""The office's roster file: XLSX and CSV with Polish text, all bad rows at once, dry runs,
re-imports that change nothing, people ended (not deleted) when a newer file drops them, and an
export that imports back unchanged."""

from __future__ import annotations

import csv
from datetime import timedelta
from pathlib import Path

import pytest
from openpyxl import Workbook
from sqlmodel import select

from core.clock import FrozenClock
from core.config import Settings
from core.i18n import Translator
from handlers.roster import office as roster
from models import directory, seed
from models.core import AuditEntry, City, NetworkRole, Person
from models.db import Database
from models.enums import Office, Role, Standing
from models.meetings import Meeting, Rsvp
from models.outbox import OutboxMessage

T = Translator("pl", Settings().tz)
HEADER = [
    "Sieć",
    "Miasto",
    "Województwo",
    "Status",
    "Imię i nazwisko",
    "Stanowisko",
    "Funkcja",
    "E-mail",
    "Rola",
    "Język",
]
ROWS = [
    [
        "cyfrowe",
        "Łomża",
        "podlaskie",
        "laureat",
        "Grażyna Żółkiewska",
        "Naczelniczka Wydziału Informatyki",
        "naczelnik",
        "g.zolkiewska@um.lomza.pl",
        "przedstawiciel",
        "pl",
    ],
    [
        "cyfrowe",
        "Łomża",
        "podlaskie",
        "laureat",
        "Jędrzej Ślęzak",
        "Specjalista ds. e-usług",
        "specjalista",
        "j.slezak@um.lomza.pl",
        "przedstawiciel",
        "",
    ],
    [
        "cyfrowe",
        "Świdnik",
        "lubelskie",
        "obserwator",
        "Bożena Łęcka",
        "Inspektorka",
        "",
        "",
        "przedstawiciel",
        "",
    ],
    [
        "cyfrowe",
        "",
        "",
        "",
        "Małgorzata Źrebiec",
        "Koordynatorka-facylitatorka",
        "",
        "m.zrebiec@zmp.poznan.pl",
        "koordynator",
        "",
    ],
    [
        "liderzy",
        "Łomża",
        "podlaskie",
        "laureat",
        "Mariusz Chrzanowski",
        "Prezydent Miasta Łomża",
        "prezydent",
        "prezydent@um.lomza.pl",
        "przedstawiciel",
        "",
    ],
    [
        "",
        "",
        "",
        "",
        "Wiesław Kłos",
        "Zespół koordynujący ZH-16",
        "",
        "w.klos@zmp.poznan.pl",
        "zespół koordynujący",
        "en",
    ],
    ["zielone", "Kłodzko", "dolnośląskie", "lider zmian", "", "", "", "", "", ""],
]


def write_xlsx(path: Path, rows: list[list[str]], header: list[str] = HEADER) -> Path:
    book = Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.append(header)
    for row in rows:
        sheet.append([v or None for v in row])
    book.save(path)
    return path


def write_csv(
    path: Path,
    rows: list[list[str]],
    header: list[str] = HEADER,
    *,
    delimiter: str = ";",
    bom: bool = True,
) -> Path:
    with path.open("w", encoding="utf-8-sig" if bom else "utf-8", newline="") as out:
        csv.writer(out, delimiter=delimiter).writerows([header, *rows])
    return path


@pytest.fixture
def empty(db: Database) -> Database:
    with db.session() as s:
        seed.ensure_networks(s)
    return db


def run(
    db: Database, clock: FrozenClock, settings: Settings, path: Path, dry_run: bool = False
) -> roster.ImportResult:
    return roster.import_file(db, clock, settings, path, T, dry_run=dry_run)


def people(db: Database, code: str) -> dict[str, str]:
    with db.session() as s:
        network = directory.require_network(s, code)
        return {p.name or "": role for p, role, _c in directory.members(s, network.id or 0)}


def test_xlsx_import_loads_cities_standings_people_and_roles(
    empty: Database, clock: FrozenClock, settings: Settings, tmp_path: Path
) -> None:
    result = run(empty, clock, settings, write_xlsx(tmp_path / "skład.xlsx", ROWS))
    assert result.ok, result.lines
    assert "Zaimportowano" in result.lines[0]
    assert "• dodano miasto: Łomża" in result.lines
    assert people(empty, "cyfrowe") == {
        "Grażyna Żółkiewska": "representative",
        "Jędrzej Ślęzak": "representative",
        "Bożena Łęcka": "representative",
        "Małgorzata Źrebiec": "coordinator",
        "Wiesław Kłos": "coordinating_team",
    }
    assert people(empty, "liderzy")["Mariusz Chrzanowski"] == "representative"
    with empty.session() as s:
        lomza = s.exec(select(City).where(City.name == "Łomża")).one()
        cyfrowe = directory.require_network(s, "cyfrowe")
        zielone = directory.require_network(s, "zielone")
        assert lomza.voivodeship == "podlaskie"
        assert directory.standing_of(s, lomza.id, cyfrowe.id) is Standing.LAUREATE
        klodzko = s.exec(select(City).where(City.name == "Kłodzko")).one()
        assert directory.standing_of(s, klodzko.id, zielone.id) is Standing.CHANGE_LEADER
        mayor = s.exec(select(Person).where(Person.name == "Mariusz Chrzanowski")).one()
        assert mayor.office == Office.CITY_PRESIDENT
        team = s.exec(select(Person).where(Person.name == "Wiesław Kłos")).one()
        assert team.language == "en" and team.city_id is None


def test_reimport_changes_nothing(
    empty: Database, clock: FrozenClock, settings: Settings, tmp_path: Path
) -> None:
    path = write_xlsx(tmp_path / "skład.xlsx", ROWS)
    assert run(empty, clock, settings, path).changes > 0
    with empty.session() as s:
        audits = len(s.exec(select(AuditEntry)).all())
    again = run(empty, clock, settings, path)
    assert again.ok and again.changes == 0
    assert again.lines == ["Skład już odpowiada plikowi: nie ma nic do zmiany."]
    with empty.session() as s:
        assert len(s.exec(select(AuditEntry)).all()) == audits


@pytest.mark.parametrize(("delimiter", "bom"), [(";", True), (",", False)])
def test_csv_with_plain_headers_and_values_without_diacritics(
    empty: Database,
    clock: FrozenClock,
    settings: Settings,
    tmp_path: Path,
    delimiter: str,
    bom: bool,
) -> None:
    header = [
        "SIEC",
        "miasto",
        "WOJEWODZTWO",
        "status",
        "imie i nazwisko",
        "stanowisko",
        "funkcja",
        "e-mail",
        "ROLA",
        "jezyk",
    ]
    rows = [
        [
            "CYFROWE",
            "Łomża",
            "podlaskie",
            "LIDER ZMIAN",
            "Grażyna Żółkiewska",
            "Naczelnik, Wydział Cyfryzacji",
            "naczelnik",
            "g.zolkiewska@um.lomza.pl",
            "Przedstawicielka",
            "PL",
        ],
        [
            "liderzy",
            "Łomża",
            "podlaskie",
            "laureat",
            "Ewa Żak",
            "Zastepca Prezydenta",
            "zastepca",
            "",
            "przedstawiciel",
            "",
        ],
        ["kadry", "", "", "", "Zofia Ćwik", "Opiekunka, biuro ZMP", "", "", "opiekun", ""],
        ["", "", "", "", "Jan Wąs", "ZH-16", "", "", "Zespol koordynujacy", ""],
    ]
    path = write_csv(tmp_path / "sklad.csv", rows, header, delimiter=delimiter, bom=bom)
    result = run(empty, clock, settings, path)
    assert result.ok, result.lines
    with empty.session() as s:
        grazyna = s.exec(select(Person).where(Person.name == "Grażyna Żółkiewska")).one()
        assert grazyna.position == "Naczelnik, Wydział Cyfryzacji"
        cyfrowe = directory.require_network(s, "cyfrowe")
        assert directory.standing_of(s, grazyna.city_id, cyfrowe.id) is Standing.CHANGE_LEADER
        deputy = s.exec(select(Person).where(Person.name == "Ewa Żak")).one()
        assert deputy.office == Office.DEPUTY
    assert people(empty, "kadry")["Zofia Ćwik"] == "organiser"
    assert people(empty, "kadry")["Jan Wąs"] == "coordinating_team"


def test_bad_file_reports_every_row_in_polish_and_writes_nothing(
    empty: Database, clock: FrozenClock, settings: Settings, tmp_path: Path
) -> None:
    rows = [
        ROWS[0],
        ["cyfrowy", "Łomża", "", "laureat", "Anna Nowak", "", "", "", "przedstawiciel", ""],
        ["cyfrowe", "Świdnik", "", "zwycięzca", "Piotr Wójcik", "", "", "", "przedstawiciel", ""],
        [
            "cyfrowe",
            "Świdnik",
            "",
            "finalista",
            "Ewa Mazur",
            "",
            "",
            "ewa.mazur@",
            "przedstawiciel",
            "",
        ],
        [
            "liderzy",
            "Łomża",
            "",
            "laureat",
            "Tomasz Kowalczyk",
            "Naczelnik wydziału",
            "naczelnik",
            "",
            "przedstawiciel",
            "",
        ],
        *[
            ["zasoby", "Chełm", "", "laureat", f"Osoba {n}", "", "", "", "przedstawiciel", ""]
            for n in range(4)
        ],
    ]
    result = run(empty, clock, settings, write_xlsx(tmp_path / "zły.xlsx", rows))
    assert not result.ok
    text = "\n".join(result.lines)
    assert result.lines[0].startswith("W pliku są 4 błędne wiersze; niczego nie zmieniono.")
    assert "Wiersz 3: nieznany kod sieci „cyfrowy”" in text
    assert "Wiersz 4: nieznany status „zwycięzca”" in text
    assert "Wiersz 5: błędny adres e-mail „ewa.mazur@”" in text
    assert (
        "Wiersz 6: sieć liderów przyjmuje tylko burmistrzów, prezydentów miast i ich "
        "zastępców" in text
    )
    assert (
        "Wiersz 10 (ostrzeżenie): Chełm ma w sieci zasoby 4 przedstawicieli, więcej, niż "
        "zaleca Vademecum (2–3)" in text
    )
    with empty.session() as s:
        assert s.exec(select(Person)).first() is None
        assert s.exec(select(City)).first() is None


def test_missing_columns_and_missing_file_are_explained(
    empty: Database, clock: FrozenClock, settings: Settings, tmp_path: Path
) -> None:
    path = write_csv(tmp_path / "x.csv", [["cyfrowe", "Łomża"]], ["Sieć", "Miasto"])
    result = run(empty, clock, settings, path)
    assert not result.ok
    assert result.lines[0].startswith("W pliku brakuje kolumn: imię i nazwisko, rola.")
    missing = run(empty, clock, settings, tmp_path / "nie_ma.xlsx")
    assert not missing.ok and missing.lines[0].startswith("Nie ma pliku")


def test_dry_run_shows_the_changes_and_writes_nothing(
    empty: Database, clock: FrozenClock, settings: Settings, tmp_path: Path
) -> None:
    run(empty, clock, settings, write_xlsx(tmp_path / "v1.xlsx", ROWS))
    newer = [r[:] for r in ROWS if r[4] != "Jędrzej Ślęzak"]
    next(r for r in newer if r[1] == "Świdnik")[3] = "finalista"  # observer → finalist
    newer.append(
        [
            "cyfrowe",
            "Łomża",
            "podlaskie",
            "laureat",
            "Anna Wiśniewska",
            "Specjalistka",
            "",
            "a.wisniewska@um.lomza.pl",
            "przedstawiciel",
            "",
        ]
    )
    result = run(empty, clock, settings, write_xlsx(tmp_path / "v2.xlsx", newer), dry_run=True)
    assert result.ok
    assert result.lines[0] == "Próbny import — plik wprowadziłby 4 zmiany; niczego nie zapisano:"
    assert set(result.lines[1:]) == {
        "• status Świdnik w sieci MIASTO CYFROWE: obserwator → finalista",
        "• dodano osobę: Anna Wiśniewska (Łomża)",
        "• dodano rolę: Anna Wiśniewska — przedstawiciel(ka) miasta w sieci MIASTO CYFROWE",
        "• zakończono rolę: Jędrzej Ślęzak — przedstawiciel(ka) miasta w sieci MIASTO CYFROWE",
    }
    assert "Jędrzej Ślęzak" in people(empty, "cyfrowe")
    assert "Anna Wiśniewska" not in people(empty, "cyfrowe")


def test_person_missing_from_a_newer_file_is_ended_not_deleted(
    empty: Database, clock: FrozenClock, settings: Settings, tmp_path: Path
) -> None:
    run(empty, clock, settings, write_xlsx(tmp_path / "v1.xlsx", ROWS))
    with empty.session() as s:
        cyfrowe = directory.require_network(s, "cyfrowe")
        slezak = s.exec(select(Person).where(Person.name == "Jędrzej Ślęzak")).one()
        grazyna = s.exec(select(Person).where(Person.name == "Grażyna Żółkiewska")).one()
        meeting = Meeting(
            network_id=cyfrowe.id or 0,
            title="Spotkanie w Łomży",
            starts_at=clock.now() + timedelta(days=20),
            format="stacjonarne",
            rsvp_deadline=clock.now() + timedelta(days=10),
            capacity=1,
            created_at=clock.now(),
        )
        s.add(meeting)
        s.flush()
        s.add(
            Rsvp(
                meeting_id=meeting.id or 0,
                person_id=slezak.id or 0,
                answer="stacjonarnie",
                answered_at=clock.now(),
            )
        )
        s.add(
            Rsvp(
                meeting_id=meeting.id or 0,
                person_id=grazyna.id or 0,
                answer="stacjonarnie",
                waitlisted=True,
                answered_at=clock.now() + timedelta(minutes=1),
            )
        )
        directory.link_account(s, grazyna.id or 0, "console", "g", None, clock.now())
    clock.advance(timedelta(days=1))
    newer = [r for r in ROWS if r[4] != "Jędrzej Ślęzak"]
    result = run(empty, clock, settings, write_xlsx(tmp_path / "v2.xlsx", newer))
    assert result.lines[1:] == [
        "• zakończono rolę: Jędrzej Ślęzak — przedstawiciel(ka) miasta w sieci MIASTO CYFROWE"
    ]
    assert "Jędrzej Ślęzak" not in people(empty, "cyfrowe")
    with empty.session() as s:
        kept = s.get(Person, slezak.id)
        assert kept is not None and kept.name == "Jędrzej Ślęzak"  # never deleted
        role = s.exec(select(NetworkRole).where(NetworkRole.person_id == slezak.id)).one()
        assert role.ended_at == clock.now() and role.started_at is not None
        answers = {r.person_id: r for r in s.exec(select(Rsvp)).all()}
        assert answers[slezak.id or 0].answer == "nie"
        assert answers[grazyna.id or 0].waitlisted is False  # promoted to the freed seat
        told = s.exec(select(OutboxMessage).where(OutboxMessage.person_id == grazyna.id)).one()
        assert "Zwolniło się miejsce" in told.payload["text"]
    # Back in a later file: the same row is reopened, the person is not duplicated.
    again = run(empty, clock, settings, write_xlsx(tmp_path / "v3.xlsx", ROWS))
    assert again.lines[1:] == [
        "• dodano rolę: Jędrzej Ślęzak — przedstawiciel(ka) miasta w sieci MIASTO CYFROWE"
    ]
    with empty.session() as s:
        assert len(s.exec(select(Person).where(Person.name == "Jędrzej Ślęzak")).all()) == 1


def test_people_are_matched_by_email_then_by_name_and_city(
    empty: Database, clock: FrozenClock, settings: Settings, tmp_path: Path
) -> None:
    run(empty, clock, settings, write_xlsx(tmp_path / "v1.xlsx", ROWS))
    newer = [r[:] for r in ROWS]
    newer[0][4] = "Grażyna Żółkiewska-Nowak"  # married: same e-mail
    newer[2][7] = "b.lecka@swidnik.pl"  # e-mail added: same name and city
    result = run(empty, clock, settings, write_xlsx(tmp_path / "v2.xlsx", newer))
    assert set(result.lines[1:]) == {
        "• zmieniono dane osoby: Grażyna Żółkiewska-Nowak (name)",
        "• zmieniono dane osoby: Bożena Łęcka (email)",
    }
    with empty.session() as s:
        assert len(s.exec(select(Person)).all()) == 6


@pytest.mark.parametrize("suffix", [".xlsx", ".csv"])
def test_export_imports_back_unchanged(
    seeded: Database, clock: FrozenClock, settings: Settings, tmp_path: Path, suffix: str
) -> None:
    path = tmp_path / f"eksport{suffix}"
    count = roster.export_file(seeded, path)
    with seeded.session() as s:
        held = len(s.exec(select(NetworkRole)).all())
    assert count >= held
    again = run(seeded, clock, settings, path)
    assert again.ok and again.changes == 0, again.lines
    second = tmp_path / f"drugi{suffix}"
    roster.export_file(seeded, second)
    if suffix == ".csv":
        assert path.read_bytes() == second.read_bytes()
        assert path.read_bytes().startswith(b"\xef\xbb\xbf")
        assert "Łomża" in path.read_text(encoding="utf-8-sig")


def test_leaders_network_takes_only_mayors_presidents_and_deputies(
    empty: Database, clock: FrozenClock, settings: Settings, tmp_path: Path
) -> None:
    rows = [
        [
            "liderzy",
            "Gniezno",
            "",
            "laureat",
            "Michał Pawlak",
            "Burmistrz Miasta",
            "",
            "",
            "przedstawiciel",
            "",
        ],
        [
            "liderzy",
            "Sanok",
            "",
            "laureat",
            "Ewa Ryś",
            "Wiceprezydent",
            "",
            "",
            "przedstawiciel",
            "",
        ],
        ["liderzy", "", "", "", "Jan Koordynator", "Koordynator", "", "", "koordynator", ""],
    ]
    result = run(empty, clock, settings, write_csv(tmp_path / "liderzy.csv", rows))
    assert result.ok, result.lines
    assert set(people(empty, "liderzy")) == {"Michał Pawlak", "Ewa Ryś", "Jan Koordynator"}
    with empty.session() as s:
        roles = {Role(r.role) for r in s.exec(select(NetworkRole)).all()}
    assert roles == {Role.REPRESENTATIVE, Role.COORDINATOR}


def test_the_offices_own_sheet_names_networks_and_keeps_its_functions(
    empty: Database, clock: FrozenClock, settings: Settings, tmp_path: Path
) -> None:
    """The office's sheet says "MIASTO CYFROWE" (not the code) and "Burmistrz Miasta" in
    Funkcja: both are accepted, and the export writes the function as the office wrote it."""
    rows = [
        [
            "MIASTO CYFROWE",
            "Łomża",
            "podlaskie",
            "laureat",
            "Jan Ślęzak",
            "Naczelnik Wydziału",
            "Kierownik Referatu Cyfryzacji",
            "j.slezak@um.lomza.pl",
            "przedstawiciel",
            "",
        ],
        [
            "Miasto Neutralne Klimatycznie",
            "Kłodzko",
            "dolnośląskie",
            "lider zmian",
            "Anna Zielińska",
            "",
            "Zastępca Burmistrza Miasta",
            "a.zielinska@um.klodzko.pl",
            "przedstawiciel",
            "",
        ],
    ]
    result = run(empty, clock, settings, write_xlsx(tmp_path / "biuro.xlsx", rows))
    assert result.ok, result.lines
    assert people(empty, "cyfrowe") == {"Jan Ślęzak": "representative"}
    assert people(empty, "zielone") == {"Anna Zielińska": "representative"}
    with empty.session() as s:
        anna = s.exec(select(Person).where(Person.name == "Anna Zielińska")).one()
    assert anna.office == Office.DEPUTY and anna.office_title == "Zastępca Burmistrza Miasta"
    out = tmp_path / "eksport.csv"
    roster.export_file(empty, out)
    text = out.read_text(encoding="utf-8-sig")
    assert "Kierownik Referatu Cyfryzacji" in text and "Zastępca Burmistrza Miasta" in text
    again = run(empty, clock, settings, out)
    assert again.lines[-1] == "Skład już odpowiada plikowi: nie ma nic do zmiany."


def test_an_unknown_network_name_is_still_refused_with_the_codes(
    empty: Database, clock: FrozenClock, settings: Settings, tmp_path: Path
) -> None:
    rows = [["MIASTO PRZYSZŁOŚCI", "Łomża", "", "laureat", "", "", "", "", "", ""]]
    result = run(empty, clock, settings, write_xlsx(tmp_path / "x.xlsx", rows))
    assert not result.ok
    assert "nieznany kod sieci „MIASTO PRZYSZŁOŚCI”" in "\n".join(result.lines)

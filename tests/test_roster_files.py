# ruff: noqa: F811  (the tests take the `empty` fixture imported from tests.test_roster_import)
"""Hostile and awkward roster files: a device, a folder, a pipe, an oversized file, an XLSX that
declares a huge sheet, a zip bomb, too many rows, an old .xls, binary junk: each is refused
with a Polish reason before it is read whole, nothing is imported and no traceback is shown.
And the encodings a Polish office's CSV comes in (UTF-8 with and without a BOM, UTF-16,
Windows-1250, ISO-8859-2) are read right, Polish letters included."""

from __future__ import annotations

import io
import logging
import os
import time
import zipfile
from pathlib import Path

import pytest
from sqlmodel import select

from core.clock import FrozenClock
from core.config import Settings
from handlers.roster import intake
from models.core import City, Person
from models.db import Database
from tests.test_roster_cli import cli, url  # noqa: F401  (url: a fixture)
from tests.test_roster_import import HEADER, ROWS, empty, run, write_xlsx  # noqa: F401

POLISH_ROWS = [
    ["cyfrowe", "Łódź", "łódzkie", "laureat", "Gęś Ąśźowska", "", "", "", "przedstawiciel", ""],
    [
        "cyfrowe",
        "Świętochłowice",
        "śląskie",
        "finalista",
        "Źdźbło Ślęzak",
        "",
        "",
        "",
        "przedstawiciel",
        "",
    ],
    ["zielone", "Ąśź", "", "lider zmian", "", "", "", "", "", ""],
]
CITIES = {"Łódź", "Świętochłowice", "Ąśź"}
NAMES = {"Gęś Ąśźowska", "Źdźbło Ślęzak"}


def _stored(db: Database) -> tuple[set[str], set[str]]:
    with db.session() as s:
        return (
            {c.name for c in s.exec(select(City)).all()},
            {p.name or "" for p in s.exec(select(Person)).all()},
        )


def _refused(
    db: Database, clock: FrozenClock, settings: Settings, path: Path, expected: str
) -> None:
    started = time.perf_counter()
    result = run(db, clock, settings, path)
    assert not result.ok and expected in result.lines[0], result.lines
    assert time.perf_counter() - started < 10  # refused before reading it whole
    assert _stored(db) == (set(), set())


def _sheet_bytes(rows: list[list[str]]) -> bytes:
    path_like = io.BytesIO()
    from openpyxl import Workbook

    book = Workbook()
    sheet = book.active
    assert sheet is not None
    for row in [HEADER, *rows]:
        sheet.append(row)
    book.save(path_like)
    return path_like.getvalue()


def _members(raw: bytes) -> list[tuple[str, bytes]]:
    with zipfile.ZipFile(io.BytesIO(raw)) as archive:
        return [(name, archive.read(name)) for name in archive.namelist()]


def _rewrite(raw: bytes, member: str, change: object) -> bytes:
    """The same XLSX with one member's XML changed by `change(text) -> text`."""
    out = io.BytesIO()
    with (
        zipfile.ZipFile(io.BytesIO(raw)) as source,
        zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as target,
    ):
        for info in source.infolist():
            data = source.read(info.filename)
            if info.filename == member:
                data = change(data.decode()).encode()  # type: ignore[operator]
            target.writestr(info.filename, data)
    return out.getvalue()


@pytest.mark.parametrize("encoding", ["utf-8", "utf-8-sig", "utf-16", "cp1250", "iso-8859-2"])
def test_every_encoding_of_a_polish_csv_is_read_right(
    empty: Database, clock: FrozenClock, settings: Settings, tmp_path: Path, encoding: str
) -> None:
    lines = [";".join(row) for row in [HEADER, *POLISH_ROWS]]
    path = tmp_path / f"skład-{encoding}.csv"
    path.write_bytes("\r\n".join(lines).encode(encoding))
    result = run(empty, clock, settings, path)
    assert result.ok, result.lines
    assert _stored(empty) == (CITIES, NAMES)


def test_excel_unicode_text_utf16_with_tabs_and_utf16_without_a_bom(
    empty: Database, clock: FrozenClock, settings: Settings, tmp_path: Path
) -> None:
    tabs = "\r\n".join("\t".join(row) for row in [HEADER, *POLISH_ROWS])
    (tmp_path / "unicode.txt").write_bytes(tabs.encode("utf-16"))  # Excel: "Unicode text"
    assert run(empty, clock, settings, tmp_path / "unicode.txt").ok
    assert _stored(empty) == (CITIES, NAMES)
    semicolons = "\n".join(";".join(row) for row in [HEADER, *POLISH_ROWS])
    (tmp_path / "bez-bom.csv").write_bytes(semicolons.encode("utf-16-le"))
    result = run(empty, clock, settings, tmp_path / "bez-bom.csv")
    assert result.lines == ["Skład już odpowiada plikowi: nie ma nic do zmiany."]


@pytest.mark.parametrize(
    ("content", "name"),
    [
        (b"Sie\x81;Miasto\n", "niezdefiniowany.csv"),  # 0x81: no character in Windows-1250
        (bytes(range(256)) * 40, "binarny.csv"),
        (b"\x00\x01\x02\x03\x04\x05\x06\x07" * 500, "zera.csv"),
    ],
)
def test_text_in_no_known_encoding_is_refused(
    empty: Database,
    clock: FrozenClock,
    settings: Settings,
    tmp_path: Path,
    content: bytes,
    name: str,
) -> None:
    (tmp_path / name).write_bytes(content)
    _refused(empty, clock, settings, tmp_path / name, "Nie umiem odczytać tekstu pliku")


def test_devices_folders_and_pipes_are_refused_without_reading(
    empty: Database, clock: FrozenClock, settings: Settings, tmp_path: Path
) -> None:
    _refused(empty, clock, settings, Path("/dev/zero"), "nie jest zwykłym plikiem")
    _refused(empty, clock, settings, Path("/dev/urandom"), "nie jest zwykłym plikiem")
    os.symlink("/dev/zero", tmp_path / "skład.csv")
    _refused(empty, clock, settings, tmp_path / "skład.csv", "nie jest zwykłym plikiem")
    (tmp_path / "folder.xlsx").mkdir()
    _refused(empty, clock, settings, tmp_path / "folder.xlsx", "to folder, nie plik")
    os.mkfifo(tmp_path / "potok.csv")  # nobody writes: reading would wait for ever
    _refused(empty, clock, settings, tmp_path / "potok.csv", "nie jest zwykłym plikiem")


def test_oversized_files_and_too_many_rows_are_refused(
    empty: Database, clock: FrozenClock, settings: Settings, tmp_path: Path
) -> None:
    big = tmp_path / "duży.csv"
    big.write_bytes(b";".join(h.encode() for h in HEADER) + b"\n" + b"x" * intake.MAX_BYTES)
    _refused(empty, clock, settings, big, "jest za duży: plik ze składem może mieć najwyżej 5 MB")
    rows = tmp_path / "wiersze.csv"
    row = ";".join(ROWS[0]) + "\n"
    rows.write_text(";".join(HEADER) + "\n" + row * intake.MAX_ROWS, encoding="utf-8")
    _refused(empty, clock, settings, rows, "skład może mieć najwyżej 10000 wierszy")
    sheet = tmp_path / "wiersze.xlsx"
    write_xlsx(sheet, [ROWS[0]] * intake.MAX_ROWS)
    _refused(empty, clock, settings, sheet, "skład może mieć najwyżej 10000 wierszy")


def test_a_small_xlsx_declaring_a_huge_sheet_is_refused(
    empty: Database, clock: FrozenClock, settings: Settings, tmp_path: Path
) -> None:
    sheet = "xl/worksheets/sheet1.xml"
    raw = _sheet_bytes(ROWS[:1])
    declared = _rewrite(raw, sheet, lambda xml: xml.replace('ref="A1:J2"', 'ref="A1:XFD1048576"'))
    assert len(declared) < 10_000
    (tmp_path / "deklaruje.xlsx").write_bytes(declared)
    _refused(
        empty,
        clock,
        settings,
        tmp_path / "deklaruje.xlsx",
        "skład może mieć najwyżej 10000 wierszy",
    )

    # no dimension at all, but a row far below and a cell far right: streamed, stopped
    def far(xml: str) -> str:
        xml = xml.replace('<dimension ref="A1:J2"/>', "")
        return xml.replace(
            "</sheetData>",
            '<row r="1048576"><c r="XFD1048576" t="inlineStr"><is><t>x</t></is></c></row>'
            "</sheetData>",
        )

    (tmp_path / "daleko.xlsx").write_bytes(_rewrite(raw, sheet, far))
    _refused(
        empty, clock, settings, tmp_path / "daleko.xlsx", "skład może mieć najwyżej 10000 wierszy"
    )


def test_a_zip_bomb_is_refused_before_it_is_unpacked(
    empty: Database, clock: FrozenClock, settings: Settings, tmp_path: Path
) -> None:
    for size, shown in ((60_000_000, "61 MB"), (20_000_000, "21 MB")):  # too big; too packed
        bomb = io.BytesIO()
        with zipfile.ZipFile(bomb, "w", zipfile.ZIP_DEFLATED) as archive:
            for name, data in _members(_sheet_bytes(ROWS[:1])):
                archive.writestr(name, data)
            archive.writestr("xl/sharedStrings.xml", b"<" + b" " * size)
        assert len(bomb.getvalue()) < 200_000
        (tmp_path / "bomba.xlsx").write_bytes(bomb.getvalue())
        _refused(empty, clock, settings, tmp_path / "bomba.xlsx", f"rozpakowałby się do {shown}")


def test_an_old_xls_and_a_broken_xlsx_are_explained(
    empty: Database, clock: FrozenClock, settings: Settings, tmp_path: Path
) -> None:
    (tmp_path / "stary.xls").write_bytes(b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 4000)
    _refused(empty, clock, settings, tmp_path / "stary.xls", "to stary skoroszyt Excela (.xls)")
    (tmp_path / "urwany.xlsx").write_bytes(_sheet_bytes(ROWS[:1])[:900])
    _refused(empty, clock, settings, tmp_path / "urwany.xlsx", "nie jest poprawnym skoroszytem")


def test_the_cli_refuses_a_device_and_a_folder_without_a_traceback(
    url: str,
    clock: FrozenClock,
    tmp_path: Path,
    caplog: pytest.LogCaptureFixture,
    capsys: pytest.CaptureFixture[str],
) -> None:
    with caplog.at_level(logging.ERROR):
        code, out = cli(clock, "roster", "import", "/dev/zero")
        assert code == 1 and out.startswith("/dev/zero nie jest zwykłym plikiem"), out
        code, out = cli(clock, "roster", "import", str(tmp_path))
        assert code == 1 and "to folder, nie plik" in out, out
    assert "Traceback" not in capsys.readouterr().err
    assert not [r for r in caplog.records if r.exc_info]
    code, out = cli(clock, "people", "cyfrowe")
    assert out.splitlines() == ["MIASTO CYFROWE (cyfrowe) — 0 osób"]

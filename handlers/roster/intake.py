"""Reading the office's roster file safely: the cells of its first sheet (XLSX) or of its
lines (CSV), within limits checked before anything is unpacked or decoded.

Only an ordinary file is read (not a folder, a device such as /dev/zero, or a pipe), of at
most MAX_BYTES; an XLSX is a zip archive, so what it unpacks to is checked first (in total and
against its packed size: a zip bomb is refused before openpyxl opens it), then the sheet's
declared size, then its rows as they stream, stopping at MAX_ROWS. A CSV is decoded by
core.textfile (UTF-8, UTF-16, Windows-1250, ISO-8859-2) and split by `;`, `,` or a tab.
"""

from __future__ import annotations

import csv
import io
import math
import os
import stat
import zipfile
from pathlib import Path
from typing import Any

from core.textfile import UnknownEncoding, decode
from models.errors import N_, Nn_

MAX_BYTES = 5_000_000  # a 10,000-row roster is well under 2 MB as XLSX or CSV
MAX_ROWS = 10_000  # lines of the sheet, the header included
ROWS = Nn_("{n} row", "{n} rows", MAX_ROWS)
MAX_COLUMNS = 100  # cells further right are not read
MAX_UNPACKED = 50_000_000  # what an XLSX may unpack to, in all
MAX_RATIO = 100  # unpacked / packed, for an XLSX that unpacks to more than 1 MB
_ZIP, _OLE = b"PK\x03\x04", b"\xd0\xcf\x11\xe0"


class UnreadableFile(Exception):
    def __init__(self, msgid: str, **params: Any) -> None:
        super().__init__(msgid)
        self.msgid, self.params = msgid, params


def _megabytes(size: int) -> int:
    return max(1, math.ceil(size / 1_000_000))


def read_bytes(path: Path) -> bytes:
    """The file's bytes, if it is an ordinary file of at most MAX_BYTES."""
    try:
        # O_NONBLOCK: opening a pipe does not wait for a writer; fstat then tells what it is
        fd = os.open(path, os.O_RDONLY | os.O_NONBLOCK | getattr(os, "O_NOCTTY", 0))
    except FileNotFoundError:
        raise UnreadableFile(N_("There is no file {file}."), file=str(path)) from None
    except IsADirectoryError:
        raise UnreadableFile(FOLDER, file=str(path)) from None
    except PermissionError:
        raise UnreadableFile(N_("I may not read the file {file}."), file=str(path)) from None
    except OSError:
        raise UnreadableFile(N_("The file {file} cannot be read."), file=str(path)) from None
    try:
        mode = os.fstat(fd).st_mode
        if stat.S_ISDIR(mode):
            raise UnreadableFile(FOLDER, file=str(path))
        if not stat.S_ISREG(mode):
            raise UnreadableFile(
                N_(
                    "{file} is not an ordinary file (it is a device or a pipe): save the "
                    "roster as an XLSX or CSV file and give that file."
                ),
                file=str(path),
            )
        chunks, size = [], 0
        while size <= MAX_BYTES and (chunk := os.read(fd, MAX_BYTES + 1 - size)):
            chunks.append(chunk)
            size += len(chunk)
        raw = b"".join(chunks)
    finally:
        os.close(fd)
    if len(raw) > MAX_BYTES:
        raise UnreadableFile(
            N_("The file {file} is too big: a roster file may have at most {limit} MB."),
            file=path.name,
            limit=_megabytes(MAX_BYTES),
        )
    return raw


FOLDER = N_("{file} is a folder, not a file: give the roster file itself.")
TOO_MANY_ROWS = N_(
    "The file {file} is too long: a roster may have at most {most}. "
    "Split it by network and import the parts one after another."
)


def cells(path: Path) -> list[list[str]]:
    """Every row of the file as its cells' text (stripped), or UnreadableFile saying why."""
    raw = read_bytes(path)
    if raw.startswith(_ZIP) or path.suffix.lower() in (".xlsx", ".xlsm"):
        return _xlsx(raw, path.name)
    if raw.startswith(_OLE):
        raise UnreadableFile(
            N_(
                "The file {file} is an old Excel workbook (.xls): save it as .xlsx (Excel "
                "workbook) or as CSV and import that."
            ),
            file=path.name,
        )
    return _csv(raw, path.name)


def _check_archive(raw: bytes, name: str) -> None:
    broken = UnreadableFile(N_("The file {file} is not a readable XLSX workbook."), file=name)
    try:
        with zipfile.ZipFile(io.BytesIO(raw)) as archive:
            members = archive.infolist()
    except (zipfile.BadZipFile, zipfile.LargeZipFile, ValueError, OSError, EOFError):
        raise broken from None
    unpacked = sum(m.file_size for m in members)
    packed = sum(m.compress_size for m in members)
    if unpacked > MAX_UNPACKED or (unpacked > 1_000_000 and unpacked > MAX_RATIO * packed):
        raise UnreadableFile(
            N_(
                "The file {file} would unpack to {size} MB, far more than a roster sheet "
                "(at most {limit} MB, {ratio}× its packed size): it is refused unopened."
            ),
            file=name,
            size=_megabytes(unpacked),
            limit=_megabytes(MAX_UNPACKED),
            ratio=MAX_RATIO,
        )


def _xlsx(raw: bytes, name: str) -> list[list[str]]:
    """(zipfile stops every member at its declared size, so the check above bounds what
    openpyxl can unpack.)"""
    _check_archive(raw, name)
    from openpyxl import load_workbook

    try:
        book = load_workbook(io.BytesIO(raw), read_only=True, data_only=True)
    except Exception as error:  # openpyxl raises several kinds for a broken file
        raise UnreadableFile(
            N_("The file {file} is not a readable XLSX workbook."), file=name
        ) from error
    try:
        if not book.worksheets:
            raise UnreadableFile(N_("The file {file} is empty."), file=name)
        sheet = book.worksheets[0]
        declared = sheet.max_row or 0
        if declared > MAX_ROWS:
            raise UnreadableFile(TOO_MANY_ROWS, file=name, most=ROWS)
        sheet.reset_dimensions()  # a declared width or height is not trusted for padding
        rows: list[list[str]] = []
        try:
            for row in sheet.iter_rows(max_col=MAX_COLUMNS, values_only=True):
                if len(rows) == MAX_ROWS:
                    raise UnreadableFile(TOO_MANY_ROWS, file=name, most=ROWS)
                rows.append(["" if v is None else str(v).strip() for v in row])
        except UnreadableFile:
            raise
        except Exception as error:  # a broken sheet inside a sound archive
            raise UnreadableFile(
                N_("The file {file} is not a readable XLSX workbook."), file=name
            ) from error
        return rows
    finally:
        book.close()


def _csv(raw: bytes, name: str) -> list[list[str]]:
    try:
        text, _encoding = decode(raw)
    except UnknownEncoding:
        raise UnreadableFile(
            N_(
                "I cannot read the text of {file}: it is not in an encoding I know (UTF-8, "
                "UTF-16, Windows-1250, ISO-8859-2) or not a text file. Save it from Excel as "
                "“CSV UTF-8” or as an XLSX workbook."
            ),
            file=name,
        ) from None
    first = next((line for line in text.splitlines() if line.strip()), "")
    delimiter = max(";,\t", key=first.count)  # ties: `;`, as Polish Excel writes
    rows: list[list[str]] = []
    try:
        for row in csv.reader(io.StringIO(text, newline=""), delimiter=delimiter):
            if len(rows) == MAX_ROWS:
                raise UnreadableFile(TOO_MANY_ROWS, file=name, most=ROWS)
            rows.append([c.strip() for c in row[:MAX_COLUMNS]])
    except csv.Error:
        raise UnreadableFile(
            N_("The file {file} is not a readable CSV table (a quote is never closed?)."),
            file=name,
        ) from None
    return rows

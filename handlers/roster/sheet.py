"""The office's roster sheet (XLSX or CSV): reading it leniently, checking every row, writing it
back in the same shape. Polish headers and values are accepted with or without diacritics and
in any case; all problems are reported at once with their row numbers."""

from __future__ import annotations

import functools
import re
import unicodedata
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from core.cells import SafeWriter, safe_row, unescape_cell
from core.i18n import Translator
from core.textfile import is_control
from handlers.roster import intake
from handlers.roster.intake import UnreadableFile
from models import fields
from models.enums import Office, Role, Standing
from models.errors import N_, Msgid, Nn_
from models.roster import MAX_REPRESENTATIVES, Change, RosterRow

# Column keys and the headers (normalised) that name them; the first is what export writes.
COLUMNS: dict[str, tuple[str, ...]] = {
    "network": ("sieć", "kod sieci", "sieci", "network", "kod"),
    "city": ("miasto", "city", "gmina"),
    "voivodeship": ("województwo", "voivodeship", "woj"),
    "standing": ("status", "status miasta", "status w sieci", "standing"),
    "name": ("imię i nazwisko", "osoba", "nazwisko i imię", "name", "imie nazwisko"),
    "position": ("stanowisko", "position"),
    "office": ("funkcja", "urząd", "office"),
    "email": ("e-mail", "email", "adres e-mail", "mail", "adres email"),
    "role": ("rola", "role"),
    "language": ("język", "language", "lang"),
}
STANDINGS = {
    "laureat": Standing.LAUREATE,
    "laureatka": Standing.LAUREATE,
    "laureate": Standing.LAUREATE,
    "finalista": Standing.FINALIST,
    "finalist": Standing.FINALIST,
    "lider zmian": Standing.CHANGE_LEADER,
    "change leader": Standing.CHANGE_LEADER,
    "obserwator": Standing.OBSERVER,
    "observer": Standing.OBSERVER,
}
ROLES = {
    "przedstawiciel": Role.REPRESENTATIVE,
    "przedstawicielka": Role.REPRESENTATIVE,
    "representative": Role.REPRESENTATIVE,
    "koordynator": Role.COORDINATOR,
    "koordynatorka": Role.COORDINATOR,
    "koordynator facylitator": Role.COORDINATOR,
    "coordinator": Role.COORDINATOR,
    "ekspert": Role.EXPERT,
    "ekspertka": Role.EXPERT,
    "ekspert moderator": Role.EXPERT,
    "expert": Role.EXPERT,
    "opiekun": Role.ORGANISER,
    "opiekunka": Role.ORGANISER,
    "opiekun organizacyjny": Role.ORGANISER,
    "organiser": Role.ORGANISER,
    "zespol koordynujacy": Role.COORDINATING_TEAM,
    "coordinating team": Role.COORDINATING_TEAM,
}
ROLE_WORD = {
    Role.REPRESENTATIVE: "przedstawiciel",
    Role.COORDINATOR: "koordynator",
    Role.EXPERT: "ekspert",
    Role.ORGANISER: "opiekun",
    Role.COORDINATING_TEAM: "zespół koordynujący",
}
STANDING_WORD = {
    Standing.LAUREATE: "laureat",
    Standing.FINALIST: "finalista",
    Standing.CHANGE_LEADER: "lider zmian",
    Standing.OBSERVER: "obserwator",
}
OFFICE_WORD = {
    Office.MAYOR: "burmistrz",
    Office.CITY_PRESIDENT: "prezydent",
    Office.DEPUTY: "zastępca",
    Office.OFFICIAL: "urzędnik",
}
LANGUAGES = {
    "pl": "pl",
    "polski": "pl",
    "en": "en",
    "angielski": "en",
    "english": "en",
    "polish": "pl",
}
_EMAIL = re.compile(r"^[^@\s;,]+@[^@\s;,]+\.[^@\s;,]+$")


@functools.lru_cache(maxsize=4096)
def fold(text: str) -> str:
    """Lower case, no diacritics (ł too), single spaces, '_'/'-' as spaces: what we compare."""
    text = text.replace("ł", "l").replace("Ł", "L")
    text = unicodedata.normalize("NFKD", text)
    text = "".join(c for c in text if not unicodedata.combining(c))
    return " ".join(re.sub(r"[_\-./]+", " ", text).split()).casefold()


_OFFICE_WORDS = frozenset(fold(w) for w in OFFICE_WORD.values())
_HEADERS = {fold(alias): key for key, aliases in COLUMNS.items() for alias in aliases}


def office_of(text: str | None) -> Office:
    """What a position means for admission: mayors, presidents, deputies; everyone else."""
    words = fold(text or "")
    if words.startswith(("zastepca", "wice", "deputy", "i zastepca", "ii zastepca")):
        return Office.DEPUTY
    if words.startswith(("burmistrz", "wojt", "mayor")):
        return Office.MAYOR
    if words.startswith(("prezydent", "president", "city president")):
        return Office.CITY_PRESIDENT
    return Office.OFFICIAL


def valid_email(text: str) -> bool:
    return bool(_EMAIL.match(text))


@dataclass(frozen=True)
class Problem:
    line: int
    msgid: str
    params: dict[str, Any] = field(default_factory=dict)
    warning: bool = False


def read(
    path: Path, network_codes: Iterable[str], network_names: Mapping[str, str] | None = None
) -> tuple[list[RosterRow], list[Problem]]:
    """Every checked row and every problem (errors and warnings) in the file. A network is
    named by its code or, as the office's own sheet does, by its name ("MIASTO CYFROWE", or
    either half of "MIASTO NEUTRALNE KLIMATYCZNIE / ZIELONE"): `network_names` maps names to
    codes."""
    cells = [[unescape_cell(c) for c in row] for row in intake.cells(path)]
    header_at = next((i for i, row in enumerate(cells) if any(row)), None)
    if header_at is None:
        raise UnreadableFile(N_("The file {file} is empty."), file=path.name)
    columns = {i: _HEADERS.get(fold(h)) for i, h in enumerate(cells[header_at])}
    missing = [k for k in ("network", "city", "name", "role") if k not in columns.values()]
    if missing:
        raise UnreadableFile(
            N_("The file has no column for: {columns}. Expected headers: {expected}."),
            columns=", ".join(COLUMNS[k][0] for k in missing),
            expected=", ".join(aliases[0] for aliases in COLUMNS.values()),
        )
    codes = {fold(c): c for c in network_codes}
    for name, code in (network_names or {}).items():
        for alias in (name, *name.split("/")):
            codes.setdefault(fold(alias), code)
    rows: list[RosterRow] = []
    problems: list[Problem] = []
    for i, cells_row in enumerate(cells[header_at + 1 :], start=header_at + 2):
        values = {
            key: cells_row[j].strip()
            for j, key in columns.items()
            if key and j < len(cells_row) and cells_row[j].strip()
        }
        if not values:
            continue
        unfit = _bounded(i, values)
        if unfit:  # (the other checks would only repeat the value)
            problems += unfit
            continue
        row, found = _check(i, values, codes)
        problems += found
        if row is not None and not any(not p.warning for p in found):
            rows.append(row)
    problems += _cross_checks(rows)
    return rows, sorted(problems, key=lambda p: (p.line, p.warning))


# the file's columns that end in a column of the store: bounded by its field (models.fields)
FIELD_OF = {
    "city": "city",
    "voivodeship": "voivodeship",
    "name": "name",
    "position": "position",
    "office": "office",
    "email": "email",
}


def _bounded(line: int, values: dict[str, str]) -> list[Problem]:
    """A cell with a NUL, or longer than its column allows, is a problem of the row (the same
    rule on SQLite and PostgreSQL); other control characters are dropped from the cells."""
    problems = []
    for key, value in values.items():
        name = Msgid(fields.FIELDS[FIELD_OF[key]].label) if key in FIELD_OF else COLUMNS[key][0]
        if "\x00" in value:
            problems.append(
                Problem(line, N_("“{field}” contains a NUL character: remove it"), {"field": name})
            )
            continue
        if any(is_control(c) for c in value):
            values[key] = value = "".join(c for c in value if not is_control(c))
        if key in FIELD_OF and len(value) > fields.limit(FIELD_OF[key]):
            problems.append(
                Problem(
                    line,
                    N_("“{field}” is too long: at most {most} (it has {length})"),
                    {
                        "field": name,
                        "most": Nn_("{n} character", "{n} characters", fields.limit(FIELD_OF[key])),
                        "length": len(value),
                    },
                )
            )
    return problems


def _check(
    line: int, v: dict[str, str], codes: dict[str, str]
) -> tuple[RosterRow | None, list[Problem]]:
    problems: list[Problem] = []

    def bad(msgid: str, **params: Any) -> None:
        problems.append(Problem(line, msgid, params))

    role = None
    if "role" in v:
        role = ROLES.get(fold(v["role"]))
        if role is None:
            bad(
                N_(
                    "unknown role “{value}” (przedstawiciel, koordynator, ekspert, opiekun, "
                    "zespół koordynujący)"
                ),
                value=v["role"],
            )
    network = None
    if "network" in v:
        network = codes.get(fold(v["network"]))
        if network is None:
            bad(
                N_("unknown network code “{value}” (known: {codes})"),
                value=v["network"],
                codes=", ".join(dict.fromkeys(codes.values())),
            )
    elif role is not Role.COORDINATING_TEAM:
        bad(N_("no network code"))
    standing = None
    if "standing" in v:
        standing = STANDINGS.get(fold(v["standing"]))
        if standing is None:
            bad(
                N_("unknown standing “{value}” (laureat, finalista, lider zmian, obserwator)"),
                value=v["standing"],
            )
    name, email = v.get("name"), v.get("email")
    if email and not valid_email(email):
        bad(N_("bad e-mail address “{value}”"), value=email)
    language = None
    if "language" in v:
        language = LANGUAGES.get(fold(v["language"]))
        if language is None:
            bad(N_("unknown language “{value}” (pl or en)"), value=v["language"])
    office = office_of(v.get("office") or v.get("position"))
    if name is None and role is not None:
        bad(N_("no name of the person"))
    if name is not None and role is None and "role" not in v:
        bad(N_("no role of the person"))
    if role is Role.REPRESENTATIVE and "city" not in v:
        bad(N_("a representative needs a city"))
    if "city" in v and network and "standing" not in v and role in (None, Role.REPRESENTATIVE):
        bad(
            N_(
                "no standing of the city in the network (laureat, finalista, lider zmian, "
                "obserwator)"
            )
        )
    if name is None and "city" not in v:
        bad(N_("the row names neither a person nor a city"))
    if network == "liderzy" and standing is Standing.OBSERVER:
        bad(N_("the leaders' network is closed: it has no observer cities"))
    if network == "liderzy" and role is Role.REPRESENTATIVE and not office.may_lead:
        bad(
            N_(
                "the leaders' network admits only mayors, city presidents and their deputies "
                "(office: “{value}”)"
            ),
            value=v.get("office") or v.get("position") or "—",
        )
    if problems:
        return None, problems
    return RosterRow(
        line,
        None if role is Role.COORDINATING_TEAM else network,
        v.get("city"),
        v.get("voivodeship"),
        standing,
        name,
        v.get("position"),
        office,
        email,
        role,
        language,
        _office_title(v.get("office")),
    ), problems


def _office_title(text: str | None) -> str | None:
    """The sheet's "Funkcja" as written, unless it is only our own word for the office."""
    if text is None or fold(text) in _OFFICE_WORDS:
        return None
    return " ".join(text.split())


def _cross_checks(rows: Sequence[RosterRow]) -> list[Problem]:
    problems: list[Problem] = []
    standings: dict[tuple[str, str], tuple[Standing, int]] = {}
    seats: dict[tuple[str, str], list[RosterRow]] = {}
    for row in rows:
        if row.network and row.city and row.standing:
            key = (row.network, fold(row.city))
            first = standings.setdefault(key, (row.standing, row.line))
            if first[0] is not row.standing:
                problems.append(
                    Problem(
                        row.line,
                        N_("standing of {city} in {network} differs from row {row}"),
                        {"city": row.city, "network": row.network, "row": first[1]},
                    )
                )
        if row.network and row.city and row.role is Role.REPRESENTATIVE:
            seats.setdefault((row.network, fold(row.city)), []).append(row)
    for (network, _city), reps in seats.items():
        people = {(fold(r.email or ""), fold(r.name or "")) for r in reps}
        if len(people) > MAX_REPRESENTATIVES:
            problems.append(
                Problem(
                    reps[MAX_REPRESENTATIVES].line,
                    N_("{city} has {representatives} in {network}, more than the handbook's 2–3"),
                    {
                        "city": reps[0].city,
                        "representatives": Nn_(
                            "{n} representative", "{n} representatives", len(people)
                        ),
                        "network": network,
                    },
                    warning=True,
                )
            )
    return problems


def describe_problem(t: Translator, problem: Problem) -> str:
    text = t(problem.msgid, **problem.params)
    if problem.warning:
        return t("Row {row} (warning): {problem}", row=problem.line, problem=text)
    return t("Row {row}: {problem}", row=problem.line, problem=text)


def describe_change(t: Translator, change: Change) -> str:
    from handlers.kit.labels import ROLE, STANDING

    params = dict(change.params)
    if params.get("role") in Role.__members__.values():
        params["role"] = t(ROLE[Role(params["role"])])
    for key in ("standing", "old"):
        if params.get(key) in Standing.__members__.values():
            params[key] = t(STANDING[Standing(params[key])])
    return t(change.msgid, **params)


HEADER = [aliases[0] for aliases in COLUMNS.values()]


def _export_cells(rows: Sequence[RosterRow]) -> list[list[str]]:
    return [
        [
            r.network or "",
            r.city or "",
            r.voivodeship or "",
            STANDING_WORD[r.standing] if r.standing else "",
            r.name or "",
            r.position or "",
            (r.office_title or OFFICE_WORD[r.office]) if r.name else "",
            r.email or "",
            ROLE_WORD[r.role] if r.role else "",
            r.language or "",
        ]
        for r in rows
    ]


def write(path: Path, rows: Sequence[RosterRow]) -> None:
    """XLSX for .xlsx, else CSV (UTF-8 with BOM and `;`, as Polish Excel opens it)."""
    cells = [HEADER, *_export_cells(rows)]
    if path.suffix.lower() == ".xlsx":
        from openpyxl import Workbook

        book = Workbook()
        sheet = book.active
        assert sheet is not None
        sheet.title = "Skład sieci"
        for row in cells:
            sheet.append(safe_row(row))
        for line in sheet.iter_rows():
            for cell in line:
                if isinstance(cell.value, str):
                    cell.data_type = "s"  # text, never a formula
        book.save(path)
        return
    with path.open("w", encoding="utf-8-sig", newline="") as out:
        SafeWriter(out, delimiter=";").writerows(cells)

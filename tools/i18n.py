"""Developer helper: Babel's extract/update workflow over one catalogue per feature.

    python -m tools.i18n            # templates and .po files: new ids added, unused ones dropped
    python -m tools.i18n --check    # write nothing; exit 1 when pl has untranslated ids

It reads the settings `pybabel extract` reads (`[tool.babel.*]` in pyproject.toml: sources,
keywords, mappings), so both see the same ids. Each id lives in the catalogue of the feature
that uses it (`<feature>.po`, named as handlers/<feature>); ids shared by several features or
used by the kit and the edges live in messages.po. The per-feature templates go to
core/locale/templates/<feature>.pot (not kept in git); each .po file is then updated from its
template exactly as `pybabel update -D <feature>` would (a changed id gets the old translation
as a fuzzy suggestion, which the bot ignores until someone confirms it).
"""

from __future__ import annotations

import sys
import tomllib
from collections.abc import Iterable
from datetime import UTC, datetime
from functools import cache
from pathlib import Path
from typing import Any

from babel.messages.catalog import Catalog
from babel.messages.extract import extract_from_dir
from babel.messages.frontend import parse_keywords
from babel.messages.pofile import read_po, write_po

from core.i18n import LANGUAGES, PLURAL_FORMS

ROOT = Path(__file__).resolve().parent.parent
LOCALES = ROOT / "core" / "locale"
TEMPLATES = LOCALES / "templates"
STABLE_DATE = datetime(2026, 1, 1, tzinfo=UTC)
PROJECT = "empirie-bot"
WIDTH = 100

MsgId = str | tuple[str, str]  # a plural message is (singular, plural)


@cache
def babel_settings() -> dict[str, Any]:
    with (ROOT / "pyproject.toml").open("rb") as handle:
        return dict(tomllib.load(handle)["tool"]["babel"])


def sources() -> tuple[str, ...]:
    return tuple(babel_settings()["extract_messages"]["input_paths"])


def keywords() -> dict[str, Any]:
    return dict(parse_keywords(babel_settings()["extract_messages"]["keywords"]))


def methods() -> list[tuple[str, str]]:
    return [(m["pattern"], m["method"]) for m in babel_settings()["mappings"]]


def source_ids() -> dict[MsgId, list[tuple[str, int]]]:
    """Every message id in the code, with where it is used."""
    found: dict[MsgId, list[tuple[str, int]]] = {}
    for folder in sources():
        for filename, lineno, message, _comments, _ctx in extract_from_dir(
            ROOT / folder, method_map=methods(), keywords=keywords(), comment_tags=()
        ):
            key: MsgId | None = None
            if isinstance(message, str):
                key = message
            elif isinstance(message, tuple) and len(message) == 2 and all(message):
                key = (str(message[0]), str(message[1]))
            if key is not None:
                found.setdefault(key, []).append((f"{folder}/{filename}", lineno))
    return found


def _files(language: str) -> list[Path]:
    folder = LOCALES / language / "LC_MESSAGES"
    return sorted(folder.glob("*.po"), key=lambda p: (p.name != "messages.po", p.name))


def _read(path: Path, language: str | None = None) -> Catalog:
    with path.open("rb") as handle:
        return read_po(handle, locale=language)


def _save(path: Path, catalog: Catalog) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("wb") as handle:
        write_po(
            handle,
            catalog,
            width=WIDTH,
            omit_header=False,
            sort_output=True,
            no_location=True,
            ignore_obsolete=True,
        )


def features() -> set[str]:
    folder = ROOT / "handlers"
    return {
        p.stem if p.is_file() else p.name
        for p in folder.iterdir()
        if (p.suffix == ".py" or (p / "__init__.py").exists())
        and p.stem not in ("__init__", "kit", "__pycache__")
    }


def feature_of(location: str, known: set[str]) -> str | None:
    """The feature a source file belongs to: handlers/<f>…, jobs/<f>.py, bot/pages/<f>.py,
    bot/pages/templates/<f>.html, bot/pages/<f>/…, models/<f>…; None for the kit, the kernel and the edges."""
    parts = Path(location).parts
    candidates: list[str] = []
    if parts[0] in ("handlers", "jobs", "models") and len(parts) > 1:
        candidates.append(Path(parts[1]).stem)
    if parts[:2] == ("bot", "pages") and len(parts) > 3:  # a package: bot/pages/<f>/…
        candidates.append(parts[2])
    if parts[:2] == ("bot", "pages") and len(parts) > 2:
        candidates.append(Path(parts[-1]).stem)
    return next((c for c in candidates if c in known), None)


def home(locations: list[tuple[str, int]], known: set[str]) -> str:
    """The catalogue file of a message: its feature's, or messages.po when it is shared."""
    owners = {feature_of(path, known) for path, _ in locations}
    if len(owners) == 1 and None not in owners:
        return f"{owners.pop()}.po"
    return "messages.po"


def templates() -> dict[str, Catalog]:
    """One template (.pot) per catalogue file: the ids the code uses there."""
    ids, known = source_ids(), features()
    result: dict[str, Catalog] = {}
    for msgid, locations in ids.items():
        name = home(locations, known)
        template = result.setdefault(
            name, Catalog(project=PROJECT, fuzzy=False, creation_date=STABLE_DATE)
        )
        template.add(msgid)
    return result


def _key(msgid: Any) -> str:
    return str(msgid[0] if isinstance(msgid, tuple | list) else msgid)


def update(language: str, pots: dict[str, Catalog]) -> dict[str, Catalog]:
    """Each .po file updated from its template as `pybabel update` does; a translation
    follows its id when the id moves to another feature's file."""
    existing = {path.name: _read(path, language) for path in _files(language)}
    wanted = {_key(m.id) for pot in pots.values() for m in pot if m.id}
    everywhere: dict[str, Any] = {}  # every translated message, whichever file holds it
    for old in existing.values():
        for message in old:
            if message.id and _key(message.id) not in everywhere:
                everywhere[_key(message.id)] = message
    updated: dict[str, Catalog] = {}
    for name, pot in pots.items():
        old = existing.get(name)
        catalog = Catalog(
            locale=language,
            project=PROJECT,
            fuzzy=False,
            creation_date=old.creation_date if old else STABLE_DATE,
        )
        catalog.mime_headers = [("Plural-Forms", PLURAL_FORMS[language])]
        mine = {_key(m.id) for m in pot if m.id}
        for key, message in everywhere.items():
            # this file's ids, and ids nobody uses any more (candidates for a fuzzy match)
            in_here = old is not None and key in old
            if key in mine or (in_here and key not in wanted):
                catalog[message.id] = message
        catalog.update(pot, update_header_comment=False, update_creation_date=False)
        for message in catalog:
            if message.fuzzy and not any(_forms(message.string)):
                message.flags.discard("fuzzy")  # nothing to suggest
            if language == "en" and message.id and not all(_forms(message.string)):
                # the ids are English: an English entry without its own wording is the id
                message.string = message.id
                message.flags.discard("fuzzy")
        updated[name] = catalog
    return updated


def _forms(string: Any) -> Iterable[str]:
    return string if isinstance(string, tuple | list) else (string,)


def untranslated(catalogs: dict[str, Catalog]) -> list[str]:
    return sorted(
        _key(m.id)
        for catalog in catalogs.values()
        for m in catalog
        if m.id and (m.fuzzy or not all(_forms(m.string)))
    )


def refresh(language: str, write: bool = True) -> list[str]:
    """Update the language's .po files from the code; the ids still untranslated."""
    pots = templates()
    catalogs = update(language, pots)
    if write:
        for name, pot in pots.items():
            _save(TEMPLATES / f"{Path(name).stem}.pot", pot)
        folder = LOCALES / language / "LC_MESSAGES"
        for path in _files(language):
            if path.name not in catalogs:
                path.unlink()
        for name, catalog in catalogs.items():
            _save(folder / name, catalog)
    return untranslated(catalogs)


def main() -> int:
    check = "--check" in sys.argv  # report only, write nothing
    missing: list[str] = []
    for language in LANGUAGES:
        gaps = refresh(language, write=not check)
        if language == "pl":
            missing = gaps
    for msgid in missing:
        print(f"untranslated (pl): {msgid!r}")
    return 1 if check and missing else 0


if __name__ == "__main__":
    raise SystemExit(main())

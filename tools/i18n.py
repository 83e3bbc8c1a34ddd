"""Developer helper: refresh the .po catalogues from the sources and report gaps.

    python -m tools.i18n            # add new message ids, drop unused ones, list untranslated
                                    # (English entries are filled with their id)
    python -m tools.i18n --check    # write nothing; exit 1 when pl has untranslated ids

Each id lives in the catalogue of the feature that uses it (`<feature>.po`, named as
handlers/<feature>); ids shared by several features or used by the kit and the edges live in
messages.po.
"""

from __future__ import annotations

import sys
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from babel.messages.catalog import Catalog
from babel.messages.extract import extract_from_dir
from babel.messages.pofile import read_po, write_po

ROOT = Path(__file__).resolve().parent.parent
SOURCES = ("bot", "core", "handlers", "models", "jobs")
KEYWORDS = {"t": None, "N_": None, "NP_": None, "plural": None}
# Python sources, and the pages' Jinja templates (they translate with `t("...")` too)
METHODS = [("**.py", "python"), ("**/templates/**.html", "jinja2.ext:babel_extract")]
LOCALES = ROOT / "core" / "locale"
STABLE_DATE = datetime(2026, 1, 1, tzinfo=UTC)


def source_ids() -> dict[str, list[tuple[str, int]]]:
    found: dict[str, list[tuple[str, int]]] = {}
    for folder in SOURCES:
        for filename, lineno, message, _comments, _ctx in extract_from_dir(
            ROOT / folder, method_map=METHODS, keywords=KEYWORDS, comment_tags=()
        ):
            if isinstance(message, str):
                found.setdefault(message, []).append((f"{folder}/{filename}", lineno))
    return found


def _files(language: str) -> list[Path]:
    folder = LOCALES / language / "LC_MESSAGES"
    return sorted(folder.glob("*.po"), key=lambda p: (p.name != "messages.po", p.name))


def _read(path: Path, language: str) -> Catalog:
    with path.open("rb") as handle:
        return read_po(handle, locale=language)


def _save(path: Path, catalog: Catalog) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("wb") as handle:
        write_po(handle, catalog, width=100, omit_header=False, sort_output=True, no_location=True)


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
    bot/pages/templates/<f>.html, models/<f>…; None for the kit, the kernel and the edges."""
    parts = Path(location).parts
    candidates: list[str] = []
    if parts[0] in ("handlers", "jobs", "models") and len(parts) > 1:
        candidates.append(Path(parts[1]).stem)
    if parts[:2] == ("bot", "pages") and len(parts) > 2:
        candidates.append(Path(parts[-1]).stem)
    return next((c for c in candidates if c in known), None)


def home(locations: list[tuple[str, int]], known: set[str]) -> str:
    """The catalogue file of a message: its feature's, or messages.po when it is shared."""
    owners = {feature_of(path, known) for path, _ in locations}
    if len(owners) == 1 and None not in owners:
        return f"{owners.pop()}.po"
    return "messages.po"


def refresh(language: str, write: bool = True) -> list[str]:
    """Each message id in use goes to the file of the feature that uses it (messages.po when
    it is shared or belongs to the kit), keeping its translation; unused ids are dropped."""
    ids = source_ids()
    known = features()
    translations: dict[str, str] = {}
    created: dict[str, Any] = {}
    for path in _files(language):
        old = _read(path, language)
        created[path.name] = old.creation_date  # the header stays put when nothing changed
        for message in old:
            if message.id and message.string and str(message.id) not in translations:
                translations[str(message.id)] = str(message.string)
    catalogs: dict[str, Catalog] = {}
    for msgid, locations in ids.items():
        name = home(locations, known)
        catalog = catalogs.setdefault(
            name,
            Catalog(
                locale=language,
                project="empirie-bot",
                fuzzy=False,
                creation_date=created.get(name, STABLE_DATE),
            ),
        )
        # the ids are English: an English entry without its own wording says the id itself
        fallback = msgid if language == "en" else ""
        catalog.add(msgid, translations.get(msgid) or fallback)
    if write:
        folder = LOCALES / language / "LC_MESSAGES"
        for path in _files(language):
            if path.name not in catalogs:
                path.unlink()
        for name, catalog in catalogs.items():
            _save(folder / name, catalog)
    return [m for m in ids if m not in translations]


def main() -> int:
    check = "--check" in sys.argv  # report only, write nothing
    missing = refresh("pl", write=not check)
    refresh("en", write=not check)
    for msgid in missing:
        print(f"untranslated (pl): {msgid!r}")
    return 1 if check and missing else 0


if __name__ == "__main__":
    raise SystemExit(main())

"""Developer helper: refresh the .po catalogues from the sources and report gaps.

    python -m tools.i18n            # add new message ids, drop unused ones, list untranslated
    python -m tools.i18n --check    # write nothing; exit 1 when pl has untranslated ids

New ids land in messages.po; a feature may keep its own `<feature>.po` beside it.
"""

from __future__ import annotations

import sys
from pathlib import Path

from babel.messages.catalog import Catalog
from babel.messages.extract import extract_from_dir
from babel.messages.pofile import read_po, write_po

ROOT = Path(__file__).resolve().parent.parent
SOURCES = ("bot", "core", "handlers", "models", "jobs")
KEYWORDS = {"t": None, "N_": None}
# Python sources, and the pages' Jinja templates (they translate with `t("...")` too)
METHODS = [("**.py", "python"), ("**/templates/**.html", "jinja2.ext:babel_extract")]
LOCALES = ROOT / "core" / "locale"


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


def refresh(language: str, write: bool = True) -> list[str]:
    """Each file keeps its ids still in use; ids new to every file go to messages.po."""
    ids = source_ids()
    main_path = LOCALES / language / "LC_MESSAGES" / "messages.po"
    placed: set[str] = set()
    translated: set[str] = set()
    for path in _files(language) or [main_path]:
        old = _read(path, language) if path.exists() else Catalog(locale=language)
        new = Catalog(locale=language, project="empirie-bot", fuzzy=False)
        for message in old:
            if message.id and message.id in ids and message.id not in placed:
                new.add(message.id, message.string)
                placed.add(str(message.id))
                if message.string:
                    translated.add(str(message.id))
        if path == main_path:
            for msgid in ids:
                if msgid not in placed and not any(
                    msgid in _read(p, language) for p in _files(language) if p != path
                ):
                    new.add(msgid, "")
                    placed.add(msgid)
        if write:
            _save(path, new)
    return [m for m in ids if m not in translated]


def main() -> int:
    check = "--check" in sys.argv  # report only, write nothing
    missing = refresh("pl", write=not check)
    refresh("en", write=not check)
    for msgid in missing:
        print(f"untranslated (pl): {msgid!r}")
    return 1 if check and missing else 0


if __name__ == "__main__":
    raise SystemExit(main())

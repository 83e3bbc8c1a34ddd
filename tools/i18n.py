"""Developer helper: refresh the .po catalogues from the sources and report gaps.

    python -m tools.i18n            # add new message ids, drop unused ones, list untranslated
    python -m tools.i18n --check    # exit 1 when pl has untranslated ids (used by the tests)
"""

from __future__ import annotations

import sys
from pathlib import Path

from babel.messages.catalog import Catalog
from babel.messages.extract import extract_from_dir
from babel.messages.pofile import read_po, write_po

ROOT = Path(__file__).resolve().parent.parent
SOURCES = ("bot", "handlers", "models", "jobs")
KEYWORDS = {"t": None, "N_": None}
LOCALES = ROOT / "bot" / "locale"


def source_ids() -> dict[str, list[tuple[str, int]]]:
    found: dict[str, list[tuple[str, int]]] = {}
    for folder in SOURCES:
        for filename, lineno, message, _comments, _ctx in extract_from_dir(
                ROOT / folder, keywords=KEYWORDS, comment_tags=()):
            if isinstance(message, str):
                found.setdefault(message, []).append((f"{folder}/{filename}", lineno))
    return found


def load(language: str) -> Catalog:
    path = LOCALES / language / "LC_MESSAGES" / "messages.po"
    if not path.exists():
        return Catalog(locale=language, project="empirie-bot")
    with path.open("rb") as handle:
        return read_po(handle, locale=language)


def save(language: str, catalog: Catalog) -> None:
    path = LOCALES / language / "LC_MESSAGES" / "messages.po"
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("wb") as handle:
        write_po(handle, catalog, width=100, omit_header=False, sort_output=True,
                 no_location=True)


def refresh(language: str) -> list[str]:
    ids = source_ids()
    old = load(language)
    new = Catalog(locale=language, project="empirie-bot", fuzzy=False)
    for msgid in ids:
        existing = old.get(msgid)
        new.add(msgid, existing.string if existing else "")
    save(language, new)
    return [m for m in ids if not (new.get(m) and new.get(m).string)]


def main() -> int:
    missing = refresh("pl")
    refresh("en")
    for msgid in missing:
        print(f"untranslated (pl): {msgid!r}")
    return 1 if "--check" in sys.argv and missing else 0


if __name__ == "__main__":
    raise SystemExit(main())

"""The documents people read stay true: the generated references match the code (the settings
class and the command registry), and no link in docs/ or README.md leads nowhere."""

from __future__ import annotations

import difflib
import re
import unicodedata
from pathlib import Path

import pytest

from core.config import Settings
from tools import docs

ROOT = Path(__file__).resolve().parent.parent
_LINK = re.compile(r"(?<!!)\[(?:[^\]\\]|\\.)*\]\(\s*<?([^)\s>]+)>?(?:\s+\"[^\"]*\")?\s*\)")
_IMAGE = re.compile(r"!\[(?:[^\]\\]|\\.)*\]\(\s*<?([^)\s>]+)>?(?:\s+\"[^\"]*\")?\s*\)")
_REFERENCE = re.compile(r"^\s{0,3}\[[^\]]+\]:\s*<?(\S+?)>?(?:\s+.*)?$", re.MULTILINE)
_FENCE = re.compile(r"^(\s{0,3})(```|~~~).*?^\1\2\s*$", re.MULTILINE | re.DOTALL)
_CODE = re.compile(r"`[^`\n]*`")
_HEADING = re.compile(r"^\s{0,3}#{1,6}\s+(.*?)\s*#*\s*$", re.MULTILINE)
_ANCHOR = re.compile(r"<a\s+(?:name|id)=\"([^\"]+)\"")


def test_every_setting_is_described() -> None:
    """The configuration reference and .env.example are written from these descriptions."""
    undescribed = [str(f.alias) for f in Settings.model_fields.values() if not f.description]
    assert undescribed == []


def test_the_generated_documents_are_current() -> None:
    changes = {
        str(path.relative_to(ROOT)): "\n".join(
            difflib.unified_diff(
                path.read_text(encoding="utf-8").splitlines() if path.exists() else [],
                docs.GENERATED[path]().splitlines(),
                lineterm="",
                n=0,
            )
        )
        for path in docs.stale()
    }
    assert changes == {}, "run `python -m tools.docs` and commit the result"


def test_env_example_lists_every_setting_and_compose_variable() -> None:
    text = (ROOT / ".env.example").read_text(encoding="utf-8")
    named = set(re.findall(r"^#? ?([A-Z][A-Z0-9_]+)=", text, re.MULTILINE))
    settings = {str(f.alias) for f in Settings.model_fields.values()}
    assert settings <= named
    assert "POSTGRES_PASSWORD" in named


def slug(heading: str) -> str:
    """GitHub's anchor for a heading: lower case, punctuation dropped, spaces to hyphens
    (letters of any script, Polish ones included, are kept)."""
    text = re.sub(r"<[^>]+>", "", heading)  # inline HTML
    text = re.sub(r"\[([^\]]*)\]\([^)]*\)", r"\1", text)  # a link's text
    text = text.replace("`", "").strip().lower()
    kept = "".join(c for c in text if c in " -_" or unicodedata.category(c)[0] in ("L", "N", "M"))
    return kept.replace(" ", "-")


def anchors(path: Path) -> set[str]:
    text = _FENCE.sub("", path.read_text(encoding="utf-8"))
    found: set[str] = set(_ANCHOR.findall(text))
    seen: dict[str, int] = {}
    for heading in _HEADING.findall(text):
        base = slug(heading)
        count = seen.get(base, 0)
        found.add(base if count == 0 else f"{base}-{count}")
        seen[base] = count + 1
    return found


def documents() -> list[Path]:
    return [ROOT / "README.md", *sorted((ROOT / "docs").rglob("*.md"))]


def links(path: Path) -> list[str]:
    text = _FENCE.sub("", path.read_text(encoding="utf-8"))
    text = _CODE.sub("", text)
    return [*_LINK.findall(text), *_IMAGE.findall(text), *_REFERENCE.findall(text)]


@pytest.mark.parametrize("document", documents(), ids=lambda p: str(p.relative_to(ROOT)))
def test_no_dead_links(document: Path) -> None:
    dead = []
    for target in links(document):
        if re.match(r"^[a-z][a-z0-9+.-]*:", target):  # https:, mailto:, …: not ours to check
            continue
        file_part, _, fragment = target.partition("#")
        resolved = (document.parent / file_part).resolve() if file_part else document
        if not resolved.exists():
            dead.append(f"{target}: no such file")
            continue
        if not resolved.is_relative_to(ROOT):
            dead.append(f"{target}: outside the repository")
            continue
        if fragment and resolved.suffix == ".md" and fragment not in anchors(resolved):
            dead.append(f"{target}: no heading #{fragment} in {resolved.relative_to(ROOT)}")
    assert dead == []


def test_the_link_checker_finds_what_is_dead(tmp_path: Path) -> None:
    page = tmp_path / "page.md"
    page.write_text(
        "# Wdrożenie krok po kroku\n\n## Kopia `zapasowa` i aktualizacja\n\n"
        "[ok](#wdrożenie-krok-po-kroku) [ok2](#kopia-zapasowa-i-aktualizacja)\n"
        "[dead](missing.md) [anchor](#nope) [web](https://example.org)\n"
        "```\n[in code](nowhere.md)\n```\n",
        encoding="utf-8",
    )
    found = links(page)
    assert found == [
        "#wdrożenie-krok-po-kroku",
        "#kopia-zapasowa-i-aktualizacja",
        "missing.md",
        "#nope",
        "https://example.org",
    ]
    assert {"wdrożenie-krok-po-kroku", "kopia-zapasowa-i-aktualizacja"} <= anchors(page)


def test_the_command_reference_does_not_depend_on_import_order(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """A test (or a job) that imports one feature module before the others changes the order
    in which commands register; the reference people read must stay the same."""
    from handlers.kit.registry import REGISTRY
    from tools import commands_doc

    written = commands_doc.reference()
    monkeypatch.setattr(REGISTRY, "_commands", dict(reversed(REGISTRY._commands.items())))
    assert commands_doc.reference() == written

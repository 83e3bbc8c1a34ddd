"""What "reads right" means in tests: the language check of tools/language.py finds nothing.

PENDING lists findings another branch of issue 24 fixes (t24-g: the `moze` command word is
shown as `może`, the invitation-code text, the English office-hours offer). The check is
strict about it: a pending finding that is no longer found fails the test, so the list is
emptied as soon as those fixes are merged, and it can never hide a new mistake.
"""

from __future__ import annotations

from collections.abc import Iterable

from tools.language import Finding, check_polish

PENDING: set[tuple[str, str]] = set()


def unexpected(findings: Iterable[Finding], pending: set[tuple[str, str]]) -> list[str]:
    """The findings that are not pending, and the pending ones that are no longer found."""
    findings = list(findings)
    seen = {(f.kind, f.detail) for f in findings}
    problems = [str(f) for f in findings if (f.kind, f.detail) not in pending]
    problems += [f"fixed, remove from PENDING: {p}" for p in sorted(pending - seen)]
    return problems


def assert_reads_right(texts: Iterable[str]) -> None:
    """Every text passes the Polish check (spelling, prepositions, plurals, colons)."""
    findings = check_polish(texts)
    seen = {(f.kind, f.detail) for f in findings}
    problems = unexpected(findings, PENDING & seen)
    assert problems == [], "\n".join(problems[:40])

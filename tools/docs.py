"""Developer helper: write the documents generated from the code.

    python -m tools.docs            # write them
    python -m tools.docs --check    # write nothing; exit 1 (and name them) when one is stale

- docs/operations/configuration.md  every setting of core.config.Settings (its description,
                                    default, values), and what the image and compose.yaml set
- .env.example                      the same settings as a .env for compose.yaml
- docs/uzytkownicy/komendy.md       the command reference (Polish), from the command registry

tests/test_docs.py fails when a committed file differs from what this writes.
"""

from __future__ import annotations

import re
import sys
import textwrap
from collections.abc import Callable
from pathlib import Path

from pydantic.fields import FieldInfo

from core.config import Settings
from tools import commands_doc

ROOT = Path(__file__).resolve().parent.parent
CONFIGURATION = ROOT / "docs" / "operations" / "configuration.md"
ENV_EXAMPLE = ROOT / ".env.example"
COMMANDS = ROOT / "docs" / "uzytkownicy" / "komendy.md"

# Sections, in order: the first whose prefixes match a setting's name takes it.
SECTIONS: list[tuple[str, tuple[str, ...]]] = [
    ("Telegram", ("TELEGRAM_",)),
    ("Microsoft Teams", ("EMPIRIE_TEAMS_",)),
    (
        "HTTP server and answer pages",
        ("EMPIRIE_HTTP_", "EMPIRIE_WORKER_HTTP", "EMPIRIE_PUBLIC_URL", "EMPIRIE_PAGE_"),
    ),
    ("Delivery and scheduled work", ("EMPIRIE_OUTBOX_", "EMPIRIE_JOBS_", "EMPIRIE_PROCESSED_")),
    ("Working days", ("EMPIRIE_WORKING_", "EMPIRIE_HOLIDAYS_", "EMPIRIE_DAYS_OFF")),
    ("Meetings: attendance list", ("EMPIRIE_PROGRAMME_", "EMPIRIE_ATTENDANCE_")),
    ("Feedback polls", ("EMPIRIE_FEEDBACK_",)),
    ("Office hours", ("EMPIRIE_OFFICE_",)),
    ("Funding calls", ("EMPIRIE_FUNDING_",)),
    ("Database, language, logs", ("",)),
]
# What .env must give for compose.yaml (empty lines to fill in, not commented out).
FILL_IN = {
    "EMPIRIE_PUBLIC_URL": "https://bot.example.org",
    "TELEGRAM_BOT_TOKEN": "",
    "TELEGRAM_WEBHOOK_SECRET": "",
    "EMPIRIE_TEAMS_TENANT_ID": "",
    "EMPIRIE_TEAMS_CLIENT_ID": "",
    "EMPIRIE_TEAMS_CLIENT_STATE": "",
}
# compose.yaml's own variables (not settings of the bot)
COMPOSE_VARIABLES = [
    (
        "POSTGRES_PASSWORD",
        "",
        "The password of the bot's PostgreSQL database: a long random value.",
    ),
    ("EMPIRIE_IMAGE", "empirie-bot:latest", "The image to run (built from this directory)."),
]
_COMPOSE_LINE = re.compile(r"^\s{4}([A-Z][A-Z0-9_]*): (.+)$")


def settings_fields() -> list[tuple[str, FieldInfo]]:
    return [(str(f.alias), f) for f in Settings.model_fields.values()]


def section_of(name: str) -> str:
    for title, prefixes in SECTIONS:
        if any(name.startswith(p) for p in prefixes):
            return title
    raise AssertionError("the last section takes everything")


def by_section() -> list[tuple[str, list[tuple[str, FieldInfo]]]]:
    fields = settings_fields()
    grouped = [
        (title, [(n, f) for n, f in fields if section_of(n) == title]) for title, _ in SECTIONS
    ]
    return [(title, items) for title, items in grouped if items]


def default_text(field: FieldInfo) -> str:
    value = field.default
    if value is None or value == "":
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def values_text(field: FieldInfo) -> str:
    """What the setting accepts, from its type and constraints."""
    annotation = str(field.annotation)
    kind = {
        "<class 'bool'>": "true / false",
        "bool | None": "true / false / empty",
        "<class 'int'>": "whole number",
        "<class 'float'>": "number",
    }.get(annotation, "text")
    limits: list[str] = []
    for item in field.metadata:
        for attr, sign in (("ge", "≥"), ("gt", ">"), ("le", "≤"), ("lt", "<")):
            bound = getattr(item, attr, None)
            if bound is not None:
                limits.append(f"{sign} {bound}")
        if getattr(item, "max_length", None) is not None:
            limits.append(f"at most {item.max_length} characters")
        pattern = getattr(item, "pattern", None)
        if pattern:
            choice = re.fullmatch(r"\^\(([a-z|]+)\)\$", pattern)
            if choice:
                return " / ".join(f"`{c}`" for c in choice.group(1).split("|"))
            limits.append("HH:MM" if pattern == r"^\d{1,2}:\d{2}$" else f"matching `{pattern}`")
    return f"{kind}, {', '.join(limits)}" if limits else kind


def image_settings() -> dict[str, str]:
    """The settings the Dockerfile's ENV sets in the image."""
    found: dict[str, str] = {}
    in_env = False
    for line in (ROOT / "Dockerfile").read_text(encoding="utf-8").splitlines():
        if line.startswith("ENV "):
            in_env = True
        if in_env:
            for name, value in re.findall(r"([A-Z][A-Z0-9_]*)=(\S+)", line):
                if name.startswith(("EMPIRIE_", "TELEGRAM_")):
                    found[name] = value
            in_env = line.rstrip().endswith("\\")
    return found


def compose_settings() -> dict[str, str]:
    """The settings compose.yaml fixes for the bot and the worker (x-bot's environment)."""
    found: dict[str, str] = {}
    block = False
    for line in (ROOT / "compose.yaml").read_text(encoding="utf-8").splitlines():
        if line.startswith("  environment:") and not found:
            block = True
            continue
        if block:
            match = _COMPOSE_LINE.match(line)
            if match is None:
                if line.strip().startswith("#"):
                    continue
                break
            found[match.group(1)] = match.group(2).strip('"')
    return found


def _cell(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", " ")


def configuration() -> str:
    image, compose = image_settings(), compose_settings()
    out = [
        "# Configuration reference",
        "",
        "<!-- Generated by `python -m tools.docs` from core/config.py (each setting's",
        "description): edit it there. tests/test_docs.py fails when this file is stale. -->",
        "",
        "empirie-bot reads its settings from environment variables, or from a `.env` file in",
        "its working directory (the names are the same). With compose, `.env` beside",
        "`compose.yaml` holds them: start from [`.env.example`](../../.env.example), which lists",
        "every setting below. `empirie-bot check` tells whether they make sense together, and a",
        "value that is not allowed stops every command with the setting's name and the reason.",
        "",
        "Set in the image (Dockerfile) — the container's defaults:",
        "",
        *[f"- `{name}={value}`" for name, value in image.items()],
        "",
        "Set by `compose.yaml` for the bot and the worker (a value in `.env` is ignored):",
        "",
        *[f"- `{name}`: `{value}`" for name, value in compose.items()],
        "",
    ]
    for title, fields in by_section():
        out += [
            f"## {title}",
            "",
            "| Setting | Default | Values | What it does |",
            "|---|---|---|---|",
        ]
        for name, field in fields:
            default = default_text(field)
            out.append(
                f"| `{name}` | {_cell(f'`{default}`') if default else '(empty)'} | "
                f"{_cell(values_text(field))} | {_cell(field.description or '')} |"
            )
        out.append("")
    return "\n".join(out).rstrip() + "\n"


def _comment(text: str) -> list[str]:
    return textwrap.wrap(text, 96, initial_indent="# ", subsequent_indent="# ")


def _env_value(value: str) -> str:
    return f'"{value}"' if re.search(r"[\s#'\"$]", value) else value


def env_example() -> str:
    compose = compose_settings()
    out = [
        "# empirie-bot settings for compose.yaml: copy this file to .env, fill in the lines that",
        "# are not commented out, and keep .env private (it holds secrets).",
        "# Generated by `python -m tools.docs` from core/config.py, with every setting and its",
        "# default; a line left commented out keeps the default.",
        "# Reference: docs/operations/configuration.md",
        "",
        "## compose.yaml",
        "",
    ]
    for name, value, text in COMPOSE_VARIABLES:
        out += _comment(text)
        out += [f"{name}={value}" if not value else f"# {name}={value}", ""]
    for title, fields in by_section():
        out += [f"## {title}", ""]
        for name, field in fields:
            out += _comment(field.description or "")
            if name in compose:
                out.append(f"# {name}= (set by compose.yaml)")
            elif name in FILL_IN:
                out.append(f"{name}={FILL_IN[name]}")
            else:
                out.append(f"# {name}={_env_value(default_text(field))}")
            out.append("")
    return "\n".join(out).rstrip() + "\n"


GENERATED: dict[Path, Callable[[], str]] = {
    CONFIGURATION: configuration,
    ENV_EXAMPLE: env_example,
    COMMANDS: commands_doc.reference,
}


def stale() -> list[Path]:
    return [
        path
        for path, make in GENERATED.items()
        if not path.exists() or path.read_text(encoding="utf-8") != make()
    ]


def main(argv: list[str] | None = None) -> int:
    args = sys.argv[1:] if argv is None else argv
    if "--check" in args:
        found = stale()
        for path in found:
            print(f"stale: {path.relative_to(ROOT)} (run `python -m tools.docs`)")
        return 1 if found else 0
    for path, make in GENERATED.items():
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(make(), encoding="utf-8")
        print(f"wrote {path.relative_to(ROOT)}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

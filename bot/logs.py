"""Structured logging: one JSON line per event (EMPIRIE_LOG_FORMAT=json, the default), or one
plain line for a person reading a terminal (text). At INFO, ids only — never names or texts.

An event is logged as its name and its fields. Either way of writing it gives real fields:

    log.info("outbox.sent", extra={"id": row.id, "platform": "telegram"})
    log.info("outbox.sent id=%s platform=%s", row.id, "telegram")

both become ``{"event": "outbox.sent", "id": 17, "platform": "telegram", ...}``: each
``key=%s`` of the message template takes its argument as the value, with its type (an id stays
a number), and ``key=literal`` its literal. ``message`` keeps the whole line as text (for grep).
Anything after the first word that is not ``key=value`` is free text: it stays in ``message``.
"""

from __future__ import annotations

import json
import logging
import re
import sys
from datetime import UTC, datetime
from typing import Any, TextIO

FORMATS = ("json", "text")
# the attributes every LogRecord has: anything else on a record came from `extra=`
_STANDARD = frozenset(vars(logging.LogRecord("", 0, "", 0, "", (), None))) | {
    "message",
    "asctime",
    "taskName",
}
_RESERVED = frozenset({"ts", "level", "logger", "event", "message", "exc"})
_EVENT = re.compile(r"^[a-z][a-z0-9_]*(?:\.[a-z0-9_%s]+)+:?$")
_WORD = re.compile(r"^[a-z][a-z0-9_]*$")
_PAIR = re.compile(r"^([a-z_][a-z0-9_]*)=(.*)$", re.DOTALL)
_SPEC = re.compile(r"%(?:\([^)]*\))?[-#0 +]*(?:\*|\d+)?(?:\.(?:\*|\d+))?[diouxXeEfFgGcrsa%]")


def _placeholders(token: str) -> int:
    return sum(1 for spec in _SPEC.findall(token) if not spec.endswith("%"))


def _value(text: str) -> object:
    """A literal from the template or from a rendered `%s`: a whole number stays a number."""
    return int(text) if re.fullmatch(r"-?\d{1,18}", text) else text


def _fields(record: logging.LogRecord) -> tuple[str | None, dict[str, object]]:
    """The event name and the fields of a record written as `event key=%s key=literal`."""
    template = record.msg if isinstance(record.msg, str) else ""
    args: tuple[Any, ...] = record.args if isinstance(record.args, tuple) else ()
    tokens = template.split()
    # a one-word event is an event only when fields follow ("command name=%s …")
    one_word = len(tokens) > 1 and _WORD.match(tokens[0]) and _PAIR.match(tokens[1])
    if not tokens or not (_EVENT.match(tokens[0]) or one_word):
        return None, {}
    fields: dict[str, object] = {}
    position = 0

    def take(token: str) -> tuple[str, list[Any]]:
        nonlocal position
        count = _placeholders(token)
        used = list(args[position : position + count])
        position += count
        return (token % tuple(used) if count or "%%" in token else token), used

    event, _ = take(tokens[0])
    for token in tokens[1:]:
        rendered, used = take(token)
        pair = _PAIR.match(token)
        if pair is not None:
            key, raw = pair.groups()
            whole = len(used) == 1 and _SPEC.fullmatch(raw) is not None
            value = used[0] if whole else _value(rendered.split("=", 1)[1])
            fields[key] = (
                value if isinstance(value, int | float | bool) or value is None else str(value)
            )
        elif token == "%s" and len(used) == 1:  # a ready-made "a=1 b=2" (e.g. router.where)
            for part in str(used[0]).split():
                inner = _PAIR.match(part)
                if inner is None:
                    break
                fields[inner.group(1)] = _value(inner.group(2))
        else:
            break  # free text from here on: it stays in `message`
    return event.rstrip(":"), fields


class JsonLineFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        message = record.getMessage()
        event, fields = _fields(record)
        line: dict[str, object] = {
            "ts": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname,
            "logger": record.name,
            "event": event or message,
            "message": message,
        }
        extra = {k: v for k, v in vars(record).items() if k not in _STANDARD}
        for key, value in {**fields, **extra}.items():
            line[f"{key}_" if key in _RESERVED else key] = value
        if record.exc_info:
            line["exc"] = self.formatException(record.exc_info)
        return json.dumps(line, ensure_ascii=False, default=str)


class TextFormatter(logging.Formatter):
    """`2026-11-23 10:00:00,000 INFO empirie.http http.started host=0.0.0.0 port=8080`; the
    `extra=` fields are appended as key=value."""

    def __init__(self) -> None:
        super().__init__("%(asctime)s %(levelname)s %(name)s %(message)s")

    def format(self, record: logging.LogRecord) -> str:
        line = super().format(record)
        extra = " ".join(f"{k}={v}" for k, v in vars(record).items() if k not in _STANDARD)
        return f"{line} {extra}" if extra else line


def setup(level: str = "INFO", stream: TextIO | None = None, fmt: str = "json") -> None:
    handler = logging.StreamHandler(stream or sys.stderr)
    handler.setFormatter(TextFormatter() if fmt == "text" else JsonLineFormatter())
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level.upper())
    for noisy in ("httpx", "httpcore", "apscheduler", "telegram", "aiohttp.access"):
        logging.getLogger(noisy).setLevel(logging.WARNING)

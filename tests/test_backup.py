"""`empirie-bot backup` then `empirie-bot restore` into an empty database: the same roster,
meetings and answers, on SQLite and PostgreSQL and from one to the other; and the restored
bot goes on working (new rows get new numbers)."""

from __future__ import annotations

import io
import json
import stat
import zipfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import create_engine

from bot.cli import main
from bot.migrate import at_head, upgrade
from bot.router import Router
from core.clock import FrozenClock
from core.config import Settings
from models import backup as portable
from models import seed
from models.db import Database
from tests.cast import find_cast
from tests.conftest import POSTGRES_OK, Chat, drop_database, fresh_database_url
from tests.test_meetings import create

PAIRS = [
    pytest.param(
        source,
        target,
        id=f"{source}-to-{target}",
        marks=pytest.mark.skipif(
            "postgres" in (source, target) and not POSTGRES_OK, reason="PostgreSQL not reachable"
        ),
    )
    for source, target in [
        ("sqlite", "sqlite"),
        ("postgres", "postgres"),
        ("sqlite", "postgres"),
        ("postgres", "sqlite"),
    ]
]


class Place:
    """A database URL and a files directory, as the CLI sees them through the environment."""

    def __init__(self, url: str, files: Path) -> None:
        self.url, self.files = url, files

    def use(self, monkeypatch: pytest.MonkeyPatch) -> None:
        monkeypatch.setenv("EMPIRIE_DATABASE_URL", self.url)
        monkeypatch.setenv("EMPIRIE_FILES_DIR", str(self.files))
        monkeypatch.setenv("EMPIRIE_SEED_DEMO", "false")

    def settings(self) -> Settings:
        return Settings(EMPIRIE_DATABASE_URL=self.url, EMPIRIE_FILES_DIR=str(self.files))


@pytest.fixture
def places(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Any]:
    monkeypatch.chdir(tmp_path)  # no stray .env
    made: list[str] = []

    def place(backend: str, name: str) -> Place:
        url = fresh_database_url(backend, tmp_path, name)
        if backend == "postgres":
            made.append(url)
        return Place(url, tmp_path / f"{name}-files")

    yield place
    for url in made:
        drop_database(url)


def cli(place: Place, monkeypatch: pytest.MonkeyPatch, clock: FrozenClock, *argv: str) -> str:
    place.use(monkeypatch)
    out = io.StringIO()
    code = main(list(argv), clock=clock, out=out)
    assert code == 0, out.getvalue()
    return out.getvalue()


async def what_people_see(place: Place, clock: FrozenClock, meeting: int) -> dict[str, str]:
    db = Database(place.url)
    try:
        chat = Chat(Router(db, clock, place.settings()))
        cast = find_cast(db)
        return {
            "overview": await chat.text(cast.coordinator, f"/obecnosc {meeting}"),
            "mine": await chat.text(cast.laureate_rep, "/moje_spotkania"),
            "networks": await chat.text(cast.observer_rep, "/sieci"),
        }
    finally:
        db.dispose()


def counts(url: str) -> dict[str, int]:
    engine = create_engine(url)
    try:
        with engine.connect() as connection:
            return portable.row_counts(connection)
    finally:
        engine.dispose()


@pytest.mark.parametrize(("source_backend", "target_backend"), PAIRS)
async def test_backup_then_restore_gives_the_same_roster_meetings_and_answers(
    source_backend: str,
    target_backend: str,
    places: Any,
    clock: FrozenClock,
    monkeypatch: pytest.MonkeyPatch,
    tmp_path: Path,
) -> None:
    source: Place = places(source_backend, "source")
    upgrade(source.url)
    db = Database(source.url)
    with db.session() as s:
        seed.seed_demo(s, clock.now())
    chat = Chat(Router(db, clock, source.settings()))
    cast = find_cast(db)
    meeting = await create(chat, cast.coordinator, seats="1")
    await chat.say(cast.laureate_rep, f"/rsvp {meeting} stacjonarnie")
    await chat.say(cast.laureate_rep2, f"/rsvp {meeting} stacjonarnie")  # waitlisted
    await chat.say(cast.observer_rep, f"/rsvp {meeting} online")
    db.dispose()
    (source.files / "lista").mkdir(parents=True)
    (source.files / "lista" / "obecnosc.pdf").write_bytes(b"%PDF-1.4 \x00\xff")
    (source.files / "desk-uploads").mkdir()  # a sheet waiting for its import: not data
    (source.files / "desk-uploads" / "x.xlsx").write_bytes(b"PK")
    before = await what_people_see(source, clock, meeting)
    people_before = cli(source, monkeypatch, clock, "people")

    said = cli(source, monkeypatch, clock, "backup", str(tmp_path / "backups") + "/")
    [archive] = (tmp_path / "backups").iterdir()
    assert f"Wrote {archive}" in said and ", 1 files." in said
    assert stat.S_IMODE(archive.stat().st_mode) == 0o600  # personal data: the owner's only
    with zipfile.ZipFile(archive) as opened:
        manifest = json.loads(opened.read("manifest.json"))
    assert manifest["backend"] == ("postgresql" if source_backend == "postgres" else "sqlite")
    assert {t["name"]: t["rows"] for t in manifest["tables"]} == counts(source.url)

    target: Place = places(target_backend, "target")
    said = cli(target, monkeypatch, clock, "restore", str(archive))
    assert "Restored" in said
    assert counts(target.url) == counts(source.url)
    assert at_head(target.url)
    assert (target.files / "lista" / "obecnosc.pdf").read_bytes() == b"%PDF-1.4 \x00\xff"
    assert cli(target, monkeypatch, clock, "people") == people_before
    after = await what_people_see(target, clock, meeting)
    assert after == before
    assert "Spotkanie II" in after["overview"]

    restored = Database(target.url)
    try:  # the restored bot goes on: a new meeting gets the next number
        another = await create(
            Chat(Router(restored, clock, target.settings())), cast.coordinator, seats="5"
        )
        assert another == meeting + 1
    finally:
        restored.dispose()


async def test_restore_refuses_a_database_in_use_and_a_foreign_archive(
    places: Any, clock: FrozenClock, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    source: Place = places("sqlite", "in-use")
    upgrade(source.url)
    db = Database(source.url)
    with db.session() as s:
        seed.seed_demo(s, clock.now())
    db.dispose()
    archive = tmp_path / "copy.zip"
    cli(source, monkeypatch, clock, "backup", str(archive))
    before = counts(source.url)

    source.use(monkeypatch)
    err = io.StringIO()
    monkeypatch.setattr("sys.stderr", err)
    assert main(["restore", str(archive)], clock=clock, out=io.StringIO()) == 1
    assert "the database is not empty" in err.getvalue() and "--replace" in err.getvalue()
    assert counts(source.url) == before  # nothing changed

    assert main(["backup", str(archive)], clock=clock, out=io.StringIO()) == 1
    assert "exists already" in err.getvalue()

    foreign = tmp_path / "foreign.zip"
    with zipfile.ZipFile(foreign, "w") as z:
        z.writestr("hello.txt", "hi")
    assert main(["restore", str(foreign)], clock=clock, out=io.StringIO()) == 1
    assert "not an empirie-bot backup" in err.getvalue()

    out = io.StringIO()
    assert main(["restore", "--replace", str(archive)], clock=clock, out=out) == 0
    assert counts(source.url) == before

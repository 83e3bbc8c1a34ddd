"""`empirie-bot backup` and `empirie-bot restore`: the database and the files directory in one
ZIP archive (docs/operations/backup-and-upgrade.md).

    manifest.json            format, version, when, which empirie-bot, schema revision, tables
    tables/<table>.jsonl     every row (models.backup: portable between SQLite and PostgreSQL)
    files/<path>             the files directory (EMPIRIE_FILES_DIR)

The archive holds personal data: it is written readable by its owner only, under a temporary
name first, so a backup that failed half-way never looks like a whole one.
"""

from __future__ import annotations

import json
import logging
import os
import shutil
import zipfile
from collections.abc import Iterator
from datetime import datetime
from pathlib import Path, PurePosixPath
from typing import IO, Any

from sqlalchemy import create_engine, inspect, pool

from bot.migrate import script_revisions, upgrade
from core.config import Settings
from models.backup import BackupError, Snapshot, TableDump, dump, load, revision

log = logging.getLogger("empirie.backup")
FORMAT = "empirie-bot backup"
FORMAT_VERSION = 1
FILES = "files/"


def _version() -> str:
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version("empirie-bot")
    except PackageNotFoundError:
        return "unknown"


def target_path(target: str, now: datetime) -> Path:
    """A directory (existing, or named with a trailing slash) gets a dated file in it."""
    path = Path(target)
    if path.is_dir() or target.endswith(("/", os.sep)):
        path.mkdir(parents=True, exist_ok=True)
        return path / f"empirie-backup-{now:%Y%m%d-%H%M%S}.zip"
    return path


def backup(settings: Settings, target: str, now: datetime) -> tuple[Path, Snapshot, int]:
    """Write the archive; (its path, what it holds, how many files)."""
    path = target_path(target, now)
    if path.exists():
        raise BackupError(f"{path} exists already: choose another name or a directory")
    path.parent.mkdir(parents=True, exist_ok=True)
    partial = path.with_name(path.name + ".part")
    try:
        with zipfile.ZipFile(partial, "w", zipfile.ZIP_DEFLATED) as archive:
            os.chmod(partial, 0o600)

            def open_table(name: str) -> IO[bytes]:
                return archive.open(f"tables/{name}.jsonl", "w", force_zip64=True)

            snapshot = dump(settings.database_url, open_table)
            files = _add_files(archive, Path(settings.files_dir))
            manifest = {
                "format": FORMAT,
                "format_version": FORMAT_VERSION,
                "created_at": now.isoformat(),
                "empirie_bot": _version(),
                "revision": snapshot.revision,
                "backend": snapshot.backend,
                "files": files,
                "tables": [
                    {"name": d.name, "columns": d.columns, "kinds": d.kinds, "rows": d.rows}
                    for d in snapshot.tables
                ],
            }
            archive.writestr("manifest.json", json.dumps(manifest, indent=1, ensure_ascii=False))
        partial.replace(path)
    finally:
        partial.unlink(missing_ok=True)
    log.info(
        "backup.written",
        extra={"tables": len(snapshot.tables), "rows": sum(snapshot.counts().values())},
    )
    return path, snapshot, files


def _not_data() -> set[str]:
    """Folders of the files directory that hold no data of their own: the holidays computed
    for the working-day rule (made again when missing) and sheets uploaded to the desk for a
    dry run (kept a day)."""
    from bot.pages.desk.roster import UPLOADS
    from core.workdays import CACHE_FOLDER

    return {CACHE_FOLDER, UPLOADS}


def _add_files(archive: zipfile.ZipFile, root: Path) -> int:
    count = 0
    skipped = _not_data()
    if root.is_dir():
        for path in sorted(root.rglob("*")):
            if path.relative_to(root).parts[0] in skipped:
                continue
            if path.is_file() and not path.is_symlink():
                archive.write(path, FILES + path.relative_to(root).as_posix())
                count += 1
    return count


def read_manifest(archive: zipfile.ZipFile) -> Snapshot:
    try:
        manifest: dict[str, Any] = json.loads(archive.read("manifest.json"))
    except (KeyError, ValueError):
        raise BackupError("this is not an empirie-bot backup (no manifest.json)") from None
    if manifest.get("format") != FORMAT:
        raise BackupError("this is not an empirie-bot backup (unknown format)")
    if manifest.get("format_version") != FORMAT_VERSION:
        raise BackupError(
            f"backup format {manifest.get('format_version')} is not readable by this version "
            f"(it reads {FORMAT_VERSION}): use the empirie-bot version that made it "
            f"({manifest.get('empirie_bot')})"
        )
    return Snapshot(
        manifest["revision"],
        manifest["backend"],
        [TableDump(d["name"], d["columns"], d["kinds"], d["rows"]) for d in manifest["tables"]],
    )


def _file_members(archive: zipfile.ZipFile) -> list[tuple[zipfile.ZipInfo, PurePosixPath]]:
    members = []
    for info in archive.infolist():
        if not info.filename.startswith(FILES) or info.is_dir():
            continue
        relative = PurePosixPath(info.filename[len(FILES) :])
        if relative.is_absolute() or ".." in relative.parts or not relative.parts:
            raise BackupError(
                f"the backup holds a file outside the files directory: {info.filename}"
            )
        members.append((info, relative))
    return members


def restore(settings: Settings, source: Path, replace: bool = False) -> Snapshot:
    """Load the archive into the configured database (empty, or emptied with `replace`) and
    files directory, then migrate to the newest schema."""
    url = settings.database_url
    with zipfile.ZipFile(source) as archive:
        snapshot = read_manifest(archive)
        if not set(snapshot.revision.split(",")) <= script_revisions():
            raise BackupError(
                f"the backup is of schema {snapshot.revision}, newer than this empirie-bot "
                "knows: restore it with the version that made it"
            )
        files = _file_members(archive)
        files_dir = Path(settings.files_dir)
        if not replace and files_dir.is_dir() and any(files_dir.iterdir()):
            raise BackupError(
                f"the files directory {files_dir} is not empty: restore into an empty one, or "
                "add --replace to overwrite"
            )
        _prepare_schema(url, snapshot.revision)

        def rows(name: str) -> Iterator[bytes]:
            with archive.open(f"tables/{name}.jsonl") as lines:
                yield from lines

        engine = create_engine(url, poolclass=pool.NullPool)
        try:
            with engine.begin() as connection:
                load(connection, snapshot, rows, replace=replace)
        finally:
            engine.dispose()
        for info, relative in files:
            path = files_dir.joinpath(*relative.parts)
            path.parent.mkdir(parents=True, exist_ok=True)
            with archive.open(info) as data, open(path, "wb") as out:
                shutil.copyfileobj(data, out)
    upgrade(url)
    log.info("backup.restored", extra={"rows": sum(snapshot.counts().values())})
    return snapshot


def _prepare_schema(url: str, wanted: str) -> None:
    """A database with no tables gets the backup's schema; one that has a schema must be at
    the backup's revision (then its rows are checked, or replaced, by `load`)."""
    engine = create_engine(url, poolclass=pool.NullPool)
    try:
        with engine.connect() as connection:
            current = revision(connection)
            tables = inspect(connection).get_table_names()
    finally:
        engine.dispose()
    if current is None and tables:
        raise BackupError("the database has tables that are not empirie-bot's: use a new one")
    if current is None:
        for step in wanted.split(","):
            upgrade(url, step)
        return
    if current != wanted:
        raise BackupError(
            f"the database is at schema {current} and the backup at {wanted}: restore into a "
            "new, empty database (the restore creates the schema and then migrates it)"
        )

"""The office's roster sheet (the coordinating team's).

GET  /desk/roster          download it, upload a new sheet
POST /desk/roster          an uploaded sheet: the dry run's changes, nothing written
POST /desk/roster/apply    applies the sheet previewed, if the changes are still those
GET  /desk/roster.xlsx     the roster as the office's XLSX
"""

from __future__ import annotations

import asyncio
import hashlib
import logging
import secrets
import tempfile
import time
from pathlib import Path
from typing import Any

from aiohttp import web

from bot.pages.desk.site import Desk, Form, Routes, Visit
from handlers.roster import office as roster_office
from models.errors import N_

log = logging.getLogger("empirie.desk")
routes = Routes()
UPLOAD_KEPT_SECONDS = 24 * 3600  # a sheet uploaded for a dry run and never applied
SUFFIXES = (".xlsx", ".csv")
UPLOADS = "desk-uploads"  # under EMPIRIE_FILES_DIR: sheets between their dry run and import


def _upload_path(d: Desk, visit: Visit, upload: str, suffix: str) -> Path:
    """Where an uploaded sheet waits between its dry run and its import: named by the session
    and a random id, so another session cannot apply it."""
    name = d.sign(f"roster|{visit.token_hash}|{upload}")[:32]
    folder = Path(d.settings.files_dir) / UPLOADS
    folder.mkdir(parents=True, exist_ok=True)
    return folder / f"{name}{suffix if suffix in SUFFIXES else '.xlsx'}"


def _forget_old_uploads(d: Desk) -> None:
    """Sheets uploaded for a dry run and never applied are kept for a day."""
    folder = Path(d.settings.files_dir) / UPLOADS
    limit = time.time() - UPLOAD_KEPT_SECONDS
    for path in folder.glob("*") if folder.is_dir() else []:
        if path.is_file() and path.stat().st_mtime < limit:
            path.unlink(missing_ok=True)


def _view(d: Desk, request: web.Request, visit: Visit, **values: Any) -> web.Response:
    return d.render(
        request,
        "roster.html",
        visit.t,
        status=values.pop("status", 200),
        visit=visit,
        title=visit.t(N_("The office's roster")),
        **values,
    )


async def _import(d: Desk, visit: Visit, path: Path, dry_run: bool) -> roster_office.ImportResult:
    return await asyncio.to_thread(
        roster_office.import_file,
        d.db,
        d.clock,
        d.settings,
        path,
        visit.t,
        dry_run,
        visit.person.id,
    )


def _digest(lines: list[str]) -> str:
    return hashlib.sha256("\n".join(lines).encode()).hexdigest()


@routes.page("/desk/roster")
async def roster_page(d: Desk, request: web.Request, visit: Visit) -> web.StreamResponse:
    if not d.may_edit_roster(visit):
        return d.not_found(request, visit)
    return _view(d, request, visit)


@routes.form("/desk/roster")
async def upload(d: Desk, request: web.Request, visit: Visit, form: Form) -> web.StreamResponse:
    if not d.may_edit_roster(visit):
        return d.not_found(request, visit)
    sheet = form.get("sheet")
    if not isinstance(sheet, web.FileField):
        return _view(
            d, request, visit, status=422, result=[visit.t(N_("Choose a file."))], result_ok=False
        )
    suffix = Path(sheet.filename or "").suffix.lower()
    suffix = suffix if suffix in SUFFIXES else ".xlsx"
    _forget_old_uploads(d)
    upload_id = secrets.token_urlsafe(16)
    path = _upload_path(d, visit, upload_id, suffix)
    path.write_bytes(sheet.file.read())
    result = await _import(d, visit, path, dry_run=True)
    given = Path(sheet.filename or "").name or path.name  # the name the person chose, not ours
    shown = [line.replace(path.name, given) for line in result.lines]
    log.info("desk.roster_dry_run person=%s ok=%s", visit.person.id, result.ok)
    if not result.ok or not result.changes:
        path.unlink(missing_ok=True)
    return _view(
        d,
        request,
        visit,
        status=200 if result.ok else 422,
        preview=shown,
        preview_ok=result.ok,
        upload=upload_id if result.ok and result.changes else "",
        suffix=suffix,
        digest=_digest(result.lines),
    )


@routes.form("/desk/roster/apply")
async def apply(d: Desk, request: web.Request, visit: Visit, form: Form) -> web.StreamResponse:
    if not d.may_edit_roster(visit):
        return d.not_found(request, visit)
    upload_id, suffix = str(form.get("upload", "")), str(form.get("suffix", ""))
    path = _upload_path(d, visit, upload_id, suffix)
    if not upload_id or not path.is_file():
        return _view(
            d,
            request,
            visit,
            status=409,
            result=[visit.t(N_("This upload is no longer here. Upload the file again."))],
            result_ok=False,
        )
    again = await _import(d, visit, path, dry_run=True)
    if not again.ok or _digest(again.lines) != str(form.get("digest", "")):
        # the roster changed since the preview: show what the file would do now
        return _view(
            d,
            request,
            visit,
            status=409,
            result=[
                visit.t(
                    N_(
                        "The roster changed since the preview, so nothing was imported. "
                        "Check the changes below and apply again."
                    )
                )
            ],
            result_ok=False,
            preview=again.lines,
            preview_ok=again.ok,
            upload=upload_id if again.ok and again.changes else "",
            suffix=suffix,
            digest=_digest(again.lines),
        )
    result = await _import(d, visit, path, dry_run=False)
    path.unlink(missing_ok=True)
    log.info("desk.roster_imported person=%s changes=%s", visit.person.id, result.changes)
    return _view(
        d,
        request,
        visit,
        status=200 if result.ok else 409,
        result=result.lines,
        result_ok=result.ok,
    )


@routes.page("/desk/roster.xlsx")
async def download(d: Desk, request: web.Request, visit: Visit) -> web.StreamResponse:
    if not d.may_edit_roster(visit):
        return d.not_found(request, visit)
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "sklad_sieci.xlsx"
        await asyncio.to_thread(roster_office.export_file, d.db, path)
        body = path.read_bytes()
    return web.Response(
        body=body,
        headers={
            "Content-Type": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
            "Content-Disposition": "attachment; filename=sklad_sieci.xlsx",
        },
    )

"""A queued message's file contents, as the dispatcher reads them: stored once in `blob`
(models.blobs), referred to by id; older rows may still carry them inline (base64)."""

from __future__ import annotations

import base64
from typing import Any

from models.blobs import Blob
from models.db import Database

DATABASES: list[Database] = []  # set by tests that resolve files without a database at hand


def file_bytes(spec: dict[str, Any], db: Database | None = None) -> bytes:
    if "b64" in spec:
        return base64.b64decode(spec["b64"])
    for database in [db] if db is not None else DATABASES:
        with database.session() as s:
            blob = s.get(Blob, spec["blob"])
        if blob is not None:
            return blob.content
    raise AssertionError(f"file {spec} not stored")

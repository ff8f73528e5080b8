"""Uploaded roster files kept between the dry run and the import (instance folder).

The import must write exactly the file the dry run checked, so the file stays on the
server under a random id joined to its SHA-256; the import reads it back, checks the hash
again, and never takes a second upload. Only the uploader may use an id; ids expire.
"""

from __future__ import annotations

import hashlib
import json
import re
import secrets
import shutil
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path

from flask import current_app

_ID = re.compile(r"^[A-Za-z0-9_-]{16}-[0-9a-f]{16}$")
DEFAULT_TTL_S = 3600


@dataclass
class Upload:
    """One uploaded file's bookkeeping (``meta.json`` beside ``data``)."""

    id: str
    user_id: int
    filename: str
    sha256: str
    created: float
    counts: dict = field(default_factory=dict)
    encoding: str = ""
    imported: dict | None = None
    # The dry run's plan fingerprint: the confirm form carries it back (docs/roster.md).
    fingerprint: str = ""
    # How the file was read (encoding and sample names, sheet, rows read): to confirm.
    notes: list = field(default_factory=list)

    @property
    def refused(self) -> int:
        return self.counts.get("refused", 0)


def _root() -> Path:
    return Path(current_app.instance_path) / "roster_uploads"


def _ttl() -> float:
    return float(current_app.config.get("ROSTER_UPLOAD_TTL", DEFAULT_TTL_S))


def _folder(upload_id: str) -> Path:
    return _root() / upload_id


def purge_expired() -> None:
    """Remove uploads older than the time to live."""
    root = _root()
    if not root.is_dir():
        return
    limit = time.time() - _ttl()
    for folder in root.iterdir():
        meta = folder / "meta.json"
        if not meta.exists() or meta.stat().st_mtime < limit:
            shutil.rmtree(folder, ignore_errors=True)


def save(user_id: int, filename: str, data: bytes) -> Upload:
    """Keep ``data`` under a new id (random part + the start of its SHA-256)."""
    purge_expired()
    digest = hashlib.sha256(data).hexdigest()
    upload = Upload(
        id=f"{secrets.token_urlsafe(12)}-{digest[:16]}",
        user_id=user_id,
        filename=filename,
        sha256=digest,
        created=time.time(),
    )
    folder = _folder(upload.id)
    folder.mkdir(parents=True, mode=0o700)
    (folder / "data").write_bytes(data)
    write_meta(upload)
    return upload


def write_meta(upload: Upload) -> None:
    (_folder(upload.id) / "meta.json").write_text(json.dumps(asdict(upload)), encoding="utf-8")


def load(upload_id: str, user_id: int) -> Upload | None:
    """The upload, if the id is well-formed, unexpired and the user's own (else None)."""
    if not _ID.match(upload_id):
        return None
    meta = _folder(upload_id) / "meta.json"
    if not meta.exists() or meta.stat().st_mtime < time.time() - _ttl():
        return None
    upload = Upload(**json.loads(meta.read_text(encoding="utf-8")))
    return upload if upload.user_id == user_id else None


def data_of(upload: Upload) -> bytes | None:
    """The file's bytes, if they still hash to what was uploaded."""
    path = _folder(upload.id) / "data"
    if not path.exists():
        return None
    data = path.read_bytes()
    digest = hashlib.sha256(data).hexdigest()
    if digest != upload.sha256 or not upload.id.endswith(digest[:16]):
        return None
    return data


def save_results(upload: Upload, results: list[dict]) -> None:
    (_folder(upload.id) / "report.json").write_text(json.dumps(results), encoding="utf-8")


def results_of(upload: Upload) -> list[dict]:
    path = _folder(upload.id) / "report.json"
    return json.loads(path.read_text(encoding="utf-8")) if path.exists() else []


def forget_data(upload: Upload) -> None:
    """Drop the file once imported (its report stays until the id expires)."""
    (_folder(upload.id) / "data").unlink(missing_ok=True)

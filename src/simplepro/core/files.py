"""Immutable private files (sent quotes, later signed documents) in SIMPLEPRO_DATA_DIR/files.

A file is written once, atomically (temporary file, fsync, hard link that fails if the name is
taken), and read back only together with the SHA-256 recorded when it was written: a file that
changed on disk is refused, never served.
"""

from __future__ import annotations

import hashlib
import os
from pathlib import Path

from django.conf import settings


class StoredFileError(RuntimeError):
    """The file under this name is not the one that was recorded."""


def _full(name: str) -> Path:
    root = Path(settings.PRIVATE_FILES_ROOT).resolve()
    path = (root / name).resolve()
    if root not in path.parents:
        raise ValueError(f"{name!r} is outside the private file storage")
    return path


def sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def store_once(name: str, data: bytes) -> str:
    """Write `data` under `name` unless it is there already with the same content; its SHA-256.
    A different file under the same name raises StoredFileError (nothing is overwritten)."""
    path = _full(name)
    digest = sha256(data)
    path.parent.mkdir(parents=True, exist_ok=True)
    temporary = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    with open(temporary, "wb") as out:
        out.write(data)
        out.flush()
        os.fsync(out.fileno())
    try:
        os.link(temporary, path)
    except FileExistsError:
        if sha256(path.read_bytes()) != digest:
            raise StoredFileError(f"{name} exists with different content") from None
    finally:
        temporary.unlink(missing_ok=True)
    return digest


def read_verified(name: str, expected_sha256: str) -> bytes:
    data = _full(name).read_bytes()
    if sha256(data) != expected_sha256:
        raise StoredFileError(f"{name} does not match its recorded SHA-256")
    return data

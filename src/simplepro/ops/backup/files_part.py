"""The backup's files part: every stored file, from a folder or the files bucket, tarred through
a pipe into the sealer, and listed with its size and SHA-256 for the manifest."""

from __future__ import annotations

import os
import tarfile
import threading
from pathlib import Path
from typing import Any

from simplepro.core import files
from simplepro.ops.backup import sealing


class Unreadable(Exception):
    """A stored file could not be read into the archive (the message says which and why)."""


def stores() -> dict[str, files.Store]:
    """What the app stores outside the database, by the name it has inside the archive: each a
    folder (the embedded default) or a prefix in the files bucket (docs/storage.md)."""
    return {"files": files.store("private"), "media": files.store("default")}


def _tar_into(write_end: int, listing: list[dict[str, Any]], failure: list[BaseException]) -> None:
    try:
        with os.fdopen(write_end, "wb") as pipe, tarfile.open(fileobj=pipe, mode="w|") as tar:
            for prefix, store in stores().items():
                for name, size in store.listing():
                    # Read once: hashed as it goes into the archive, so the manifest records
                    # exactly the bytes archived.
                    with store.open(name) as handle:
                        info = tarfile.TarInfo(f"{prefix}/{name}")
                        info.size, info.mode = size, 0o600
                        reader = files.HashingReader(handle)
                        tar.addfile(info, reader)
                    listing.append(
                        {
                            "name": info.name,
                            "size": reader.size,
                            "sha256": reader.digest.hexdigest(),
                        }
                    )
    except BaseException as exc:  # reported by the reading side
        failure.append(exc)


def seal(path: Path, recipients: list[Any]) -> tuple[sealing.Sealed, list[dict[str, Any]]]:
    """Tar every stored file through a pipe into the sealer: nothing is spooled."""
    read_end, write_end = os.pipe()
    listing: list[dict[str, Any]] = []
    failure: list[BaseException] = []
    writer = threading.Thread(target=_tar_into, args=(write_end, listing, failure))
    writer.start()
    with os.fdopen(read_end, "rb") as pipe:
        sealed = sealing.seal(pipe, path, recipients)
    writer.join()
    if failure:
        raise Unreadable(f"reading the stored files failed: {failure[0]}")
    return sealed, listing

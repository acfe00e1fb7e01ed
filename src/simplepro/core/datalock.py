"""Who is using the data folder. Every long-running process (`serve`, `worker`, `scheduler`)
holds a shared lock on <data>/simplepro.lock for its whole life; `backup restore` needs the
lock exclusively, so it refuses to replace the database under a running server (on SQLite
that would lose the server's writes). The kernel drops the lock when a process dies, so a
crash never leaves the folder locked."""

from __future__ import annotations

import fcntl
import os
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

_held: list[int] = []  # file descriptors kept open for the life of the process


def _path(data_dir: Path) -> Path:
    data_dir.mkdir(parents=True, exist_ok=True)
    return data_dir / "simplepro.lock"


def hold_shared(data_dir: Path) -> None:
    """Mark this process as using the data folder until it exits."""
    fd = os.open(_path(data_dir), os.O_RDWR | os.O_CREAT, 0o600)
    fcntl.flock(fd, fcntl.LOCK_SH)
    _held.append(fd)


class FolderInUse(RuntimeError):
    pass


@contextmanager
def exclusive(data_dir: Path) -> Iterator[None]:
    """The data folder to ourselves, or FolderInUse at once."""
    fd = os.open(_path(data_dir), os.O_RDWR | os.O_CREAT, 0o600)
    try:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            raise FolderInUse(
                f"a SimplePro process (serve, worker or scheduler) is using {data_dir}: "
                "stop them all before restoring"
            ) from None
        yield
    finally:
        os.close(fd)

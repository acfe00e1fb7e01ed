"""Immutable private files (sent quotes, documents, photos, signed PDFs) in the "private" store.

The store is a folder in the data directory (the embedded default) or a prefix in an S3 bucket
(SIMPLEPRO_FILES_S3_BUCKET; docs/storage.md). Either way a file is written once and never
overwritten:

- in a folder: a temporary file, fsync, then a hard link that fails if the name is taken;
- in a bucket: a conditional put (`If-None-Match: *`); a large file goes up in parts of
  PART_BYTES and its multipart upload is completed under the same condition, so memory stays at
  one part whatever the size, and a half-sent file is never visible.

A file is read back only together with the SHA-256 recorded when it was written: one that no
longer matches is refused, never served. The SHA-256 also travels as the object's metadata, so a
restore can tell an intact object from a damaged one without downloading it.

boto3's transfer manager would do the multipart upload for us, but it does not pass
`If-None-Match` on to the completing request (s3transfer 0.16); hence the short loop here.
"""

from __future__ import annotations

import contextlib
import hashlib
import os
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path, PurePosixPath
from typing import IO, Any

from django.core.files.storage import storages

PART_BYTES = 8 * 1024 * 1024  # S3's parts: at least 5 MiB each except the last
READ_BYTES = 256 * 1024


class StoredFileError(RuntimeError):
    """The file under this name is not the one that was recorded."""


class StoreUnavailable(OSError):
    """The bucket could not be reached or refused the request; the message names the bucket,
    never the credentials."""


@contextmanager
def _reaching(bucket: str, doing: str) -> Iterator[None]:
    from botocore.exceptions import BotoCoreError, ClientError

    try:
        yield
    except (BotoCoreError, ClientError) as exc:
        raise StoreUnavailable(f"{doing} s3://{bucket} failed: {exc}") from None


@dataclass(frozen=True)
class Written:
    sha256: str
    size: int


def sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def checked_name(name: str) -> str:
    """A relative name inside the store, or ValueError: no absolute paths, no `..`, no empty
    parts, no backslashes (a name that tries to escape is refused, not cleaned)."""
    path = PurePosixPath(name)
    if (
        not name
        or "\\" in name
        or "\x00" in name
        or path.is_absolute()
        or any(part in {"", ".", ".."} for part in name.split("/"))
    ):
        raise ValueError(f"{name!r} is outside the private file storage")
    return name


class HashingReader:
    """A stream read once, hashed as it goes: what was read, its SHA-256 and size."""

    def __init__(self, handle: IO[bytes]) -> None:
        self.handle = handle
        self.digest = hashlib.sha256()
        self.size = 0

    def read(self, size: int = -1) -> bytes:
        chunk = self.handle.read(size)
        self.digest.update(chunk)
        self.size += len(chunk)
        return chunk

    def written(self) -> Written:
        return Written(self.digest.hexdigest(), self.size)


class FolderStore:
    """Files under a folder on the local disk."""

    def __init__(self, root: str | Path) -> None:
        self.root = Path(root).resolve()

    def where(self) -> str:
        return str(self.root)

    def _full(self, name: str) -> Path:
        path = (self.root / checked_name(name)).resolve()
        if self.root not in path.parents:
            raise ValueError(f"{name!r} is outside the private file storage")
        return path

    def put_once(self, name: str, source: IO[bytes]) -> Written:
        path = self._full(name)
        path.parent.mkdir(parents=True, exist_ok=True)
        temporary = path.with_name(f".{path.name}.{os.getpid()}.{id(source)}.tmp")
        reader = HashingReader(source)
        try:
            with open(temporary, "wb") as out:
                while chunk := reader.read(READ_BYTES):
                    out.write(chunk)
                out.flush()
                os.fsync(out.fileno())
            os.link(temporary, path)
        except FileExistsError:
            if self.sha256_of(name) != reader.written().sha256:
                raise StoredFileError(f"{name} exists with different content") from None
        finally:
            temporary.unlink(missing_ok=True)
        return reader.written()

    @contextmanager
    def open(self, name: str) -> Iterator[IO[bytes]]:
        with open(self._full(name), "rb") as handle:
            yield handle

    def size(self, name: str) -> int:
        return self._full(name).stat().st_size

    def sha256_of(self, name: str) -> str | None:
        """The SHA-256 of what is stored (read through), None when nothing is."""
        try:
            with self.open(name) as handle:
                return _digest_of(handle)
        except FileNotFoundError:
            return None

    def listing(self) -> Iterator[tuple[str, int]]:
        if not self.root.exists():
            return
        for path in sorted(p for p in self.root.rglob("*") if p.is_file()):
            if not path.name.startswith("."):  # a write in progress
                yield path.relative_to(self.root).as_posix(), path.stat().st_size


class BucketStore:
    """Objects under a prefix in an S3 bucket, through the django-storages backend's client."""

    def __init__(self, storage: Any) -> None:
        self.storage = storage
        self.bucket = storage.bucket_name
        self.prefix = storage.location.strip("/") + "/" if storage.location else ""

    def where(self) -> str:
        return f"s3://{self.bucket}/{self.prefix}"

    @property
    def client(self) -> Any:
        return self.storage.connection.meta.client

    def _key(self, name: str) -> str:
        return self.prefix + checked_name(name)

    def put_once(self, name: str, source: IO[bytes]) -> Written:
        with _reaching(self.bucket, f"writing {name} to"):
            return self._put_once(name, source)

    def _put_once(self, name: str, source: IO[bytes]) -> Written:
        from botocore.exceptions import ClientError

        key = self._key(name)
        reader = HashingReader(source)
        first = reader.read(PART_BYTES)
        try:
            if len(first) < PART_BYTES:
                written = reader.written()
                self.client.put_object(
                    Bucket=self.bucket, Key=key, Body=first, IfNoneMatch="*",
                    Metadata={"sha256": written.sha256},
                )  # fmt: skip
                return written
            return self._put_parts(key, first, reader)
        except ClientError as exc:
            if _code(exc) not in {"PreconditionFailed", "ConditionalRequestConflict"}:
                raise
            while reader.read(PART_BYTES):  # hash the rest, to compare with what is there
                pass
            if self.sha256_of(name) != reader.written().sha256:
                raise StoredFileError(f"{name} exists with different content") from None
            return reader.written()

    def _put_parts(self, key: str, first: bytes, reader: HashingReader) -> Written:
        # The digest is known only at the end: the object's metadata is set when it is
        # complete, by a copy onto itself (metadata of a multipart upload is fixed at its start).
        upload = self.client.create_multipart_upload(Bucket=self.bucket, Key=key)["UploadId"]
        try:
            parts, chunk, number = [], first, 1
            while chunk:
                answer = self.client.upload_part(
                    Bucket=self.bucket, Key=key, UploadId=upload, PartNumber=number, Body=chunk
                )
                parts.append({"ETag": answer["ETag"], "PartNumber": number})
                chunk, number = reader.read(PART_BYTES), number + 1
            self.client.complete_multipart_upload(
                Bucket=self.bucket, Key=key, UploadId=upload, IfNoneMatch="*",
                MultipartUpload={"Parts": parts},
            )  # fmt: skip
        except BaseException:
            self.client.abort_multipart_upload(Bucket=self.bucket, Key=key, UploadId=upload)
            raise
        written = reader.written()
        self._record_digest(key, written.sha256)
        return written

    def _record_digest(self, key: str, digest: str) -> None:
        from botocore.exceptions import ClientError

        # On failure only a shortcut for restores is lost: the digest recorded in the database
        # is the one every read is checked against.
        with contextlib.suppress(ClientError):
            self.client.copy_object(
                Bucket=self.bucket, Key=key, CopySource={"Bucket": self.bucket, "Key": key},
                Metadata={"sha256": digest}, MetadataDirective="REPLACE",
            )  # fmt: skip

    def put(self, name: str, source: IO[bytes], digest: str) -> None:
        """Write or replace (restores only: the backup is the record)."""
        self.client.upload_fileobj(
            source, self.bucket, self._key(name), ExtraArgs={"Metadata": {"sha256": digest}}
        )

    @contextmanager
    def open(self, name: str) -> Iterator[IO[bytes]]:
        from botocore.exceptions import ClientError

        with _reaching(self.bucket, f"reading {name} from"):
            try:
                body = self.client.get_object(Bucket=self.bucket, Key=self._key(name))["Body"]
            except ClientError as exc:
                if _code(exc) not in {"NoSuchKey", "404"}:
                    raise
                body = None
        if body is None:
            raise FileNotFoundError(name)
        try:
            yield body
        finally:
            body.close()

    def _head(self, name: str) -> dict[str, Any] | None:
        from botocore.exceptions import ClientError

        with _reaching(self.bucket, f"reading {name} from"):
            try:
                head: dict[str, Any] = self.client.head_object(
                    Bucket=self.bucket, Key=self._key(name)
                )
            except ClientError as exc:
                if _code(exc) in {"NoSuchKey", "404"}:
                    return None
                raise
        return head

    def size(self, name: str) -> int:
        head = self._head(name)
        if head is None:
            raise FileNotFoundError(name)
        return int(head["ContentLength"])

    def sha256_of(self, name: str) -> str | None:
        head = self._head(name)
        if head is None:
            return None
        recorded = head.get("Metadata", {}).get("sha256")
        if recorded:
            return str(recorded)
        with self.open(name) as body:
            return _digest_of(body)

    def listing(self) -> Iterator[tuple[str, int]]:
        pages = self.client.get_paginator("list_objects_v2")
        for page in pages.paginate(Bucket=self.bucket, Prefix=self.prefix):
            for item in page.get("Contents", []):
                yield item["Key"].removeprefix(self.prefix), int(item["Size"])


def _digest_of(handle: IO[bytes]) -> str:
    digest = hashlib.sha256()
    while chunk := handle.read(READ_BYTES):
        digest.update(chunk)
    return digest.hexdigest()


def _code(exc: Any) -> str:
    return str(exc.response.get("Error", {}).get("Code", ""))


Store = FolderStore | BucketStore


def store(alias: str = "private") -> Store:
    """The private store (quotes, documents) or, with "default", the media store (the logo)."""
    storage = storages[alias]
    if hasattr(storage, "bucket_name"):
        return BucketStore(storage)
    return FolderStore(storage.location)  # type: ignore[attr-defined]


def store_once(name: str, data: bytes) -> str:
    """Write `data` under `name` unless it is there already with the same content; its SHA-256.
    A different file under the same name raises StoredFileError (nothing is overwritten)."""
    import io

    return store().put_once(name, io.BytesIO(data)).sha256


def store_stream_once(name: str, source: IO[bytes]) -> Written:
    """`store_once` for a stream of any size: read in parts, never whole into memory."""
    return store().put_once(name, source)


def read_verified(name: str, expected_sha256: str) -> bytes:
    with store().open(name) as handle:
        data = handle.read()
    if sha256(data) != expected_sha256:
        raise StoredFileError(f"{name} does not match its recorded SHA-256")
    return data


def stream_verified(name: str, expected_sha256: str) -> Iterator[bytes]:
    """The file in chunks, for a streamed download. The SHA-256 is known only at the end, so the
    last chunk is held back until it is checked: a file that no longer matches raises
    StoredFileError before its end is sent, the response is cut short of its Content-Length, and
    the client sees a failed download instead of a wrong file."""
    digest = hashlib.sha256()
    with store().open(name) as handle:
        held = handle.read(READ_BYTES)
        while held:
            digest.update(held)
            chunk = handle.read(READ_BYTES)
            if not chunk:
                break
            yield held
            held = chunk
    if digest.hexdigest() != expected_sha256:
        raise StoredFileError(f"{name} does not match its recorded SHA-256")
    if held:
        yield held

"""The private file store, in a folder and in an S3 bucket (a real S3 server: moto's server mode,
spoken to by boto3 through django-storages exactly as AWS or MinIO would be): write once, never
overwrite, stream in parts, refuse a file that no longer matches its SHA-256, refuse names that
try to escape."""

from __future__ import annotations

import hashlib
import io
import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from django.test import override_settings

from simplepro.core import files
from tests.s3 import KEY_ID, SECRET, s3_client, s3_server

BUCKET = "simplepro-files"


def bucket_storages(endpoint: str, bucket: str) -> dict[str, Any]:
    """STORAGES as settings.py builds them with SIMPLEPRO_FILES_S3_BUCKET set."""
    from django.conf import settings

    def s3(location: str) -> dict[str, Any]:
        return {
            "BACKEND": "storages.backends.s3.S3Storage",
            "OPTIONS": {
                "bucket_name": bucket, "location": location, "endpoint_url": endpoint,
                "region_name": "us-east-1", "access_key": KEY_ID, "secret_key": SECRET,
                "file_overwrite": False, "default_acl": None, "addressing_style": "path",
            },
        }  # fmt: skip

    return {**settings.STORAGES, "default": s3("media"), "private": s3("files")}


@pytest.fixture(scope="module")
def endpoint() -> Iterator[str]:
    with s3_server() as url:
        s3_client(url).create_bucket(Bucket=BUCKET)
        yield url


@pytest.fixture(params=["folder", "bucket"])
def where(request: Any, tmp_path: Path) -> Iterator[str]:
    if request.param == "folder":
        with override_settings(
            STORAGES={
                "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
                "private": {
                    "BACKEND": "django.core.files.storage.FileSystemStorage",
                    "OPTIONS": {"location": str(tmp_path / "files")},
                },
            }
        ):
            yield "folder"
    else:
        endpoint = request.getfixturevalue("endpoint")
        with override_settings(STORAGES=bucket_storages(endpoint, BUCKET)):
            yield "bucket"


def unique(name: str) -> str:
    return f"test/{os.urandom(6).hex()}/{name}"


def test_a_file_is_read_back_only_with_its_recorded_hash(where: str) -> None:
    name = unique("quote.pdf")
    digest = files.store_once(name, b"%PDF-1.7 quote")
    assert files.read_verified(name, digest) == b"%PDF-1.7 quote"
    with pytest.raises(files.StoredFileError):
        files.read_verified(name, hashlib.sha256(b"something else").hexdigest())


def test_a_name_is_written_once_and_never_overwritten(where: str) -> None:
    name = unique("signed.pdf")
    first = files.store_once(name, b"the signed original")
    assert files.store_once(name, b"the signed original") == first  # the same again: fine
    with pytest.raises(files.StoredFileError, match="exists with different content"):
        files.store_once(name, b"a forged replacement")
    assert files.read_verified(name, first) == b"the signed original"


def test_a_large_file_streams_up_in_parts_and_keeps_its_hash(where: str) -> None:
    data = os.urandom(files.PART_BYTES * 2 + 12_345)  # three parts in a bucket
    name = unique("photo.jpg")
    written = files.store_stream_once(name, io.BytesIO(data))
    assert written == files.Written(hashlib.sha256(data).hexdigest(), len(data))
    assert b"".join(files.stream_verified(name, written.sha256)) == data
    assert files.store().sha256_of(name) == written.sha256
    with pytest.raises(files.StoredFileError):
        files.store_stream_once(name, io.BytesIO(data[:-1] + b"!"))


def test_a_large_file_refused_at_its_end_leaves_no_object_behind(endpoint: str) -> None:
    class Broken(io.BytesIO):
        def read(self, size: int | None = -1) -> bytes:
            chunk = super().read(size)
            if self.tell() > files.PART_BYTES * 2:
                raise ConnectionResetError("the phone went into a tunnel")
            return chunk

    with override_settings(STORAGES=bucket_storages(endpoint, BUCKET)):
        name = unique("video.mp4")
        with pytest.raises(ConnectionResetError):
            files.store_stream_once(name, Broken(os.urandom(files.PART_BYTES * 3)))
        assert files.store().sha256_of(name) is None
    uploads = s3_client(endpoint).list_multipart_uploads(Bucket=BUCKET)
    assert not [u for u in uploads.get("Uploads", []) if u["Key"].endswith(name)]


def test_a_changed_file_is_cut_short_before_its_last_chunk(where: str, endpoint: str) -> None:
    data = os.urandom(files.READ_BYTES * 3)
    name = unique("bol.pdf")
    digest = files.store_once(name, data)
    tampered = data[:-1] + bytes([data[-1] ^ 1])
    if where == "folder":
        path = Path(files.store().where()) / name
        path.write_bytes(tampered)
    else:
        s3_client(endpoint).put_object(Bucket=BUCKET, Key=f"files/{name}", Body=tampered)
    received: list[bytes] = []
    with pytest.raises(files.StoredFileError):
        received.extend(files.stream_verified(name, digest))
    assert len(b"".join(received)) < len(data)


@pytest.mark.parametrize(
    "name", ["../secrets/key", "/etc/passwd", "quotes/../../x", "a\\b", "", "a//b", "./a"]
)
def test_a_name_that_tries_to_escape_is_refused(where: str, name: str) -> None:
    with pytest.raises(ValueError, match="outside the private file storage"):
        files.store_once(name, b"x")


def test_the_listing_names_every_stored_file_with_its_size(where: str) -> None:
    folder = unique("")
    for index in range(3):
        files.store_once(f"{folder}{index}.pdf", b"x" * (index + 1))
    listed = {name: size for name, size in files.store().listing() if name.startswith(folder)}
    assert listed == {f"{folder}0.pdf": 1, f"{folder}1.pdf": 2, f"{folder}2.pdf": 3}

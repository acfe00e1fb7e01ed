"""Backups of a site whose files live in an S3 bucket (SIMPLEPRO_FILES_S3_*), against a real S3
server process (moto's server mode): the manifest lists every object with its hash, `verify`
checks them, a restore puts back what is missing or damaged and keeps what was written later,
and the drill restores them into its scratch folder without touching the live bucket."""

from __future__ import annotations

import hashlib
import json
import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.s3 import KEY_ID, SECRET, s3_client, s3_server
from tests.server import cli_env, run_cli

pytestmark = pytest.mark.server

BUCKET = "company-files"


def files_settings(endpoint: str) -> dict[str, str]:
    return {
        "SIMPLEPRO_FILES_S3_BUCKET": BUCKET,
        "SIMPLEPRO_FILES_S3_ENDPOINT_URL": endpoint,
        "SIMPLEPRO_FILES_S3_ACCESS_KEY_ID": KEY_ID,
        "SIMPLEPRO_FILES_S3_SECRET_ACCESS_KEY": SECRET,
    }


@pytest.fixture(scope="module")
def endpoint() -> Iterator[str]:
    with s3_server() as url:
        yield url


@pytest.fixture
def site(endpoint: str, tmp_path: Path) -> dict[str, str]:
    client = s3_client(endpoint)
    client.create_bucket(Bucket=BUCKET)
    env = cli_env(tmp_path / "data", **files_settings(endpoint))
    assert run_cli("migrate", env=env).returncode == 0
    return env


def put(endpoint: str, key: str, data: bytes) -> str:
    digest = hashlib.sha256(data).hexdigest()
    s3_client(endpoint).put_object(Bucket=BUCKET, Key=key, Body=data, Metadata={"sha256": digest})
    return digest


def read(endpoint: str, key: str) -> bytes | None:
    try:
        return bytes(s3_client(endpoint).get_object(Bucket=BUCKET, Key=key)["Body"].read())
    except s3_client(endpoint).exceptions.NoSuchKey:
        return None


def create(env: dict[str, str]) -> str:
    done = run_cli("backup", "create", env=env)
    assert done.returncode == 0, done.stderr
    return done.stdout.strip().splitlines()[-1]


def test_the_bucket_is_backed_up_verified_and_restored(site: dict[str, str], endpoint: str) -> None:
    quote = b"%PDF-1.7 quote" + os.urandom(30_000)
    photo = os.urandom(9 * 1024 * 1024)  # more than one part
    logo = os.urandom(4000)
    digests = {
        "files/quotes/q-1.pdf": put(endpoint, "files/quotes/q-1.pdf", quote),
        "files/documents/2026/12/photo.jpg": put(endpoint, "files/documents/2026/12/photo.jpg", photo),
        "media/company/logo.png": put(endpoint, "media/company/logo.png", logo),
    }  # fmt: skip
    backup_id = create(site)
    data = Path(site["SIMPLEPRO_DATA_DIR"])
    assert not (data / "files").exists(), "nothing of the bucket is kept on the web host"
    manifest = json.loads((data / "backups" / backup_id / "manifest.json").read_text())
    assert {f["name"]: f["sha256"] for f in manifest["files"]} == digests

    verified = run_cli("backup", "verify", backup_id, env=site)
    assert verified.returncode == 0, verified.stderr
    assert "3 files" in verified.stdout

    client = s3_client(endpoint)
    client.delete_object(Bucket=BUCKET, Key="files/quotes/q-1.pdf")
    client.put_object(Bucket=BUCKET, Key="media/company/logo.png", Body=b"damaged")
    later = put(endpoint, "files/documents/2026/12/after-the-backup.pdf", b"%PDF later")
    done = run_cli("backup", "restore", backup_id, "--force", env=site)
    assert done.returncode == 0, done.stderr
    assert "files: 2 restored" in done.stderr, "the missing and the damaged one; not the intact"
    assert read(endpoint, "files/quotes/q-1.pdf") == quote
    assert read(endpoint, "media/company/logo.png") == logo
    assert read(endpoint, "files/documents/2026/12/photo.jpg") == photo
    assert read(endpoint, "files/documents/2026/12/after-the-backup.pdf") == b"%PDF later"
    assert hashlib.sha256(b"%PDF later").hexdigest() == later


def test_a_damaged_object_in_the_backup_is_never_put_back(
    site: dict[str, str], endpoint: str, tmp_path: Path
) -> None:
    put(endpoint, "files/quotes/q-2.pdf", b"%PDF-1.7 " + os.urandom(1000))
    backup_id = create(site)
    folder = Path(site["SIMPLEPRO_DATA_DIR"]) / "backups" / backup_id
    manifest_path = folder / "manifest.json"
    manifest: dict[str, Any] = json.loads(manifest_path.read_text())
    # A manifest whose hash for the quote is wrong fails the restore's own check (its MAC too).
    manifest["files"][0]["sha256"] = "0" * 64
    manifest_path.write_text(json.dumps(manifest))
    s3_client(endpoint).delete_object(Bucket=BUCKET, Key="files/quotes/q-2.pdf")
    done = run_cli("backup", "restore", backup_id, "--force", env=site)
    assert done.returncode != 0
    assert read(endpoint, "files/quotes/q-2.pdf") is None, "nothing unchecked reaches the bucket"

"""The off-site copy of the backups, against a real S3 server process (moto's server mode):
every backup goes there, a new host restores from there alone, a half-finished upload is never
listed, a failed upload fails the backup loudly and is retried, a damaged off-site copy is
caught, and retention applies there too."""

from __future__ import annotations

import json
import os
import shutil
import signal
import sqlite3
import subprocess
import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from tests.ops.fakes import NEWEST, nightly_backups
from tests.s3 import backup_settings, s3_client, s3_server
from tests.server import BIN, cli_env, run_cli

pytestmark = pytest.mark.server

PREFIX = "simplepro/"


@pytest.fixture(scope="module")
def endpoint() -> Iterator[str]:
    with s3_server() as url:
        yield url


@pytest.fixture
def bucket(endpoint: str, request: Any) -> str:
    name = f"backups-{request.node.name.replace('_', '-')[:40].lower()}".rstrip("-")
    s3_client(endpoint).create_bucket(Bucket=name)
    return name


@pytest.fixture(scope="module")
def seeded(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A migrated demo site with a stored quote, made once and copied by each test."""
    data = tmp_path_factory.mktemp("offsite-seed")
    env = cli_env(data)
    assert run_cli("migrate", env=env).returncode == 0
    assert run_cli("seed-demo", env=env).returncode == 0
    (data / "files" / "quotes").mkdir(parents=True)
    (data / "files" / "quotes" / "q-7.pdf").write_bytes(b"%PDF-1.7 " + os.urandom(20_000))
    return data


def site(seeded: Path, tmp_path: Path, endpoint: str, bucket: str) -> dict[str, str]:
    data = tmp_path / "data"
    shutil.copytree(seeded, data)
    return cli_env(data, **backup_settings(endpoint, bucket))


def objects(endpoint: str, bucket: str) -> dict[str, int]:
    listing = s3_client(endpoint).list_objects_v2(Bucket=bucket)
    return {o["Key"]: o["Size"] for o in listing.get("Contents", [])}


def listed_ids(env: dict[str, str]) -> list[str]:
    done = run_cli("backup", "list", "--json", env=env)
    assert done.returncode == 0, done.stderr
    return [b["id"] for b in json.loads(done.stdout)]


def new_host(old: dict[str, str], tmp_path: Path, name: str = "new-host") -> dict[str, str]:
    """A fresh machine: nothing but the secrets kept off-host (secret key, JWT keys, the age
    identity) and the same S3 settings."""
    data = tmp_path / name
    shutil.copytree(Path(old["SIMPLEPRO_DATA_DIR"]) / "secrets", data / "secrets")
    return {**old, "SIMPLEPRO_DATA_DIR": str(data)}


def test_every_backup_goes_off_site_and_a_new_host_restores_from_there(
    seeded: Path, tmp_path: Path, endpoint: str, bucket: str
) -> None:
    env = site(seeded, tmp_path, endpoint, bucket)
    done = run_cli("backup", "create", env=env)
    assert done.returncode == 0, done.stderr
    backup_id = done.stdout.strip().splitlines()[-1]
    assert f"off-site: uploading {backup_id} to s3://{bucket}/{PREFIX}" in done.stderr
    assert "The age identity" in done.stderr and "must live off this host too" in done.stderr
    stored = objects(endpoint, bucket)
    assert set(stored) == {
        f"{PREFIX}{backup_id}/{name}"
        for name in ("manifest.json", "database.zst.age", "files.tar.zst.age")
    }
    local = Path(env["SIMPLEPRO_DATA_DIR"]) / "backups" / backup_id
    for name in ("database.zst.age", "files.tar.zst.age"):
        assert stored[f"{PREFIX}{backup_id}/{name}"] == (local / name).stat().st_size
    listing = run_cli("backup", "list", env=env).stdout
    assert "local+s3" in listing
    assert "newest off-site copy" in run_cli("backup", "status", env=env).stdout

    # The host is lost. A new one with the kept secrets sees the backup and restores it.
    fresh = new_host(env, tmp_path)
    assert listed_ids(fresh) == [backup_id]
    restored = run_cli("backup", "restore", "latest", env=fresh, timeout=300)
    assert restored.returncode == 0, restored.stderr
    assert f"{backup_id}: downloading from s3://{bucket}/{PREFIX}" in restored.stderr
    data = Path(fresh["SIMPLEPRO_DATA_DIR"])
    db = sqlite3.connect(data / "simplepro.sqlite3")
    try:
        (customers,) = db.execute("SELECT count(*) FROM customers_customer").fetchone()
    finally:
        db.close()
    assert customers == 54
    quote = "files/quotes/q-7.pdf"
    assert (data / quote).read_bytes() == (Path(env["SIMPLEPRO_DATA_DIR"]) / quote).read_bytes()
    # The downloaded copy is now a local one too, known to be off-site already.
    assert "local+s3" in run_cli("backup", "list", env=fresh).stdout

    # The disaster-recovery drill works from the bucket alone too.
    drill = run_cli("dr-drill", env=new_host(env, tmp_path, "drill-host"), timeout=300)
    assert drill.returncode == 0, drill.stderr
    assert "ok   read a customer (54 in all)" in drill.stdout


def test_a_half_finished_upload_is_never_listed(
    seeded: Path, tmp_path: Path, endpoint: str, bucket: str
) -> None:
    """The backup process is killed (SIGKILL) while it uploads: the bucket holds a part but no
    manifest, and no host lists the backup from there; `push` finishes the job later."""
    env = site(seeded, tmp_path, endpoint, bucket)
    big = Path(env["SIMPLEPRO_DATA_DIR"]) / "files" / "scans"
    big.mkdir()
    for n in range(4):  # random bytes do not compress: the files part takes a while to upload
        (big / f"inventory-{n}.jpg").write_bytes(os.urandom(12_000_000))
    process = subprocess.Popen(
        [str(BIN), "backup", "create"], env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE
    )
    client = s3_client(endpoint)
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        keys = [o["Key"] for o in client.list_objects_v2(Bucket=bucket).get("Contents", [])]
        if any(k.endswith("/database.zst.age") for k in keys):
            break
        time.sleep(0.005)
    else:
        pytest.fail("the upload never started")
    process.send_signal(signal.SIGKILL)
    process.wait()
    stored = objects(endpoint, bucket)
    assert not any(k.endswith("/manifest.json") for k in stored), "killed before the manifest"
    assert stored, "a part was uploaded"

    fresh = new_host(env, tmp_path)
    assert listed_ids(fresh) == [], "an unfinished upload is not a backup"
    # On the old host the backup is complete locally, not yet off-site: push completes it.
    pushed = run_cli("backup", "push", env=env, timeout=300)
    assert pushed.returncode == 0, pushed.stderr
    assert "copied 1 backup(s)" in pushed.stdout
    (backup_id,) = listed_ids(fresh)
    verified = run_cli("backup", "verify", "--from", "s3", backup_id, env=env, timeout=300)
    assert verified.returncode == 0, verified.stderr


def test_a_failed_upload_fails_the_backup_and_is_retried(
    seeded: Path, tmp_path: Path, endpoint: str, bucket: str
) -> None:
    env = {**site(seeded, tmp_path, endpoint, bucket), "SIMPLEPRO_BACKUP_S3_BUCKET": "gone-away"}
    done = run_cli("backup", "create", env=env)
    assert done.returncode == 1
    assert "but its off-site copy failed" in done.stderr
    assert "NoSuchBucket" in done.stderr and "`simplepro backup push` retries" in done.stderr
    assert backup_settings(endpoint, bucket)["SIMPLEPRO_BACKUP_S3_SECRET_ACCESS_KEY"] not in (
        done.stderr + done.stdout
    ), "credentials are never printed"
    (first,) = [p.name for p in (Path(env["SIMPLEPRO_DATA_DIR"]) / "backups").glob("2*")]

    # Fixed: the next backup takes the one that failed with it.
    env["SIMPLEPRO_BACKUP_S3_BUCKET"] = bucket
    done = run_cli("backup", "create", env=env)
    assert done.returncode == 0, done.stderr
    second = done.stdout.strip().splitlines()[-1]
    assert f"uploading {first}" in done.stderr and f"uploading {second}" in done.stderr
    assert sorted(listed_ids(new_host(env, tmp_path))) == sorted([first, second])
    pushed = run_cli("backup", "push", env=env)
    assert pushed.returncode == 0 and "copied 0 backup(s)" in pushed.stdout


def test_verify_from_s3_catches_a_damaged_off_site_copy(
    seeded: Path, tmp_path: Path, endpoint: str, bucket: str
) -> None:
    env = site(seeded, tmp_path, endpoint, bucket)
    done = run_cli("backup", "create", env=env)
    backup_id = done.stdout.strip().splitlines()[-1]
    client = s3_client(endpoint)
    key = f"{PREFIX}{backup_id}/files.tar.zst.age"
    body = bytearray(client.get_object(Bucket=bucket, Key=key)["Body"].read())
    body[len(body) // 2] ^= 0x01
    client.put_object(Bucket=bucket, Key=key, Body=bytes(body))

    damaged = run_cli("backup", "verify", "--from", "s3", backup_id, env=env, timeout=300)
    assert damaged.returncode == 1
    assert "part files (files.tar.zst.age) does not match its checksum" in damaged.stderr
    local = run_cli("backup", "verify", backup_id, env=env, timeout=300)
    assert local.returncode == 0, "the local copy is intact"


def test_prune_applies_retention_off_site_and_keeps_few_local_copies(
    tmp_path: Path, endpoint: str, bucket: str, settings: Any, client: Any, db: None
) -> None:
    from simplepro.ops.backup import archive, offsite, retention

    for name, value in backup_settings(endpoint, bucket).items():
        setattr(settings, name.removeprefix("SIMPLEPRO_"), value)
    settings.BACKUP_DIR = tmp_path
    settings.BACKUP_KEEP_DAILY, settings.BACKUP_KEEP_WEEKLY, settings.BACKUP_KEEP_MONTHLY = 3, 0, 0
    settings.BACKUP_LOCAL_KEEP = 2
    ids = nightly_backups(tmp_path, 6, with_part=True)
    assert archive.push_pending() == sorted(ids)
    assert archive.last_offsite() == {"backup_id": ids[0], "created_at": NEWEST.isoformat()}
    metrics = client.get("/metrics").content.decode()
    assert "simplepro_backup_last_offsite_timestamp_seconds 1.7955738e+09" in metrics
    # A backup still uploading elsewhere (parts, no manifest yet), and a multipart upload.
    client = s3_client(endpoint)
    client.put_object(Bucket=bucket, Key=f"{PREFIX}20261125T030000Z-abcdef/database.zst.age",
                      Body=b"x")  # fmt: skip
    client.create_multipart_upload(Bucket=bucket, Key=f"{PREFIX}20261125T030000Z-abcdef/f")

    result = retention.prune()
    assert set(result.kept) == set(ids[:3]) and set(result.deleted) == set(ids[3:])
    complete = {i for i, s in offsite.stored().items() if s.complete}
    assert complete == set(ids[:3]), "retention off-site"
    assert sorted(p.name for p in tmp_path.glob("2*")) == sorted(ids[:2]), "2 local copies"
    assert "20261125T030000Z-abcdef" in offsite.stored(), "a fresh upload is left alone"
    # moto reports every multipart upload as begun in 2010: stale, so prune aborted it.
    assert client.list_multipart_uploads(Bucket=bucket).get("Uploads", []) == []

    removed = offsite.leftovers(datetime.now(UTC) + timedelta(days=2))
    assert removed == ["20261125T030000Z-abcdef (incomplete upload)"]
    assert "20261125T030000Z-abcdef" not in offsite.stored()


NIGHTLY = """
from simplepro.core.queue import huey
from simplepro.ops.tasks import nightly_backup
print(nightly_backup.call_local(), [m.name for m in huey.pending() if m.name.startswith("backup.")])
"""
PUSH = "from simplepro.ops.tasks import push_backups\nprint(push_backups.call_local())"


def test_the_nightly_task_retries_only_the_upload(
    seeded: Path, tmp_path: Path, endpoint: str, bucket: str
) -> None:
    """The scheduled backup hands the upload to a task of its own: while the bucket is
    unreachable that task fails (and is retried by the worker) without another backup being
    made each time; once it is fixed, the one backup goes up."""
    env = {**site(seeded, tmp_path, endpoint, bucket), "SIMPLEPRO_BACKUP_S3_BUCKET": "gone-away"}
    done = run_cli("shell", "-c", NIGHTLY, env=env)
    assert done.returncode == 0, done.stderr
    backup_id, queued = done.stdout.strip().splitlines()[-1].split(" ", 1)
    assert queued == "['backup.push']"
    failed = run_cli("shell", "-c", PUSH, env=env)
    assert failed.returncode == 1 and "NoSuchBucket" in failed.stderr
    env["SIMPLEPRO_BACKUP_S3_BUCKET"] = bucket
    pushed = run_cli("shell", "-c", PUSH, env=env)
    assert pushed.returncode == 0 and "1 uploaded" in pushed.stdout, pushed.stderr
    assert [p.name for p in (Path(env["SIMPLEPRO_DATA_DIR"]) / "backups").glob("2*")] == [
        backup_id
    ], "one backup, however many upload attempts"
    assert listed_ids(new_host(env, tmp_path)) == [backup_id]


def test_a_backup_id_that_is_not_one_is_refused(
    seeded: Path, tmp_path: Path, endpoint: str, bucket: str
) -> None:
    """Ids name folders and keys: anything but an id as `create` makes them is refused before
    a folder or key is touched."""
    env = site(seeded, tmp_path, endpoint, bucket)
    for command in (("verify", "--from", "s3"), ("verify",), ("restore",)):
        done = run_cli("backup", *command, "../../etc", env=env)
        assert done.returncode == 1
        assert "'../../etc' is not a backup id" in done.stderr
    assert not (Path(env["SIMPLEPRO_DATA_DIR"]) / "etc").exists()

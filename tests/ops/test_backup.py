"""`simplepro backup` as an operator runs it, on SQLite and on PostgreSQL: a backup is made,
listed and verified by restoring it into a scratch database; a flipped byte anywhere is caught;
a failed backup leaves nothing behind."""

from __future__ import annotations

import json
import os
import random
import re
import shutil
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import psycopg
import pytest

from tests.ops.fakes import nightly_backups
from tests.postgres import (
    PG_ADMIN,
    demo_site,
)
from tests.server import BIN, cli_env, peak_memory_run, run_cli

pytestmark = pytest.mark.server

ID = re.compile(r"^\d{8}T\d{6}Z-[0-9a-f]{6}$")


@pytest.fixture(scope="module", params=["sqlite", "postgresql"])
def site(request: Any, tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, str]]:
    """A migrated site with the demo company and two stored files."""
    data = tmp_path_factory.mktemp(f"backup-{request.param}")
    with demo_site(request.param, data, "simplepro_backup") as env:
        (data / "files" / "quotes").mkdir(parents=True)
        (data / "files" / "quotes" / "q-1.pdf").write_bytes(b"%PDF-1.7 quote" * 1000)
        (data / "media").mkdir(exist_ok=True)
        (data / "media" / "logo.png").write_bytes(os.urandom(5000))
        yield env


def create(env: dict[str, str], *args: str) -> str:
    done = run_cli("backup", "create", *args, env=env)
    assert done.returncode == 0, done.stderr
    backup_id = done.stdout.strip().splitlines()[-1]
    assert ID.match(backup_id), done.stdout
    return backup_id


def test_create_list_verify_status(site: dict[str, str]) -> None:
    done = run_cli("backup", "create", "--label", "before-upgrade", env=site)
    assert done.returncode == 0, done.stderr
    backup_id = done.stdout.strip()
    assert ID.match(backup_id), "stdout is the id alone"
    assert "database: taking a consistent snapshot" in done.stderr
    assert "files: 2 files" in done.stderr
    assert "somewhere else" in done.stderr, "every run warns to keep a copy off this host"

    listed = json.loads(run_cli("backup", "list", "--json", env=site).stdout)
    mine = next(b for b in listed if b["id"] == backup_id)
    assert set(mine) == {"id", "created_at", "label", "size_bytes", "app_version", "engine",
                         "verified_at"}  # fmt: skip
    assert mine["label"] == "before-upgrade" and mine["verified_at"] is None
    assert mine["engine"] == ("postgresql" if "DATABASE_URL" in site else "sqlite")
    assert listed == sorted(listed, key=lambda b: b["created_at"], reverse=True)

    verified = run_cli("backup", "verify", backup_id, env=site)
    assert verified.returncode == 0, verified.stderr
    assert "2 files" in verified.stdout and "restored into a scratch database" in verified.stdout
    listed = json.loads(run_cli("backup", "list", "--json", env=site).stdout)
    assert next(b for b in listed if b["id"] == backup_id)["verified_at"]
    status = run_cli("backup", "status", env=site).stdout
    assert f"last backup: {backup_id}" in status or "last backup: " in status
    assert "last full verification: 20" in status


def test_the_manifest_records_what_was_backed_up(site: dict[str, str]) -> None:
    backup_id = create(site)
    folder = Path(site["SIMPLEPRO_DATA_DIR"]) / "backups" / backup_id
    manifest = json.loads((folder / "manifest.json").read_text())
    assert manifest["app_version"] == "0.1.0"
    assert (
        manifest["tables"]["customers_customer"]["rows"] == 54
    )  # the demo company's (50, and 4 leads)
    assert manifest["migrations"]["ops"] == ["0001_initial"]
    assert {f["name"] for f in manifest["files"]} == {"files/quotes/q-1.pdf", "media/logo.png"}
    assert set(manifest["secrets"]) == {"SIMPLEPRO_SECRET_KEY", "SIMPLEPRO_JWT_KEYS"}
    secret = (Path(site["SIMPLEPRO_DATA_DIR"]) / "secrets" / "secret_key").read_text()
    assert secret not in json.dumps(manifest), "fingerprints, never the values"
    assert manifest["mac"].startswith("hmac-sha256:")
    # Encrypted: the stored quote's bytes are nowhere in the part.
    assert b"%PDF-1.7 quote" not in (folder / "files.tar.zst.age").read_bytes()


def test_without_the_identity_verify_says_it_did_not_restore(site: dict[str, str]) -> None:
    data = Path(site["SIMPLEPRO_DATA_DIR"])
    create(site)  # the embedded default makes its identity on the first backup
    identity = (data / "secrets" / "backup-identity.txt").read_text()
    public = re.search(r"public key: (age1\w+)", identity)
    assert public is not None
    env = {**site, "SIMPLEPRO_BACKUP_RECIPIENTS": public.group(1)}
    backup_id = create(env)
    done = run_cli("backup", "verify", backup_id, env=env)
    assert done.returncode == 0, done.stderr
    assert "NOT restored: no age identity on this host" in done.stdout


def test_a_failed_backup_leaves_nothing_and_says_why(site: dict[str, str]) -> None:
    env = {**site, "SIMPLEPRO_BACKUP_RECIPIENTS": "not-an-age-key"}
    done = run_cli("backup", "create", env=env)
    assert done.returncode == 1
    assert "SIMPLEPRO_BACKUP_RECIPIENTS must be age public keys" in done.stderr
    folder = Path(site["SIMPLEPRO_DATA_DIR"]) / "backups"
    folder.mkdir(exist_ok=True)  # the tests of this module may run in any order
    before = sorted(p.name for p in folder.iterdir())
    if "DATABASE_URL" in site:  # pg_dump missing half-way: the partial folder goes
        broken = {**site, "PATH": "/nonexistent"}
        done = run_cli("backup", "create", env=broken)
        assert done.returncode == 1 and "pg_dump" in done.stderr
        assert sorted(p.name for p in folder.iterdir()) == before
    (folder / ".20260101T000000Z-abcdef.partial").mkdir()
    listed = json.loads(run_cli("backup", "list", "--json", env=site).stdout)
    assert all(not b["id"].startswith(".") for b in listed), "a partial backup is never listed"


def test_a_flipped_byte_anywhere_fails_verification(
    tmp_path: Path, settings: Any, client: Any, db: None
) -> None:
    """20 times: one byte flipped at a random offset in a random part (the manifest
    included); verify must fail every time and say what is wrong. (The checks are the same
    for both engines; the backup is made on SQLite so it can be restored in this process.)"""
    from simplepro.ops.backup import archive, manifest

    data = tmp_path
    site = cli_env(data)
    assert run_cli("migrate", env=site).returncode == 0
    assert run_cli("seed-demo", env=site).returncode == 0
    (data / "media").mkdir(exist_ok=True)
    (data / "media" / "logo.png").write_bytes(os.urandom(5000))
    backup_id = create(site)
    folder = data / "backups" / backup_id
    settings.BACKUP_DIR = data / "backups"
    settings.SECRET_KEY = (data / "secrets" / "secret_key").read_text().strip()
    settings.BACKUP_IDENTITY_FILE = str(data / "secrets" / "backup-identity.txt")
    assert archive.verify(backup_id).restored
    parts = ["manifest.json", "database.zst.age", "files.tar.zst.age"]
    rng = random.Random(2026)
    for _ in range(20):
        part = folder / rng.choice(parts)
        original = part.read_bytes()
        offset = rng.randrange(len(original))
        flipped = bytearray(original)
        flipped[offset] ^= 1 << rng.randrange(8)
        part.write_bytes(bytes(flipped))
        try:
            with pytest.raises(archive.BackupError) as failure:
                archive.verify(backup_id)
            message = str(failure.value)
            assert backup_id in message and ("checksum" in message or "manifest" in message), (
                message
            )
        finally:
            part.write_bytes(original)
    # Deeper: a part replaced and its checksum re-signed (someone holding the secret key)
    # is still caught, by age's authentication of every chunk.
    body = json.loads((folder / "manifest.json").read_text())
    sealed = folder / "database.zst.age"
    original = sealed.read_bytes()
    sealed.write_bytes(original[:-100] + bytes(100))
    from simplepro.ops.backup import sealing

    digest, size = sealing.checksum(sealed)
    body["parts"]["database"].update(sha256=digest, size_bytes=size)
    (folder / "manifest.json").write_text(json.dumps(manifest.sign(body)))
    with pytest.raises(
        archive.BackupError,
        match="database.zst.age cannot be decrypted|database: the dump cannot be read",
    ):
        archive.verify(backup_id)
    sealed.write_bytes(original)

    # What Prometheus sees: the failed verification, then a good one; sizes of the two newest.
    from simplepro.ops.backup.metrics import BACKUP_METRICS

    text = client.get("/metrics").content.decode()
    assert "simplepro_backup_last_verify_success 0.0" in text
    create(site)
    assert archive.verify("latest").restored
    text = client.get("/metrics").content.decode()
    assert "simplepro_backup_last_verify_success 1.0" in text
    assert "simplepro_backup_last_verify_restored 1.0" in text
    offsite_only = {"simplepro_backup_last_offsite_timestamp_seconds"}  # tests/ops/test_offsite
    assert all(f"\n{name} " in text for name in BACKUP_METRICS - offsite_only)
    assert not any(name in text for name in offsite_only), "no off-site copy configured"


def test_prune_keeps_daily_weekly_monthly_and_the_newest_verified(
    tmp_path: Path, settings: Any
) -> None:
    """100 nightly backups: 7 days, 4 weeks and 6 months are kept, plus an old verified one
    (the only one verified), and a crashed partial backup older than a day goes."""
    from simplepro.ops.backup import retention

    settings.BACKUP_DIR = tmp_path
    settings.BACKUP_KEEP_DAILY, settings.BACKUP_KEEP_WEEKLY, settings.BACKUP_KEEP_MONTHLY = 7, 4, 6
    ids = nightly_backups(tmp_path, 100)
    (tmp_path / ids[60] / "verified.json").write_text(json.dumps({"verified_at": "2026-09-26"}))
    crashed = tmp_path / ".20261101T023000Z-aaaaaa.partial"
    crashed.mkdir()
    os.utime(crashed, (0, 0))

    dry = retention.prune(dry_run=True)
    assert len(list(tmp_path.iterdir())) == 101, "a dry run deletes nothing"
    result = retention.prune()
    assert result.kept == dry.kept
    kept = set(result.kept)
    assert set(ids[:7]) <= kept, "the last 7 days"
    assert ids[60] in kept, "the newest verified backup, whatever its age"
    # Weekly: Sundays' backups are the newest of their ISO week; monthly: the 30th/31st.
    assert len(kept) < 7 + 4 + 6 + 1 and len(kept) >= 12
    assert {p.name for p in tmp_path.iterdir()} == kept
    assert not crashed.exists()
    assert retention.retained([], 7, 4, 6) == set()


def test_listing_reads_an_unchanged_manifest_once_and_a_replaced_one_again(
    tmp_path: Path, settings: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    """/metrics lists the two newest backups at every scrape, and a manifest lists every stored
    file: a server reads each manifest once, yet sees one that was replaced."""
    from simplepro.ops.backup import archive, manifest

    settings.BACKUP_DIR = tmp_path
    ids = nightly_backups(tmp_path, 3)
    loaded: list[bytes] = []
    load = manifest.load
    monkeypatch.setattr(manifest, "load", lambda raw: loaded.append(raw) or load(raw))

    newest = archive.latest(2)
    assert [b.id for b in newest] == ids[:2] and len(loaded) == 2
    assert archive.latest(2) == newest and len(loaded) == 2, "unchanged: not read again"

    path = tmp_path / ids[0] / "manifest.json"
    replacement = path.with_name("manifest.new")
    replacement.write_text(json.dumps(json.loads(path.read_text()) | {"label": "re-signed"}))
    os.replace(replacement, path)
    assert archive.latest(2)[0].label == "re-signed" and len(loaded) == 3


def test_memory_does_not_grow_with_the_stored_files(tmp_path: Path) -> None:
    """Backups are streamed: `create`, `verify` (which restores into a scratch database) and
    `restore` peak at the same memory with 96 MB of stored files as with a few kilobytes. A
    command that held one of the 48 MB files in memory would peak at least 48 MB higher."""
    with demo_site("sqlite", tmp_path / "site", "simplepro_memory") as env:
        peaks: dict[str, list[float]] = {}
        for stored in ("a few kilobytes", "96 MB"):
            if stored == "96 MB":
                scans = tmp_path / "site" / "files" / "scans"
                scans.mkdir(parents=True)
                for n in range(2):  # random bytes: compression cannot hide them
                    (scans / f"inventory-{n}.jpg").write_bytes(os.urandom(48 * 2**20))
            for command in (["create"], ["verify", "latest"], ["restore", "latest", "--force"]):
                log = tmp_path / f"{command[0]}.log"
                code, peak = peak_memory_run([str(BIN), "backup", *command], env, log)
                assert code == 0, log.read_text()[-2000:]
                peaks.setdefault(command[0], []).append(peak)
        for command, (small, large) in peaks.items():
            assert large < small + 24, f"backup {command}: {small:.0f} MB, then {large:.0f} MB"


# A full disk, as far as the backup can tell: writes past the limit fail (EFBIG rather than
# ENOSPC, the same path), without mounting a small file system. Set in a wrapper that then
# becomes the command, so that this (threaded) test process runs no code between fork and exec.
FILE_SIZE_LIMIT = (
    "import os, resource, signal, sys; "
    "signal.signal(signal.SIGXFSZ, signal.SIG_IGN); "  # fail the write instead of killing
    "resource.setrlimit(resource.RLIMIT_FSIZE, (int(sys.argv[1]), int(sys.argv[1]))); "
    "os.execv(sys.argv[2], sys.argv[2:])"
)


def run_cli_on_a_full_disk(
    limit: int, *args: str, env: dict[str, str]
) -> subprocess.CompletedProcess[str]:
    command = [sys.executable, "-c", FILE_SIZE_LIMIT, str(limit), str(BIN), *args]
    return subprocess.run(command, env=env, capture_output=True, text=True, timeout=120)


def test_a_full_disk_fails_the_backup_in_one_clear_line(tmp_path: Path) -> None:
    with demo_site("sqlite", tmp_path / "site", "simplepro_full_disk") as env:
        scans = tmp_path / "site" / "files" / "scans"
        scans.mkdir(parents=True)
        (scans / "inventory.jpg").write_bytes(os.urandom(6 * 2**20))
        # room for the demo database (about 1 MB) but not for the 6 MB of stored files
        done = run_cli_on_a_full_disk(3 * 2**20, "backup", "create", env=env)
        assert done.returncode == 1, done.stderr
        assert "Traceback" not in done.stderr, done.stderr
        assert (
            "the backup failed, nothing was kept: sealing files.tar.zst.age failed" in done.stderr
        ), done.stderr
        assert "File too large" in done.stderr, done.stderr
        assert list((tmp_path / "site" / "backups").iterdir()) == [], "nothing half-written"


def test_a_full_disk_stops_a_restore_without_half_writing(tmp_path: Path) -> None:
    data = tmp_path / "site"
    with demo_site("sqlite", data, "simplepro_full_disk_restore") as env:
        database = data / "simplepro.sqlite3"
        scan = data / "files" / "scans" / "inventory.jpg"
        scan.parent.mkdir(parents=True)
        scan.write_bytes(os.urandom(2 * database.stat().st_size))
        backup_id = create(env)
        scan.unlink()
        (data / "files" / "kept.pdf").write_bytes(b"%PDF- stored after the backup")
        live = database.read_bytes()

        # The database cannot even be unpacked: nothing changes.
        done = run_cli_on_a_full_disk(2**16, "backup", "restore", backup_id, "--force", env=env)
        assert done.returncode == 1 and "Traceback" not in done.stderr, done.stderr
        assert "(File too large); nothing was changed" in done.stderr, done.stderr
        assert database.read_bytes() == live

        # The database fits, the stored files do not: the files stay as they were.
        limit = database.stat().st_size + 2**16
        done = run_cli_on_a_full_disk(limit, "backup", "restore", backup_id, "--force", env=env)
        assert done.returncode == 1 and "Traceback" not in done.stderr, done.stderr
        assert (
            "files: unpacking failed (File too large); the stored files are as they were. "
            f"The database is already restored from {backup_id}"
        ) in done.stderr, done.stderr
        assert (data / "files" / "kept.pdf").exists() and not scan.exists()
        assert not [p.name for p in data.iterdir() if ".restoring" in p.name], "no leftovers"

        # Space again: the same restore completes.
        done = run_cli("backup", "restore", backup_id, "--force", env=env)
        assert done.returncode == 0, done.stderr
        assert scan.exists() and not (data / "files" / "kept.pdf").exists()


def _manifest(site: dict[str, str], backup_id: str) -> dict[str, Any]:
    folder = Path(site["SIMPLEPRO_DATA_DIR"]) / "backups" / backup_id
    body: dict[str, Any] = json.loads((folder / "manifest.json").read_text())
    return body


def _wipe(site: dict[str, str]) -> None:
    data = Path(site["SIMPLEPRO_DATA_DIR"])
    if "DATABASE_URL" in site:
        with psycopg.connect(site["DATABASE_URL"], autocommit=True) as conn:
            conn.execute("DROP SCHEMA public CASCADE; CREATE SCHEMA public;")
    else:
        (data / "simplepro.sqlite3").unlink()
    shutil.rmtree(data / "files")
    shutil.rmtree(data / "media")


def test_round_trip_backup_wipe_restore(site: dict[str, str]) -> None:
    """Seeded data → backup → everything wiped → restore → the same rows and the same
    sampled content in every table, the same files; the restore is audited."""
    before_id = create(site, "--label", "round-trip")
    _wipe(site)
    done = run_cli("backup", "restore", before_id, env=site)
    assert done.returncode == 0, done.stderr
    assert f"restored {before_id} into" in done.stdout and "2 files" in done.stdout
    after_id = create(site)
    before, after = _manifest(site, before_id), _manifest(site, after_id)
    assert after["files"] == before["files"]
    audit = after["tables"].pop("audit_auditrecord")
    assert audit["rows"] == before["tables"].pop("audit_auditrecord")["rows"] + 1
    for table in ("ops_taskrun", "ops_taskcounter"):
        after["tables"].pop(table), before["tables"].pop(table)
    assert after["tables"] == before["tables"], "rows and sampled content, table by table"
    audit_rows = run_cli(
        "shell", "-c",
        "from simplepro.audit.models import AuditRecord as A\n"
        "print('AUDIT', A.objects.filter(action='restore', entity_id=" + repr(before_id) + ").count())",
        env=site,
    ).stdout  # fmt: skip
    assert "AUDIT 1" in audit_rows


def test_restore_refuses_before_touching_anything(site: dict[str, str], settings: Any) -> None:
    backup_id = create(site)
    # A target that holds data, without --force.
    done = run_cli("backup", "restore", backup_id, env=site)
    assert done.returncode == 1 and "is not empty" in done.stderr and "--force" in done.stderr
    # Other JWT keys than the backup's: named.
    other = {**site, "SIMPLEPRO_JWT_KEYS": json.dumps([{"kid": "x", "secret": "k" * 48}])}
    done = run_cli("backup", "restore", backup_id, "--force", env=other)
    assert done.returncode == 1 and "SIMPLEPRO_JWT_KEYS differs" in done.stderr
    # Another secret key: the manifest itself cannot be authenticated, and says which key.
    other = {**site, "SIMPLEPRO_SECRET_KEY": "s" * 60}
    done = run_cli("backup", "restore", backup_id, "--force", env=other)
    assert done.returncode == 1 and "SIMPLEPRO_SECRET_KEY" in done.stderr
    # A backup from a newer release (manifest re-signed with this site's key, as that release
    # would have).
    from simplepro.ops.backup import manifest

    data = Path(site["SIMPLEPRO_DATA_DIR"])
    settings.SECRET_KEY = (data / "secrets" / "secret_key").read_text().strip()
    path = data / "backups" / backup_id / "manifest.json"
    original = path.read_text()
    body = json.loads(original)
    body["app_version"] = "9.0.0"
    path.write_text(json.dumps(manifest.sign(body)))
    try:
        done = run_cli("backup", "restore", backup_id, "--force", env=site)
        assert done.returncode == 1 and "newer than this 0.1.0" in done.stderr
    finally:
        path.write_text(original)
    # The other engine.
    wrong = "sqlite:////tmp/x.sqlite3" if "DATABASE_URL" in site else PG_ADMIN
    done = run_cli("backup", "restore", backup_id, "--to", wrong, "--force", env=site)
    assert done.returncode == 1 and "backup; the target is" in done.stderr
    # Nothing was touched: the data is all there.
    assert _manifest(site, create(site))["tables"]["customers_customer"]["rows"] == 54


def test_restore_refuses_while_a_server_uses_the_data_folder(site: dict[str, str]) -> None:
    from tests.server import running_server

    backup_id = create(site)
    with running_server(site, migrate=False):
        done = run_cli("backup", "restore", backup_id, "--force", env=site)
    assert done.returncode == 1
    assert "is using" in done.stderr and "stop them all" in done.stderr

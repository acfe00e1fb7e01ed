"""Create, list and verify backups in the backup folder (SIMPLEPRO_BACKUP_DIR)."""

from __future__ import annotations

import json
import os
import re
import secrets
import shutil
import sqlite3
import tarfile
import tempfile
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from django.conf import settings
from django.db import connection
from django.db.migrations.recorder import MigrationRecorder

from simplepro import __version__
from simplepro.ops.backup import database, keys, manifest, sealing

DATABASE_PART = "database.zst.age"
FILES_PART = "files.tar.zst.age"
MANIFEST = "manifest.json"
VERIFIED = "verified.json"
LAST_VERIFY = ".last-verify.json"  # in the backup folder: the outcome of the latest verify
LABEL = re.compile(r"[A-Za-z0-9._-]{1,64}")
Progress = Callable[[str], None]


class BackupError(Exception):
    """A backup could not be made or does not hold what its manifest says."""


def backup_dir() -> Path:
    folder = Path(settings.BACKUP_DIR)
    folder.mkdir(parents=True, exist_ok=True)
    return folder


def file_roots() -> dict[str, Path]:
    """What the app stores outside the database, by the name it has inside the archive."""
    return {"files": Path(settings.PRIVATE_FILES_ROOT), "media": Path(settings.MEDIA_ROOT)}


def _applied_migrations() -> dict[str, list[str]]:
    applied: dict[str, list[str]] = {}
    for app, name in MigrationRecorder(connection).applied_migrations():
        applied.setdefault(app, []).append(name)
    return {app: sorted(names) for app, names in sorted(applied.items())}


def _tar_into(write_end: int, listing: list[dict[str, Any]], failure: list[BaseException]) -> None:
    try:
        with os.fdopen(write_end, "wb") as pipe, tarfile.open(fileobj=pipe, mode="w|") as tar:
            for prefix, root in file_roots().items():
                if not root.exists():
                    continue
                for path in sorted(p for p in root.rglob("*") if p.is_file()):
                    name = f"{prefix}/{path.relative_to(root).as_posix()}"
                    digest, size = sealing.checksum(path)
                    tar.add(path, arcname=name, recursive=False)
                    listing.append({"name": name, "size": size, "sha256": digest})
    except BaseException as exc:  # reported by the reading side
        failure.append(exc)


def _seal_files(path: Path, recipients: list[Any]) -> tuple[sealing.Sealed, list[dict[str, Any]]]:
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
        raise BackupError(f"reading the stored files failed: {failure[0]}")
    return sealed, listing


def new_id(now: datetime) -> str:
    return f"{now:%Y%m%dT%H%M%SZ}-{secrets.token_hex(3)}"


def create(label: str = "", progress: Progress = lambda _: None) -> str:
    """Make one backup; its id. Nothing is listed until every part is written and synced."""
    if label and not LABEL.fullmatch(label):
        raise BackupError("--label: at most 64 letters, digits, dots, dashes or underscores")
    recipients = keys.recipients()
    now = datetime.now(UTC)
    backup_id = new_id(now)
    folder = backup_dir()
    partial = folder / f".{backup_id}.partial"
    partial.mkdir()
    try:
        with tempfile.TemporaryDirectory(prefix="simplepro-backup-") as scratch:
            progress("database: taking a consistent snapshot")
            with database.snapshot_stream(Path(scratch) / "snapshot") as (snapshot, stream):
                db_part = sealing.seal(stream, partial / DATABASE_PART, recipients)
            progress(f"database: {db_part.plain_bytes} bytes → {db_part.size_bytes} sealed")
        files_part, listing = _seal_files(partial / FILES_PART, recipients)
        duration = (datetime.now(UTC) - now).total_seconds()
        progress(f"files: {len(listing)} files → {files_part.size_bytes} bytes sealed")
        body = {
            "format": manifest.FORMAT,
            "id": backup_id,
            "label": label,
            "created_at": now.isoformat(),
            "duration_seconds": round(duration, 3),
            "app_version": __version__,
            "engine": snapshot.engine,
            "engine_version": snapshot.engine_version,
            "migrations": _applied_migrations(),
            "tables": snapshot.tables,
            "files": listing,
            "parts": {
                "database": {
                    "file": DATABASE_PART,
                    "sha256": db_part.sha256,
                    "size_bytes": db_part.size_bytes,
                    "plain_bytes": db_part.plain_bytes,
                },
                "files": {
                    "file": FILES_PART,
                    "sha256": files_part.sha256,
                    "size_bytes": files_part.size_bytes,
                    "plain_bytes": files_part.plain_bytes,
                },
            },  # fmt: skip
            "secrets": manifest.secret_fingerprints(),
            "recipients": [str(r) for r in recipients],
        }
        signed = manifest.sign(body)
        (partial / MANIFEST).write_text(json.dumps(signed, indent=2, sort_keys=True))
        _fsync_folder(partial)
        partial.rename(folder / backup_id)
        _fsync_folder(folder)
    except BackupError:
        shutil.rmtree(partial, ignore_errors=True)
        raise
    except (OSError, RuntimeError, sqlite3.Error) as exc:
        shutil.rmtree(partial, ignore_errors=True)
        raise BackupError(f"the backup failed, nothing was kept: {exc}") from exc
    except BaseException:
        shutil.rmtree(partial, ignore_errors=True)
        raise
    return backup_id


def _fsync_folder(path: Path) -> None:
    for item in path.iterdir() if path.is_dir() else ():
        if item.is_file():
            with open(item, "rb") as handle:
                os.fsync(handle.fileno())
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


@dataclass
class Listed:
    id: str
    created_at: str
    label: str
    size_bytes: int
    app_version: str
    engine: str
    verified_at: str | None
    manifest: dict[str, Any] = field(repr=False)

    def public(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "created_at": self.created_at,
            "label": self.label,
            "size_bytes": self.size_bytes,
            "app_version": self.app_version,
            "engine": self.engine,
            "verified_at": self.verified_at,
        }


def _read_listed(path: Path) -> Listed:
    body = manifest.load((path / MANIFEST).read_bytes())
    verified = path / VERIFIED
    verified_at = json.loads(verified.read_text())["verified_at"] if verified.exists() else None
    size = sum(f.stat().st_size for f in path.iterdir() if f.is_file())
    return Listed(
        id=path.name,
        created_at=body["created_at"],
        label=body.get("label", ""),
        size_bytes=size,
        app_version=body["app_version"],
        engine=body["engine"],
        verified_at=verified_at,
        manifest=body,
    )


def backups() -> list[Listed]:
    """Every complete backup, newest first (partial ones, being written, are not listed)."""
    found = []
    for path in backup_dir().iterdir():
        if path.name.startswith(".") or not (path / MANIFEST).is_file():
            continue
        try:
            found.append(_read_listed(path))
        except (manifest.ManifestError, KeyError, OSError):
            continue  # `verify` names what is wrong with it
    return sorted(found, key=lambda b: (b.created_at, b.id), reverse=True)


def latest(count: int) -> list[Listed]:
    """The newest `count` complete backups, reading only their manifests (ids sort by time)."""
    found: list[Listed] = []
    names = sorted(
        (p.name for p in backup_dir().iterdir() if not p.name.startswith(".")), reverse=True
    )
    for name in names:
        try:
            found.append(_read_listed(backup_dir() / name))
        except (manifest.ManifestError, KeyError, OSError):
            continue
        if len(found) == count:
            break
    return found


def resolve(reference: str) -> Path:
    folder = backup_dir()
    if reference == "latest":
        listed = backups()
        if not listed:
            raise BackupError(f"there is no backup in {folder}")
        return folder / listed[0].id
    if not re.fullmatch(r"[0-9TZ]{16}-[0-9a-f]{6}", reference):
        raise BackupError(f"{reference!r} is not a backup id (see `simplepro backup list`)")
    path = folder / reference
    if not (path / MANIFEST).is_file():
        raise BackupError(f"there is no backup {reference} in {folder}")
    return path


@dataclass
class Verification:
    backup_id: str
    restored: bool
    checked: list[str]


def verify(reference: str, progress: Progress = lambda _: None) -> Verification:
    """Checksums and the manifest's MAC always; with the identity, also decrypt and restore
    into a scratch database and compare. Raises BackupError naming the first discrepancy.
    The outcome is recorded for /metrics and `backup status`."""
    try:
        result = _verify(reference, progress)
    except BackupError as problem:
        _record_verify(reference, ok=False, restored=False, problem=str(problem))
        raise
    _record_verify(result.backup_id, ok=True, restored=result.restored, problem="")
    return result


def _record_verify(backup_id: str, ok: bool, restored: bool, problem: str) -> None:
    record = {
        "at": datetime.now(UTC).isoformat(),
        "backup_id": backup_id,
        "ok": ok,
        "restored": restored,
        "problem": problem,
    }
    (backup_dir() / LAST_VERIFY).write_text(json.dumps(record))


def last_verify() -> dict[str, Any] | None:
    path = backup_dir() / LAST_VERIFY
    try:
        record: dict[str, Any] = json.loads(path.read_text())
    except (OSError, ValueError):
        return None
    return record


def authentic(path: Path) -> tuple[dict[str, Any], list[str]]:
    """The manifest, once its MAC and every part's checksum hold; what was checked."""
    try:
        body = manifest.load((path / MANIFEST).read_bytes())
        manifest.check(body)
    except manifest.ManifestError as exc:
        raise BackupError(f"{path.name}: {exc}") from None
    checked = ["manifest MAC"]
    for name, part in body["parts"].items():
        file = path / part["file"]
        if not file.exists():
            raise BackupError(f"{path.name}: part {name} ({part['file']}) is missing")
        digest, size = sealing.checksum(file)
        if (digest, size) != (part["sha256"], part["size_bytes"]):
            raise BackupError(
                f"{path.name}: part {name} ({part['file']}) does not match its checksum "
                f"(SHA-256 {digest[:12]}…, {size} bytes; manifest {part['sha256'][:12]}…, "
                f"{part['size_bytes']} bytes)"
            )
        checked.append(f"{name} checksum")
    return body, checked


def _verify(reference: str, progress: Progress) -> Verification:
    path = resolve(reference)
    body, checked = authentic(path)
    progress("checksums and manifest: ok")
    identities = keys.identities()
    if not identities:
        return Verification(path.name, False, checked)
    with tempfile.TemporaryDirectory(prefix="simplepro-verify-") as scratch:
        _verify_files(path, body, identities)
        checked.append(f"{len(body['files'])} files")
        progress("files: ok")
        _verify_database(path, body, identities, Path(scratch))
        checked.append(f"{len(body['tables'])} tables restored into a scratch database")
        progress("database: restored into a scratch database, rows and samples match")
    (path / VERIFIED).write_text(json.dumps({"verified_at": datetime.now(UTC).isoformat()}))
    return Verification(path.name, True, checked)


def open_part(path: Path, part: dict[str, Any], identities: list[Any]) -> Any:
    try:
        return sealing.unsealed(path / part["file"], identities)
    except Exception as exc:
        raise BackupError(f"{part['file']} cannot be decrypted: {exc}") from None


def _verify_files(path: Path, body: dict[str, Any], identities: list[Any]) -> None:
    expected = {f["name"]: f for f in body["files"]}
    seen = 0
    try:
        with (
            open_part(path, body["parts"]["files"], identities) as plain,
            tarfile.open(fileobj=plain, mode="r|") as tar,
        ):
            for member in tar:
                record = expected.get(member.name)
                handle = tar.extractfile(member)
                if record is None or handle is None:
                    raise BackupError(f"files: {member.name} is not in the manifest")
                if sealing.sha256_of(handle) != record["sha256"]:
                    raise BackupError(f"files: {member.name} does not match its SHA-256")
                seen += 1
    except BackupError:
        raise
    except Exception as exc:
        raise BackupError(
            f"files: the archive cannot be read ({type(exc).__name__}: {exc})"
        ) from None
    if seen != len(expected):
        raise BackupError(f"files: {seen} in the archive, {len(expected)} in the manifest")


def _verify_database(
    path: Path, body: dict[str, Any], identities: list[Any], scratch: Path
) -> None:
    try:
        with open_part(path, body["parts"]["database"], identities) as plain:
            if body["engine"] == "sqlite":
                dump = scratch / "database.restored"
                with open(dump, "wb") as out:
                    shutil.copyfileobj(plain, out, sealing.CHUNK)
                _compare_sqlite(dump, body)
            else:
                _compare_postgresql(plain, body)
    except BackupError:
        raise
    except Exception as exc:
        raise BackupError(
            f"database: the dump cannot be read ({type(exc).__name__}: {exc})"
        ) from None


def _compare(described: dict[str, dict[str, Any]], body: dict[str, Any]) -> None:
    for table, expected in body["tables"].items():
        found = described.get(table)
        if found is None:
            raise BackupError(f"database: table {table} is missing from the restored copy")
        if found["rows"] != expected["rows"]:
            raise BackupError(
                f"database: table {table} has {found['rows']} rows, the manifest says {expected['rows']}"
            )
        if found["sample_sha256"] != expected["sample_sha256"]:
            raise BackupError(f"database: the sampled rows of {table} differ from the manifest")


def _compare_sqlite(dump: Path, body: dict[str, Any]) -> None:
    db = sqlite3.connect(str(dump))
    try:
        cursor = db.cursor()
        tables = [r[0] for r in cursor.execute("SELECT name FROM sqlite_master WHERE type='table'")]
        keys_ = {}
        for table in tables:
            pk = [
                r[1] for r in cursor.execute(f"PRAGMA table_info({database._quote(table)})") if r[5]
            ]
            if len(pk) == 1:
                keys_[table] = pk[0]
        _compare(
            database.describe_tables(cursor, [t for t in tables if t in body["tables"]], keys_),
            body,
        )
        broken = cursor.execute("PRAGMA foreign_key_check").fetchall()
        if broken:
            raise BackupError(f"database: {len(broken)} rows break foreign keys, e.g. {broken[0]}")
    finally:
        db.close()


def _compare_postgresql(plain: Any, body: dict[str, Any]) -> None:
    """pg_restore into a scratch database on the same server (never the live one), compare,
    drop it."""
    env = database._pg_environment()
    scratch_db = f"{env['PGDATABASE']}_verify_{secrets.token_hex(4)}"
    with database.pg_connect(autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{scratch_db}"')
    try:
        failure = database.pg_restore_stream(plain, env, scratch_db)
        if failure:
            raise BackupError(f"database: pg_restore failed: {failure}")
        with database.pg_connect(scratch_db) as conn, conn.cursor() as cursor:
            cursor.execute(
                "SELECT c.relname, a.attname FROM pg_index i JOIN pg_class c ON c.oid = i.indrelid "
                "JOIN pg_attribute a ON a.attrelid = c.oid AND a.attnum = ANY(i.indkey) "
                "JOIN pg_namespace n ON n.oid = c.relnamespace "
                "WHERE i.indisprimary AND n.nspname = 'public' AND array_length(i.indkey, 1) = 1"
            )
            keys_: dict[str, str] = dict(cursor.fetchall())
            cursor.execute("SELECT tablename FROM pg_tables WHERE schemaname = 'public'")
            tables = [r[0] for r in cursor.fetchall() if r[0] in body["tables"]]
            _compare(database.describe_tables(cursor, tables, keys_), body)
    finally:
        with database.pg_connect(autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{scratch_db}" WITH (FORCE)')


@dataclass
class Pruned:
    kept: list[str]
    deleted: list[str]


def retained(listed: list[Listed], daily: int, weekly: int, monthly: int) -> set[str]:
    """Ids a grandfather-father-son policy keeps: the newest backup of each of the last
    `daily` days, `weekly` ISO weeks and `monthly` months that have one; always the newest
    backup and the newest verified one."""
    keep: set[str] = set()
    newest_first = sorted(listed, key=lambda b: (b.created_at, b.id), reverse=True)
    periods = (
        (daily, lambda at: at.date().isoformat()),
        (weekly, lambda at: f"{at.isocalendar().year}-W{at.isocalendar().week:02d}"),
        (monthly, lambda at: at.strftime("%Y-%m")),
    )
    for count, period_of in periods:
        seen: set[str] = set()
        for backup in newest_first:
            period = period_of(datetime.fromisoformat(backup.created_at))
            if period not in seen and len(seen) < count:
                seen.add(period)
                keep.add(backup.id)
    if newest_first:
        keep.add(newest_first[0].id)
    verified = [b for b in newest_first if b.verified_at]
    if verified:
        keep.add(verified[0].id)
    return keep


def prune(dry_run: bool = False, progress: Progress = lambda _: None) -> Pruned:
    """Apply the retention policy (SIMPLEPRO_BACKUP_KEEP_*); also remove partial folders
    older than a day (a backup that crashed)."""
    listed = backups()
    keep = retained(
        listed,
        settings.BACKUP_KEEP_DAILY,
        settings.BACKUP_KEEP_WEEKLY,
        settings.BACKUP_KEEP_MONTHLY,
    )
    deleted = [b.id for b in listed if b.id not in keep]
    folder = backup_dir()
    for backup_id in deleted:
        progress(f"{'would delete' if dry_run else 'deleting'} {backup_id}")
        if not dry_run:
            shutil.rmtree(folder / backup_id)
    day_ago = datetime.now(UTC).timestamp() - 86400
    for partial in folder.glob(".*.partial"):
        if partial.stat().st_mtime < day_ago and not dry_run:
            progress(f"removing the leftover of a crashed backup: {partial.name}")
            shutil.rmtree(partial, ignore_errors=True)
    return Pruned(sorted(keep), deleted)

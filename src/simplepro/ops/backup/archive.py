"""Create, list and verify backups in the backup folder (SIMPLEPRO_BACKUP_DIR)."""

from __future__ import annotations

import contextlib
import functools
import json
import os
import re
import secrets
import shutil
import sqlite3
import tarfile
import tempfile
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from django.conf import settings
from django.db import connection
from django.db.migrations.recorder import MigrationRecorder

from simplepro import __version__
from simplepro.ops.backup import database, files_part, keys, manifest, offsite, sealing

DATABASE_PART = "database.zst.age"
FILES_PART = "files.tar.zst.age"
MANIFEST = "manifest.json"
VERIFIED = "verified.json"
LAST_VERIFY = ".last-verify.json"  # in the backup folder: the outcome of the latest verify
LAST_OFFSITE = ".last-offsite.json"  # in the backup folder: the newest backup copied off-site
LABEL = re.compile(r"[A-Za-z0-9._-]{1,64}")
Progress = Callable[[str], None]


class BackupError(Exception):
    """A backup could not be made or does not hold what its manifest says."""


def backup_dir() -> Path:
    folder = Path(settings.BACKUP_DIR)
    folder.mkdir(parents=True, exist_ok=True)
    return folder


def _applied_migrations() -> dict[str, list[str]]:
    applied: dict[str, list[str]] = {}
    for app, name in MigrationRecorder(connection).applied_migrations():
        applied.setdefault(app, []).append(name)
    return {app: sorted(names) for app, names in sorted(applied.items())}


def new_id(now: datetime) -> str:
    return f"{now:%Y%m%dT%H%M%SZ}-{secrets.token_hex(3)}"


def create(label: str = "", progress: Progress = lambda _: None, offsite_copy: bool = True) -> str:
    """Make one backup; its id. Nothing is listed until every part is written and synced.
    With `offsite_copy` (and a bucket configured) it is then uploaded, with any earlier one
    whose upload failed."""
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
        try:
            sealed_files, listing = files_part.seal(partial / FILES_PART, recipients)
        except files_part.Unreadable as exc:
            raise BackupError(str(exc)) from None
        duration = (datetime.now(UTC) - now).total_seconds()
        progress(f"files: {len(listing)} files → {sealed_files.size_bytes} bytes sealed")
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
                    "sha256": sealed_files.sha256,
                    "size_bytes": sealed_files.size_bytes,
                    "plain_bytes": sealed_files.plain_bytes,
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
    if offsite_copy and offsite.configured():
        try:
            push_pending(progress)
        except offsite.OffsiteError as exc:
            raise BackupError(
                f"backup {backup_id} is complete in {folder}, but its off-site copy failed: "
                f"{exc}. `simplepro backup push` retries, and so does the next backup."
            ) from None
    return backup_id


def push_pending(progress: Progress = lambda _: None) -> list[str]:
    """Copy off-site every complete local backup not copied yet, oldest first: one that failed
    to upload last night goes with tonight's."""
    pushed = []
    for listed in sorted(_local(), key=lambda b: (b.created_at, b.id)):
        folder = backup_dir() / listed.id
        if (folder / offsite.UPLOADED).exists():
            continue
        progress(f"off-site: uploading {listed.id} to {offsite.where()}")
        offsite.push(folder)
        pushed.append(listed.id)
        record = {"backup_id": listed.id, "created_at": listed.created_at}
        newest = last_offsite()
        if newest is None or newest["created_at"] <= listed.created_at:
            (backup_dir() / LAST_OFFSITE).write_text(json.dumps(record))
    return pushed


def last_offsite() -> dict[str, Any] | None:
    """The newest backup known to be complete off-site (for /metrics and the banner)."""
    try:
        record: dict[str, Any] = json.loads((backup_dir() / LAST_OFFSITE).read_text())
    except (OSError, ValueError):
        return None
    return record


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
    duration_seconds: float
    locations: list[str] = field(default_factory=list)  # "local", "s3"

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


def _summary(manifest_bytes: bytes) -> dict[str, Any]:
    """The few fields of a manifest that a listing shows; not its per-file and per-table
    detail, which is most of its size."""
    body = manifest.load(manifest_bytes)
    return {
        "created_at": body["created_at"],
        "label": body.get("label", ""),
        "app_version": body["app_version"],
        "engine": body["engine"],
        "duration_seconds": float(body.get("duration_seconds", 0.0)),
    }


@functools.lru_cache(maxsize=256)
def _local_summary(path: Path, inode: int, size: int, mtime_ns: int) -> dict[str, Any]:
    """A local manifest's summary, read once per process. /metrics asks for the two newest at
    every scrape, and a manifest listing 100,000 stored files is ~16 MB of JSON (bench/
    backup_listing.py). A manifest is not rewritten (its folder appears whole, by rename);
    were it replaced or edited, its inode, size or modification time would change."""
    return _summary(path.read_bytes())


def _listed(
    backup_id: str, summary: dict[str, Any], verified: bytes | None, size: int, location: str
) -> Listed:
    return Listed(
        id=backup_id,
        size_bytes=size,
        verified_at=json.loads(verified)["verified_at"] if verified else None,
        locations=[location],
        **summary,
    )


def _read_listed(path: Path) -> Listed:
    verified = path / VERIFIED
    stat = (path / MANIFEST).stat()
    return _listed(
        path.name,
        _local_summary(path / MANIFEST, stat.st_ino, stat.st_size, stat.st_mtime_ns),
        verified.read_bytes() if verified.exists() else None,
        sum(
            f.stat().st_size for f in path.iterdir() if f.is_file() and not f.name.endswith(".json")
        ),
        "local",
    )


def _local() -> list[Listed]:
    found = []
    for path in backup_dir().iterdir():
        if path.name.startswith(".") or not (path / MANIFEST).is_file():
            continue
        try:
            found.append(_read_listed(path))
        except (manifest.ManifestError, KeyError, OSError):
            continue  # `verify` names what is wrong with it
    return found


def _offsite() -> list[Listed]:
    """The complete backups in the bucket: one listing, then a GET per manifest (and per
    verification record, where the listing shows one)."""
    found = []
    client = offsite.s3_client()
    for backup_id, stored in offsite.stored(client).items():
        if not stored.complete:
            continue  # an upload that has not finished, or never will
        verified = offsite.read(backup_id, VERIFIED, client) if VERIFIED in stored.objects else None
        try:
            found.append(
                _listed(
                    backup_id,
                    _summary(offsite.read(backup_id, MANIFEST, client) or b""),
                    verified,
                    sum(o["Size"] for n, o in stored.objects.items() if not n.endswith(".json")),
                    "s3",
                )
            )
        except (manifest.ManifestError, KeyError):
            continue
    return found


def backups() -> list[Listed]:
    """Every complete backup, here and off-site, newest first (partial ones, being written or
    uploaded, are not listed). A backup in both places is listed once, with both locations."""
    merged: dict[str, Listed] = {}
    copies = _local() + (_offsite_or_fail() if offsite.configured() else [])
    for listed in copies:
        if listed.id in merged:
            merged[listed.id].locations += listed.locations
            merged[listed.id].verified_at = merged[listed.id].verified_at or listed.verified_at
        else:
            merged[listed.id] = listed
    return sorted(merged.values(), key=lambda b: (b.created_at, b.id), reverse=True)


def _offsite_or_fail() -> list[Listed]:
    try:
        return _offsite()
    except offsite.OffsiteError as exc:
        raise BackupError(str(exc)) from None


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


def resolve(reference: str, progress: Progress = lambda _: None) -> Path:
    """The local folder of a backup; one only off-site is downloaded first (a new host after
    the old one was lost restores this way)."""
    folder = backup_dir()
    if reference == "latest":
        listed = backups()
        if not listed:
            places = f"{folder} or {offsite.where()}" if offsite.configured() else str(folder)
            raise BackupError(f"there is no backup in {places}")
        reference = listed[0].id
    path = folder / _checked_id(reference)
    if (path / MANIFEST).is_file():
        return path
    if not offsite.configured():
        raise BackupError(f"there is no backup {reference} in {folder}")
    progress(f"{reference}: downloading from {offsite.where()}")
    with _downloaded(reference) as fetched:
        (fetched / offsite.UPLOADED).write_text(json.dumps({"where": offsite.where()}))
        fetched.rename(path)
    return path


def openable(
    reference: str, doing: str, progress: Progress = lambda _: None
) -> tuple[Path, dict[str, Any], list[Any]]:
    """A backup's folder (downloaded first if it is only off-site), its authenticated manifest,
    and the identity that opens it; `doing` names the operation if the identity is missing."""
    path = resolve(reference, progress)
    body, _ = authentic(path)
    identities = keys.identities()
    if not identities:
        raise BackupError(f"{doing} needs the age identity: set SIMPLEPRO_BACKUP_IDENTITY_FILE")
    return path, body, identities


def _checked_id(reference: str) -> str:
    """A backup id as `create` makes them: a timestamp and 6 hex digits, nothing that could
    name another folder or key."""
    if not re.fullmatch(r"[0-9]{8}T[0-9]{6}Z-[0-9a-f]{6}", reference):
        raise BackupError(f"{reference!r} is not a backup id (see `simplepro backup list`)")
    return reference


@contextlib.contextmanager
def _downloaded(backup_id: str) -> Iterator[Path]:
    """The off-site copy of a backup, downloaded into a hidden folder beside the local ones
    (same disk, so it can be renamed into place); removed afterwards unless moved."""
    scratch = backup_dir() / f".download-{secrets.token_hex(4)}"
    (scratch / backup_id).mkdir(parents=True)
    try:
        offsite.fetch(backup_id, scratch / backup_id)
        yield scratch / backup_id
    except offsite.OffsiteError as exc:
        raise BackupError(str(exc)) from None
    finally:
        shutil.rmtree(scratch, ignore_errors=True)


@dataclass
class Verification:
    backup_id: str
    restored: bool
    checked: list[str]


def verify(
    reference: str, progress: Progress = lambda _: None, source: str = "local"
) -> Verification:
    """Checksums and the manifest's MAC always; with the identity, also decrypt and restore
    into a scratch database and compare. Raises BackupError naming the first discrepancy.
    `source="s3"` checks the off-site copy itself, downloaded afresh. The outcome is recorded
    for /metrics and `backup status`."""
    try:
        if source == "s3":
            result = _verify_offsite(reference, progress)
        else:
            result = _verify(resolve(reference, progress), progress)
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


def _verify_offsite(reference: str, progress: Progress) -> Verification:
    if not offsite.configured():
        raise BackupError("there is no off-site copy: SIMPLEPRO_BACKUP_S3_BUCKET is not set")
    if reference == "latest":
        listed = _offsite_or_fail()
        if not listed:
            raise BackupError(f"there is no backup in {offsite.where()}")
        reference = max(listed, key=lambda b: (b.created_at, b.id)).id
    reference = _checked_id(reference)
    progress(f"{reference}: downloading from {offsite.where()}")
    with _downloaded(reference) as fetched:
        result = _verify(fetched, progress)
        if result.restored:
            try:
                offsite.write(reference, VERIFIED, (fetched / VERIFIED).read_bytes())
            except offsite.OffsiteError as exc:
                raise BackupError(str(exc)) from None
    return result


def _verify(path: Path, progress: Progress) -> Verification:
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
    try:
        with (
            database.scratch_postgresql(plain, "verify") as scratch_db,
            database.pg_connect(scratch_db) as conn,
            conn.cursor() as cursor,
        ):
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
    except RuntimeError as exc:
        raise BackupError(f"database: {exc}") from None

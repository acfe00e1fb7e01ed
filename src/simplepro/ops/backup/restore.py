"""`simplepro backup restore <id|latest> [--to DATABASE_URL] [--force]`.

Everything that could make a restore wrong is checked before anything is touched: the
backup's authenticity and checksums, the age identity, the app version (never a backup from a
newer release), the database engine and major version, the secrets the data needs (named when
they differ), an empty target (or --force), and, when restoring this site's own database, that
no SimplePro process is using the data folder. Then the database and the stored files are
replaced, pending migrations run (a backup from an older release), and an audit record says
what happened.
"""

from __future__ import annotations

import re
import shutil
import sqlite3
import subprocess
import tarfile
import tempfile
from contextlib import nullcontext
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any

import dj_database_url
from django.conf import settings
from django.core.management import call_command
from django.db import connection

from simplepro import __version__
from simplepro.core import files
from simplepro.core.datalock import FolderInUse, exclusive
from simplepro.ops.backup import archive, database, files_part, manifest, sealing
from simplepro.ops.backup.archive import BackupError, Progress


@dataclass
class Restored:
    backup_id: str
    target: str
    tables: int
    rows: int
    files: int
    migrated: list[str] = field(default_factory=list)


def _version(text: str) -> tuple[int, ...]:
    return tuple(int(part) for part in re.findall(r"\d+", text)[:4])


def _check_version(body: dict[str, Any]) -> None:
    if _version(body["app_version"]) > _version(__version__):
        raise BackupError(
            f"the backup was made by SimplePro {body['app_version']}, newer than this "
            f"{__version__}: restore it with {body['app_version']} or later"
        )


def _check_secrets(body: dict[str, Any], ignore: bool) -> None:
    current = manifest.secret_fingerprints()
    fallbacks = {manifest.fingerprint(key) for key in settings.SECRET_KEY_FALLBACKS}
    for name, recorded in body["secrets"].items():
        same = recorded == current.get(name)
        if name == "SIMPLEPRO_SECRET_KEY" and recorded in fallbacks:
            same = True
        if not same and not ignore:
            raise BackupError(
                f"{name} differs from the one this backup was made with: signed links, "
                "sessions or tokens in it would not work. Set the backup's value (your secret "
                "store keeps it), or pass --ignore-secrets to restore anyway"
            )


@dataclass(frozen=True)
class Target:
    engine: str
    url: str  # "" for this site's own SQLite file
    sqlite_path: Path | None
    own: bool  # this site's configured database

    def describe(self) -> str:
        if self.sqlite_path:
            return str(self.sqlite_path)
        parsed = dj_database_url.parse(self.url)
        return f"postgresql://{parsed.get('HOST')}:{parsed.get('PORT')}/{parsed.get('NAME')}"


def target_for(to_url: str) -> Target:
    if to_url:
        if to_url.startswith(("postgres://", "postgresql://")):
            return Target("postgresql", to_url, None, own=False)
        if to_url.startswith("sqlite:///"):
            return Target("sqlite", to_url, Path(to_url.removeprefix("sqlite:///")), own=False)
        raise BackupError("--to must be postgresql://… or sqlite:////absolute/path")
    if connection.vendor == "postgresql":
        return Target("postgresql", settings.DATABASE_URL, None, own=True)
    return Target("sqlite", "", Path(settings.DATABASES["default"]["NAME"]), own=True)


def _pg_params(url: str) -> dict[str, str]:
    parsed = dj_database_url.parse(url)
    return {
        "PGDATABASE": str(parsed.get("NAME") or ""),
        "PGUSER": str(parsed.get("USER") or ""),
        "PGHOST": str(parsed.get("HOST") or ""),
        "PGPORT": str(parsed.get("PORT") or ""),
        "PGPASSWORD": str(parsed.get("PASSWORD") or ""),
    }


def _psql(url: str, sql: str) -> str:
    import os

    done = subprocess.run(
        ["psql", "-X", "-v", "ON_ERROR_STOP=1", "-qtA", "-c", sql],
        env={**os.environ, **_pg_params(url)}, capture_output=True, text=True, check=False,
    )  # fmt: skip
    if done.returncode != 0:
        raise BackupError(f"the target database refused: {done.stderr.strip()[:300]}")
    return done.stdout.strip()


def _check_target(target: Target, body: dict[str, Any], force: bool) -> None:
    if target.engine != body["engine"]:
        raise BackupError(
            f"this is a {body['engine']} backup; the target is {target.engine}. Restore it into "
            f"{body['engine']} (--to), then move the data with the application if you must"
        )
    if target.engine == "postgresql":
        major = int(_psql(target.url, "SHOW server_version_num")) // 10000
        backup_major = _version(body["engine_version"])[0]
        if major < backup_major:
            raise BackupError(
                f"the backup comes from PostgreSQL {backup_major}; the target runs {major}. "
                "Restore into PostgreSQL {backup_major} or newer"
            )
        tables = int(
            _psql(target.url, "SELECT count(*) FROM pg_tables WHERE schemaname = 'public'")
        )
    else:
        assert target.sqlite_path is not None
        tables = 0
        if target.sqlite_path.exists():
            db = sqlite3.connect(str(target.sqlite_path))
            try:
                tables = db.execute(
                    "SELECT count(*) FROM sqlite_master WHERE type = 'table'"
                ).fetchone()[0]
            finally:
                db.close()
    if tables and not force:
        raise BackupError(
            f"the target {target.describe()} is not empty ({tables} tables): pass --force to "
            "replace everything in it"
        )


def restore(
    reference: str,
    to_url: str = "",
    force: bool = False,
    ignore_secrets: bool = False,
    progress: Progress = lambda _: None,
) -> Restored:
    path, body, identities = archive.openable(reference, "restoring", progress)
    _check_version(body)
    _check_secrets(body, ignore_secrets)
    target = target_for(to_url)
    _check_target(target, body, force)
    progress(f"{path.name}: authentic, compatible; restoring into {target.describe()}")
    try:
        with exclusive(settings.DATA_DIR) if target.own else nullcontext():
            with tempfile.TemporaryDirectory(prefix="simplepro-restore-") as scratch:
                part = body["parts"]["database"]
                with archive.open_part(path, part, identities) as plain:
                    if target.engine == "sqlite":
                        dump = Path(scratch) / "database"
                        try:
                            with open(dump, "wb") as out:
                                shutil.copyfileobj(plain, out, sealing.CHUNK)
                        except OSError as exc:
                            raise BackupError(
                                f"database: unpacking into {scratch} failed ({exc.strerror}); "
                                "nothing was changed"
                            ) from None
                        restore_sqlite(dump, target)
                    else:
                        restore_postgresql(plain, target)
                progress("database: restored")
                files = 0
                if target.own:
                    try:
                        files = restore_files(path, body, identities)
                    except BackupError as exc:
                        raise BackupError(
                            f"{exc}. The database is already restored from {path.name}: once "
                            "the cause is fixed, run the same restore again"
                        ) from None
                    progress(f"files: {files} restored")
            result = Restored(
                path.name,
                target.describe(),
                tables=len(body["tables"]),
                rows=sum(t["rows"] for t in body["tables"].values()),
                files=files,
            )
            if target.own:
                result.migrated = _migrate_and_record(body, result)
    except FolderInUse as exc:
        raise BackupError(str(exc)) from None
    return result


def restore_sqlite(dump: Path, target: Target) -> None:
    assert target.sqlite_path is not None
    check = sqlite3.connect(str(dump))
    try:
        if check.execute("PRAGMA integrity_check").fetchone()[0] != "ok":
            raise BackupError("the database in the backup fails SQLite's integrity check")
    finally:
        check.close()
    connection.close()
    target.sqlite_path.parent.mkdir(parents=True, exist_ok=True)
    staged = target.sqlite_path.with_name(target.sqlite_path.name + ".restoring")
    try:
        shutil.copyfile(dump, staged)
    except OSError as exc:  # a full disk: the live file was not touched
        staged.unlink(missing_ok=True)
        raise BackupError(
            f"database: writing {staged} failed ({exc.strerror}); nothing was changed"
        ) from None
    for suffix in ("-wal", "-shm"):
        Path(str(target.sqlite_path) + suffix).unlink(missing_ok=True)
    staged.replace(target.sqlite_path)  # atomic: the old file or the new, never half


def restore_postgresql(plain: IO[bytes], target: Target) -> None:
    """The dump streamed into pg_restore as it is decompressed (its checksum and MAC were
    checked first), in one transaction: a failure leaves the emptied schema, never half."""
    import os

    connection.close()
    _psql(target.url, "DROP SCHEMA IF EXISTS public CASCADE; CREATE SCHEMA public;")
    env = {**os.environ, **_pg_params(target.url)}
    failure = database.pg_restore_stream(plain, env, _pg_params(target.url)["PGDATABASE"])
    if failure:
        raise BackupError(f"pg_restore failed: {failure}")


def restore_files(
    path: Path,
    body: dict[str, Any],
    identities: list[Any],
    roots: dict[str, Path] | None = None,
) -> int:
    """Put the backup's stored files back into this site's stores (or, with `roots`, unpack them
    into those folders), every file checked against the manifest; how many were written.

    A folder is unpacked beside itself and swapped in whole. A bucket is given each object that
    is missing or differs from the backup, and keeps the objects the backup does not know (files
    written after it: harmless, and never overwritten by a restore)."""
    stores = (
        {name: files.FolderStore(root) for name, root in roots.items()}
        if roots
        else files_part.stores()
    )
    folders = {name: s.root for name, s in stores.items() if isinstance(s, files.FolderStore)}
    buckets = {name: s for name, s in stores.items() if isinstance(s, files.BucketStore)}
    staged = {name: root.with_name(root.name + ".restoring") for name, root in folders.items()}
    for folder in staged.values():
        shutil.rmtree(folder, ignore_errors=True)
        folder.mkdir(parents=True)
    try:
        count = _unpack_files(path, body, identities, staged, buckets)
    except BaseException as exc:
        for folder in staged.values():
            shutil.rmtree(folder, ignore_errors=True)
        if isinstance(exc, OSError):  # a full disk: the files in place were not touched
            raise BackupError(
                f"files: unpacking failed ({exc.strerror or exc}); the stored files are as they were"
            ) from None
        raise
    for name, root in folders.items():
        old = root.with_name(root.name + ".replaced")
        shutil.rmtree(old, ignore_errors=True)
        if root.exists():
            root.rename(old)
        staged[name].rename(root)
        shutil.rmtree(old, ignore_errors=True)
    return count


def _unpack_files(
    path: Path,
    body: dict[str, Any],
    identities: list[Any],
    staged: dict[str, Path],
    buckets: dict[str, files.BucketStore],
) -> int:
    """Unpack the files part into the staged folders and the buckets, each file checked against
    the manifest before it is kept; how many were written."""
    expected = {f["name"]: f["sha256"] for f in body["files"]}
    count = 0
    with (
        archive.open_part(path, body["parts"]["files"], identities) as plain,
        tarfile.open(fileobj=plain, mode="r|") as tar,
    ):
        for member in tar:
            prefix, _, rest = member.name.partition("/")
            if prefix not in {**staged, **buckets} or not member.isfile():
                raise BackupError(f"files: unexpected entry {member.name!r} in the archive")
            try:
                files.checked_name(rest)
            except ValueError:
                raise BackupError(
                    f"files: unexpected entry {member.name!r} in the archive"
                ) from None
            handle = tar.extractfile(member)
            assert handle is not None
            if prefix in staged:
                destination = staged[prefix] / rest
                destination.parent.mkdir(parents=True, exist_ok=True)
                with open(destination, "wb") as out:
                    shutil.copyfileobj(handle, out)
                if sealing.checksum(destination)[0] != expected.get(member.name):
                    raise BackupError(f"files: {member.name} does not match the manifest")
                count += 1
            elif _put_back(buckets[prefix], rest, handle, expected.get(member.name)):
                count += 1
    return count


def _put_back(bucket: files.BucketStore, name: str, handle: IO[bytes], digest: str | None) -> bool:
    """One object back into the bucket unless it is there intact; whether it was written. Spooled
    first (to disk past a few MB) so nothing unchecked reaches the bucket."""
    with tempfile.SpooledTemporaryFile(max_size=files.PART_BYTES) as spool:
        reader = files.HashingReader(handle)
        shutil.copyfileobj(reader, spool)
        if reader.written().sha256 != digest:
            raise BackupError(f"files: {name} does not match the manifest")
        if bucket.sha256_of(name) == digest:
            return False
        spool.seek(0)
        bucket.put(name, spool, digest)
    return True


def _migrate_and_record(body: dict[str, Any], result: Restored) -> list[str]:
    from django.db.migrations.executor import MigrationExecutor

    from simplepro.audit.services import audit_record

    connection.close()
    executor = MigrationExecutor(connection)
    plan = executor.migration_plan(executor.loader.graph.leaf_nodes())
    pending = [f"{m.app_label}.{m.name}" for m, _ in plan]
    if pending:
        call_command("migrate", verbosity=0)
    audit_record(
        actor=None,
        action="restore",
        entity_type="backup",
        entity_id=result.backup_id,
        changes={
            "restore": {
                "backup_created_at": body["created_at"],
                "backup_app_version": body["app_version"],
                "restored_by_version": __version__,
                "tables": result.tables,
                "rows": result.rows,
                "files": result.files,
                "migrations_applied": pending,
            }
        },
    )
    return pending

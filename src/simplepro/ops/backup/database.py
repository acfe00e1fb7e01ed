"""The database part of a backup: a consistent snapshot, and what it held (rows per table and
a hash of a sample of each table) measured in that same snapshot.

PostgreSQL: a REPEATABLE READ transaction exports its snapshot; the row counts are read in it
and `pg_dump --snapshot` dumps exactly it (custom format). SQLite: the online backup API copies
the database; counts are read from the copy.
"""

from __future__ import annotations

import hashlib
import json
import os
import sqlite3
import subprocess
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any

from django.conf import settings
from django.db import connection

SAMPLE_ROWS = 50


@dataclass
class Snapshot:
    engine: str
    engine_version: str
    tables: dict[str, dict[str, Any]]


def _quote(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def describe_tables(
    cursor: Any, tables: list[str], keys: dict[str, str]
) -> dict[str, dict[str, Any]]:
    """Rows per table and the SHA-256 of its first rows in primary-key order."""
    described = {}
    for table in sorted(tables):
        cursor.execute(f"SELECT COUNT(*) FROM {_quote(table)}")  # noqa: S608  (our table names)
        rows = int(cursor.fetchone()[0])
        order = keys.get(table)
        sample = ""
        if order:
            cursor.execute(
                f"SELECT * FROM {_quote(table)} ORDER BY {_quote(order)} LIMIT {SAMPLE_ROWS}"  # noqa: S608
            )
            text = json.dumps([[str(v) for v in row] for row in cursor.fetchall()])
            sample = hashlib.sha256(text.encode()).hexdigest()
        described[table] = {"rows": rows, "sample_sha256": sample}
    return described


def primary_keys(tables: list[str]) -> dict[str, str]:
    """The single-column primary key of each table (tables without one are counted only)."""
    keys = {}
    with connection.cursor() as cursor:
        for table in tables:
            constraints = connection.introspection.get_constraints(cursor, table)
            for constraint in constraints.values():
                if constraint.get("primary_key") and len(constraint["columns"]) == 1:
                    keys[table] = constraint["columns"][0]
    return keys


def application_tables() -> list[str]:
    return sorted(connection.introspection.table_names())


@contextmanager
def snapshot_stream(scratch: Path) -> Iterator[tuple[Snapshot, IO[bytes]]]:
    """(what the snapshot holds, a stream of its dump)."""
    tables = application_tables()
    pks = primary_keys(tables)
    if connection.vendor == "postgresql":
        with _postgresql(tables, pks) as result:
            yield result
    else:
        with _sqlite(tables, pks, scratch) as result:
            yield result


def _pg_environment() -> dict[str, str]:
    db = settings.DATABASES["default"]
    env = {**os.environ, "PGDATABASE": db["NAME"], "PGUSER": db.get("USER") or ""}
    env["PGHOST"] = db.get("HOST") or ""
    env["PGPORT"] = str(db.get("PORT") or "")
    if db.get("PASSWORD"):
        env["PGPASSWORD"] = db["PASSWORD"]  # the environment, never the command line
    return env


def pg_connect(dbname: str = "", autocommit: bool = False) -> Any:
    """A direct psycopg connection (outside Django's pool) to the live server; `dbname`
    chooses another database on it (a scratch one)."""
    import psycopg
    from psycopg.conninfo import make_conninfo

    env = _pg_environment()
    params = {
        "dbname": dbname or env["PGDATABASE"],
        "user": env["PGUSER"],
        "host": env["PGHOST"],
        "port": env["PGPORT"],
        "password": env.get("PGPASSWORD", ""),
    }
    conninfo = make_conninfo(**{k: v for k, v in params.items() if v})
    return psycopg.connect(conninfo, autocommit=autocommit)


@contextmanager
def _postgresql(tables: list[str], pks: dict[str, str]) -> Iterator[tuple[Snapshot, IO[bytes]]]:
    env = _pg_environment()
    with pg_connect() as conn:
        conn.execute("BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY")
        snapshot_id = conn.execute("SELECT pg_export_snapshot()").fetchone()[0]
        version = conn.execute("SHOW server_version").fetchone()[0]
        with conn.cursor() as cursor:
            described = describe_tables(cursor, tables, pks)
        dump = subprocess.Popen(
            ["pg_dump", "--format=custom", "--compress=0", "--no-owner", "--no-privileges",
             f"--snapshot={snapshot_id}"],
            env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
        )  # fmt: skip
        assert dump.stdout is not None
        try:
            yield Snapshot("postgresql", str(version), described), dump.stdout
        finally:
            dump.stdout.close()
            _, errors = dump.communicate()
            conn.rollback()
        if dump.returncode != 0:
            raise RuntimeError(f"pg_dump failed: {errors.decode(errors='replace').strip()}")


@contextmanager
def _sqlite(
    tables: list[str], pks: dict[str, str], scratch: Path
) -> Iterator[tuple[Snapshot, IO[bytes]]]:
    source = sqlite3.connect(str(settings.DATABASES["default"]["NAME"]))
    copy = sqlite3.connect(str(scratch))
    try:
        source.backup(copy)
        described = describe_tables(copy.cursor(), tables, pks)
    finally:
        copy.close()
        source.close()
    with open(scratch, "rb") as stream:
        yield Snapshot("sqlite", sqlite3.sqlite_version, described), stream


def pg_restore_stream(plain: IO[bytes], env: dict[str, str], dbname: str) -> str:
    """Feed a custom-format dump to `pg_restore` on its standard input, in one transaction,
    as it is read (no plain copy on disk); "" on success, else pg_restore's complaint."""
    import shutil
    import tempfile

    with tempfile.TemporaryFile() as errors:
        restore = subprocess.Popen(
            ["pg_restore", "--no-owner", "--no-privileges", "--exit-on-error",
             "--single-transaction", "-d", dbname],
            env=env, stdin=subprocess.PIPE, stdout=subprocess.DEVNULL, stderr=errors,
        )  # fmt: skip
        assert restore.stdin is not None
        try:
            shutil.copyfileobj(plain, restore.stdin, 1 << 20)
        except BrokenPipeError:
            pass  # pg_restore stopped early: its complaint follows
        finally:
            restore.stdin.close()
        code = restore.wait()
        errors.seek(0)
        message = errors.read().decode(errors="replace").strip()
    return "" if code == 0 else (message or f"exit status {code}")[:500]


@contextmanager
def scratch_postgresql(plain: IO[bytes], purpose: str) -> Iterator[str]:
    """A dump restored into a throw-away database on the same server (`<db>_<purpose>_<rand>`,
    never the live one); its name for the block, dropped afterwards whatever happens."""
    import secrets

    env = _pg_environment()
    scratch_db = f"{env['PGDATABASE']}_{purpose}_{secrets.token_hex(4)}"
    with pg_connect(autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{scratch_db}"')
    try:
        failure = pg_restore_stream(plain, env, scratch_db)
        if failure:
            raise RuntimeError(f"pg_restore failed: {failure}")
        yield scratch_db
    finally:
        with pg_connect(autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{scratch_db}" WITH (FORCE)')

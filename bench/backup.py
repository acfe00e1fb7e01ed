"""Backup and restore throughput on a large PostgreSQL database, beside plain pg_dump/pg_restore.

    .venv/bin/python bench/backup.py --size-mb 1024

Builds a database (SimplePro's schema, the demo company, plus a filler table of realistic
text up to --size-mb as PostgreSQL counts it), then times, in the same run:

- raw:  `pg_dump -Fc` to a file, then `pg_restore` of that file into an empty database;
- ours: `simplepro backup create` (snapshot, zstd, age, checksums, manifest), then
        `simplepro backup restore --to` an empty database (decrypt, decompress, pg_restore),
        then `simplepro dr-drill` (restore into scratch, start the app, use it: the RTO).

and prints MB/s (database size / seconds) and our overhead over raw. Needs PostgreSQL at
127.0.0.1:5432 (trust) and pg_dump/pg_restore on PATH.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import psycopg

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from tests.server import peak_memory_run  # noqa: E402

ADMIN = "postgresql://postgres@127.0.0.1:5432/postgres"
BIN = Path(sys.executable).parent / "simplepro"


def _url(database: str) -> str:
    return ADMIN.rsplit("/", 1)[0] + "/" + database


def execute(database: str, statement: str) -> None:
    with psycopg.connect(_url(database), autocommit=True) as conn:
        conn.execute(statement)  # type: ignore[arg-type]


def scalar(database: str, query: str) -> int:
    with psycopg.connect(_url(database), autocommit=True) as conn:
        row = conn.execute(query).fetchone()  # type: ignore[arg-type]
    assert row is not None
    return int(row[0])


def fresh(database: str) -> None:
    execute("postgres", f'DROP DATABASE IF EXISTS "{database}" WITH (FORCE)')
    execute("postgres", f'CREATE DATABASE "{database}"')


def timed(command: list[str], env: dict[str, str], work: Path) -> tuple[float, float]:
    """Seconds taken and peak memory (MB) of the command's own process."""
    log = work / "command.log"
    started = time.perf_counter()
    code, peak_mb = peak_memory_run(command, env, log)
    if code != 0:
        sys.exit(f"{' '.join(command)} failed: {log.read_text()[-2000:]}")
    return time.perf_counter() - started, peak_mb


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--size-mb", type=int, default=1024)
    parser.add_argument("--keep", action="store_true")
    args = parser.parse_args()
    source, raw_target, our_target = "bench_backup", "bench_backup_raw", "bench_backup_ours"
    work = Path(tempfile.mkdtemp(prefix="bench-backup-"))
    env = {k: v for k, v in os.environ.items() if not k.startswith("SIMPLEPRO_")}
    env |= {
        "DATABASE_URL": f"postgresql://postgres@127.0.0.1:5432/{source}",
        "SIMPLEPRO_DATA_DIR": str(work / "data"),
        "SIMPLEPRO_LOG_LEVEL": "WARNING",
    }
    env.pop("REDIS_URL", None)
    fresh(source)
    for step in (["migrate"], ["seed-demo"]):
        subprocess.run([str(BIN), *step], env=env, check=True, capture_output=True)
    execute(
        source, "CREATE TABLE bench_filler (id bigserial PRIMARY KEY, customer text, notes text)"
    )
    started = time.perf_counter()
    size = 0
    while size < args.size_mb * 1024 * 1024:
        execute(
            source,
            "INSERT INTO bench_filler (customer, notes) SELECT 'Customer ' || g || ' ' || "
            "md5(g::text), repeat(md5(random()::text) || ' moved 3 rooms, piano, 2nd floor; ', 4) "
            "FROM generate_series(1, 500000) g",
        )
        size = scalar(source, f"SELECT pg_database_size('{source}')")
    mb = size / 1024 / 1024
    print(f"database: {mb:,.0f} MB (filled in {time.perf_counter() - started:.0f} s)")

    pg = {**env, "PGHOST": "127.0.0.1", "PGUSER": "postgres"}
    dump = work / "raw.dump"
    raw_dump, raw_dump_mb = timed(["pg_dump", "-Fc", "-d", source, "-f", str(dump)], pg, work)
    fresh(raw_target)
    raw_restore, raw_restore_mb = timed(
        ["pg_restore", "--no-owner", "-d", raw_target, str(dump)], pg, work
    )

    ours_create, ours_create_mb = timed([str(BIN), "backup", "create"], env, work)
    fresh(our_target)
    ours_restore, ours_restore_mb = timed(
        [str(BIN), "backup", "restore", "latest", "--to",
         f"postgresql://postgres@127.0.0.1:5432/{our_target}"],
        env, work,
    )  # fmt: skip
    drill_started = time.perf_counter()
    drilled = subprocess.run(
        [str(BIN), "dr-drill"], env=env, capture_output=True, text=True, check=False
    )
    drill_seconds = time.perf_counter() - drill_started
    if drilled.returncode != 0:
        sys.exit(f"dr-drill failed: {drilled.stderr[-2000:]}")
    rto = drilled.stdout.strip().splitlines()[-1]
    backups = [b for b in (work / "data" / "backups").iterdir() if not b.name.startswith(".")]
    sealed = sum(f.stat().st_size for b in backups for f in b.iterdir())
    print(f"raw pg_dump -Fc:       {raw_dump:6.1f} s  {mb / raw_dump:6.1f} MB/s  "
          f"({dump.stat().st_size / 1024 / 1024:,.0f} MB)  peak memory {raw_dump_mb:.0f} MB")  # fmt: skip
    print(f"simplepro backup:      {ours_create:6.1f} s  {mb / ours_create:6.1f} MB/s  "
          f"({sealed / 1024 / 1024:,.0f} MB)  overhead {100 * (ours_create / raw_dump - 1):+.0f} %  "
          f"peak memory {ours_create_mb:.0f} MB")  # fmt: skip
    print(f"raw pg_restore:        {raw_restore:6.1f} s  {mb / raw_restore:6.1f} MB/s  "
          f"peak memory {raw_restore_mb:.0f} MB")  # fmt: skip
    print(f"simplepro restore --to:{ours_restore:6.1f} s  {mb / ours_restore:6.1f} MB/s  "
          f"overhead {100 * (ours_restore / raw_restore - 1):+.0f} %  "
          f"peak memory {ours_restore_mb:.0f} MB")  # fmt: skip
    print(f"simplepro dr-drill:    {drill_seconds:6.1f} s  ({rto})")
    if not args.keep:
        for database in (source, raw_target, our_target):
            execute("postgres", f'DROP DATABASE IF EXISTS "{database}" WITH (FORCE)')


if __name__ == "__main__":
    main()

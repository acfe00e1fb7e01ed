"""A throw-away database on the local PostgreSQL server for tests that run the real command
against it (one per xdist worker, since two workers may run the same module)."""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import psycopg

PG_ADMIN = "postgresql://postgres@127.0.0.1:5432/postgres"


def worker_database(prefix: str) -> str:
    return f"{prefix}_{os.environ.get('PYTEST_XDIST_WORKER', 'main')}"


def database_url(name: str) -> str:
    return f"postgresql://postgres@127.0.0.1:5432/{name}"


def fresh_database(name: str) -> bool:
    """Drop and create `name`; False when no PostgreSQL answers (the caller skips, which
    SIMPLEPRO_STRICT_TESTS turns into a failure)."""
    try:
        with psycopg.connect(PG_ADMIN, autocommit=True, connect_timeout=3) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
            conn.execute(f'CREATE DATABASE "{name}"')
    except psycopg.OperationalError:
        return False
    return True


def drop_database(name: str) -> None:
    with psycopg.connect(PG_ADMIN, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@contextmanager
def demo_site(engine: str, data: Path, database_prefix: str) -> Iterator[dict[str, str]]:
    """A migrated site with the demo company, on SQLite (in `data`) or on a fresh PostgreSQL
    database named after `database_prefix` (dropped afterwards); its CLI environment."""
    from tests.conftest import requires
    from tests.server import cli_env, run_cli

    extra = {}
    name = worker_database(database_prefix)
    if engine == "postgresql":
        requires("PostgreSQL at 127.0.0.1:5432", fresh_database(name))
        extra["DATABASE_URL"] = database_url(name)
    env = cli_env(data, **extra)
    try:
        assert run_cli("migrate", env=env).returncode == 0
        assert run_cli("seed-demo", env=env).returncode == 0
        yield env
    finally:
        if engine == "postgresql":
            drop_database(name)

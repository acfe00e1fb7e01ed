"""A throw-away database on the local PostgreSQL server for tests that run the real command
against it (one per xdist worker, since two workers may run the same module)."""

from __future__ import annotations

import os

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

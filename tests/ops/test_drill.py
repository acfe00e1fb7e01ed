"""`simplepro dr-drill` on a seeded site with a sent quote, and on a corrupted backup, on
SQLite and on PostgreSQL (where the drill restores into a scratch database beside the live one
and drops it)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import psycopg
import pytest

from tests.conftest import requires
from tests.postgres import PG_ADMIN, database_url, drop_database, fresh_database, worker_database
from tests.server import cli_env, run_cli

DRILL_DB = worker_database("simplepro_drill")

pytestmark = pytest.mark.server

SEND_A_QUOTE = """
from simplepro.accounts.models import User
from simplepro.estimates.models import Estimate
from simplepro.estimates.services import estimate_send
estimate = Estimate.objects.order_by("created_at").first()
estimate_send(actor=User.objects.get(username="drill-admin"), estimate=estimate)
print("SENT", estimate.pk)
"""


@pytest.fixture(scope="module", params=["sqlite", "postgresql"])
def site(request: Any, tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, str]]:
    extra = {}
    if request.param == "postgresql":
        requires("PostgreSQL at 127.0.0.1:5432", fresh_database(DRILL_DB))
        extra["DATABASE_URL"] = database_url(DRILL_DB)
    env = cli_env(tmp_path_factory.mktemp(f"drill-{request.param}"), **extra)
    assert run_cli("migrate", env=env).returncode == 0
    assert run_cli("seed-demo", env=env).returncode == 0
    made = run_cli(
        "createuser", "--username", "drill-admin", "--email", "boss@movers.example",
        "--role", "admin", "--password-stdin", env=env, stdin="A-long-drill-password-1\n",
    )  # fmt: skip
    assert made.returncode == 0, made.stderr
    sent = run_cli("shell", "-c", SEND_A_QUOTE, env=env)
    assert "SENT" in sent.stdout, sent.stderr
    yield env
    if request.param == "postgresql":
        drop_database(DRILL_DB)


def _scratch_databases() -> list[str]:
    with psycopg.connect(PG_ADMIN, autocommit=True) as conn:
        rows = conn.execute(
            "SELECT datname FROM pg_database WHERE datname LIKE %s", (f"{DRILL_DB}_drill_%",)
        ).fetchall()
    return [r[0] for r in rows]


def test_the_drill_restores_serves_and_measures(site: dict[str, str]) -> None:
    assert run_cli("backup", "create", env=site).returncode == 0
    done = run_cli("dr-drill", env=site, timeout=300)
    assert done.returncode == 0, done.stderr
    for line in ("ok   logged in", "ok   read a customer (50 in all)", "ok   read an estimate",
                 "ok   read a job", "ok   downloaded a stored quote PDF"):  # fmt: skip
        assert line in done.stdout, done.stdout
    assert "RTO" in done.stdout and "RPO" in done.stdout
    if "DATABASE_URL" in site:
        assert _scratch_databases() == [], "the drill's scratch database is dropped"


def test_the_drill_fails_on_a_corrupted_backup(site: dict[str, str]) -> None:
    done = run_cli("backup", "create", env=site)
    backup_id = done.stdout.strip().splitlines()[-1]
    part = Path(site["SIMPLEPRO_DATA_DIR"]) / "backups" / backup_id / "database.zst.age"
    damaged = bytearray(part.read_bytes())
    damaged[len(damaged) // 2] ^= 0xFF
    part.write_bytes(bytes(damaged))
    done = run_cli("dr-drill", "--backup", backup_id, env=site, timeout=300)
    assert done.returncode == 1
    assert "DRILL FAILED" in done.stderr and "does not match its checksum" in done.stderr

"""`simplepro dr-drill` on a seeded site with a sent quote, and on a corrupted backup, on
SQLite and on PostgreSQL (where the drill restores into a scratch database beside the live one
and drops it)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import psycopg
import pytest

from tests.postgres import (
    PG_ADMIN,
    demo_site,
    worker_database,
)
from tests.server import run_cli

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
    data = tmp_path_factory.mktemp(f"drill-{request.param}")
    with demo_site(request.param, data, "simplepro_drill") as env:
        made = run_cli(
            "createuser", "--username", "drill-admin", "--email", "boss@movers.example",
            "--role", "admin", "--password-stdin", env=env, stdin="A-long-drill-password-1\n",
        )  # fmt: skip
        assert made.returncode == 0, made.stderr
        sent = run_cli("shell", "-c", SEND_A_QUOTE, env=env)
        assert "SENT" in sent.stdout, sent.stderr
        yield env


def _scratch_databases() -> list[str]:
    with psycopg.connect(PG_ADMIN, autocommit=True) as conn:
        rows = conn.execute(
            "SELECT datname FROM pg_database WHERE datname LIKE %s",
            (f"{worker_database('simplepro_drill')}_drill_%",),
        ).fetchall()
    return [r[0] for r in rows]


def test_the_drill_restores_serves_and_measures(site: dict[str, str]) -> None:
    assert run_cli("backup", "create", env=site).returncode == 0
    done = run_cli("dr-drill", env=site, timeout=300)
    assert done.returncode == 0, done.stderr
    for line in ("ok   logged in", "ok   read a customer (54 in all)", "ok   read an estimate",
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

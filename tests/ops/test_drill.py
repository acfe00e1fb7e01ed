"""`simplepro dr-drill` on a seeded site with a sent quote, and on a corrupted backup."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.server import cli_env, run_cli

pytestmark = pytest.mark.server

SEND_A_QUOTE = """
from simplepro.accounts.models import User
from simplepro.estimates.models import Estimate
from simplepro.estimates.services import estimate_send
estimate = Estimate.objects.order_by("created_at").first()
estimate_send(actor=User.objects.get(username="drill-admin"), estimate=estimate)
print("SENT", estimate.pk)
"""


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> dict[str, str]:
    env = cli_env(tmp_path_factory.mktemp("drill"))
    assert run_cli("migrate", env=env).returncode == 0
    assert run_cli("seed-demo", env=env).returncode == 0
    made = run_cli(
        "createuser", "--username", "drill-admin", "--email", "boss@movers.example",
        "--role", "admin", "--password-stdin", env=env, stdin="A-long-drill-password-1\n",
    )  # fmt: skip
    assert made.returncode == 0, made.stderr
    sent = run_cli("shell", "-c", SEND_A_QUOTE, env=env)
    assert "SENT" in sent.stdout, sent.stderr
    return env


def test_the_drill_restores_serves_and_measures(site: dict[str, str]) -> None:
    assert run_cli("backup", "create", env=site).returncode == 0
    done = run_cli("dr-drill", env=site, timeout=300)
    assert done.returncode == 0, done.stderr
    for line in ("ok   logged in", "ok   read a customer (50 in all)", "ok   read an estimate",
                 "ok   read a job", "ok   downloaded a stored quote PDF"):  # fmt: skip
        assert line in done.stdout, done.stdout
    assert "RTO" in done.stdout and "RPO" in done.stdout


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

"""The `simplepro` command as an operator types it."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.server import cli_env, run_cli

pytestmark = pytest.mark.server


@pytest.fixture(scope="module")
def env(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, str]]:
    data = tmp_path_factory.mktemp("cli")
    environment = cli_env(data)
    result = run_cli("migrate", env=environment)
    assert result.returncode == 0, result.stderr
    return environment


def test_createuser_reads_the_password_from_stdin(env: dict[str, str]) -> None:
    result = run_cli(
        "createuser",
        "--username",
        "dora",
        "--email",
        "dora@movers.example",
        "--role",
        "dispatcher",
        "--password-stdin",
        env=env,
        stdin="Dispatch-Pass-2026\n",
    )
    assert result.returncode == 0, result.stderr
    check = run_cli(
        "shell",
        "-v",
        "0",
        "-c",
        "from simplepro.accounts.models import User; u = User.objects.get(username='dora'); "
        "print(u.role, u.check_password('Dispatch-Pass-2026'), u.check_password('Dispatch-Pass-2026\\n'), "
        "u.password.split('$')[0])",
        env=env,
    )
    # Real settings: the password is hashed with Argon2 (tests elsewhere use a fast hasher).
    assert check.stdout.split() == ["dispatcher", "True", "False", "argon2"]


def test_createuser_refuses_an_existing_username(env: dict[str, str]) -> None:
    args = (
        "createuser",
        "--username",
        "eve",
        "--email",
        "eve@movers.example",
        "--role",
        "sales",
        "--password-stdin",
    )
    assert run_cli(*args, env=env, stdin="Sales-Pass-2026\n").returncode == 0
    again = run_cli(*args, env=env, stdin="Sales-Pass-2026\n")
    assert again.returncode == 1
    assert "already exists" in again.stderr


def test_createuser_rejects_unknown_roles_and_weak_passwords(env: dict[str, str]) -> None:
    bad_role = run_cli(
        "createuser",
        "--username",
        "x1",
        "--email",
        "x1@movers.example",
        "--role",
        "king",
        "--password-stdin",
        env=env,
        stdin="Whatever-Pass-1\n",
    )
    assert bad_role.returncode != 0
    weak = run_cli(
        "createuser",
        "--username",
        "x2",
        "--email",
        "x2@movers.example",
        "--role",
        "sales",
        "--password-stdin",
        env=env,
        stdin="123\n",
    )
    assert weak.returncode == 1 and "too short" in weak.stderr


def test_seed_demo_is_idempotent_and_prints_the_login_once(env: dict[str, str]) -> None:
    first = run_cli("seed-demo", env=env)
    assert first.returncode == 0, first.stderr
    assert "password:" in first.stdout
    second = run_cli("seed-demo", env=env)
    assert second.returncode == 0
    assert "password:" not in second.stdout
    count = run_cli(
        "shell",
        "-v",
        "0",
        "-c",
        "from simplepro.customers.models import Customer; from simplepro.accounts.models import User;"
        "from simplepro.estimates.models import Estimate; from simplepro.jobs.models import Job;"
        "from simplepro.sales.models import Opportunity; from simplepro.partners.models import "
        "Referral;"
        "print(Customer.objects.count(), Estimate.objects.count(), Job.objects.count(),"
        " Opportunity.objects.count(), Referral.objects.count(),"
        " sorted(set(User.objects.values_list('role', flat=True))))",
        env=env,
    )
    customers, estimates, jobs, opportunities, referrals, roles = count.stdout.split(" ", 5)
    # 50 customers and the 4 leads of the sales demo (web, phone, and a partner's referral)
    assert (customers, estimates, jobs) == ("54", "12", "8")
    assert (opportunities, referrals) == ("4", "1")
    assert roles.count("'") == 16  # all eight roles
    secret = Path(env["SIMPLEPRO_DATA_DIR"]) / "secrets" / "demo-password"
    assert oct(secret.stat().st_mode & 0o777) == "0o600"


def test_seed_demo_refuses_production(tmp_path: Path) -> None:
    result = run_cli("seed-demo", env=cli_env(tmp_path, SIMPLEPRO_ENV="production"))
    assert result.returncode == 1
    assert "refuses" in result.stderr


def test_help_lists_the_commands(env: dict[str, str]) -> None:
    result = run_cli("--help", env=env)
    assert all(
        word in result.stdout
        for word in ("serve", "migrate", "check-deploy", "seed-demo", "createuser")
    )

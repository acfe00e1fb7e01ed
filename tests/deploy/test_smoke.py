"""deploy/smoke.py — what the deploy workflow runs after a rollout — against a real server."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from tests.deploy.tools import DEPLOY
from tests.server import cli_env, run_cli, running_server

SMOKE = DEPLOY / "smoke.py"


def smoke(
    base: str, env: dict[str, str], username: str, password: str
) -> subprocess.CompletedProcess[str]:
    env = env | {"SIMPLEPRO_SMOKE_USERNAME": username, "SIMPLEPRO_SMOKE_PASSWORD": password}
    return subprocess.run(
        [sys.executable, str(SMOKE), base], env=env, capture_output=True, text=True, check=False
    )


def test_smoke_test_passes_on_a_healthy_server_and_names_the_failing_step(tmp_path: Path) -> None:
    env = cli_env(tmp_path)
    assert run_cli("migrate", env=env).returncode == 0
    created = run_cli(
        "createuser", "--username", "smoke", "--email", "smoke@movers.example", "--role", "sales",
        "--password-stdin", env=env, stdin="a-long-smoke-password-42\n",
    )  # fmt: skip
    assert created.returncode == 0, created.stderr
    with running_server(env, migrate=False) as base:
        passed = smoke(base, env, "smoke", "a-long-smoke-password-42")
        assert passed.returncode == 0, passed.stdout + passed.stderr
        assert "ok   read it back" in passed.stdout and "smoke test passed" in passed.stdout
        wrong = smoke(base, env, "smoke", "not-the-password")
        assert wrong.returncode == 1
        assert "FAIL POST /api/auth/login: expected 200, got 401" in wrong.stderr
    missing = smoke(base, env, "", "")
    assert missing.returncode == 2
    down = smoke(base, env, "smoke", "a-long-smoke-password-42")
    assert down.returncode == 1 and "FAIL" in down.stderr  # the server is gone

"""The real server, as `simplepro serve` runs it: several worker processes share rate-limit
counters and metrics; readiness reports dead dependencies."""

from __future__ import annotations

import os
import re
from pathlib import Path

import pytest
import requests

from tests.conftest import fresh_rate_limit_window
from tests.server import cli_env, run_cli, running_server

pytestmark = pytest.mark.server


def _redis_env() -> dict[str, str]:
    # In the PostgreSQL+Redis CI run the counters must be shared through Redis too.
    return {"REDIS_URL": os.environ["REDIS_URL"]} if os.environ.get("REDIS_URL") else {}


def _metric(text: str, name: str, **labels: str) -> float:
    total = 0.0
    for line in text.splitlines():
        if not line.startswith(name + "{") and not line.startswith(name + " "):
            continue
        if all(f'{k}="{v}"' in line for k, v in labels.items()):
            total += float(line.rsplit(" ", 1)[1])
    return total


def test_two_workers_share_login_limits_and_metrics(tmp_path: Path) -> None:
    env = cli_env(tmp_path, SIMPLEPRO_RATE_LIMITS="100000/1", **_redis_env())
    with running_server(env, workers=2) as base:
        password = "Worker-Shared-Pass-1"
        created = run_cli(
            "createuser",
            "--username",
            "ann",
            "--email",
            "ann@movers.example",
            "--role",
            "sales",
            "--password-stdin",
            env=env,
            stdin=password + "\n",
        )
        assert created.returncode == 0, created.stderr
        statuses = []
        fresh_rate_limit_window()
        for _ in range(5):
            # A new connection each time, so the kernel spreads them over both workers.
            with requests.Session() as session:
                statuses.append(
                    session.post(
                        f"{base}/api/auth/login",
                        json={"username": "ann", "password": "x"},
                        headers={"Connection": "close"},
                        timeout=10,
                    ).status_code
                )
        assert statuses == [401] * 5
        sixth = requests.post(
            f"{base}/api/auth/login", json={"username": "ann", "password": password}, timeout=10
        )
        assert sixth.status_code == 429, "counters must be shared by every worker"
        for _ in range(40):
            requests.get(f"{base}/api/health", headers={"Connection": "close"}, timeout=10)
        text = requests.get(f"{base}/metrics", timeout=10).text
        assert (
            _metric(text, "simplepro_http_requests_total", route="/api/health", status="200") >= 40
        )
        assert _metric(text, "simplepro_logins_total", outcome="failure") == 5
        assert "simplepro_build_info" in text
        # A process served requests if its counter file holds request counts (the supervisor,
        # which imports the apps to check the deployment, only writes zeroed counters).
        from prometheus_client.mmap_dict import MmapedDict

        served_by = set()
        for f in (tmp_path / "prometheus").iterdir():
            if m := re.search(r"^counter_(\d+)\.db$", f.name):
                values = MmapedDict.read_all_values_from_file(str(f))
                if any("simplepro_http_requests_total" in key and v for key, v, *_ in values):
                    served_by.add(m.group(1))
        assert len(served_by) == 2, f"expected both workers to serve requests, saw pids {served_by}"


def test_readiness_fails_when_the_database_is_unreachable(tmp_path: Path) -> None:
    env = cli_env(tmp_path, DATABASE_URL="postgresql://nobody@127.0.0.1:9/nothing")
    with running_server(env, migrate=False) as base:
        assert (
            requests.get(f"{base}/api/health", timeout=10).status_code == 200
        )  # liveness: the process is up
        ready = requests.get(f"{base}/api/health/ready", timeout=30)
        assert ready.status_code == 503
        body = ready.json()
        assert body["status"] == "error" and body["checks"]["db"]["status"] == "error"
        assert body["checks"]["redis"]["status"] == "not_configured"
        assert requests.get(f"{base}/api/health/db", timeout=30).status_code == 503


def test_production_refuses_to_start_with_placeholder_secrets(tmp_path: Path) -> None:
    env = cli_env(
        tmp_path,
        SIMPLEPRO_ENV="production",
        SIMPLEPRO_SECRET_KEY="change-me",
        SIMPLEPRO_JWT_KEYS='[{"kid": "k1", "secret": "your-super-secret-jwt-key-change-in-production"}]',
    )
    result = run_cli("serve", "--port", "1", env=env, timeout=60)
    assert result.returncode == 1
    assert "Refusing to start" in result.stderr
    assert "simplepro.E004" in result.stderr + result.stdout


def test_an_instance_metrics_folder_is_created_and_emptied_at_start(tmp_path: Path) -> None:
    """Containers point PROMETHEUS_MULTIPROC_DIR at their own /tmp, which starts empty: the
    folder must be made, and a previous run's files must not be summed in."""
    folder = tmp_path / "tmpfs" / "prometheus"
    env = cli_env(tmp_path / "data", PROMETHEUS_MULTIPROC_DIR=str(folder))
    (tmp_path / "data").mkdir()
    with running_server(env) as base:
        text = requests.get(f"{base}/metrics", timeout=10).text
        assert "simplepro_build_info" in text
        assert any(folder.iterdir())
        (folder / "counter_99999.db").write_bytes(b"stale")
    with running_server(env, migrate=False) as base:
        assert requests.get(f"{base}/metrics", timeout=10).status_code == 200
        assert not (folder / "counter_99999.db").exists()
    assert not (tmp_path / "data" / "prometheus").exists(), "not on the shared data folder"

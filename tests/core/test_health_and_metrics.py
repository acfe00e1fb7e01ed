from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from django.test import Client

SRC = Path(__file__).resolve().parents[2] / "src" / "simplepro"

pytestmark = pytest.mark.django_db


def test_liveness_checks_nothing_but_the_process(client: Client) -> None:
    body = client.get("/api/health").json()
    assert body == {"status": "ok", "checks": {}, "version": "0.1.0"}


def test_readiness_reports_each_dependency(client: Client, settings: Any) -> None:
    response = client.get("/api/health/ready")
    assert response.status_code == 200
    checks = response.json()["checks"]
    assert checks["db"]["status"] == "ok" and checks["db"]["latency_ms"] >= 0
    expected_redis = "ok" if settings.REDIS_URL else "not_configured"
    assert checks["redis"]["status"] == expected_redis
    assert checks["migrations"]["status"] == "ok"


def test_dead_redis_fails_readiness(client: Client, settings: Any) -> None:
    settings.REDIS_URL = "redis://127.0.0.1:9/0"
    ready = client.get("/api/health/ready")
    assert ready.status_code == 503
    assert ready.json()["checks"]["redis"]["status"] == "error"
    assert client.get("/api/health/redis").status_code == 503
    assert client.get("/api/health").status_code == 200


def test_storage_health_writes_and_removes_a_probe(
    client: Client, settings: Any, tmp_path: Any
) -> None:
    settings.MEDIA_ROOT = tmp_path
    response = client.get("/api/health/storage")
    assert response.status_code == 200 and response.json()["checks"]["storage"]["status"] == "ok"
    assert list((tmp_path / "health").iterdir()) == []


def test_health_answers_without_session_or_auth(client: Client) -> None:
    response = client.get("/api/health/ready")
    assert "Set-Cookie" not in response
    assert "X-RateLimit-Limit" not in response


def test_metrics_use_route_templates_and_count_business_events(
    personas: Any, api_as: Any, client: Client
) -> None:
    api = api_as(personas["sales"])
    created = api.post_json(
        "/api/customers", {"type": "residential", "name": "Metric Mover"}
    ).json()
    api.get(f"/api/customers/{created['id']}")
    text = client.get("/metrics").content.decode()
    assert 'route="/api/customers/<customer_id>"' in text
    assert created["id"] not in text  # raw paths would explode the label set
    assert "simplepro_customers_created_total" in text
    assert "simplepro_http_request_duration_seconds_bucket" in text
    assert "simplepro_http_requests_in_flight" in text
    assert 'simplepro_build_info{version="0.1.0"}' in text


def test_metrics_are_protected_in_production(client: Client, settings: Any) -> None:
    settings.PRODUCTION = True
    settings.METRICS_TOKEN = "m" * 40
    assert client.get("/metrics").status_code == 403
    assert client.get("/metrics", HTTP_AUTHORIZATION="Bearer wrong").status_code == 403
    assert client.get("/metrics", HTTP_AUTHORIZATION="Bearer " + "m" * 40).status_code == 200


def test_metrics_accept_old_and_new_token_during_a_rotation(client: Client, settings: Any) -> None:
    settings.PRODUCTION = True
    settings.METRICS_TOKEN = "n" * 40 + ", " + "o" * 40
    for token in ("n" * 40, "o" * 40):
        assert client.get("/metrics", HTTP_AUTHORIZATION=f"Bearer {token}").status_code == 200
    assert client.get("/metrics", HTTP_AUTHORIZATION="Bearer " + "n" * 39).status_code == 403
    assert client.get("/metrics", HTTP_AUTHORIZATION="Bearer ").status_code == 403


def test_metrics_allow_list_in_production(client: Client, settings: Any) -> None:
    settings.PRODUCTION = True
    settings.METRICS_TOKEN = ""
    settings.METRICS_ALLOWED_IPS = ["10.0.0.5"]
    assert client.get("/metrics", REMOTE_ADDR="10.0.0.6").status_code == 403
    assert client.get("/metrics", REMOTE_ADDR="10.0.0.5").status_code == 200


def test_metrics_refuse_everyone_in_production_without_protection(
    client: Client, settings: Any
) -> None:
    settings.PRODUCTION = True
    settings.METRICS_TOKEN = ""
    settings.METRICS_ALLOWED_IPS = []
    assert client.get("/metrics").status_code == 403


def test_readiness_fails_while_a_migration_of_this_build_is_not_applied(tmp_path: Any) -> None:
    """A real server on a schema one migration behind its code: not ready, naming the
    migration; ready as soon as the migration is applied, without a restart."""
    import requests

    from tests.server import cli_env, run_cli, running_server

    env = cli_env(tmp_path)
    assert run_cli("migrate", env=env).returncode == 0
    # the newest migration of an app nothing depends on, unapplied
    names = sorted(p.stem for p in (SRC / "messaging" / "migrations").glob("0*.py"))
    behind = run_cli("migrate", "messaging", names[-2], env=env)
    assert behind.returncode == 0, behind.stderr
    with running_server(env, migrate=False) as base:
        ready = requests.get(f"{base}/api/health/ready", timeout=10)
        assert ready.status_code == 503
        assert ready.json()["checks"]["migrations"] == {
            "status": "error",
            "error": f"1 migration(s) not applied: messaging.{names[-1]}",
            "latency_ms": ready.json()["checks"]["migrations"]["latency_ms"],
        }
        assert requests.get(f"{base}/api/health", timeout=5).status_code == 200
        assert run_cli("migrate", env=env).returncode == 0
        assert requests.get(f"{base}/api/health/ready", timeout=10).status_code == 200

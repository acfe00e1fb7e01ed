"""The compose stacks (deploy/compose/) are valid, keep their promises (replicas, one-shot
migrations, health checks, limits, split networks, secrets only as files), and use nothing the
configuration reference does not name."""

from __future__ import annotations

import re
import subprocess
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import requires_program
from tests.deploy.tools import DEPLOY, REFERENCE, load_yaml, run, venv_program

COMPOSE = DEPLOY / "compose"
FILES = sorted(COMPOSE.glob("compose.*.yml"))
PROD = load_yaml(COMPOSE / "compose.prod.yml")
SECRET_WORDS = re.compile(r"PASSWORD|SECRET|TOKEN|_KEY|_KEYS|DATABASE_URL|REDIS_URL")


def test_there_are_the_three_stacks() -> None:
    assert [f.name for f in FILES] == [
        "compose.dev.yml",
        "compose.monitoring.yml",
        "compose.prod.yml",
    ]


@pytest.mark.parametrize("path", FILES, ids=lambda p: p.name)
def test_valid_under_the_compose_specification(path: Path) -> None:
    done = run(
        venv_program("check-jsonschema"), "--builtin-schema", "vendor.compose-spec", str(path)
    )
    assert done.returncode == 0, done.stdout + done.stderr


def documented() -> set[str]:
    return set(re.findall(r"`([A-Za-z0-9_]+)`", REFERENCE.read_text()))


def environment_names(service: dict[str, Any]) -> set[str]:
    env = service.get("environment") or {}
    return set(env) if isinstance(env, dict) else {item.split("=", 1)[0] for item in env}


def ports_of(service: dict[str, Any]) -> set[str]:
    found = set()
    for mapping in service.get("ports", []):
        found |= set(re.findall(r"(\d+)(?=:|$)", str(mapping))) - {"127", "0", "1"}
    for value in (service.get("healthcheck") or {}).get("test", []):
        found |= set(re.findall(r"127\.0\.0\.1:(\d+)", str(value)))
    return found


@pytest.mark.parametrize("path", FILES, ids=lambda p: p.name)
def test_every_variable_port_and_secret_is_in_the_configuration_reference(path: Path) -> None:
    stack = load_yaml(path)
    names = set(re.findall(r"\$\{([A-Z][A-Z0-9_]*)", path.read_text()))
    ports: set[str] = set()
    secrets = set(stack.get("secrets") or {})
    for service in stack["services"].values():
        names |= environment_names(service)
        ports |= ports_of(service)
        secrets |= set(service.get("secrets", []))
    known = documented()
    assert names - known == set(), "variables missing from docs/configuration.md"
    assert ports - known == set(), "ports missing from docs/configuration.md"
    assert secrets - known == set(), "secrets missing from docs/configuration.md"


def test_the_scan_sees_what_the_files_use() -> None:
    app = PROD["services"]["app"]
    assert {"SIMPLEPRO_SECRET_KEY_FILE", "DATABASE_URL_FILE"} <= environment_names(app)
    assert "8000" in ports_of(app) and "443" in ports_of(PROD["services"]["nginx"])


def test_secrets_are_files_never_values() -> None:
    for name, service in PROD["services"].items():
        env = service.get("environment") or {}
        for key, value in env.items():
            if SECRET_WORDS.search(key) and not key.endswith("_FILE"):
                pytest.fail(f"{name}: {key} is a secret given inline")
            if key.endswith("_FILE") and str(value).startswith("/run/secrets/"):
                secret = str(value).removeprefix("/run/secrets/")
                assert secret in service.get("secrets", []), f"{name}: {secret} not mounted"
        assert not re.search(r"://[^:/\s]+:[^@\s]+@", str(env)), f"{name}: password in a URL"
    for declared in PROD["secrets"].values():
        assert set(declared) == {"file"}, "every secret comes from a file"


def test_production_topology() -> None:
    services = PROD["services"]
    app, migrate, nginx = services["app"], services["migrate"], services["nginx"]
    assert app["deploy"]["replicas"] >= 2
    assert app["depends_on"]["migrate"]["condition"] == "service_completed_successfully"
    assert migrate["command"] == ["migrate"] and migrate["restart"] == "no"
    assert nginx["depends_on"]["app"]["condition"] == "service_healthy"
    worker, scheduler = services["worker"], services["scheduler"]
    assert app["image"] == migrate["image"] == worker["image"] == scheduler["image"], (
        "one image for every process type"
    )
    assert worker["command"][0] == "worker" and scheduler["command"] == ["scheduler"]
    assert scheduler["deploy"]["replicas"] == 1, "exactly one scheduler"
    for service in (worker, scheduler):
        assert service["depends_on"]["migrate"]["condition"] == "service_completed_successfully"
    assert app["read_only"] is True and "/tmp" in app["tmpfs"]
    assert "/api/health/ready" in " ".join(app["healthcheck"]["test"])
    assert "/api/health" in " ".join(nginx["healthcheck"]["test"])
    for name, service in services.items():
        assert service["deploy"]["resources"]["limits"]["memory"], name
        one_shot = name in {"migrate", "objectstore-init"}
        assert service["restart"] == ("no" if one_shot else "unless-stopped"), name
        if not one_shot:
            assert "healthcheck" in service, f"{name} has no health check"
    networks = {name: set(service["networks"]) for name, service in services.items()}
    assert PROD["networks"]["backend"]["internal"] is True
    assert "backend" not in networks["nginx"]
    for store in ("db", "redis", "objectstore"):
        assert networks[store] == {"backend"} and "ports" not in services[store]
    assert {"frontend", "backend", "monitoring"} <= networks["app"]


def test_no_app_container_shares_a_volume() -> None:
    """Stored files are objects in the object store; only the worker keeps a folder (backups)."""
    services = PROD["services"]
    for name in ("app", "migrate", "scheduler"):
        assert "volumes" not in services[name] and "/data" in services[name]["tmpfs"], name
    assert services["worker"]["volumes"] == ["backup-data:/data"]
    env = services["app"]["environment"]
    assert env["SIMPLEPRO_FILES_S3_BUCKET"] in services["objectstore-init"]["entrypoint"][-1]
    assert env["SIMPLEPRO_FILES_S3_ENDPOINT_URL"] == "http://objectstore:9000"
    assert services["migrate"]["depends_on"]["objectstore-init"]["condition"] == (
        "service_completed_successfully"
    )


def test_nginx_trusts_only_the_proxy_network() -> None:
    frontend = PROD["networks"]["frontend"]["ipam"]["config"][0]["subnet"]
    trusted = PROD["services"]["app"]["environment"]["SIMPLEPRO_TRUSTED_PROXIES"]
    assert trusted == frontend
    nginx_ip = PROD["services"]["nginx"]["networks"]["frontend"]["ipv4_address"]
    assert nginx_ip.rsplit(".", 1)[0] == frontend.rsplit(".", 1)[0]


def test_replicas_keep_their_own_metric_files() -> None:
    env = PROD["services"]["app"]["environment"]
    assert env["PROMETHEUS_MULTIPROC_DIR"].startswith("/tmp/"), "not on the shared volume"


def test_make_secrets_writes_every_secret_the_stacks_read(tmp_path: Path) -> None:
    requires_program("openssl")
    folder = tmp_path / "secrets"
    subprocess.run([str(COMPOSE / "make-secrets.sh"), str(folder)], check=True, capture_output=True)
    wanted: set[str] = set()
    for path in FILES:
        for declared in (load_yaml(path).get("secrets") or {}).values():
            wanted.add(Path(declared["file"]).name)
    assert {p.name for p in folder.iterdir()} == wanted
    assert all(p.stat().st_mode & 0o777 == 0o600 for p in folder.iterdir())
    password = (folder / "postgres_password").read_text()
    assert f"simplepro:{password}@db:5432" in (folder / "simplepro_database_url").read_text()
    redis = (folder / "redis_password").read_text()
    assert f":{redis}@redis:6379" in (folder / "simplepro_redis_url").read_text()
    keys = __import__("json").loads((folder / "simplepro_jwt_keys").read_text())
    assert len(keys[0]["secret"]) >= 32
    before = (folder / "simplepro_secret_key").read_text()
    subprocess.run([str(COMPOSE / "make-secrets.sh"), str(folder)], check=True, capture_output=True)
    assert (folder / "simplepro_secret_key").read_text() == before, "never overwrites"

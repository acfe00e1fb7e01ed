"""Prometheus, Alertmanager, Grafana and Loki configuration (deploy/). Prometheus and
Alertmanager are checked by their own tools (Debian's prometheus and prometheus-alertmanager);
Grafana and Loki cannot run here, so their files are checked for the links that break
silently: data source uids, metric names, service names and ports."""

from __future__ import annotations

import json
import re
import shutil
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import requires_program
from tests.deploy.tools import DEPLOY, load_yaml, run

PROMETHEUS = DEPLOY / "prometheus"
MONITORING = load_yaml(DEPLOY / "compose" / "compose.monitoring.yml")
PROD = load_yaml(DEPLOY / "compose" / "compose.prod.yml")
DASHBOARDS = sorted((DEPLOY / "grafana" / "dashboards").glob("*.json"))


def test_promtool_accepts_the_configuration_and_rules(tmp_path: Path) -> None:
    promtool = requires_program("promtool")
    # promtool opens the bearer-token file; point it at a throw-away one.
    folder = tmp_path / "prometheus"
    shutil.copytree(PROMETHEUS, folder)
    token = tmp_path / "token"
    token.write_text("test-token")
    config = folder / "prometheus.yml"
    config.write_text(
        config.read_text().replace("/run/secrets/simplepro_metrics_token", str(token))
    )
    done = run(promtool, "check", "config", str(config))
    assert done.returncode == 0, done.stdout + done.stderr
    assert "SUCCESS: 16 rules found" in done.stdout


def test_alert_rules_pass_their_unit_tests() -> None:
    promtool = requires_program("promtool")
    done = run(promtool, "test", "rules", str(PROMETHEUS / "tests" / "alerts.test.yml"))
    assert done.returncode == 0, done.stdout + done.stderr


def test_amtool_accepts_the_alertmanager_configuration() -> None:
    amtool = requires_program("amtool")
    done = run(amtool, "check-config", str(DEPLOY / "alertmanager" / "alertmanager.yml"))
    assert done.returncode == 0, done.stdout + done.stderr


def published_metrics() -> set[str]:
    """Every metric family the app exposes: the registry's and the scrape-time collectors'."""
    from simplepro.core import metrics
    from simplepro.ops.backup.metrics import BACKUP_METRICS
    from simplepro.ops.metrics import TaskCollector

    names = {family.name for family in TaskCollector().collect()} | BACKUP_METRICS
    for collector in vars(metrics).values():
        describe = getattr(collector, "describe", None)
        if describe is not None and getattr(collector, "_name", None):
            for family in describe():
                names.add(family.name)
    return names


def metric_names_in(expr: str) -> set[str]:
    return set(re.findall(r"\b(simplepro_[a-z_]+?)(?:_bucket|_total|_count|_sum)?\b", expr))


def alert_exprs() -> list[str]:
    rules = load_yaml(PROMETHEUS / "alerts.yml")
    return [rule["expr"] for group in rules["groups"] for rule in group["rules"]]


def dashboard_panels() -> list[dict[str, Any]]:
    return [panel for path in DASHBOARDS for panel in json.loads(path.read_text())["panels"]]


@pytest.mark.django_db
def test_rules_and_dashboards_ask_for_metrics_the_app_publishes() -> None:
    published = published_metrics()
    assert {"simplepro_http_requests", "simplepro_http_request_duration_seconds"} <= published
    assert {"simplepro_tasks_failed", "simplepro_tasks_oldest_queued_seconds"} <= published
    exprs = alert_exprs() + [
        target["expr"] for panel in dashboard_panels() for target in panel["targets"]
    ]
    used = set().union(*(metric_names_in(expr) for expr in exprs))
    assert len(used) >= 8
    assert used - published == set(), "no such metric"


def test_whoever_an_alert_pages_finds_its_metrics_on_the_dashboard() -> None:
    on_dashboard = set().union(
        *(
            metric_names_in(target["expr"])
            for panel in dashboard_panels()
            for target in panel["targets"]
        )
    )
    for expr in alert_exprs():
        assert metric_names_in(expr) <= on_dashboard, f"no dashboard panel shows {expr}"


def test_prometheus_scrapes_the_right_services_and_ports() -> None:
    config = load_yaml(PROMETHEUS / "prometheus.yml")
    jobs = {job["job_name"]: job for job in config["scrape_configs"]}
    app = jobs["simplepro"]["dns_sd_configs"][0]
    assert app["names"] == ["app"] and app["port"] == 8000
    assert "app" in PROD["services"] and "8000" in str(PROD["services"]["app"]["command"])
    assert "monitoring" in PROD["services"]["app"]["networks"]
    assert jobs["simplepro"]["authorization"]["credentials_file"] == (
        "/run/secrets/simplepro_metrics_token"
    )
    assert "simplepro_metrics_token" in MONITORING["services"]["prometheus"]["secrets"]
    targets = {
        t for job in jobs.values() for c in job.get("static_configs", []) for t in c["targets"]
    }
    for target in targets - {"localhost:9090"}:
        service = target.split(":")[0]
        assert service in MONITORING["services"], target
    alerting = config["alerting"]["alertmanagers"][0]["static_configs"][0]["targets"]
    assert alerting == ["alertmanager:9093"]


def test_grafana_provisioning_matches_the_dashboards() -> None:
    sources = load_yaml(DEPLOY / "grafana/provisioning/datasources/datasources.yml")
    uids = {source["uid"]: source for source in sources["datasources"]}
    assert uids["prometheus"]["url"] == "http://prometheus:9090"
    assert uids["loki"]["url"] == "http://loki:3100"
    providers = load_yaml(DEPLOY / "grafana/provisioning/dashboards/dashboards.yml")
    mounted = MONITORING["services"]["grafana"]["volumes"]
    assert f"../grafana/dashboards:{providers['providers'][0]['options']['path']}:ro" in mounted
    assert DASHBOARDS
    for path in DASHBOARDS:
        dashboard = json.loads(path.read_text())
        assert dashboard["uid"] and dashboard["title"]
        ids = [panel["id"] for panel in dashboard["panels"]]
        assert len(ids) == len(set(ids)), f"{path.name}: duplicate panel ids"
        for panel in dashboard["panels"]:
            assert panel["datasource"]["uid"] in uids, panel["title"]
            assert set(panel["gridPos"]) == {"x", "y", "w", "h"}
            assert panel["gridPos"]["x"] + panel["gridPos"]["w"] <= 24
            assert panel["targets"] and all(t["expr"] for t in panel["targets"])
            kind = uids[panel["datasource"]["uid"]]["type"]
            assert all(t["datasource"]["type"] == kind for t in panel["targets"])


def test_loki_and_promtail_agree() -> None:
    loki = load_yaml(DEPLOY / "loki" / "loki.yml")
    promtail = load_yaml(DEPLOY / "loki" / "promtail.yml")
    port = loki["server"]["http_listen_port"]
    assert promtail["clients"][0]["url"] == f"http://loki:{port}/loki/api/v1/push"
    assert loki["auth_enabled"] is False
    schema = loki["schema_config"]["configs"][-1]
    assert (schema["store"], schema["schema"], schema["object_store"]) == (
        "tsdb", "v13", "filesystem",
    )  # fmt: skip
    storage = loki["common"]["storage"]["filesystem"]
    volume = next(v for v in MONITORING["services"]["loki"]["volumes"] if v.startswith("loki-"))
    mount = volume.split(":")[1]
    assert all(str(d).startswith(mount) for d in storage.values()), "Loki writes off its volume"
    assert loki["compactor"]["retention_enabled"] is True
    # The app's JSON fields that promtail lifts out exist in the app's log lines.
    stages = promtail["scrape_configs"][0]["pipeline_stages"][0]["match"]["stages"]
    assert set(stages[0]["json"]["expressions"]) == {"level", "request_id", "status"}
    assert "app" in PROD["services"]

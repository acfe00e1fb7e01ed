"""deploy/kubernetes: each overlay renders with `kubectl kustomize` and validates under
`kubernetes-validate --strict` (schemas bundled, offline); the rendered objects keep the
promises the issue names (probes, security context, secrets only referenced)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import yaml

from tests.deploy.tools import DEPLOY, REFERENCE, run, venv_program

KUBERNETES = DEPLOY / "kubernetes"
OVERLAYS = sorted(p.name for p in (KUBERNETES / "overlays").iterdir())


def render(overlay: str) -> str:
    done = run(venv_program("kubectl"), "kustomize", str(KUBERNETES / "overlays" / overlay))
    assert done.returncode == 0, done.stderr
    return done.stdout


def objects(overlay: str) -> dict[str, dict[str, Any]]:
    return {
        f"{doc['kind']}/{doc['metadata']['name']}": doc
        for doc in yaml.safe_load_all(render(overlay))
    }


def test_overlays_are_staging_and_production() -> None:
    assert OVERLAYS == ["production", "staging"]


@pytest.mark.parametrize("overlay", OVERLAYS)
def test_rendered_overlay_is_valid_kubernetes(overlay: str, tmp_path: Path) -> None:
    rendered = tmp_path / f"{overlay}.yaml"
    rendered.write_text(render(overlay))
    done = run(venv_program("kubernetes-validate"), "--strict", "--quiet", str(rendered))
    assert done.returncode == 0, done.stdout + done.stderr
    assert "ERROR" not in done.stdout + done.stderr


def test_overlays_patch_inline_and_every_other_file_is_a_complete_manifest() -> None:
    for overlay in OVERLAYS:
        files = sorted(p.name for p in (KUBERNETES / "overlays" / overlay).iterdir())
        assert files == ["kustomization.yaml"], f"{overlay}: patches belong inline"
    for path in (KUBERNETES / "base").glob("*.yaml"):
        if path.name == "kustomization.yaml":
            continue
        manifest = yaml.safe_load(path.read_text())
        assert {"apiVersion", "kind", "metadata"} <= set(manifest), path.name


def pod_specs(rendered: dict[str, dict[str, Any]]) -> dict[str, dict[str, Any]]:
    return {
        name: doc["spec"]["template"]["spec"]
        for name, doc in rendered.items()
        if doc["kind"] in {"Deployment", "Job"}
    }


@pytest.mark.parametrize("overlay", OVERLAYS)
def test_pods_run_locked_down(overlay: str) -> None:
    specs = pod_specs(objects(overlay))
    assert set(specs) == {
        "Deployment/simplepro-web",
        "Deployment/simplepro-worker",
        "Deployment/simplepro-scheduler",
        "Job/simplepro-migrate",
    }
    for name, spec in specs.items():
        pod = spec["securityContext"]
        assert pod["runAsNonRoot"] is True and pod["runAsUser"] == 10001, name
        assert pod["seccompProfile"]["type"] == "RuntimeDefault", name
        assert spec["automountServiceAccountToken"] is False, name
        for container in spec["containers"]:
            context = container["securityContext"]
            assert context["readOnlyRootFilesystem"] is True, name
            assert context["allowPrivilegeEscalation"] is False, name
            assert context["capabilities"]["drop"] == ["ALL"], name
            assert container["resources"]["limits"]["memory"], name
            mounts = {m["mountPath"] for m in container["volumeMounts"]}
            assert {"/tmp", "/data", "/run/secrets/simplepro"} <= mounts, name


@pytest.mark.parametrize("overlay", OVERLAYS)
def test_web_has_probes_autoscaling_and_a_disruption_budget(overlay: str) -> None:
    rendered = objects(overlay)
    web = rendered["Deployment/simplepro-web"]
    container = web["spec"]["template"]["spec"]["containers"][0]
    assert container["readinessProbe"]["httpGet"]["path"] == "/api/health/ready"
    assert container["livenessProbe"]["httpGet"]["path"] == "/api/health"
    assert container["startupProbe"]["httpGet"]["path"] == "/api/health"
    assert web["spec"]["strategy"]["rollingUpdate"]["maxUnavailable"] == 0
    hpa = rendered["HorizontalPodAutoscaler/simplepro-web"]
    assert {m["resource"]["name"] for m in hpa["spec"]["metrics"]} == {"cpu", "memory"}
    assert hpa["spec"]["minReplicas"] >= 2
    pdb = rendered["PodDisruptionBudget/simplepro-web"]
    # A budget that allows draining a node: at least one pod kept, fewer than the minimum.
    assert pdb["spec"]["minAvailable"] >= 1
    assert pdb["spec"]["minAvailable"] < hpa["spec"]["minReplicas"]
    assert rendered["Job/simplepro-migrate"]["spec"]["template"]["spec"]["containers"][0][
        "args"
    ] == ["migrate"]
    scheduler = rendered["Deployment/simplepro-scheduler"]["spec"]
    assert scheduler["replicas"] == 1 and scheduler["strategy"]["type"] == "Recreate"
    images = {spec["containers"][0]["image"] for spec in pod_specs(rendered).values()}
    assert len(images) == 1, "one image for every process type"
    policies = [doc for doc in rendered.values() if doc["kind"] == "NetworkPolicy"]
    assert any(p["spec"]["podSelector"] == {} for p in policies), "default deny"


@pytest.mark.parametrize("overlay", OVERLAYS)
def test_no_pod_needs_a_shared_volume(overlay: str) -> None:
    """Stored files are objects in the files bucket: no ReadWriteMany claim, no claim at all."""
    rendered = objects(overlay)
    assert not [name for name in rendered if name.startswith("PersistentVolumeClaim/")]
    for name, spec in pod_specs(rendered).items():
        assert not [v for v in spec["volumes"] if "persistentVolumeClaim" in v], name
    assert rendered["ConfigMap/simplepro-config"]["data"]["SIMPLEPRO_FILES_S3_BUCKET"]


@pytest.mark.parametrize("overlay", OVERLAYS)
def test_secrets_are_referenced_never_inlined(overlay: str) -> None:
    rendered = objects(overlay)
    assert not [name for name in rendered if name.startswith("Secret/")]
    config = rendered["ConfigMap/simplepro-config"]["data"]
    documented = REFERENCE.read_text()
    for key, value in config.items():
        assert f"`{key.removesuffix('_FILE')}`" in documented, key
        if key.endswith("_FILE"):
            assert value.startswith("/run/secrets/simplepro/"), key
            secret = value.rsplit("/", 1)[1]
            assert f"`{secret}`" in documented, secret
    assert not [k for k in config if "PASSWORD" in k and not k.endswith("_FILE")]
    volumes = rendered["Deployment/simplepro-web"]["spec"]["template"]["spec"]["volumes"]
    assert {"secretName": "simplepro-secrets", "defaultMode": 0o400} in [
        v.get("secret") for v in volumes
    ]


def test_production_differs_from_staging_where_it_should() -> None:
    staging, production = objects("staging"), objects("production")
    assert staging["Ingress/simplepro"]["metadata"]["namespace"] == "simplepro-staging"
    assert production["Ingress/simplepro"]["metadata"]["namespace"] == "simplepro"
    hosts = [o["Ingress/simplepro"]["spec"]["rules"][0]["host"] for o in (staging, production)]
    assert hosts == ["staging.moves.example.com", "moves.example.com"]
    assert production["HorizontalPodAutoscaler/simplepro-web"]["spec"]["minReplicas"] == 3

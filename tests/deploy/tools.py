"""Helpers for the deployment tests: the repository's paths and the programs they run."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import yaml

from tests.conftest import requires_program

REPO = Path(__file__).resolve().parents[2]
DEPLOY = REPO / "deploy"
REFERENCE = REPO / "docs" / "configuration.md"


def venv_program(name: str) -> str:
    """A console script installed beside the running Python (the dev extras), else on PATH."""
    beside = Path(sys.executable).parent / name
    if beside.exists():
        return str(beside)
    return shutil.which(name) or requires_program(name)


def run(*command: str, cwd: Path | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(command, capture_output=True, text=True, cwd=cwd, check=False)


def load_yaml(path: Path) -> Any:
    return yaml.safe_load(path.read_text())

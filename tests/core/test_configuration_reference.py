"""docs/configuration.md is the reference: every variable the code reads is documented there
and listed in both example files."""

from __future__ import annotations

import re
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
READS = re.compile(
    r"""(?:env_(?:str|bool|int|list|json|secret)|_secret|getenv|environ\.get|environ\.setdefault|environ\[)\(?\s*["']([A-Z][A-Z0-9_]+)["']"""
)
# Set by Python tooling or by our own serve command for its workers, not by operators;
# documented in a separate section of the reference.
NOT_OPERATOR_SETTINGS = {"DJANGO_SETTINGS_MODULE"}


def variables_read_by_code() -> set[str]:
    names: set[str] = set()
    for path in (REPO / "src").rglob("*.py"):
        names |= set(READS.findall(path.read_text()))
    return names - NOT_OPERATOR_SETTINGS


def test_the_scan_finds_the_core_variables() -> None:
    assert {
        "SIMPLEPRO_ENV",
        "DATABASE_URL",
        "REDIS_URL",
        "SIMPLEPRO_JWT_KEYS",
    } <= variables_read_by_code()


def test_every_variable_is_documented() -> None:
    reference = (REPO / "docs" / "configuration.md").read_text()
    documented = set(re.findall(r"`([A-Z][A-Z0-9_]+)`", reference))
    assert variables_read_by_code() - documented == set()


def test_every_variable_is_in_the_example_files() -> None:
    for example in (REPO / ".env.example", REPO / "deploy" / "env" / "production.env.example"):
        listed = set(re.findall(r"^#?\s*([A-Z][A-Z0-9_]+)=", example.read_text(), re.MULTILINE))
        missing = (
            variables_read_by_code()
            - listed
            - {"PROMETHEUS_MULTIPROC_DIR", "SIMPLEPRO_STRICT_TESTS"}
        )
        assert missing == set(), f"{example.name} lacks {sorted(missing)}"

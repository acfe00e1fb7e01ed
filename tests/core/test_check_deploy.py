"""`simplepro check-deploy` run as operators run it, against real environments."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from simplepro.core.seal_keys import new_seal_pem
from tests.server import cli_env, run_cli

pytestmark = pytest.mark.server

GOOD_SECRET = "q7Vf2kPz9Lm4Xw8Rt1Yb6Nc3Hs5Jd0Ga-Ue"  # 36 random-looking bytes


# A public key only (its identity was thrown away): fine to commit.
AGE_PUBLIC_KEY = "age1hcg4j08wlsr4ehazd2m3x8vfn0a6s8x8zq0v3f6dwxk9q6m0w8qsz3l2n4"


SEAL_PEM = new_seal_pem("Acme Moving document seal")


def production_env(tmp_path: Path, **overrides: str) -> dict[str, str]:
    secret_file = tmp_path / "secret_key"
    secret_file.write_text(GOOD_SECRET + "-file\n")
    seal_file = tmp_path / "document_seal.pem"
    seal_file.write_text(SEAL_PEM)
    values = {
        "SIMPLEPRO_ENV": "production",
        "SIMPLEPRO_SECRET_KEY_FILE": str(secret_file),
        "SIMPLEPRO_JWT_KEYS": json.dumps([{"kid": "2026-11", "secret": GOOD_SECRET + "-jwt"}]),
        "DATABASE_URL": "postgresql://simplepro@127.0.0.1:5432/simplepro",
        "REDIS_URL": "redis://127.0.0.1:6379/0",
        "SIMPLEPRO_ALLOWED_HOSTS": "moves.example.com",
        "SIMPLEPRO_CSRF_TRUSTED_ORIGINS": "https://moves.example.com",
        "SIMPLEPRO_METRICS_TOKEN": GOOD_SECRET + "-metrics",
        "SIMPLEPRO_BACKUP_RECIPIENTS": AGE_PUBLIC_KEY,
        "SIMPLEPRO_BACKUP_S3_BUCKET": "moves-example-backups",
        "SIMPLEPRO_FILES_S3_BUCKET": "moves-example-files",
        "SIMPLEPRO_DOCUMENT_SEAL_FILE": str(seal_file),
    }
    values.update(overrides)
    return cli_env(tmp_path, **{k: v for k, v in values.items() if v != "<unset>"})


def test_good_production_configuration_passes(tmp_path: Path) -> None:
    result = run_cli("check-deploy", env=production_env(tmp_path))
    assert result.returncode == 0, result.stderr
    assert "Ready for production" in result.stdout
    findings = result.stdout + result.stderr
    if shutil.which("pg_dump") is None:  # a machine without PostgreSQL's client: rightly W005
        findings = findings.replace("simplepro.W005", "")
    assert "simplepro.W" not in findings


def test_production_on_postgresql_without_its_client_is_warned(tmp_path: Path) -> None:
    env = production_env(tmp_path)
    env["PATH"] = str(tmp_path)  # nothing in it: no pg_dump, pg_restore or psql
    result = run_cli("check-deploy", env=env)
    assert result.returncode == 0, "a warning, not an error"
    assert "simplepro.W005" in result.stdout + result.stderr
    assert "pg_dump, pg_restore, psql not found on PATH" in result.stdout + result.stderr


def test_production_without_backup_recipients_is_warned(tmp_path: Path) -> None:
    env = production_env(tmp_path, SIMPLEPRO_BACKUP_RECIPIENTS="<unset>")
    result = run_cli("check-deploy", env=env)
    assert result.returncode == 0, "a warning, not an error"
    assert "simplepro.W003" in result.stdout + result.stderr


def test_production_without_an_off_site_copy_is_warned(tmp_path: Path) -> None:
    env = production_env(tmp_path, SIMPLEPRO_BACKUP_S3_BUCKET="<unset>")
    result = run_cli("check-deploy", env=env)
    assert result.returncode == 0, "a warning, not an error"
    assert "simplepro.W004" in result.stdout + result.stderr
    assert "lost with it" in result.stdout + result.stderr


def test_production_with_files_on_the_local_disk_is_warned(tmp_path: Path) -> None:
    env = production_env(tmp_path, SIMPLEPRO_FILES_S3_BUCKET="<unset>")
    result = run_cli("check-deploy", env=env)
    assert result.returncode == 0, "a warning: one instance on one host may keep the folder"
    assert "simplepro.W006" in result.stdout + result.stderr
    assert "a second web instance needs the same volume" in result.stdout + result.stderr


def test_production_without_a_document_seal_is_warned_that_signing_is_off(tmp_path: Path) -> None:
    result = run_cli("check-deploy", env=production_env(tmp_path,
                                                        SIMPLEPRO_DOCUMENT_SEAL_FILE="<unset>"))  # fmt: skip
    assert result.returncode == 0
    assert "simplepro.W007" in result.stdout + result.stderr


@pytest.mark.parametrize(
    ("override", "finding"),
    [
        ({"SIMPLEPRO_DEBUG": "true"}, "simplepro.E001"),
        ({"SIMPLEPRO_SECRET_KEY_FILE": "<unset>"}, "simplepro.E002"),
        (
            {"SIMPLEPRO_SECRET_KEY_FILE": "<unset>", "SIMPLEPRO_SECRET_KEY": "too-short-secret"},
            "simplepro.E003",
        ),
        (
            {"SIMPLEPRO_SECRET_KEY_FILE": "<unset>", "SIMPLEPRO_SECRET_KEY": "simplepro_dev_2024"},
            "simplepro.E004",
        ),
        ({"SIMPLEPRO_JWT_KEYS": "<unset>"}, "simplepro.E005"),
        ({"SIMPLEPRO_JWT_KEYS": '[{"kid": "a", "secret": "short"}]'}, "simplepro.E006"),
        (
            {
                "SIMPLEPRO_JWT_KEYS": '[{"kid": "a", "secret": "your-super-secret-jwt-key-change-in-production"}]'
            },
            "simplepro.E007",
        ),
        ({"DATABASE_URL": "<unset>"}, "simplepro.E008"),
        ({"SIMPLEPRO_ALLOWED_HOSTS": "<unset>"}, "simplepro.E009"),
        ({"SIMPLEPRO_CSRF_TRUSTED_ORIGINS": "<unset>"}, "simplepro.E010"),
        ({"SIMPLEPRO_SECURE_COOKIES": "false"}, "simplepro.E011"),
        ({"SIMPLEPRO_HSTS_SECONDS": "0"}, "simplepro.E012"),
        ({"SIMPLEPRO_ENV": "embedded"}, "simplepro.E016"),
        ({"SIMPLEPRO_BACKUP_S3_ACCESS_KEY_ID": "AKIAEXAMPLE"}, "simplepro.E017"),
        ({"SIMPLEPRO_BACKUP_LOCAL_KEEP": "1"}, "simplepro.E018"),
        ({"SIMPLEPRO_FILES_S3_SECRET_ACCESS_KEY": GOOD_SECRET}, "simplepro.E022"),
        ({"SIMPLEPRO_FILES_S3_BUCKET": "moves-example-backups"}, "simplepro.E023"),
        (
            {
                "SIMPLEPRO_DOCUMENT_SEAL_FILE": "<unset>",
                "SIMPLEPRO_DOCUMENT_SEAL": SEAL_PEM.split("-----BEGIN CERTIFICATE")[0],
            },
            "simplepro.E024",
        ),  # fmt: skip
    ],
)
def test_each_problem_is_reported_with_its_fix(
    tmp_path: Path, override: dict[str, str], finding: str
) -> None:
    result = run_cli("check-deploy", env=production_env(tmp_path, **override))
    assert result.returncode == 1
    output = result.stdout + result.stderr
    assert finding in output
    assert "HINT" in output
    assert GOOD_SECRET not in output  # a check never prints a secret


def test_production_never_generates_secrets(tmp_path: Path) -> None:
    run_cli(
        "check-deploy",
        env=production_env(
            tmp_path, SIMPLEPRO_SECRET_KEY_FILE="<unset>", SIMPLEPRO_JWT_KEYS="<unset>"
        ),
    )
    assert not (tmp_path / "secrets").exists()


def test_check_deploy_says_when_sms_is_off(tmp_path: Path) -> None:
    result = run_cli("check-deploy", env=production_env(tmp_path))
    assert "simplepro.I001" in result.stdout + result.stderr
    assert "SMS is off" in result.stdout + result.stderr


def test_half_configured_sms_is_an_error_naming_what_is_missing(tmp_path: Path) -> None:
    env = {**production_env(tmp_path), "SIMPLEPRO_TWILIO_ACCOUNT_SID": "AC" + "1" * 32}
    result = run_cli("check-deploy", env=env)
    assert result.returncode != 0
    output = result.stdout + result.stderr
    assert "simplepro.E019" in output
    assert "SIMPLEPRO_TWILIO_AUTH_TOKEN, SIMPLEPRO_TWILIO_FROM not set" in output


def test_a_vapid_key_that_is_not_one_is_an_error(tmp_path: Path) -> None:
    env = {**production_env(tmp_path), "SIMPLEPRO_VAPID_PRIVATE_KEY": "not a key"}
    result = run_cli("check-deploy", env=env)
    assert result.returncode != 0 and "simplepro.E020" in result.stdout + result.stderr


def test_check_deploy_says_when_push_is_off(tmp_path: Path) -> None:
    result = run_cli("check-deploy", env=production_env(tmp_path))
    assert "simplepro.I002" in result.stdout + result.stderr


def test_a_lead_challenge_without_its_keys_is_an_error(tmp_path: Path) -> None:
    env = {**production_env(tmp_path), "SIMPLEPRO_LEAD_CHALLENGE": "turnstile",
           "SIMPLEPRO_LEAD_CHALLENGE_SITE_KEY": "0x4AAAAAAA"}  # fmt: skip
    result = run_cli("check-deploy", env=env)
    output = result.stdout + result.stderr
    assert result.returncode != 0 and "simplepro.E021" in output
    assert "no lead from the website can get through" in output

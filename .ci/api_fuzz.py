"""Schemathesis over every operation of /api/openapi.json, authenticated, against a real
`simplepro serve`: no 5xx and no response that breaks the published schema.

Two operations are left out because a fuzzer calling them ends its own session and turns the
rest of the run into 401s: POST /api/auth/logout and DELETE /api/auth/sessions/{session_id}.
Both are covered by tests/accounts/test_auth_api.py.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
from pathlib import Path

import requests

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from tests.server import BIN, cli_env, run_cli, running_server  # noqa: E402

PASSWORD = "Fuzzing-Owner-Pass-1"  # noqa: S105 - a throw-away server


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--examples", type=int, default=25, help="examples per operation")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as data:
        env = cli_env(
            Path(data),
            SIMPLEPRO_RATE_LIMITS="1000000/1",
            SIMPLEPRO_LOGIN_FAILURES_PER_IP="1000000",
            SIMPLEPRO_LOGIN_FAILURES_PER_ACCOUNT="1000000",
        )
        with running_server(env, workers=2) as base:
            created = run_cli(
                "createuser",
                "--username",
                "fuzzer",
                "--email",
                "fuzzer@movers.example",
                "--role",
                "super_admin",
                "--password-stdin",
                env=env,
                stdin=PASSWORD,
            )
            assert created.returncode == 0, created.stderr
            tokens = requests.post(
                f"{base}/api/auth/login",
                json={"username": "fuzzer", "password": PASSWORD},
                timeout=10,
            ).json()
            schema = requests.get(f"{base}/api/openapi.json", timeout=10).json()
            operations = sum(len(ops) for ops in schema["paths"].values())
            report = Path(data) / "report.json"
            command = [
                str(BIN.parent / "st"),
                "run",
                f"{base}/api/openapi.json",
                "--header",
                f"Authorization: Bearer {tokens['access_token']}",
                "--max-examples",
                str(args.examples),
                "--checks",
                "not_a_server_error,response_schema_conformance,status_code_conformance",
                "--exclude-path",
                "/api/auth/logout",
                "--exclude-path",
                "/api/auth/sessions/{session_id}",
                "--seed",
                "2026",
                "--no-color",
                "--generation-database",
                "none",  # nothing cached in the work tree between runs
                # One worker: with two threads Hypothesis' lambda-source introspection crashed
                # CPython 3.11's ast module once ("AST constructor recursion depth mismatch").
                "--workers",
                "1",
                "--report",
                "json",
                "--report-json-path",
                str(report),
            ]
            result = subprocess.run(command, check=False)  # noqa: S603
            print(
                f"coverage: {operations - 2} of {operations} operations fuzzed "
                f"({args.examples} examples each); 2 excluded (logout, end session)"
            )
            if report.exists():
                summary = json.loads(report.read_text())
                print("report:", json.dumps(summary, indent=None)[:2000])
            return result.returncode


if __name__ == "__main__":
    sys.exit(main())

"""`simplepro dr-drill`: prove the newest backup can bring the business back, and how fast.

1. The backup is authenticated and its checksums checked.
2. It is restored into a scratch environment — a new data folder, and a scratch database
   (SQLite file there, or `<db>_drill_<random>` on the same PostgreSQL server) — never the
   live one.
3. `simplepro serve` starts against it, with this site's secrets, and a temporary drill
   administrator is created in the scratch copy only.
4. Real HTTP calls: log in, read a customer, an estimate and a job, download a stored quote
   PDF and compare its SHA-256 with the manifest's record of that file.
5. RTO = seconds from the start to the last check passing; RPO = the age of the backup (how
   much recent work a disaster now would lose).

Everything scratch is removed afterwards. Any failure exits non-zero naming the step.
"""

from __future__ import annotations

import hashlib
import json
import os
import secrets
import shutil
import socket
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.parse
import urllib.request
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from django.conf import settings

from simplepro.ops.backup import archive, database, restore
from simplepro.ops.backup.archive import BackupError, Progress


@dataclass
class DrillReport:
    backup_id: str
    rto_seconds: float
    rpo_seconds: float
    checks: list[str] = field(default_factory=list)


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


class _Client:
    def __init__(self, base: str) -> None:
        self.base = base
        self.token = ""

    def call(self, method: str, path: str, body: Any = None) -> tuple[int, bytes]:
        data = None if body is None else json.dumps(body).encode()
        request = urllib.request.Request(self.base + path, data=data, method=method)  # noqa: S310
        request.add_header("Content-Type", "application/json")
        if self.token:
            request.add_header("Authorization", f"Bearer {self.token}")
        try:
            with urllib.request.urlopen(request, timeout=30) as response:  # noqa: S310  (loopback)
                return response.status, response.read()
        except urllib.error.HTTPError as error:
            return error.code, error.read()

    def json(self, path: str) -> Any:
        status, payload = self.call("GET", path)
        if status != 200:
            raise BackupError(f"drill: GET {path} answered {status}: {payload[:200]!r}")
        return json.loads(payload)


def drill(reference: str = "latest", progress: Progress = lambda _: None) -> DrillReport:
    started = time.monotonic()
    path, body, identities = archive.openable(reference, "the drill", progress)
    progress(f"{path.name}: authentic; restoring into a scratch environment")
    scratch = Path(tempfile.mkdtemp(prefix="simplepro-drill-"))
    data = scratch / "data"
    scratch_db = ""
    server: subprocess.Popen[bytes] | None = None
    try:
        env = _scratch_environment(data)
        if body["engine"] == "postgresql":
            scratch_db = f"{database._pg_environment()['PGDATABASE']}_drill_{secrets.token_hex(4)}"
            with database.pg_connect(autocommit=True) as conn:
                conn.execute(f'CREATE DATABASE "{scratch_db}"')
            url = _url_for(scratch_db)
            hand_over(env, scratch / "secrets", "DATABASE_URL", url)
            target = restore.Target("postgresql", url, None, own=False)
        else:
            target = restore.Target("sqlite", "", data / "simplepro.sqlite3", own=False)
        data.mkdir(parents=True)
        with archive.open_part(path, body["parts"]["database"], identities) as plain:
            if target.engine == "sqlite":
                dump = scratch / "database"
                with open(dump, "wb") as out:
                    shutil.copyfileobj(plain, out)
                restore.restore_sqlite(dump, target)
            else:
                restore.restore_postgresql(plain, target)
        files = restore.restore_files(
            path, body, identities,
            roots={"files": data / "files", "media": data / "media"},
        )  # fmt: skip
        progress(f"restored: {len(body['tables'])} tables, {files} files")
        # The server started below runs the system checks; these two need not (0.7 s each).
        _cli(env, "migrate", "--skip-checks")
        username, password = f"drill-{secrets.token_hex(3)}", secrets.token_urlsafe(24)
        _cli(env, "createuser", "--skip-checks", "--username", username, "--email", "drill@localhost",
             "--role", "super_admin", "--password-stdin", stdin=password + "\n")  # fmt: skip
        port = _free_port()
        server = subprocess.Popen(
            [_program(), "serve", "--host", "127.0.0.1", "--port", str(port)],
            env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
        )  # fmt: skip
        client = _Client(f"http://127.0.0.1:{port}")
        _wait_ready(client, server)
        progress("the app answers on the restored data")
        checks = _exercise(client, body, username, password)
        rto = time.monotonic() - started
        rpo = (datetime.now(UTC) - datetime.fromisoformat(body["created_at"])).total_seconds()
        return DrillReport(path.name, rto, rpo, checks)
    finally:
        if server is not None:
            server.terminate()
            server.wait(timeout=30)
        if scratch_db:
            with database.pg_connect(autocommit=True) as conn:
                conn.execute(f'DROP DATABASE IF EXISTS "{scratch_db}" WITH (FORCE)')
        shutil.rmtree(scratch, ignore_errors=True)


def _program() -> str:
    return str(Path(sys.executable).parent / "simplepro")


def _url_for(dbname: str) -> str:
    return urllib.parse.urlsplit(settings.DATABASE_URL)._replace(path=f"/{dbname}").geturl()


def hand_over(env: dict[str, str], folder: Path, name: str, value: str) -> None:
    """Give a child process a secret as a 0600 file in `folder`, read through NAME_FILE."""
    path = folder / name.lower()
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w", encoding="utf-8") as handle:
        handle.write(value)
    env.pop(name, None)
    env[f"{name}_FILE"] = str(path)


def _scratch_environment(data: Path) -> dict[str, str]:
    """The live site's settings, pointed at the scratch data folder, with this site's secrets
    handed over as 0600 files (never in the child's environment)."""
    secret_files = data.parent / "secrets"
    secret_files.mkdir(mode=0o700)
    handed = {
        "SIMPLEPRO_SECRET_KEY": settings.SECRET_KEY,
        "SIMPLEPRO_JWT_KEYS": json.dumps(settings.JWT_KEYS),
    }
    # The live database and the live files bucket are never the drill's: it restores the
    # backup's files into the scratch folder and serves them from there.
    env = {
        k: v
        for k, v in os.environ.items()
        if k not in {"DATABASE_URL", "DATABASE_URL_FILE"}
        and not k.startswith("SIMPLEPRO_FILES_S3_")
    }
    for name, value in handed.items():
        hand_over(env, secret_files, name, value)
    env.update(
        {
            "SIMPLEPRO_DATA_DIR": str(data),
            "PROMETHEUS_MULTIPROC_DIR": str(data / "prometheus"),
            "SIMPLEPRO_LOG_LEVEL": "WARNING",
        }
    )
    if settings.PRODUCTION:
        env["SIMPLEPRO_ALLOWED_HOSTS"] = "127.0.0.1"
        env["SIMPLEPRO_SECURE_COOKIES"] = "false"
    return env


def _cli(env: dict[str, str], *args: str, stdin: str = "") -> None:
    done = subprocess.run(
        [_program(), *args], env=env, input=stdin, capture_output=True, text=True, check=False
    )
    if done.returncode != 0:
        raise BackupError(f"drill: `simplepro {args[0]}` failed: {done.stderr.strip()[-500:]}")


def _wait_ready(client: _Client, server: subprocess.Popen[bytes]) -> None:
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if server.poll() is not None:
            raise BackupError(
                f"drill: the app exited with {server.returncode} on the restored data"
            )
        try:
            if client.call("GET", "/api/health/ready")[0] == 200:
                return
        except OSError:
            pass
        time.sleep(0.2)
    raise BackupError("drill: the app did not become ready within 60 s on the restored data")


def _exercise(client: _Client, body: dict[str, Any], username: str, password: str) -> list[str]:
    status, payload = client.call(
        "POST", "/api/auth/login", {"username": username, "password": password}
    )
    if status != 200:
        raise BackupError(f"drill: log in answered {status}")
    client.token = json.loads(payload)["access_token"]
    checks = ["logged in"]
    for kind, path in (
        ("customer", "/api/customers"),
        ("estimate", "/api/estimates"),
        ("job", "/api/jobs"),
    ):
        expected = body["tables"].get(f"{kind}s_{kind}", {}).get("rows", 0)
        items = client.json(f"{path}?page_size=1")
        if items["count"] != expected and kind == "customer":
            raise BackupError(f"drill: {items['count']} customers served, {expected} backed up")
        if items["items"]:
            client.json(f"{path}/{items['items'][0]['id']}")
            checks.append(
                f"read {'an' if kind == 'estimate' else 'a'} {kind} ({items['count']} in all)"
            )
        elif expected:
            raise BackupError(f"drill: no {kind} served, {expected} backed up")
    checks.append(_download_a_quote(client, body))
    return checks


def _download_a_quote(client: _Client, body: dict[str, Any]) -> str:
    recorded = {f["sha256"] for f in body["files"] if f["name"].startswith("files/")}
    if not recorded:
        return "no stored file in this backup to download"
    page = 1
    while True:
        listing = client.json(f"/api/estimates?page_size=100&page={page}")
        for estimate in listing["items"]:
            if estimate.get("status") in {"sent", "accepted", "declined", "expired"}:
                status, pdf = client.call("GET", f"/api/estimates/{estimate['id']}/quote.pdf")
                if status != 200:
                    raise BackupError(f"drill: the stored quote PDF answered {status}")
                digest = hashlib.sha256(pdf).hexdigest()
                if digest not in recorded:
                    raise BackupError("drill: the quote PDF served differs from the one backed up")
                return f"downloaded a stored quote PDF, SHA-256 {digest[:12]}… as backed up"
        if not listing.get("next"):
            return f"{len(recorded)} stored file(s) restored; none is a sent quote to download"
        page += 1

"""Run the real `simplepro` command as a subprocess (the way operators run it)."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import requests

BIN = Path(sys.executable).parent / "simplepro"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def cli_env(data_dir: Path, **extra: str) -> dict[str, str]:
    env = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith(("SIMPLEPRO_", "DJANGO_", "PROMETHEUS_"))
    }
    env.pop("DATABASE_URL", None)
    env.pop("REDIS_URL", None)
    env["SIMPLEPRO_DATA_DIR"] = str(data_dir)
    env["SIMPLEPRO_LOG_LEVEL"] = "WARNING"
    env.update(extra)
    return env


def run_cli(
    *args: str, env: dict[str, str], stdin: str | None = None, timeout: int = 120
) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [str(BIN), *args],
        env=env,
        input=stdin,
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )


@contextmanager
def running_server(env: dict[str, str], workers: int = 1, migrate: bool = True) -> Iterator[str]:
    if migrate:
        result = run_cli("migrate", env=env)
        assert result.returncode == 0, result.stderr[-2000:]
    port = free_port()
    log = open(Path(env["SIMPLEPRO_DATA_DIR"]) / "serve.log", "w")  # noqa: SIM115
    process = subprocess.Popen(
        [str(BIN), "serve", "--port", str(port), "--workers", str(workers)],
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                if requests.get(f"{base}/api/health", timeout=1).status_code == 200:
                    break
            except requests.ConnectionError:
                pass
            if process.poll() is not None or time.monotonic() > deadline:
                log.flush()
                raise AssertionError(
                    (Path(env["SIMPLEPRO_DATA_DIR"]) / "serve.log").read_text()[-3000:]
                )
            time.sleep(0.2)
        yield base
    finally:
        process.terminate()
        try:
            process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            process.kill()
        log.close()

"""Run the real `simplepro` command as a subprocess (the way operators run it)."""

from __future__ import annotations

import contextlib
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


def peak_memory_run(command: list[str], env: dict[str, str], log: Path) -> tuple[int, float]:
    """Run `command` (stdout and stderr into `log`); its exit code and its peak resident memory
    in MB. Read from the process's own VmHWM while it runs: the kernel's rusage would also
    count the memory of this process, which the child is forked from."""
    peak_kib = 0
    with open(log, "wb") as out:
        process = subprocess.Popen(command, env=env, stdout=out, stderr=out)
        status = Path(f"/proc/{process.pid}/status")
        while process.poll() is None:
            with contextlib.suppress(OSError, StopIteration):
                line = next(x for x in status.read_text().splitlines() if x.startswith("VmHWM"))
                peak_kib = max(peak_kib, int(line.split()[1]))
            time.sleep(0.01)
    return process.returncode, peak_kib / 1024


@contextmanager
def running_server(
    env: dict[str, str], workers: int = 1, migrate: bool = True, log_name: str = "serve.log"
) -> Iterator[str]:
    if migrate:
        result = run_cli("migrate", env=env)
        assert result.returncode == 0, result.stderr[-2000:]
    port = free_port()
    log = open(Path(env["SIMPLEPRO_DATA_DIR"]) / log_name, "w")  # noqa: SIM115
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
                    (Path(env["SIMPLEPRO_DATA_DIR"]) / log_name).read_text()[-3000:]
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

"""A real S3 server for tests: moto's server mode, one process on a free port, speaking the S3
protocol over HTTP exactly as AWS or MinIO would to boto3 (or to pgBackRest, behind nginx)."""

from __future__ import annotations

import shutil
import socket
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from tests.server import free_port

MOTO_SERVER = Path(sys.executable).parent / "moto_server"
KEY_ID, SECRET = "backup-writer", "backup-writer-secret"


@contextmanager
def s3_server() -> Iterator[str]:
    """An S3 endpoint (http://127.0.0.1:port) that lives for the block; in memory only."""
    port = free_port()
    process = subprocess.Popen(
        [str(MOTO_SERVER), "-H", "127.0.0.1", "-p", str(port)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    endpoint = f"http://127.0.0.1:{port}"
    try:
        _wait_for(port, process, lambda: "moto_server did not start")
        yield endpoint
    finally:
        process.terminate()
        process.wait(timeout=10)


def _wait_for(port: int, process: subprocess.Popen[Any], why: Callable[[], str]) -> None:
    """Until something listens on the port; the process's own words if it dies or never does."""
    deadline = time.monotonic() + 30
    while True:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=1).close()
            return
        except OSError:
            if time.monotonic() > deadline or process.poll() is not None:
                raise RuntimeError(why()) from None
            time.sleep(0.1)


def s3_client(endpoint: str) -> Any:
    import boto3

    return boto3.client(
        "s3",
        endpoint_url=endpoint,
        region_name="us-east-1",
        aws_access_key_id=KEY_ID,
        aws_secret_access_key=SECRET,
    )


def backup_settings(endpoint: str, bucket: str) -> dict[str, str]:
    """The environment that points `simplepro backup` at `bucket` on that server."""
    return {
        "SIMPLEPRO_BACKUP_S3_BUCKET": bucket,
        "SIMPLEPRO_BACKUP_S3_ENDPOINT_URL": endpoint,
        "SIMPLEPRO_BACKUP_S3_ACCESS_KEY_ID": KEY_ID,
        "SIMPLEPRO_BACKUP_S3_SECRET_ACCESS_KEY": SECRET,
    }


def self_signed_certificate(folder: Path) -> tuple[Path, Path]:
    """A throw-away key and certificate for localhost (openssl, one day)."""
    key, cert = folder / "privkey.pem", folder / "fullchain.pem"
    subprocess.run(
        ["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1", "-subj",
         "/CN=localhost", "-keyout", str(key), "-out", str(cert)],
        check=True, capture_output=True,
    )  # fmt: skip
    return key, cert


@contextmanager
def tls_front(endpoint: str, folder: Path) -> Iterator[int]:
    """nginx terminating TLS (self-signed) in front of the S3 server: clients that speak S3
    only over HTTPS (pgBackRest) reach moto this way. The HTTPS port, for the block."""
    nginx = shutil.which("nginx") or "/usr/sbin/nginx"
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "logs").mkdir(exist_ok=True)
    key, cert = self_signed_certificate(folder)
    port = free_port()
    (folder / "nginx.conf").write_text(f"""
pid {folder}/nginx.pid;
error_log {folder}/logs/error.log;
daemon off;
events {{}}
http {{
  access_log {folder}/logs/access.log;
  client_body_temp_path {folder}/body;
  proxy_temp_path {folder}/proxy;
  server {{
    listen 127.0.0.1:{port} ssl;
    ssl_certificate {cert};
    ssl_certificate_key {key};
    client_max_body_size 0;
    location / {{
      proxy_pass {endpoint};
      proxy_set_header Host $http_host;
      proxy_http_version 1.1;
      proxy_request_buffering off;
      proxy_buffering off;
    }}
  }}
}}
""")
    process = subprocess.Popen(
        [nginx, "-p", str(folder), "-c", str(folder / "nginx.conf"), "-e", str(folder / "logs/error.log")],
        stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
    )  # fmt: skip
    try:
        _wait_for(port, process, lambda: (folder / "logs/error.log").read_text())
        yield port
    finally:
        process.terminate()
        process.wait(timeout=10)

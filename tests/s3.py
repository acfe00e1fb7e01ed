"""A real S3 server for tests: moto's server mode, one process on a free port, speaking the S3
protocol over HTTP exactly as AWS or MinIO would to boto3 (or to pgBackRest, behind nginx)."""

from __future__ import annotations

import socket
import subprocess
import sys
import time
from collections.abc import Iterator
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
        deadline = time.monotonic() + 30
        while True:
            try:
                socket.create_connection(("127.0.0.1", port), timeout=1).close()
                break
            except OSError:
                if time.monotonic() > deadline or process.poll() is not None:
                    raise RuntimeError("moto_server did not start") from None
                time.sleep(0.1)
        yield endpoint
    finally:
        process.terminate()
        process.wait(timeout=10)


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

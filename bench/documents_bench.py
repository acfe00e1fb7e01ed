"""Documents: a 1 MB and a 100 MB upload and download through `simplepro serve`, to the data
folder and to an S3 bucket (moto's server mode, spoken to over HTTP like AWS or MinIO).

Prints the throughput of each and the server's peak resident memory during it, so memory that
grows with the file shows as a 100 MB row far above the 1 MB one. The client streams the file
from disk (requests-toolbelt is not needed: the multipart body is built by a generator).

    .venv/bin/python bench/documents_bench.py              # folder and bucket
    .venv/bin/python bench/documents_bench.py --store folder --sizes 1,20
"""

from __future__ import annotations

import argparse
import hashlib
import os
import sys
import tempfile
import threading
import time
from collections.abc import Iterator
from contextlib import ExitStack, suppress
from pathlib import Path

import requests

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from tests.s3 import KEY_ID, SECRET, s3_client, s3_server  # noqa: E402
from tests.server import cli_env, run_cli, running_server  # noqa: E402

PASSWORD = "bench-password-123"  # noqa: S105 (a throw-away site)
MB = 1024 * 1024


def tree_rss_kib(pid: int) -> int:
    """Resident memory of a process and all its children (the server forks its workers)."""
    total, pending = 0, [pid]
    while pending:
        current = pending.pop()
        with suppress(OSError, StopIteration, ValueError):
            status = Path(f"/proc/{current}/status").read_text().splitlines()
            total += int(next(x for x in status if x.startswith("VmRSS")).split()[1])
        with suppress(OSError):
            for task in Path(f"/proc/{current}/task").iterdir():
                pending += [int(c) for c in (task / "children").read_text().split()]
    return total


class PeakMemory:
    def __init__(self, pid: int) -> None:
        self.pid, self.peak, self.running = pid, 0, True
        self.thread = threading.Thread(target=self._sample, daemon=True)

    def _sample(self) -> None:
        while self.running:
            self.peak = max(self.peak, tree_rss_kib(self.pid))
            time.sleep(0.01)

    def __enter__(self) -> PeakMemory:
        self.thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.running = False
        self.thread.join()


def multipart(path: Path, boundary: str, fields: dict[str, str]) -> Iterator[bytes]:
    for name, value in fields.items():
        yield (f'--{boundary}\r\nContent-Disposition: form-data; name="{name}"\r\n\r\n'
               f"{value}\r\n").encode()  # fmt: skip
    yield (f'--{boundary}\r\nContent-Disposition: form-data; name="file"; filename="{path.name}"'
           "\r\nContent-Type: application/octet-stream\r\n\r\n").encode()  # fmt: skip
    with open(path, "rb") as handle:
        while chunk := handle.read(MB):
            yield chunk
    yield f"\r\n--{boundary}--\r\n".encode()


class Body:
    """The multipart body as a file of known length: requests then streams it with a
    Content-Length (a generator would be sent chunked)."""

    def __init__(self, parts: Iterator[bytes], length: int) -> None:
        self.parts, self.length, self.buffer = parts, length, b""

    def __len__(self) -> int:
        return self.length

    def read(self, size: int = -1) -> bytes:
        while size < 0 or len(self.buffer) < size:
            try:
                self.buffer += next(self.parts)
            except StopIteration:
                break
        chunk, self.buffer = (
            (self.buffer, b"") if size < 0 else (self.buffer[:size], self.buffer[size:])
        )
        return chunk


def server_pid(base: str) -> int:
    port = base.rsplit(":", 1)[1]
    for proc in Path("/proc").iterdir():
        if proc.name.isdigit():
            with suppress(OSError):
                command = (proc / "cmdline").read_bytes().replace(b"\0", b" ").decode()
                if "serve" in command and f"--port {port}" in command:
                    return int(proc.name)
    raise RuntimeError("the server's process was not found")


def run(store: str, sizes: list[int], scratch: Path, endpoint: str | None) -> None:
    data = scratch / f"data-{store}"
    extra = {"SIMPLEPRO_MAX_UPLOAD": str(max(sizes) * MB + MB), "SIMPLEPRO_RATE_LIMITS": "100000/1"}
    if store == "bucket":
        assert endpoint
        bucket = f"bench-{os.urandom(3).hex()}"
        s3_client(endpoint).create_bucket(Bucket=bucket)
        extra |= {"SIMPLEPRO_FILES_S3_BUCKET": bucket, "SIMPLEPRO_FILES_S3_ENDPOINT_URL": endpoint,
                  "SIMPLEPRO_FILES_S3_ACCESS_KEY_ID": KEY_ID,
                  "SIMPLEPRO_FILES_S3_SECRET_ACCESS_KEY": SECRET}  # fmt: skip
    env = cli_env(data, **extra)
    assert run_cli("migrate", env=env).returncode == 0
    made = run_cli("createuser", "--username", "bench", "--email", "b@x.example", "--role",
                   "super_admin", "--password-stdin", env=env, stdin=PASSWORD)  # fmt: skip
    assert made.returncode == 0, made.stderr
    with running_server(env, workers=1, migrate=False) as base:
        pid = server_pid(base)
        token = requests.post(f"{base}/api/auth/login", json={"username": "bench",
                              "password": PASSWORD}, timeout=30).json()["access_token"]  # fmt: skip
        auth = {"Authorization": f"Bearer {token}"}
        customer = requests.post(f"{base}/api/customers", json={"type": "residential",
                                 "name": "Bench Customer"}, headers=auth, timeout=30).json()  # fmt: skip
        idle = tree_rss_kib(pid) / 1024
        print(f"[{store}] server idle: {idle:.0f} MB resident", flush=True)
        for size in sizes:
            path = scratch / f"file-{size}mb.pdf"
            with open(path, "wb") as out:
                out.write(b"%PDF-1.7\n")
                for _ in range(size):
                    out.write(os.urandom(MB))
            length = path.stat().st_size
            digest = hashlib.sha256(path.read_bytes()).hexdigest()
            boundary = os.urandom(12).hex()
            fields = {"kind": "other", "customer_id": customer["id"]}
            body_length = sum(len(part) for part in multipart(path, boundary, fields))
            with PeakMemory(pid) as memory:
                started = time.perf_counter()
                response = requests.post(
                    f"{base}/api/documents", timeout=600,
                    data=Body(multipart(path, boundary, fields), body_length),
                    headers={**auth, "Content-Type": f"multipart/form-data; boundary={boundary}"},
                )  # fmt: skip
                upload_seconds = time.perf_counter() - started
            assert response.status_code == 201, response.text[:500]
            version = response.json()["versions"][0]
            assert version["sha256"] == digest
            upload_peak = memory.peak / 1024
            with PeakMemory(pid) as memory:
                started = time.perf_counter()
                received = hashlib.sha256()
                with requests.get(f"{base}{version['download_url']}", headers=auth, stream=True,
                                  timeout=600) as download:  # fmt: skip
                    assert download.status_code == 200
                    for chunk in download.iter_content(MB):
                        received.update(chunk)
                download_seconds = time.perf_counter() - started
            assert received.hexdigest() == digest, "the download is the upload"
            print(
                f"[{store}] {length / MB:6.1f} MB  upload {length / MB / upload_seconds:6.1f} MB/s "
                f"(peak {upload_peak:.0f} MB resident)  download "
                f"{length / MB / download_seconds:6.1f} MB/s (peak {memory.peak / 1024:.0f} MB)",
                flush=True,
            )
            path.unlink()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--store", choices=["folder", "bucket", "both"], default="both")
    parser.add_argument("--sizes", default="1,100", help="file sizes in MB, comma-separated")
    args = parser.parse_args()
    sizes = [int(s) for s in args.sizes.split(",")]
    stores = ["folder", "bucket"] if args.store == "both" else [args.store]
    with tempfile.TemporaryDirectory() as scratch, ExitStack() as stack:
        endpoint = stack.enter_context(s3_server()) if "bucket" in stores else None
        for store in stores:
            run(store, sizes, Path(scratch), endpoint)


if __name__ == "__main__":
    main()

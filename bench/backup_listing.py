"""What a /metrics scrape pays for the backup gauges when the backups list many stored files.

    .venv/bin/python bench/backup_listing.py --files 100000 --scrapes 20

Every manifest lists each stored file (name, size, SHA-256), so a company with years of sent
quotes has manifests of tens of megabytes. The backup gauges are computed at every scrape, on
every instance, from the two newest backups in the shared backup folder. This builds a backup
folder of `--backups` backups whose manifests list `--files` files each, then times the backup
collector alone (the rest of /metrics is unaffected) over `--scrapes` scrapes in one process,
as a long-running server would see them: the first scrape, and the mean of the others.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import shutil
import statistics
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path


def _manifest(backup_id: str, created_at: datetime, files: int) -> dict[str, object]:
    listing = [
        {
            "name": f"files/quotes/{n:07d}/quote.pdf",
            "size": 48_213,
            "sha256": hashlib.sha256(str(n).encode()).hexdigest(),
        }
        for n in range(files)
    ]
    return {
        "format": 1,
        "id": backup_id,
        "label": "",
        "created_at": created_at.isoformat(),
        "duration_seconds": 12.5,
        "app_version": "bench",
        "engine": "postgresql",
        "files": listing,
    }


def build(folder: Path, backups: int, files: int) -> int:
    """The backup folder; the size of one manifest in bytes."""
    now = datetime.now(UTC)
    size = 0
    for n in range(backups):
        created_at = now - timedelta(days=n)
        backup_id = created_at.strftime("%Y%m%dT%H%M%SZ") + f"-bench{n:02d}"
        path = folder / backup_id
        path.mkdir()
        (path / "database.zst.age").write_bytes(os.urandom(1024))
        text = json.dumps(_manifest(backup_id, created_at, files), indent=2, sort_keys=True)
        (path / "manifest.json").write_text(text)
        size = len(text)
    return size


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--files", type=int, default=100_000)
    parser.add_argument("--backups", type=int, default=7)
    parser.add_argument("--scrapes", type=int, default=20)
    args = parser.parse_args()

    data = Path(tempfile.mkdtemp(prefix="simplepro-bench-"))
    os.environ["SIMPLEPRO_DATA_DIR"] = str(data)
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "simplepro.settings")
    import django

    django.setup()
    from simplepro.ops.backup import archive
    from simplepro.ops.backup.metrics import BackupCollector

    folder = archive.backup_dir()
    folder.mkdir(parents=True, exist_ok=True)
    manifest_bytes = build(folder, args.backups, args.files)
    collector = BackupCollector()
    timings = []
    for _ in range(args.scrapes):
        started = time.perf_counter()
        gauges = {m.name: m.samples[0].value for m in collector.collect()}
        timings.append(time.perf_counter() - started)
    assert gauges["simplepro_backup_last_duration_seconds"] == 12.5, gauges
    print(
        f"{args.backups} backups, {args.files:,} files each, manifest "
        f"{manifest_bytes / 1e6:.1f} MB; {args.scrapes} scrapes in one process"
    )
    print(f"first scrape        {timings[0] * 1000:8.1f} ms")
    print(f"each scrape after   {statistics.mean(timings[1:]) * 1000:8.1f} ms (mean)")
    sys.stdout.flush()
    shutil.rmtree(data)


if __name__ == "__main__":
    main()

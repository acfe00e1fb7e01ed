"""Backups as retention sees them, without making real ones: a folder per night holding a
manifest (retention and listing read nothing else) and, if asked, a small part to upload."""

from __future__ import annotations

import json
import os
from datetime import UTC, datetime, timedelta
from pathlib import Path

NEWEST = datetime(2026, 11, 25, 2, 30, tzinfo=UTC)


def nightly_backups(folder: Path, nights: int, with_part: bool = False) -> list[str]:
    """One backup a night at 02:30 for `nights` nights up to NEWEST; their ids, newest first."""
    ids = []
    for night in range(nights):
        at = NEWEST - timedelta(days=night)
        backup_id = f"{at:%Y%m%dT%H%M%SZ}-{night:06x}"
        (folder / backup_id).mkdir()
        body = {"format": 1, "created_at": at.isoformat(), "app_version": "0.1.0",
                "engine": "sqlite", "label": "scheduled"}  # fmt: skip
        (folder / backup_id / "manifest.json").write_text(json.dumps(body))
        if with_part:
            (folder / backup_id / "database.zst.age").write_bytes(os.urandom(100))
        ids.append(backup_id)
    return ids

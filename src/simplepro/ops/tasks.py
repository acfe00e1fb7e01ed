"""Scheduled operations: the nightly backup and the weekly full verification."""

from __future__ import annotations

from simplepro.ops.backup import archive
from simplepro.ops.queue import periodic


@periodic("SIMPLEPRO_SCHEDULE_BACKUP", name="backup.nightly")
def nightly_backup() -> str:
    """Back up, then apply the retention policy (only after a backup succeeded)."""
    backup_id = archive.create(label="scheduled")
    archive.prune()
    return backup_id


@periodic("SIMPLEPRO_SCHEDULE_BACKUP_VERIFY", name="backup.verify")
def verify_latest_backup() -> str:
    """A full verification (restore into a scratch database) where the identity is present;
    checksums and the manifest otherwise. A failure raises, so the task fails and alerts."""
    result = archive.verify("latest")
    return f"{result.backup_id}: {'restored' if result.restored else 'checksums only'}"


@periodic("SIMPLEPRO_SCHEDULE_BACKUP_WATCH", name="backup.watch")
def watch_backups() -> int:
    """E-mail administrators when a backup problem appears (the banner shows it meanwhile)."""
    from simplepro.ops.backup.alarms import notify_administrators

    return notify_administrators()

"""Scheduled operations: the nightly backup and the weekly full verification."""

from __future__ import annotations

from simplepro.core.queue import periodic, task
from simplepro.ops.backup import archive, offsite, retention


@periodic("SIMPLEPRO_SCHEDULE_BACKUP", name="backup.nightly")
def nightly_backup() -> str:
    """Back up, then copy it off-site in a task of its own (so that a failing upload is retried
    without making another backup each time), then apply the retention policy (only after a
    backup succeeded, and only once it is off-site where there is an off-site copy)."""
    backup_id = archive.create(label="scheduled", offsite_copy=False)
    if offsite.configured():
        push_backups()
    else:
        retention.prune()
    return backup_id


@task(name="backup.push")
def push_backups() -> str:
    """Upload every backup not yet off-site, then apply the retention policy."""
    pushed = archive.push_pending()
    retention.prune()
    return f"{len(pushed)} uploaded"


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

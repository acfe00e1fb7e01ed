"""Retention: which backups to keep (grandfather-father-son) and `prune`, here and off-site."""

from __future__ import annotations

import shutil
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from django.conf import settings

from simplepro.ops.backup import offsite
from simplepro.ops.backup.archive import BackupError, Listed, Progress, backup_dir, backups


@dataclass
class Pruned:
    kept: list[str]
    deleted: list[str]


def retained(listed: list[Listed], daily: int, weekly: int, monthly: int) -> set[str]:
    """Ids a grandfather-father-son policy keeps: the newest backup of each of the last
    `daily` days, `weekly` ISO weeks and `monthly` months that have one; always the newest
    backup and the newest verified one."""
    keep: set[str] = set()
    newest_first = sorted(listed, key=lambda b: (b.created_at, b.id), reverse=True)
    periods = (
        (daily, lambda at: at.date().isoformat()),
        (weekly, lambda at: f"{at.isocalendar().year}-W{at.isocalendar().week:02d}"),
        (monthly, lambda at: at.strftime("%Y-%m")),
    )
    for count, period_of in periods:
        seen: set[str] = set()
        for backup in newest_first:
            period = period_of(datetime.fromisoformat(backup.created_at))
            if period not in seen and len(seen) < count:
                seen.add(period)
                keep.add(backup.id)
    if newest_first:
        keep.add(newest_first[0].id)
    verified = [b for b in newest_first if b.verified_at]
    if verified:
        keep.add(verified[0].id)
    return keep


def prune(dry_run: bool = False, progress: Progress = lambda _: None) -> Pruned:
    """Apply the retention policy (SIMPLEPRO_BACKUP_KEEP_*) to the backups here and off-site
    alike; keep only SIMPLEPRO_BACKUP_LOCAL_KEEP local copies of those safely off-site; remove
    what crashed backups, downloads and uploads left behind more than a day ago."""
    listed = backups()
    keep = retained(
        listed,
        settings.BACKUP_KEEP_DAILY,
        settings.BACKUP_KEEP_WEEKLY,
        settings.BACKUP_KEEP_MONTHLY,
    )
    verb = "would delete" if dry_run else "deleting"
    folder = backup_dir()
    try:
        deleted = []
        for backup in listed:
            if backup.id in keep:
                continue
            progress(f"{verb} {backup.id} ({', '.join(backup.locations)})")
            deleted.append(backup.id)
            if not dry_run:
                if "s3" in backup.locations:
                    offsite.delete(backup.id)
                if "local" in backup.locations:
                    shutil.rmtree(folder / backup.id)
        if offsite.configured() and settings.BACKUP_LOCAL_KEEP:
            local = [b for b in listed if b.id in keep and "local" in b.locations]
            for backup in local[settings.BACKUP_LOCAL_KEEP :]:
                if "s3" in backup.locations:
                    progress(f"{verb} the local copy of {backup.id} (kept off-site)")
                    if not dry_run:
                        shutil.rmtree(folder / backup.id)
        day_ago = datetime.now(UTC) - timedelta(days=1)
        for leftover in [*folder.glob(".*.partial"), *folder.glob(".download-*")]:
            if leftover.stat().st_mtime < day_ago.timestamp():
                progress(f"{verb} the leftover of a crashed backup or download: {leftover.name}")
                if not dry_run:
                    shutil.rmtree(leftover, ignore_errors=True)
        if offsite.configured():
            for what in offsite.leftovers(day_ago, dry_run):
                progress(f"{verb} off-site leftover {what}")
    except offsite.OffsiteError as exc:
        raise BackupError(str(exc)) from None
    return Pruned(sorted(keep), deleted)

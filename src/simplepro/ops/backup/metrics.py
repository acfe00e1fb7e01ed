"""Backup metrics at scrape time, from the backup folder every instance shares."""

from __future__ import annotations

import logging
from collections.abc import Iterator
from datetime import datetime

from prometheus_client.core import GaugeMetricFamily, Metric
from prometheus_client.registry import Collector

from simplepro.ops.backup import archive, offsite

log = logging.getLogger(__name__)

# Every family this collector can yield (some only once backups or verifications exist).
BACKUP_METRICS = frozenset(
    {
        "simplepro_backup_last_success_timestamp_seconds",
        "simplepro_backup_last_duration_seconds",
        "simplepro_backup_last_size_bytes",
        "simplepro_backup_previous_size_bytes",
        "simplepro_backup_last_verify_success",
        "simplepro_backup_last_verify_restored",
        "simplepro_backup_last_verify_timestamp_seconds",
        "simplepro_backup_last_offsite_timestamp_seconds",
    }
)


def _gauge(name: str, documentation: str, value: float) -> GaugeMetricFamily:
    return GaugeMetricFamily(name, documentation, value)


class BackupCollector(Collector):
    def collect(self) -> Iterator[Metric]:
        try:
            newest = archive.latest(2)
            verified = archive.last_verify()
            copied = archive.last_offsite()
        except OSError:
            log.warning("backup metrics unavailable", exc_info=True)
            return
        if newest:
            last = newest[0]
            yield _gauge(
                "simplepro_backup_last_success_timestamp_seconds",
                "When the newest complete backup was made (Unix time).",
                datetime.fromisoformat(last.created_at).timestamp(),
            )
            yield _gauge(
                "simplepro_backup_last_duration_seconds",
                "How long the newest backup took.",
                last.duration_seconds,
            )
            yield _gauge(
                "simplepro_backup_last_size_bytes", "Size of the newest backup.", last.size_bytes
            )
        if len(newest) > 1:
            yield _gauge(
                "simplepro_backup_previous_size_bytes",
                "Size of the backup before it (a sudden drop means data went missing).",
                newest[1].size_bytes,
            )
        if offsite.configured():
            yield _gauge(
                "simplepro_backup_last_offsite_timestamp_seconds",
                "When the newest backup copied off-site was made (Unix time; 0: none yet).",
                datetime.fromisoformat(copied["created_at"]).timestamp() if copied else 0.0,
            )
        if verified:
            yield _gauge(
                "simplepro_backup_last_verify_success",
                "1 if the latest verification passed, 0 if it found a problem.",
                1.0 if verified["ok"] else 0.0,
            )
            yield _gauge(
                "simplepro_backup_last_verify_restored",
                "1 if the latest verification restored the backup (the identity was present).",
                1.0 if verified["restored"] else 0.0,
            )
            yield _gauge(
                "simplepro_backup_last_verify_timestamp_seconds",
                "When the latest verification ran (Unix time).",
                datetime.fromisoformat(verified["at"]).timestamp(),
            )

"""Backup problems reach administrators without Prometheus: a banner and an e-mail."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from django.core import mail
from django.core.cache import cache

from simplepro.ops.backup import alarms, archive

pytestmark = pytest.mark.django_db


def fake_backup(folder: Path, at: datetime, size: int) -> None:
    backup_id = f"{at:%Y%m%dT%H%M%SZ}-{size % 0xFFFFFF:06x}"
    (folder / backup_id).mkdir()
    body = {"format": 1, "created_at": at.isoformat(), "app_version": "0.1.0", "engine": "sqlite"}
    (folder / backup_id / "manifest.json").write_text(json.dumps(body))
    (folder / backup_id / "database.zst.age").write_bytes(b"x" * size)


@pytest.fixture
def backups(tmp_path: Path, settings: Any, personas: Any) -> Path:
    settings.BACKUP_DIR = tmp_path
    cache.delete(alarms.CACHE_KEY)
    cache.delete(alarms.NOTIFIED_KEY)
    return tmp_path


def test_each_condition_is_named(backups: Path) -> None:
    now = datetime.now(UTC)
    later = now + timedelta(days=3)
    assert alarms.problems(later) == ["No backup has ever been made of this site."]
    assert alarms.problems(now) == [], "a new site is not nagged on its first day"
    fake_backup(backups, now - timedelta(hours=50), 10_000)
    fake_backup(backups, now - timedelta(hours=30), 4_000)
    assert alarms.problems(now) == [
        "The last backup is 30 hours old.",
        "The newest backup is less than half the size of the one before: data may be missing.",
    ]
    fake_backup(backups, now - timedelta(hours=1), 9_000)
    assert alarms.problems(now) == []
    (backups / archive.LAST_VERIFY).write_text(
        json.dumps(
            {
                "at": now.isoformat(),
                "backup_id": "x",
                "ok": False,
                "restored": False,
                "problem": "part database does not match its checksum",
            }
        )  # fmt: skip
    )
    assert alarms.problems(now) == [
        "The last backup check failed: part database does not match its checksum"
    ]


def test_administrators_see_a_banner_others_do_not(
    backups: Path, personas: Any, web_as: Any
) -> None:
    fake_backup(backups, datetime.now(UTC) - timedelta(hours=40), 1000)
    page = web_as(personas["admin"]).get("/").content.decode()
    assert "Backups need attention." in page and "The last backup is 40 hours old." in page
    assert "Backups need attention." not in web_as(personas["sales"]).get("/").content.decode()


def test_administrators_are_emailed_once_per_new_problem(backups: Path, personas: Any) -> None:
    assert alarms.notify_administrators() == 0 and not mail.outbox
    fake_backup(backups, datetime.now(UTC) - timedelta(hours=40), 1000)
    written = alarms.notify_administrators()
    assert written >= 2 and len(mail.outbox) == 1  # the admin and the super admin
    assert "The last backup is 40 hours old." in mail.outbox[0].body
    assert set(mail.outbox[0].to) == {personas["admin"].email, personas["super_admin"].email}
    assert alarms.notify_administrators() == 0 and len(mail.outbox) == 1, "not again"
    fake_backup(backups, datetime.now(UTC), 10)  # fresh, but shrank: a new problem
    alarms.notify_administrators()
    assert len(mail.outbox) == 2 and "less than half" in mail.outbox[1].body

"""Backup problems reach people without Prometheus: a banner for administrators on every page,
and an e-mail to them when a problem appears. The same conditions as the Prometheus
alerts (deploy/prometheus/alerts.yml): no backup for 26 hours, the last verification failed,
the newest backup is less than half the size of the one before; and, with an off-site copy
configured, none made in 26 hours."""

from __future__ import annotations

import hashlib
from datetime import UTC, datetime, timedelta

from django.conf import settings
from django.core.cache import cache
from django.core.mail import send_mail

from simplepro.ops.backup import archive, offsite

MAX_AGE = timedelta(hours=26)
CACHE_KEY = "simplepro:backup-problems"
NOTIFIED_KEY = "simplepro:backup-problems-notified"
CACHE_SECONDS = 60


def problems(now: datetime | None = None) -> list[str]:
    """What is wrong with the backups right now, in words for an office manager."""
    now = now or datetime.now(UTC)
    found = []
    newest = archive.latest(2)
    if not newest:
        if _site_age(now) > MAX_AGE:
            found.append("No backup has ever been made of this site.")
    else:
        age = now - datetime.fromisoformat(newest[0].created_at)
        if age > MAX_AGE:
            found.append(f"The last backup is {int(age.total_seconds() // 3600)} hours old.")
        if len(newest) > 1 and newest[0].size_bytes < newest[1].size_bytes / 2:
            found.append(
                "The newest backup is less than half the size of the one before: data may "
                "be missing."
            )
    if offsite.configured():
        copied = archive.last_offsite()
        if copied is None and _site_age(now) > MAX_AGE:
            found.append("No backup has been copied off-site yet.")
        elif copied and now - datetime.fromisoformat(copied["created_at"]) > MAX_AGE:
            age = now - datetime.fromisoformat(copied["created_at"])
            found.append(
                f"The newest off-site copy of the backups is {int(age.total_seconds() // 3600)} "
                "hours old."
            )
    verified = archive.last_verify()
    if verified and not verified["ok"]:
        found.append(f"The last backup check failed: {verified['problem']}")
    return found


def _site_age(now: datetime) -> timedelta:
    from simplepro.accounts.models import User

    first = User.objects.order_by("date_joined").values_list("date_joined", flat=True).first()
    return now - first if first else timedelta(0)


def cached_problems() -> list[str]:
    """For the banner: recomputed at most once a minute, whatever the traffic."""
    found: list[str] | None = cache.get(CACHE_KEY)
    if found is None:
        found = problems()
        cache.set(CACHE_KEY, found, CACHE_SECONDS)
    return found


def notify_administrators() -> int:
    """E-mail every active administrator when the set of problems changes (a new problem, or
    a different one); nothing while it stays the same. The number of people written to."""
    from simplepro.accounts.models import Role, User
    from simplepro.notifications.services import notify

    found = problems()
    fingerprint = hashlib.sha256("\n".join(found).encode()).hexdigest()
    if cache.get(NOTIFIED_KEY) == fingerprint:
        return 0
    cache.set(NOTIFIED_KEY, fingerprint, None)
    if not found:
        return 0
    administrators = User.objects.filter(role__in=[Role.SUPER_ADMIN, Role.ADMIN], is_active=True)
    notify(
        recipients=administrators,
        event="backup_problem",
        context={"problems": " ".join(found)},
        link="/ops/tasks/",
    )
    people = list(administrators.exclude(email="").values_list("email", flat=True))
    if people:
        body = "\n".join(f"- {problem}" for problem in found)
        send_mail(
            "SimplePro: the backups need attention",
            f"{body}\n\nWhat to do: {settings.PUBLIC_URL}/ops/tasks/ and the runbook "
            "docs/runbooks/backup-and-restore.md.",
            None,
            people,
        )
    return len(people)

"""The one task queue (Huey), in core because every app schedules work on it: on SQLite in
the data folder in the embedded mode, on Redis in production. `simplepro worker` processes
run the tasks (any number, on any machine); `simplepro scheduler` (exactly one) enqueues the
periodic ones (simplepro.ops.scheduler).

Schedules are five-field cron expressions in UTC, one setting per periodic task
(`SIMPLEPRO_SCHEDULE_<NAME>`), so an operator moves the nightly work without a release.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Any

from django.conf import settings
from huey import RedisHuey, SqliteHuey, crontab
from huey.api import Huey

from simplepro.core.env import ConfigurationError

# Failed tasks are retried with exponential backoff: 30 s, 60 s, 120 s.
RETRIES = 3
RETRY_DELAY_SECONDS = 30
RETRY_BACKOFF = 2.0


def make_huey(name: str) -> Huey:
    if settings.REDIS_URL:
        return RedisHuey(name, url=settings.REDIS_URL, utc=True)
    return SqliteHuey(name, filename=str(settings.DATA_DIR / "tasks.sqlite3"), utc=True)


huey: Huey = make_huey(settings.TASK_QUEUE_NAME)


def cron(setting: str) -> Callable[[datetime], bool]:
    """The schedule named by a SIMPLEPRO_SCHEDULE_* setting, as Huey's crontab; a malformed
    expression stops start-up naming the variable."""
    expression = settings.SCHEDULES[setting]
    fields = expression.split()
    if len(fields) != 5:
        raise ConfigurationError(
            f"{setting}={expression!r}: a schedule is five cron fields "
            "(minute hour day-of-month month day-of-week), e.g. '30 2 * * *'"
        )
    minute, hour, day, month, day_of_week = fields
    try:
        schedule: Callable[[datetime], bool] = crontab(minute, hour, day, month, day_of_week)
        schedule(datetime(2026, 1, 1))  # noqa: DTZ001  (Huey compares naive UTC)
    except ValueError as exc:
        raise ConfigurationError(f"{setting}={expression!r}: {exc}") from None
    return schedule


def periodic(setting: str, **options: Any) -> Callable[[Callable[..., Any]], Any]:
    """A periodic task on the schedule of `setting`, retried with backoff."""
    return huey.periodic_task(  # type: ignore[no-any-return]
        cron(setting),
        retries=RETRIES,
        retry_delay=RETRY_DELAY_SECONDS,
        retry_backoff=RETRY_BACKOFF,
        **options,
    )


def task(**options: Any) -> Callable[[Callable[..., Any]], Any]:
    """An on-demand task, retried with backoff."""
    return huey.task(  # type: ignore[no-any-return]
        retries=RETRIES, retry_delay=RETRY_DELAY_SECONDS, retry_backoff=RETRY_BACKOFF, **options
    )

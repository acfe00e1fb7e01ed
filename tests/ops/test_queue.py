"""The task queue: schedules from settings, one enqueue per due minute however many schedulers
run, retries with backoff, and every outcome recorded where operators look (TaskRun,
TaskCounter, /metrics)."""

from __future__ import annotations

import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from huey import SqliteHuey, crontab, signals

from simplepro.core.env import ConfigurationError
from simplepro.core.queue import cron
from simplepro.ops import recording
from simplepro.ops.models import TaskCounter, TaskRun
from simplepro.ops.scheduler import enqueue_due


def test_two_schedulers_enqueue_a_due_task_once(tmp_path: Path) -> None:
    first = SqliteHuey("t", filename=str(tmp_path / "q.sqlite3"), utc=True)
    second = SqliteHuey("t", filename=str(tmp_path / "q.sqlite3"), utc=True)
    for queue in (first, second):
        queue.periodic_task(crontab(minute="30", hour="2"), name="nightly")(lambda: None)
    at = datetime(2026, 11, 25, 2, 30, 10, tzinfo=UTC)
    assert enqueue_due(first, at) == ["nightly"]
    assert enqueue_due(second, at.replace(second=50)) == [], "the minute is claimed"
    assert enqueue_due(first, at.replace(minute=31)) == [], "not due"
    assert enqueue_due(second, at.replace(day=26)) == ["nightly"], "the next night"
    assert first.pending_count() == 2


def test_schedules_come_from_settings_and_bad_ones_name_the_variable(settings: Any) -> None:
    settings.SCHEDULES = {"SIMPLEPRO_SCHEDULE_X": "15 3 * * 1"}
    due = cron("SIMPLEPRO_SCHEDULE_X")
    assert due(datetime(2026, 11, 30, 3, 15))  # noqa: DTZ001  a Monday, 03:15 UTC
    assert not due(datetime(2026, 11, 29, 3, 15))  # noqa: DTZ001  a Sunday
    for bad in ("15 3 * *", "61 * * * *", "every night"):
        settings.SCHEDULES = {"SIMPLEPRO_SCHEDULE_X": bad}
        with pytest.raises(ConfigurationError, match="SIMPLEPRO_SCHEDULE_X"):
            cron("SIMPLEPRO_SCHEDULE_X")


@pytest.fixture
def queue(tmp_path: Path, transactional_db: None) -> SqliteHuey:
    """A queue of our own with a real consumer (one worker thread), recorded like the app's."""
    queue = SqliteHuey("test", filename=str(tmp_path / "q.sqlite3"), utc=True)
    recording.connect(queue)
    return queue


def run_consumer(queue: SqliteHuey, finals: int, timeout: float = 30) -> None:
    """Run a consumer until `finals` tasks have finished (succeeded, or failed for good).

    Counted from Huey's own signals, not by polling the database: on the in-memory SQLite
    test database, reading while the worker thread writes makes SQLite refuse the write."""
    finished: list[str] = []

    @queue.signal(signals.SIGNAL_COMPLETE, signals.SIGNAL_ERROR)
    def count(signal: str, task: Any, *_: Any) -> None:
        if signal == signals.SIGNAL_COMPLETE or not task.retries:
            finished.append(task.id)

    consumer = queue.create_consumer(workers=1, periodic=False, worker_type="thread")
    consumer._set_signal_handlers = lambda: None  # pytest keeps its own
    consumer.start()
    try:
        deadline = time.monotonic() + timeout
        while len(finished) < finals and time.monotonic() < deadline:
            time.sleep(0.05)
    finally:
        consumer.stop(graceful=True)


def test_a_failing_task_is_retried_with_backoff_then_recorded(queue: SqliteHuey) -> None:
    attempts: list[float] = []

    @queue.task(retries=3, retry_delay=1.0, retry_backoff=3.0, name="flaky")
    def flaky() -> str:
        attempts.append(time.monotonic())
        if len(attempts) < 3:
            raise RuntimeError(f"attempt {len(attempts)} failed")
        return "done"

    @queue.task(retries=1, retry_delay=0.1, name="broken")
    def broken() -> None:
        raise ValueError("the SMTP server said no")

    flaky()
    broken()

    run_consumer(queue, finals=2)
    good = TaskRun.objects.get(name="flaky")
    assert (good.state, good.attempts, good.error) == ("succeeded", 3, "")
    gaps = [b - a for a, b in zip(attempts, attempts[1:], strict=False)]
    # Never earlier than 1 s, then 3 s: a constant delay would retry after about 1 s both
    # times. (Later is possible: the consumer looks at delayed tasks once a second.)
    assert gaps[0] >= 1.0 and gaps[1] >= 3.0, f"backoff: {gaps}"
    bad = TaskRun.objects.get(name="broken")
    assert (bad.state, bad.attempts) == ("failed", 2)
    assert bad.error == "ValueError: the SMTP server said no"
    assert bad.finished_at is not None and bad.enqueued_at is not None
    counters = {c.name: c for c in TaskCounter.objects.all()}
    assert (counters["flaky"].succeeded, counters["flaky"].retried) == (1, 2)
    assert (counters["broken"].failed, counters["broken"].retried) == (1, 1)
    assert counters["flaky"].last_success_at is not None


def test_task_metrics_on_any_instance(queue: SqliteHuey, client: Any) -> None:
    queue.task(name="quick")(lambda: None)()
    run_consumer(queue, finals=1)
    text = client.get("/metrics").content.decode()
    assert 'simplepro_tasks_succeeded_total{task="quick"} 1.0' in text
    assert 'simplepro_tasks_failed_total{task="quick"} 0.0' in text
    assert "simplepro_tasks_queued " in text and "simplepro_tasks_running 0.0" in text
    assert 'simplepro_task_last_success_timestamp_seconds{task="quick"}' in text
    assert "simplepro_tasks_oldest_queued_seconds 0.0" in text


def test_administrators_see_failures_on_the_tasks_page(personas: Any, web_as: Any) -> None:
    TaskRun.objects.create(
        task_id="t1", name="backup.nightly", state="failed", attempts=4,
        error="OSError: No space left on device",
    )  # fmt: skip
    TaskRun.objects.create(task_id="t2", name="estimates.expire_due", state="succeeded")
    TaskCounter.objects.create(name="backup.nightly", failed=1, retried=3)
    admin = web_as(personas["admin"])
    page = admin.get("/ops/tasks/?state=failed").content.decode()
    assert "OSError: No space left on device" in page and "backup.nightly" in page
    assert "estimates.expire_due" not in page.split('id="runs-heading"')[1]
    assert admin.get("/ops/tasks/?state=nonsense").status_code == 200
    assert "Background tasks" in admin.get("/").content.decode()
    for persona in ("sales", "dispatcher", "crew_member"):
        assert web_as(personas[persona]).get("/ops/tasks/").status_code == 403

"""`simplepro scheduler`: enqueues periodic tasks when their schedule is due.

Exactly one should run: workers never enqueue periodic tasks (they run with periodic=False).
Should two run anyway (a failover that overlapped), each (task, minute) is claimed once in the
queue's own storage, so a nightly task still runs once a night.
"""

from __future__ import annotations

import logging
import signal
import threading
from datetime import UTC, datetime, timedelta
from typing import Any

from huey.api import Huey

log = logging.getLogger("simplepro.scheduler")
CLAIM_TTL_SECONDS = 3 * 3600


def enqueue_due(queue: Huey, now: datetime) -> list[str]:
    """Enqueue every periodic task due in the minute of `now` (UTC) not yet claimed by
    another scheduler; the names of those enqueued."""
    minute = now.astimezone(UTC).replace(second=0, microsecond=0, tzinfo=None)
    enqueued = []
    for task in queue.read_periodic(minute):
        claim = f"simplepro:periodic:{task.name}:{minute:%Y%m%dT%H%M}"
        if _claim(queue, claim):
            queue.enqueue(task)
            enqueued.append(task.name)
    return enqueued


def _claim(queue: Huey, key: str) -> bool:
    """True for the first scheduler to claim `key`. Redis forgets claims after a few hours;
    SQLite keeps them (one small row per periodic run)."""
    try:
        return bool(queue.put_if_empty(key, b"1", ttl=CLAIM_TTL_SECONDS))
    except NotImplementedError:
        return bool(queue.put_if_empty(key, b"1"))


def run(queue: Huey, stop: threading.Event | None = None) -> None:
    """Check at the start of every minute until SIGTERM/SIGINT (or `stop`)."""
    stop = stop or threading.Event()

    def request_stop(signum: int, _: Any) -> None:
        log.info("scheduler stopping on signal %s", signum)
        stop.set()

    if threading.current_thread() is threading.main_thread():
        signal.signal(signal.SIGTERM, request_stop)
        signal.signal(signal.SIGINT, request_stop)
    log.info("scheduler started")
    while not stop.is_set():
        now = datetime.now(UTC)
        for name in enqueue_due(queue, now):
            log.info("enqueued periodic task %s", name)
        next_minute = now.replace(second=0, microsecond=0) + timedelta(minutes=1)
        stop.wait(max(0.5, (next_minute - datetime.now(UTC)).total_seconds() + 0.05))
    log.info("scheduler stopped")

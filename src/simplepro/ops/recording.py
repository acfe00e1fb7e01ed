"""Huey's signals → TaskRun rows and TaskCounter totals. Runs in whichever process the signal
fires in: the enqueuing one (web, scheduler) for `enqueued`, the worker for the rest."""

from __future__ import annotations

import os
import socket
from typing import Any

from django.db import close_old_connections, connections, transaction
from django.db.models import F
from django.utils import timezone
from huey import signals
from huey.api import Huey

from simplepro.ops.models import TaskCounter, TaskRun

WORKER = f"{socket.gethostname()}:{os.getpid()}"
ERROR_LIMIT = 2000


def _counter(name: str, **changes: Any) -> None:
    TaskCounter.objects.get_or_create(name=name)
    TaskCounter.objects.filter(name=name).update(**changes)


def enqueued(signal: str, task: Any) -> None:
    TaskRun.objects.get_or_create(
        task_id=task.id,
        defaults={"name": task.name, "state": TaskRun.State.QUEUED, "enqueued_at": timezone.now()},
    )


def executing(signal: str, task: Any) -> None:
    close_old_connections()  # a worker thread may hold a connection the server closed
    run, _ = TaskRun.objects.get_or_create(
        task_id=task.id, defaults={"name": task.name, "state": TaskRun.State.QUEUED}
    )
    TaskRun.objects.filter(pk=run.pk).update(
        state=TaskRun.State.RUNNING,
        started_at=timezone.now(),
        attempts=F("attempts") + 1,
        worker=f"{WORKER}",
    )


def complete(signal: str, task: Any) -> None:
    now = timezone.now()
    with transaction.atomic():
        run = TaskRun.objects.select_for_update().get(task_id=task.id)
        run.state, run.finished_at, run.error = TaskRun.State.SUCCEEDED, now, ""
        run.save(update_fields=["state", "finished_at", "error"])
        took = (now - run.started_at).total_seconds() if run.started_at else 0.0
        _counter(
            task.name,
            succeeded=F("succeeded") + 1,
            duration_seconds_total=F("duration_seconds_total") + took,
            last_success_at=now,
        )
    connections.close_all()  # a worker thread gives its connection back between tasks


def error(signal: str, task: Any, exc: BaseException) -> None:
    """Called for every failed attempt; `task.retries` is what is left, so 0 means final."""
    now = timezone.now()
    final = not task.retries
    text = f"{type(exc).__name__}: {exc}"[:ERROR_LIMIT]
    state = TaskRun.State.FAILED if final else TaskRun.State.RETRYING
    with transaction.atomic():
        TaskRun.objects.filter(task_id=task.id).update(
            state=state, error=text, finished_at=now if final else None
        )
        if final:
            _counter(task.name, failed=F("failed") + 1, last_failure_at=now)
        else:
            _counter(task.name, retried=F("retried") + 1)
    connections.close_all()


def connect(queue: Huey) -> None:
    queue.signal(signals.SIGNAL_ENQUEUED)(enqueued)
    queue.signal(signals.SIGNAL_EXECUTING)(executing)
    queue.signal(signals.SIGNAL_COMPLETE)(complete)
    queue.signal(signals.SIGNAL_ERROR)(error)

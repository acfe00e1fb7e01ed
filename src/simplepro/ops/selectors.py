"""Reads for the background-tasks page."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from django.db.models import Min, QuerySet
from django.utils import timezone

from simplepro.ops.models import TaskCounter, TaskRun


@dataclass(frozen=True)
class QueueState:
    pending: int
    scheduled: int
    running: int
    oldest_queued_at: datetime | None

    @property
    def oldest_queued_seconds(self) -> float:
        if self.oldest_queued_at is None:
            return 0.0
        return (timezone.now() - self.oldest_queued_at).total_seconds()


def queue_state() -> QueueState:
    from simplepro.core.queue import huey

    oldest = TaskRun.objects.filter(state=TaskRun.State.QUEUED).aggregate(at=Min("enqueued_at"))
    return QueueState(
        pending=huey.pending_count(),
        scheduled=huey.scheduled_count(),
        running=TaskRun.objects.filter(state=TaskRun.State.RUNNING).count(),
        oldest_queued_at=oldest["at"],
    )


def task_totals() -> QuerySet[TaskCounter]:
    return TaskCounter.objects.order_by("name")


def recent_runs(state: str | None = None) -> QuerySet[TaskRun]:
    runs = TaskRun.objects.order_by("-id")
    return runs.filter(state=state) if state else runs

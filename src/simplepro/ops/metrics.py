"""Task-queue metrics, read at scrape time from the queue and the TaskRun/TaskCounter tables, so
any instance's /metrics reports the work of every worker wherever it runs."""

from __future__ import annotations

import logging
from collections.abc import Iterator

from django.db.models import Min
from django.utils import timezone
from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily, Metric
from prometheus_client.registry import Collector

from simplepro.ops.models import TaskCounter, TaskRun

log = logging.getLogger(__name__)


class TaskCollector(Collector):
    def collect(self) -> Iterator[Metric]:
        from simplepro.core.queue import huey

        try:
            pending, scheduled = huey.pending_count(), huey.scheduled_count()
            running = TaskRun.objects.filter(state=TaskRun.State.RUNNING).count()
            oldest = TaskRun.objects.filter(state=TaskRun.State.QUEUED).aggregate(
                at=Min("enqueued_at")
            )["at"]
            counters = list(TaskCounter.objects.all())
        except Exception:  # the scrape still answers with the HTTP metrics
            log.warning("task metrics unavailable", exc_info=True)
            return
        yield GaugeMetricFamily("simplepro_tasks_queued", "Tasks waiting for a worker.", pending)
        yield GaugeMetricFamily(
            "simplepro_tasks_scheduled", "Tasks waiting for their time (retries).", scheduled
        )
        yield GaugeMetricFamily("simplepro_tasks_running", "Tasks being run now.", running)
        age = (timezone.now() - oldest).total_seconds() if oldest else 0.0
        yield GaugeMetricFamily(
            "simplepro_tasks_oldest_queued_seconds",
            "Age of the oldest task not yet started (grows when no worker runs).",
            age,
        )
        families = {
            "succeeded": CounterMetricFamily(
                "simplepro_tasks_succeeded", "Tasks that succeeded.", labels=["task"]
            ),
            "failed": CounterMetricFamily(
                "simplepro_tasks_failed",
                "Tasks that failed after their last retry.",
                labels=["task"],
            ),
            "retried": CounterMetricFamily(
                "simplepro_tasks_retried", "Failed attempts that were retried.", labels=["task"]
            ),
            "duration_seconds_total": CounterMetricFamily(
                "simplepro_task_duration_seconds",
                "Seconds spent in successful runs (divide by succeeded for the mean).",
                labels=["task"],
            ),
        }
        last_success = GaugeMetricFamily(
            "simplepro_task_last_success_timestamp_seconds",
            "When each task last succeeded (Unix time).",
            labels=["task"],
        )
        for counter in counters:
            for field, family in families.items():
                family.add_metric([counter.name], float(getattr(counter, field)))
            if counter.last_success_at:
                last_success.add_metric([counter.name], counter.last_success_at.timestamp())
        yield from families.values()
        yield last_success

"""What the queue did, kept in the database so any process — the web page, /metrics on any
instance — can report on work done by workers elsewhere."""

from __future__ import annotations

from django.db import models


class TaskRun(models.Model):
    """One task, from enqueue to its last attempt (a retry keeps the task's id)."""

    class State(models.TextChoices):
        QUEUED = "queued"
        RUNNING = "running"
        RETRYING = "retrying"
        SUCCEEDED = "succeeded"
        FAILED = "failed"

    task_id = models.CharField(max_length=64, unique=True)
    name = models.CharField(max_length=200, db_index=True)
    state = models.CharField(max_length=10, choices=State.choices, db_index=True)
    enqueued_at = models.DateTimeField(null=True, blank=True)
    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)
    attempts = models.PositiveIntegerField(default=0)
    error = models.TextField(blank=True)
    worker = models.CharField(max_length=200, blank=True)

    class Meta:
        ordering = ["-id"]
        indexes = [models.Index(fields=["state", "enqueued_at"])]

    def __str__(self) -> str:
        return f"{self.name} {self.task_id} {self.state}"


class TaskCounter(models.Model):
    """Running totals per task name: they only grow, so /metrics can expose them as counters
    even after old TaskRun rows are pruned."""

    name = models.CharField(max_length=200, primary_key=True)
    succeeded = models.BigIntegerField(default=0)
    failed = models.BigIntegerField(default=0)
    retried = models.BigIntegerField(default=0)
    duration_seconds_total = models.FloatField(default=0.0)
    last_success_at = models.DateTimeField(null=True, blank=True)
    last_failure_at = models.DateTimeField(null=True, blank=True)

    def __str__(self) -> str:
        return self.name

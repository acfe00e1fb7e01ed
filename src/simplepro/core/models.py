from __future__ import annotations

from typing import ClassVar

from django.conf import settings
from django.db import models
from django.utils import timezone


class RateLimitCounter(models.Model):
    """One fixed-window counter; written only through core.ratelimit.DatabaseCounterStore."""

    key = models.CharField(max_length=200, primary_key=True)
    count = models.PositiveIntegerField(default=0)
    expires_at = models.FloatField(db_index=True, help_text="Unix time the window ends.")

    def __str__(self) -> str:
        return f"{self.key}={self.count}"


class IdempotencyRecord(models.Model):
    """The stored answer to a write sent with an Idempotency-Key (core.idempotency)."""

    user_id = models.CharField(max_length=64)
    key = models.CharField(max_length=200)
    fingerprint = models.CharField(max_length=64)
    status_code = models.PositiveSmallIntegerField(null=True)
    content_type = models.CharField(max_length=100, blank=True)
    body = models.BinaryField(default=b"")
    created_at = models.DateTimeField(auto_now_add=True)
    expires_at = models.DateTimeField(db_index=True)

    class Meta:
        constraints: ClassVar = [
            models.UniqueConstraint(fields=["user_id", "key"], name="idempotency_key_per_user")
        ]

    def __str__(self) -> str:
        return f"{self.user_id}:{self.key}"


class StreamCursor(models.Model):
    """Where one user's real-time stream stands: the id of their newest event, and the newest
    id already pruned (a client resuming from before it has missed events we no longer hold).

    Updating `last_id` takes this row's lock until the outbox write commits, so a user's ids
    are handed out in commit order: an event never becomes visible after a higher one.
    """

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, primary_key=True, related_name="+"
    )
    last_id = models.BigIntegerField(default=0)
    pruned_through = models.BigIntegerField(default=0)

    def __str__(self) -> str:
        return f"stream of {self.user_id} at {self.last_id}"


class StreamEvent(models.Model):
    """One event in one user's stream (the outbox): what a reconnecting client replays."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    seq = models.BigIntegerField()
    kind = models.CharField(max_length=64)
    data = models.JSONField(default=dict)
    created_at = models.DateTimeField(default=timezone.now, db_index=True)

    class Meta:
        constraints: ClassVar = [
            models.UniqueConstraint(fields=["user", "seq"], name="stream_event_seq_per_user")
        ]

    def __str__(self) -> str:
        return f"{self.user_id}#{self.seq} {self.kind}"

from __future__ import annotations

from typing import ClassVar

from django.db import models


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

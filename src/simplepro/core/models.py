from __future__ import annotations

from django.db import models


class RateLimitCounter(models.Model):
    """One fixed-window counter; written only through core.ratelimit.DatabaseCounterStore."""

    key = models.CharField(max_length=200, primary_key=True)
    count = models.PositiveIntegerField(default=0)
    expires_at = models.FloatField(db_index=True, help_text="Unix time the window ends.")

    def __str__(self) -> str:
        return f"{self.key}={self.count}"

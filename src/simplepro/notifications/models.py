from __future__ import annotations

from typing import ClassVar

from django.conf import settings
from django.db import models
from django.utils import timezone


class Notification(models.Model):
    """One thing one person was told, in the notification centre. The id only grows, so it is
    also the list's cursor."""

    id = models.BigAutoField(primary_key=True)
    recipient = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="notifications"
    )
    event = models.CharField(max_length=64, help_text="The catalogue entry it was made from.")
    title = models.CharField(max_length=200)
    body = models.TextField(blank=True)
    # Where clicking it leads (a path inside SimplePro), or empty.
    link = models.CharField(max_length=300, blank=True)
    critical = models.BooleanField(default=False)
    # Set where the same thing must never be told twice (a reminder a task may run again for):
    # unique per recipient.
    key = models.CharField(max_length=100, blank=True)
    created_at = models.DateTimeField(default=timezone.now)
    read_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ("-id",)
        constraints: ClassVar = [
            models.UniqueConstraint(
                fields=["recipient", "key"],
                condition=~models.Q(key=""),
                name="notification_once_per_key",
            )
        ]
        indexes: ClassVar = [
            models.Index(fields=["recipient", "-id"], name="notification_inbox_idx"),
            models.Index(
                fields=["recipient"],
                condition=models.Q(read_at__isnull=True),
                name="notification_unread_idx",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.event} for {self.recipient_id}"

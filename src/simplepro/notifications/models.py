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


class Channel(models.TextChoices):
    IN_APP = "in_app", "In the app"
    EMAIL = "email", "E-mail"
    SMS = "sms", "SMS"
    PUSH = "push", "Push"


class NotificationPreference(models.Model):
    """A person's choice for one event on one channel; no row: the default for their role."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="notification_preferences"
    )
    event = models.CharField(max_length=64)
    channel = models.CharField(max_length=8, choices=Channel.choices)
    enabled = models.BooleanField()

    class Meta:
        constraints: ClassVar = [
            models.UniqueConstraint(
                fields=["user", "event", "channel"], name="notification_preference_once"
            )
        ]

    def __str__(self) -> str:
        return f"{self.user_id} {self.event} {self.channel}={self.enabled}"


class Delivery(models.Model):
    """One notification on one channel outside the app. (notification, channel) is unique: the
    deduplication key, so a retried or repeated task can never send it twice."""

    class Status(models.TextChoices):
        QUEUED = "queued", "Queued"
        SENDING = "sending", "Sending"
        RETRYING = "retrying", "Waiting to retry"
        DEFERRED = "deferred", "Held for quiet hours"
        SENT = "sent", "Sent"
        DELIVERED = "delivered", "Delivered"
        FAILED = "failed", "Failed"

    notification = models.ForeignKey(
        Notification, on_delete=models.CASCADE, related_name="deliveries"
    )
    channel = models.CharField(max_length=8, choices=Channel.choices)
    address = models.CharField(max_length=254)
    # What goes out, worded when the notification was made (so the log shows what was sent).
    subject = models.CharField(max_length=200, blank=True)
    text = models.TextField(blank=True)
    html = models.TextField(blank=True)
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.QUEUED)
    attempts = models.PositiveSmallIntegerField(default=0)
    provider_id = models.CharField(max_length=200, blank=True)
    error = models.CharField(max_length=500, blank=True)
    created_at = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(default=timezone.now)
    sent_at = models.DateTimeField(null=True, blank=True)
    # Held back by the person's quiet hours until then.
    not_before = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ("-id",)
        constraints: ClassVar = [
            models.UniqueConstraint(fields=["notification", "channel"], name="delivery_once")
        ]
        indexes: ClassVar = [
            models.Index(fields=["status", "channel"]),
            models.Index(
                fields=["provider_id"], condition=~models.Q(provider_id=""),
                name="delivery_provider_id_idx",
            ),
        ]  # fmt: skip

    def __str__(self) -> str:
        return f"{self.channel} of {self.notification_id}: {self.status}"


class QuietHours(models.Model):
    """When a person is not to be woken: SMS and push wait until the end (never dropped);
    critical events ignore it. Read in the person's own time zone. Start after end spans
    midnight (22:00–07:00)."""

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="quiet_hours"
    )
    start = models.TimeField()
    end = models.TimeField()
    time_zone = models.CharField(max_length=64)

    def __str__(self) -> str:
        return f"{self.user_id} quiet {self.start}-{self.end} {self.time_zone}"


class NotificationTemplate(models.Model):
    """The company's own wording of one event on one channel, replacing the catalogue's.
    Checked on save: it renders with the event's sample data and names only its variables."""

    event = models.CharField(max_length=64)
    channel = models.CharField(max_length=8, choices=Channel.choices)
    subject = models.CharField(max_length=200, help_text="The title; the subject of an e-mail.")
    text = models.TextField()
    html = models.TextField(blank=True, help_text="E-mail only: the HTML part.")
    updated_at = models.DateTimeField(default=timezone.now)
    updated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        constraints: ClassVar = [
            models.UniqueConstraint(fields=["event", "channel"], name="notification_template_once")
        ]

    def __str__(self) -> str:
        return f"{self.event} on {self.channel}"


class SmsOptOut(models.Model):
    """A number that texted STOP: no SMS goes to it, from any part of SimplePro, until it
    texts START (the carriers' rule, and Twilio's)."""

    phone = models.CharField(max_length=20, unique=True, help_text="E.164")
    keyword = models.CharField(max_length=20)
    opted_out_at = models.DateTimeField(default=timezone.now)

    def __str__(self) -> str:
        return f"{self.phone} opted out ({self.keyword})"


class PushSubscription(models.Model):
    """One browser or phone that accepts push messages for a person (its push service's
    endpoint and the keys the message is encrypted for). Dropped when the service says it is
    gone (404/410)."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="push_subscriptions"
    )
    endpoint = models.URLField(max_length=1000, unique=True)
    p256dh = models.CharField(max_length=200)
    auth = models.CharField(max_length=100)
    user_agent = models.CharField(max_length=300, blank=True)
    created_at = models.DateTimeField(default=timezone.now)
    last_sent_at = models.DateTimeField(null=True, blank=True)

    def __str__(self) -> str:
        return f"push for {self.user_id}"

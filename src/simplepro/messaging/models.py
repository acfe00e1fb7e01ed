"""Conversations: staff with staff (direct, team, one per job) and the office with customers
(SMS and e-mail, one thread per customer; texts from unknown numbers wait in the unmatched
inbox until someone attaches them to a customer or makes a lead of them)."""

from __future__ import annotations

import uuid
from typing import ClassVar

from django.conf import settings
from django.db import models
from django.utils import timezone

MAX_BODY = 4000  # characters in one message (docs/messaging.md)


class Conversation(models.Model):
    class Kind(models.TextChoices):
        DIRECT = "direct", "Direct"
        TEAM = "team", "Team"
        JOB = "job", "Job"
        CUSTOMER = "customer", "Customer"

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    kind = models.CharField(max_length=10, choices=Kind.choices)
    title = models.CharField(max_length=120, blank=True)
    job = models.OneToOneField(
        "jobs.Job", null=True, blank=True, on_delete=models.CASCADE, related_name="conversation"
    )
    customer = models.OneToOneField(
        "customers.Customer", null=True, blank=True, on_delete=models.CASCADE,
        related_name="conversation",
    )  # fmt: skip
    # An unmatched customer thread: the number or address that wrote, until attached.
    address = models.CharField(max_length=254, blank=True)
    # The two people of a direct thread, in a fixed order: one thread per pair.
    direct_key = models.CharField(max_length=80, blank=True)
    created_at = models.DateTimeField(default=timezone.now)
    last_message_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        constraints: ClassVar = [
            models.UniqueConstraint(
                fields=["direct_key"], condition=~models.Q(direct_key=""), name="direct_once"
            ),
            models.UniqueConstraint(
                fields=["address"],
                condition=models.Q(customer__isnull=True, kind="customer"),
                name="unmatched_once_per_address",
            ),
        ]
        indexes: ClassVar = [models.Index(fields=["kind", "-last_message_at"])]

    def __str__(self) -> str:
        return f"{self.kind} {self.title or self.pk}"

    @property
    def unmatched(self) -> bool:
        return self.kind == self.Kind.CUSTOMER and self.customer_id is None


class Member(models.Model):
    """A person in a conversation. Direct and team threads: who is in it. Job and customer
    threads are open to whoever may read the job or customer; a row is made the first time
    such a person reads or writes, to keep what they have read."""

    conversation = models.ForeignKey(Conversation, on_delete=models.CASCADE, related_name="members")
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="conversation_members"
    )
    invited = models.BooleanField(default=True, help_text="In the thread by name, not by role.")
    last_read_id = models.BigIntegerField(default=0)
    last_read_at = models.DateTimeField(null=True, blank=True)
    joined_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints: ClassVar = [
            models.UniqueConstraint(fields=["conversation", "user"], name="member_once")
        ]

    def __str__(self) -> str:
        return f"{self.user_id} in {self.conversation_id}"


class Message(models.Model):
    class Direction(models.TextChoices):
        INTERNAL = "internal", "Staff"
        INBOUND = "inbound", "From the customer"
        OUTBOUND = "outbound", "To the customer"

    class Channel(models.TextChoices):
        APP = "app", "SimplePro"
        SMS = "sms", "SMS"
        EMAIL = "email", "E-mail"

    class Status(models.TextChoices):
        RECEIVED = "received", "Received"
        QUEUED = "queued", "Queued"
        SENDING = "sending", "Sending"
        SENT = "sent", "Sent"
        DELIVERED = "delivered", "Delivered"
        FAILED = "failed", "Failed"

    id = models.BigAutoField(primary_key=True)
    conversation = models.ForeignKey(
        Conversation, on_delete=models.CASCADE, related_name="messages"
    )
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
        related_name="+",
    )  # fmt: skip
    direction = models.CharField(max_length=10, choices=Direction.choices)
    channel = models.CharField(max_length=8, choices=Channel.choices, default=Channel.APP)
    body = models.TextField()
    subject = models.CharField(max_length=200, blank=True)
    # The address it came from or went to (customer threads).
    address = models.CharField(max_length=254, blank=True)
    # The provider's id (Twilio's SM…, an e-mail's Message-ID): unique, so a webhook replayed
    # or a mail delivered twice is stored once.
    provider_id = models.CharField(max_length=200, blank=True)
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.SENT)
    error = models.CharField(max_length=500, blank=True)
    attempts = models.PositiveSmallIntegerField(default=0)
    # Sent by SimplePro itself from a template (booking confirmation, reminders).
    automatic = models.CharField(max_length=64, blank=True)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ("id",)
        constraints: ClassVar = [
            models.UniqueConstraint(
                fields=["channel", "provider_id"], condition=~models.Q(provider_id=""),
                name="message_provider_once",
            )
        ]  # fmt: skip
        indexes: ClassVar = [
            models.Index(fields=["conversation", "-id"], name="message_history_idx")
        ]

    def __str__(self) -> str:
        return f"{self.direction} {self.channel} in {self.conversation_id}"


class EmailOptOut(models.Model):
    """An address that unsubscribed: no message that is not about its own move (offers,
    follow-ups) goes to it. Transactional ones (confirmations, reminders) still do."""

    address = models.EmailField(unique=True)
    opted_out_at = models.DateTimeField(default=timezone.now)

    def __str__(self) -> str:
        return f"{self.address} unsubscribed"

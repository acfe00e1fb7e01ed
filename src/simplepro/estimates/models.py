from __future__ import annotations

import datetime as dt
import math
import uuid
from typing import ClassVar

from django.conf import settings
from django.db import models


class StoredRuleset(models.Model):
    """A ruleset version exactly as it priced estimates. Never changed once stored: an
    estimate points at the version that priced it, forever."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    name = models.CharField(max_length=200)
    version = models.CharField(max_length=50, unique=True)
    content = models.JSONField()
    content_hash = models.CharField(max_length=64, unique=True)
    is_active = models.BooleanField(default=False)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ("-created_at",)
        constraints: ClassVar = [
            models.UniqueConstraint(
                fields=["is_active"], condition=models.Q(is_active=True), name="one_active_ruleset"
            )
        ]

    def __str__(self) -> str:
        return f"{self.name} {self.version}"


class EstimateStatus(models.TextChoices):
    DRAFT = "draft", "Draft"
    SENT = "sent", "Sent"
    ACCEPTED = "accepted", "Accepted"
    DECLINED = "declined", "Declined"
    EXPIRED = "expired", "Expired"


# What may happen next from each status; anything else is a 409 naming the status.
EDITABLE = frozenset({EstimateStatus.DRAFT, EstimateStatus.SENT, EstimateStatus.EXPIRED})
SENDABLE = frozenset({EstimateStatus.DRAFT, EstimateStatus.SENT})
DECIDABLE = frozenset({EstimateStatus.SENT})


class Estimate(models.Model):
    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    customer = models.ForeignKey(
        "customers.Customer", on_delete=models.PROTECT, related_name="estimates"
    )
    status = models.CharField(
        max_length=12, choices=EstimateStatus.choices, default=EstimateStatus.DRAFT
    )
    pickup_address = models.CharField(max_length=300, blank=True)
    delivery_address = models.CharField(max_length=300, blank=True)
    valid_until = models.DateField(
        null=True, blank=True, help_text="Set when sent: the send date + the ruleset's validity"
    )
    sent_at = models.DateTimeField(null=True, blank=True)
    decided_at = models.DateTimeField(null=True, blank=True)
    # When the customer first opened the quote link; how often and when last; the PDF
    # downloads from it.
    viewed_at = models.DateTimeField(null=True, blank=True)
    view_count = models.PositiveIntegerField(default=0)
    last_viewed_at = models.DateTimeField(null=True, blank=True)
    download_count = models.PositiveIntegerField(default=0)
    decision_note = models.CharField(max_length=500, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ("-created_at",)
        indexes: ClassVar = [models.Index(fields=["status", "valid_until"])]

    def __str__(self) -> str:
        return f"Estimate {self.pk} for {self.customer_id}"

    @property
    def days_to_first_view(self) -> int | None:
        """Whole days from sending to the first look, rounded up (a look within a day is 1)."""
        return _days_between(self.sent_at, self.viewed_at)

    @property
    def days_to_decision(self) -> int | None:
        return _days_between(self.sent_at, self.decided_at)


def _days_between(start: dt.datetime | None, end: dt.datetime | None) -> int | None:
    if start is None or end is None:
        return None
    return max(0, math.ceil((end - start).total_seconds() / 86400))


class EstimateVersion(models.Model):
    """One immutable pricing of an estimate: its input, its result, and the ruleset used."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    estimate = models.ForeignKey(Estimate, on_delete=models.CASCADE, related_name="versions")
    number = models.PositiveIntegerField()
    ruleset = models.ForeignKey(StoredRuleset, on_delete=models.PROTECT, related_name="+")
    input = models.JSONField()
    result = models.JSONField()
    input_hash = models.CharField(max_length=64)
    total = models.DecimalField(max_digits=12, decimal_places=2)
    inventory = models.JSONField(
        default=list, blank=True, help_text="Survey lines: room, catalogue key, quantity"
    )
    # Why this version was made (the customer asked for packing…), shown with the change in
    # price beside the previous version's.
    reason = models.CharField(max_length=300, blank=True)
    # The quote as sent: written once to the private file storage, never rewritten.
    pdf_path = models.CharField(max_length=300, blank=True)
    pdf_sha256 = models.CharField(max_length=64, blank=True)
    sent_at = models.DateTimeField(null=True, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ("estimate", "-number")
        constraints: ClassVar = [
            models.UniqueConstraint(fields=["estimate", "number"], name="estimate_version_number")
        ]

    def __str__(self) -> str:
        return f"{self.estimate_id} v{self.number}"


class CompanyItem(models.Model):
    """An inventory item of this company's own (a piano model, a client's server rack…),
    offered beside SimplePro's catalogue. Its key never collides with a catalogue key."""

    key = models.SlugField(max_length=100, unique=True)
    name = models.CharField(max_length=200)
    room = models.CharField(max_length=60)
    category = models.CharField(max_length=60)
    cubic_feet = models.DecimalField(max_digits=8, decimal_places=2)
    weight_lb = models.DecimalField(max_digits=8, decimal_places=2)
    flags = models.JSONField(default=list, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ("room", "name")

    def __str__(self) -> str:
        return self.name

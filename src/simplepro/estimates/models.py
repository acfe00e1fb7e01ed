from __future__ import annotations

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


class Estimate(models.Model):
    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    customer = models.ForeignKey(
        "customers.Customer", on_delete=models.PROTECT, related_name="estimates"
    )
    status = models.CharField(
        max_length=12, choices=EstimateStatus.choices, default=EstimateStatus.DRAFT
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ("-created_at",)

    def __str__(self) -> str:
        return f"Estimate {self.pk} for {self.customer_id}"


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

"""Documents attached to a customer (and optionally to one of their estimates or jobs): each a
list of versions, every version an immutable file in the private store with its SHA-256."""

from __future__ import annotations

import uuid
from typing import ClassVar

from django.conf import settings
from django.db import models


class DocumentKind(models.TextChoices):
    PHOTO = "photo", "Photo"
    CONTRACT = "contract", "Contract"
    ORDER_FOR_SERVICE = "order_for_service", "Order for service"
    BILL_OF_LADING = "bill_of_lading", "Bill of lading"
    INVENTORY = "inventory", "Inventory"
    VALUATION = "valuation", "Valuation election"
    DELIVERY_RECEIPT = "delivery_receipt", "Delivery receipt"
    RECEIPT = "receipt", "Receipt"
    INSURANCE = "insurance", "Insurance certificate"
    OTHER = "other", "Other"


class PhotoStage(models.TextChoices):
    BEFORE = "before", "Before the move"
    DURING = "during", "During the move"
    AFTER = "after", "After the move"
    DAMAGE = "damage", "Damage"


class Document(models.Model):
    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    customer = models.ForeignKey(
        "customers.Customer", on_delete=models.PROTECT, related_name="documents"
    )
    estimate = models.ForeignKey(
        "estimates.Estimate",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="documents",
    )
    job = models.ForeignKey(
        "jobs.Job", null=True, blank=True, on_delete=models.PROTECT, related_name="documents"
    )
    kind = models.CharField(max_length=20, choices=DocumentKind.choices)
    title = models.CharField(max_length=200)
    photo_stage = models.CharField(max_length=10, choices=PhotoStage.choices, blank=True)
    # A photo of one line of the job's inventory: its position then, and its name as it was.
    inventory_line = models.PositiveSmallIntegerField(null=True, blank=True)
    inventory_item = models.CharField(max_length=200, blank=True)
    # Numbering of versions: incremented under a row lock, so two uploads never share a number.
    version_count = models.PositiveIntegerField(default=0)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    archived_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ("-created_at",)
        indexes: ClassVar = [
            models.Index(fields=["customer", "-created_at"], name="document_customer_idx"),
            models.Index(fields=["job", "-created_at"], name="document_job_idx"),
            models.Index(fields=["estimate", "-created_at"], name="document_estimate_idx"),
        ]

    def __str__(self) -> str:
        return self.title


class DocumentVersion(models.Model):
    """One file, never changed or deleted: a new upload is a new version."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    document = models.ForeignKey(Document, on_delete=models.PROTECT, related_name="versions")
    number = models.PositiveIntegerField()
    # The name in the private store; random, so no upload can name another's file.
    stored_name = models.CharField(max_length=200, unique=True)
    original_name = models.CharField(max_length=255)
    content_type = models.CharField(max_length=100)
    size = models.BigIntegerField()
    sha256 = models.CharField(max_length=64)
    # A photo's location (EXIF GPS) was removed before it was stored.
    location_removed = models.BooleanField(default=False)
    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    uploaded_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ("document", "-number")
        constraints: ClassVar = [
            models.UniqueConstraint(fields=["document", "number"], name="document_version_unique")
        ]

    def __str__(self) -> str:
        return f"{self.document} v{self.number}"


class ShareLink(models.Model):
    """A link that lets someone without an account download one version of a document until it
    expires or is revoked. Only the token's SHA-256 is kept; the token is shown once."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    document = models.ForeignKey(Document, on_delete=models.PROTECT, related_name="share_links")
    version = models.ForeignKey(DocumentVersion, on_delete=models.PROTECT, related_name="+")
    token_hash = models.CharField(max_length=64, unique=True)
    password_hash = models.CharField(max_length=200, blank=True)
    expires_at = models.DateTimeField()
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    revoked_at = models.DateTimeField(null=True, blank=True)
    revoked_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    access_count = models.PositiveIntegerField(default=0)
    last_access_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ("-created_at",)

    def __str__(self) -> str:
        return f"{self.document} (link)"

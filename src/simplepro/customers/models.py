from __future__ import annotations

import uuid
from typing import ClassVar

from django.conf import settings
from django.db import models


class CustomerType(models.TextChoices):
    RESIDENTIAL = "residential", "Residential"
    COMMERCIAL = "commercial", "Commercial"


class CustomerStatus(models.TextChoices):
    LEAD = "lead", "Lead"
    ACTIVE = "active", "Active"
    INACTIVE = "inactive", "Inactive"


class LeadSource(models.TextChoices):
    WEBSITE = "website", "Website"
    REFERRAL = "referral", "Referral"
    REPEAT = "repeat", "Repeat customer"
    PHONE = "phone", "Phone call"
    ADVERTISING = "advertising", "Advertising"
    SOCIAL_MEDIA = "social_media", "Social media"
    PARTNER = "partner", "Partner"
    WALK_IN = "walk_in", "Walk-in"
    OTHER = "other", "Other"


class CustomerQuerySet(models.QuerySet["Customer"]):
    def current(self) -> CustomerQuerySet:
        return self.filter(archived_at__isnull=True)

    def archived(self) -> CustomerQuerySet:
        return self.filter(archived_at__isnull=False)


class Customer(models.Model):
    """A person or business that moves with us, from first lead to repeat customer.

    Written only through customers.services, which keeps `search_text` and the lookup rows
    (emails, phones, tags) in step with the record.
    """

    # What a person edits; audit records, API output and list pages are built from this.
    EDITABLE_FIELDS = (
        "type",
        "name",
        "company_name",
        "emails",
        "phones",
        "addresses",
        "status",
        "source",
        "referred_by",
        "tags",
        "notes",
    )
    # What every reader shows, besides the salesperson.
    SHOWN_FIELDS = ("id", *EDITABLE_FIELDS, "archived_at", "created_at", "updated_at")

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    type = models.CharField(max_length=16, choices=CustomerType.choices)
    name = models.CharField(max_length=200)
    company_name = models.CharField(max_length=200, blank=True)
    emails = models.JSONField(default=list, blank=True)
    # E.164 ("+15551234567"), parsed with the company's phone region.
    phones = models.JSONField(default=list, blank=True)
    addresses = models.JSONField(default=list, blank=True)
    status = models.CharField(
        max_length=16, choices=CustomerStatus.choices, default=CustomerStatus.LEAD
    )
    source = models.CharField(max_length=20, choices=LeadSource.choices, blank=True)
    referred_by = models.CharField(max_length=200, blank=True)
    assigned_salesperson = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="assigned_customers",
    )
    tags = models.JSONField(default=list, blank=True)
    notes = models.TextField(blank=True)
    # Lower-cased name, company, e-mails and phone digits: what the search box matches.
    search_text = models.TextField(blank=True, editable=False)
    archived_at = models.DateTimeField(null=True, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    objects = CustomerQuerySet.as_manager()

    class Meta:
        ordering = ("-created_at",)
        indexes: ClassVar = [
            models.Index(fields=["-created_at"], name="customer_created_idx"),
            models.Index(fields=["status"], name="customer_status_idx"),
            models.Index(fields=["name"], name="customer_name_idx"),
            models.Index(fields=["assigned_salesperson", "-created_at"], name="customer_sales_idx"),
        ]

    def __str__(self) -> str:
        return self.name

    @property
    def is_archived(self) -> bool:
        return self.archived_at is not None


class CustomerLookup(models.Model):
    """One e-mail, phone or tag of a customer, indexed: duplicate warnings and tag filters
    are exact index lookups on every database instead of JSON scans."""

    class Kind(models.TextChoices):
        EMAIL = "email"
        PHONE = "phone"
        TAG = "tag"

    customer = models.ForeignKey(Customer, on_delete=models.CASCADE, related_name="lookups")
    kind = models.CharField(max_length=8, choices=Kind.choices)
    value = models.CharField(max_length=254)

    class Meta:
        indexes: ClassVar = [models.Index(fields=["kind", "value"], name="customer_lookup_idx")]
        constraints: ClassVar = [
            models.UniqueConstraint(
                fields=["customer", "kind", "value"], name="customer_lookup_unique"
            )
        ]

    def __str__(self) -> str:
        return f"{self.kind}:{self.value}"

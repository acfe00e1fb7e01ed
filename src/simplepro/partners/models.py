"""Referral partners, the people who sign in to the partner portal for them, and the
referrals they send with the commission each earns.

A partner account is its own principal: not a `User`, with no role, so the staff
permission map never grants it anything (simplepro.partners.portal signs it in).
"""

from __future__ import annotations

import uuid
from typing import ClassVar

from django.conf import settings
from django.contrib.auth.hashers import check_password, make_password
from django.db import models
from django.utils import timezone


class PartnerKind(models.TextChoices):
    REALTOR = "realtor", "Realtor"
    PROPERTY_MANAGER = "property_manager", "Property manager"
    RELOCATION = "relocation_company", "Relocation company"
    STORAGE = "storage_facility", "Storage facility"
    CORPORATE = "corporate", "Corporate client"
    OTHER = "other", "Other"


class CommissionType(models.TextChoices):
    PERCENTAGE = "percentage", "A percentage of the job"
    FLAT = "flat", "A flat amount per job"
    TIERED = "tiered", "A percentage by job value (tiers)"
    MANUAL = "manual", "Agreed case by case"


class Partner(models.Model):
    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    name = models.CharField(max_length=200)
    kind = models.CharField(max_length=20, choices=PartnerKind.choices)
    contact_name = models.CharField(max_length=200, blank=True)
    email = models.EmailField(blank=True)
    phone = models.CharField(max_length=40, blank=True)
    is_active = models.BooleanField(default=True)
    commission_type = models.CharField(
        max_length=12, choices=CommissionType.choices, default=CommissionType.PERCENTAGE
    )
    # Percentage 0–100 (percentage); amount (flat); tiers [{"up_to": "5000.00" | null,
    # "rate": "5"}] ascending, the last open-ended or taking everything above it (tiered).
    commission_rate = models.DecimalField(max_digits=5, decimal_places=2, null=True, blank=True)
    commission_flat = models.DecimalField(max_digits=12, decimal_places=2, null=True, blank=True)
    commission_tiers = models.JSONField(default=list, blank=True)
    notes = models.TextField(blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ("name",)

    def __str__(self) -> str:
        return self.name


class PartnerAccount(models.Model):
    """Someone at a partner who signs in to the portal (e-mail and password)."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    partner = models.ForeignKey(Partner, on_delete=models.CASCADE, related_name="accounts")
    name = models.CharField(max_length=200)
    email = models.EmailField(unique=True)
    password = models.CharField(max_length=128)
    is_active = models.BooleanField(default=True)
    # Bumped when the password changes or the account is turned off: sessions signed in
    # before carry the old value and stop working at once.
    session_version = models.PositiveIntegerField(default=1)
    last_login = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    def __str__(self) -> str:
        return self.email

    def set_password(self, raw: str) -> None:
        self.password = make_password(raw)

    def check_password(self, raw: str) -> bool:
        return check_password(raw, self.password)


class ReferralStatus(models.TextChoices):
    RECEIVED = "received", "Received"
    CONTACTED = "contacted", "Contacted"
    QUOTED = "quoted", "Quoted"
    WON = "won", "Booked"
    COMPLETED = "completed", "Moved"
    LOST = "lost", "Lost"
    CANCELLED = "cancelled", "Cancelled"


class CommissionStatus(models.TextChoices):
    NONE = "none", "Not earned yet"
    PENDING = "pending", "Pending payment"
    PAID = "paid", "Paid"
    MANUAL = "manual", "To agree"


class Referral(models.Model):
    """A customer a partner sent us, followed through its opportunity to the job. The
    commission is worked out from the job's final price when the move is completed."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    partner = models.ForeignKey(Partner, on_delete=models.PROTECT, related_name="referrals")
    opportunity = models.OneToOneField(
        "sales.Opportunity", on_delete=models.PROTECT, related_name="referral"
    )
    customer = models.ForeignKey("customers.Customer", on_delete=models.PROTECT, related_name="+")
    job = models.ForeignKey(
        "jobs.Job", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    status = models.CharField(
        max_length=10, choices=ReferralStatus.choices, default=ReferralStatus.RECEIVED
    )
    notes = models.TextField(blank=True)
    # Who passed it on: a partner's portal account, or someone in the office.
    by_account = models.ForeignKey(
        PartnerAccount, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    by_user = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
        related_name="+",
    )  # fmt: skip
    referred_at = models.DateTimeField(default=timezone.now)
    commission_status = models.CharField(
        max_length=8, choices=CommissionStatus.choices, default=CommissionStatus.NONE
    )
    # The job's final price it was worked out from, and the rule used ("5 % of …").
    commission_base = models.DecimalField(max_digits=12, decimal_places=2, null=True, blank=True)
    commission_amount = models.DecimalField(max_digits=12, decimal_places=2, null=True, blank=True)
    commission_rule = models.CharField(max_length=200, blank=True)
    commission_at = models.DateTimeField(null=True, blank=True)
    paid_at = models.DateTimeField(null=True, blank=True)
    paid_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
        related_name="+",
    )  # fmt: skip
    payment_reference = models.CharField(max_length=120, blank=True)

    class Meta:
        ordering = ("-referred_at",)
        indexes: ClassVar = [
            models.Index(fields=["partner", "-referred_at"], name="referral_partner_idx"),
            models.Index(fields=["commission_status"], name="referral_commission_idx"),
        ]

    def __str__(self) -> str:
        return f"referral {self.pk} from {self.partner_id}"

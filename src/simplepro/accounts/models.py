from __future__ import annotations

import uuid
from typing import ClassVar

from django.contrib.auth.models import AbstractUser
from django.db import models
from django.db.models.functions import Lower
from django.utils import timezone


class Role(models.TextChoices):
    SUPER_ADMIN = "super_admin", "Super administrator"
    ADMIN = "admin", "Administrator"
    MANAGER = "manager", "Manager"
    DISPATCHER = "dispatcher", "Dispatcher"
    SALES = "sales", "Sales representative"
    CUSTOMER_SERVICE = "customer_service", "Customer service"
    CREW_LEAD = "crew_lead", "Crew lead"
    CREW_MEMBER = "crew_member", "Crew member"


class Company(models.Model):
    """The one moving company this installation runs (its row always has id 1)."""

    SINGLETON_ID = 1
    # Editable by administrators (the logo has its own upload).
    EDITABLE_FIELDS = (
        "name",
        "legal_name",
        "time_zone",
        "currency",
        "phone_region",
        "usdot_number",
        "mc_number",
        "email",
        "phone",
        "address_line1",
        "address_line2",
        "city",
        "region",
        "postal_code",
        "country",
        "discount_limits",
        "overtime_after_hours",
        "overtime_multiplier",
        "required_signoffs",
    )

    name = models.CharField(max_length=200)
    # Job type → the customer sign-offs a job needs before work starts; types left out use
    # SimplePro's defaults (simplepro.accounts.policies).
    required_signoffs = models.JSONField(default=dict, blank=True)
    # Payroll: hours beyond this in a week (Monday to Sunday) are paid × the multiplier.
    overtime_after_hours = models.DecimalField(max_digits=5, decimal_places=2, default=40)
    overtime_multiplier = models.DecimalField(max_digits=4, decimal_places=2, default=1.5)
    discount_limits = models.JSONField(
        default=dict,
        blank=True,
        help_text="Role → largest manual discount in percent; roles left out use the defaults",
    )
    legal_name = models.CharField(max_length=200, blank=True)
    time_zone = models.CharField(max_length=64, default="America/New_York")
    currency = models.CharField(max_length=3, default="USD")
    phone_region = models.CharField(
        max_length=2,
        default="US",
        help_text="Region used to read phone numbers typed "
        "without a country code (ISO 3166 alpha-2).",
    )
    usdot_number = models.CharField("USDOT number", max_length=20, blank=True)
    mc_number = models.CharField("MC number", max_length=20, blank=True)
    email = models.EmailField(blank=True)
    phone = models.CharField(max_length=20, blank=True)
    address_line1 = models.CharField(max_length=200, blank=True)
    address_line2 = models.CharField(max_length=200, blank=True)
    city = models.CharField(max_length=100, blank=True)
    region = models.CharField(max_length=100, blank=True)
    postal_code = models.CharField(max_length=20, blank=True)
    country = models.CharField(max_length=2, default="US")
    logo = models.FileField(upload_to="company/", blank=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name_plural = "company"
        constraints: ClassVar = [
            models.CheckConstraint(condition=models.Q(id=1), name="company_is_singleton"),
        ]

    def __str__(self) -> str:
        return self.name


class User(AbstractUser):
    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    role = models.CharField(max_length=32, choices=Role.choices, default=Role.CREW_MEMBER)
    phone = models.CharField(max_length=20, blank=True)

    class Meta:
        ordering = ("username",)
        constraints: ClassVar = [
            models.UniqueConstraint(Lower("email"), name="user_email_unique_ci"),
            models.UniqueConstraint(Lower("username"), name="user_username_unique_ci"),
        ]

    def __str__(self) -> str:
        return self.get_full_name() or self.username

    @property
    def display_name(self) -> str:
        return self.get_full_name() or self.username


class DeviceSessionQuerySet(models.QuerySet["DeviceSession"]):
    def active(self) -> DeviceSessionQuerySet:
        return self.filter(revoked_at__isnull=True, expires_at__gt=timezone.now())


class DeviceSession(models.Model):
    """One signed-in device: an API client (refresh tokens) or a browser (Django session).

    Revoking it ends the device at once: access tokens carry its id and are checked against
    it on every request, and the web middleware logs out a browser whose session is revoked.
    """

    class Kind(models.TextChoices):
        API = "api", "API"
        WEB = "web", "Web"

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="device_sessions")
    kind = models.CharField(max_length=8, choices=Kind.choices)
    user_agent = models.CharField(max_length=300, blank=True)
    ip_address = models.GenericIPAddressField(null=True, blank=True)
    created_at = models.DateTimeField(default=timezone.now)
    last_seen_at = models.DateTimeField(default=timezone.now)
    expires_at = models.DateTimeField()
    revoked_at = models.DateTimeField(null=True, blank=True)
    revoked_reason = models.CharField(max_length=100, blank=True)

    objects = DeviceSessionQuerySet.as_manager()

    class Meta:
        ordering = ("-last_seen_at",)
        indexes: ClassVar = [models.Index(fields=["user", "revoked_at"])]

    def __str__(self) -> str:
        return f"{self.kind} session of {self.user_id}"

    def is_active(self) -> bool:
        return self.revoked_at is None and self.expires_at > timezone.now()


class RefreshToken(models.Model):
    """A refresh token, stored only as its SHA-256. `rotated_at` set means it was used once;
    presenting it again is theft and revokes the whole session."""

    session = models.ForeignKey(DeviceSession, on_delete=models.CASCADE, related_name="tokens")
    token_hash = models.CharField(max_length=64, unique=True)
    created_at = models.DateTimeField(default=timezone.now)
    rotated_at = models.DateTimeField(null=True, blank=True)

    def __str__(self) -> str:
        return f"refresh token of {self.session_id}"

"""The move's paperwork: what the crew found wrong with each item (condition exceptions), the
delivery of the rights booklet, the one-time codes that prove who signs, and the signatures.

A signature is evidence, so nothing here is ever updated or deleted once written, except a
code being used up. The signed file and the sealed file are document versions (write-once, with
their SHA-256); the signature row ties the two together and says who, when, where and how.
"""

from __future__ import annotations

import uuid
from typing import ClassVar

from django.conf import settings
from django.db import models


class Stage(models.TextChoices):
    PICKUP = "pickup", "At pickup"
    DELIVERY = "delivery", "At delivery"


class ConditionNote(models.Model):
    """One inventory line's condition as the crew found it (the exception codes of the
    descriptive inventory, and where on the item). A later note for the same line and stage
    replaces the earlier one on the printed inventory; both are kept."""

    job = models.ForeignKey("jobs.Job", on_delete=models.PROTECT, related_name="condition_notes")
    line = models.PositiveSmallIntegerField()
    item = models.CharField(max_length=200)
    stage = models.CharField(max_length=10, choices=Stage.choices, default=Stage.PICKUP)
    codes = models.JSONField(default=list)
    places = models.JSONField(default=list)
    note = models.CharField(max_length=300, blank=True)
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    recorded_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ("job", "line", "stage", "recorded_at", "pk")

    def __str__(self) -> str:
        return f"{self.job} line {self.line + 1}"


class BookletMethod(models.TextChoices):
    EMAIL = "email", "By e-mail (a link to the booklet)"
    PORTAL = "portal", "In the customer portal"
    PAPER = "paper", "On paper, in person"


class BookletDelivery(models.Model):
    """FMCSA's "Your Rights and Responsibilities When You Move" was given to the customer of an
    interstate move: when, how, and who recorded it."""

    job = models.ForeignKey("jobs.Job", on_delete=models.PROTECT, related_name="booklets")
    method = models.CharField(max_length=10, choices=BookletMethod.choices)
    delivered_at = models.DateTimeField()
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    recorded_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ("-delivered_at",)

    def __str__(self) -> str:
        return f"{self.job} booklet"


class IdentityChannel(models.TextChoices):
    EMAIL = "email", "A code sent to the e-mail address on file"
    SMS = "sms", "A code sent to the phone number on file"


class SigningCode(models.Model):
    """A one-time code sent to the customer's e-mail or phone on file: typing it back proves
    the signer is the person those belong to. Only its hash is kept."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    document = models.ForeignKey(
        "documents.Document", on_delete=models.PROTECT, related_name="signing_codes"
    )
    channel = models.CharField(max_length=5, choices=IdentityChannel.choices)
    destination = models.CharField(max_length=254)
    code_hash = models.CharField(max_length=64)
    attempts = models.PositiveSmallIntegerField(default=0)
    expires_at = models.DateTimeField()
    used_at = models.DateTimeField(null=True, blank=True)
    sent_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ("-created_at",)
        indexes: ClassVar = [
            models.Index(fields=["document", "-created_at"], name="signing_code_document_idx")
        ]

    def __str__(self) -> str:
        return f"code for {self.document_id}"


class SignatureMethod(models.TextChoices):
    DRAWN = "drawn", "Drawn"
    TYPED = "typed", "Typed"


class Signature(models.Model):
    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    document = models.ForeignKey(
        "documents.Document", on_delete=models.PROTECT, related_name="signatures"
    )
    # Exactly what was signed, and its SHA-256 as it was when signed (the verification compares
    # it with the version's file and with the hash named inside the seal).
    signed_version = models.OneToOneField(
        "documents.DocumentVersion", on_delete=models.PROTECT, related_name="signature"
    )
    signed_sha256 = models.CharField(max_length=64)
    # The signed PDF with its evidence page, sealed: the document's next version.
    sealed_version = models.OneToOneField(
        "documents.DocumentVersion", on_delete=models.PROTECT, related_name="seal_of"
    )
    sealed_sha256 = models.CharField(max_length=64)
    seal_certificate_sha256 = models.CharField(max_length=64)
    signer_name = models.CharField(max_length=200)
    method = models.CharField(max_length=5, choices=SignatureMethod.choices)
    drawing_sha256 = models.CharField(max_length=64, blank=True)
    stage = models.CharField(max_length=10, choices=Stage.choices, blank=True)
    # ESIGN §7001(c): the disclosure shown (its version and hash) and the moment it was accepted.
    consent_version = models.CharField(max_length=20)
    consent_sha256 = models.CharField(max_length=64)
    consented_at = models.DateTimeField()
    # Who the signer is and how that was checked.
    identity_channel = models.CharField(max_length=5, choices=IdentityChannel.choices)
    identity_destination = models.CharField(max_length=254)
    signing_code = models.OneToOneField(SigningCode, on_delete=models.PROTECT, related_name="+")
    ip_address = models.GenericIPAddressField()
    user_agent = models.CharField(max_length=500)
    # The member of staff whose device the customer signed on (None: the customer's own).
    collected_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    signed_at = models.DateTimeField()

    class Meta:
        ordering = ("-signed_at",)

    def __str__(self) -> str:
        return f"{self.signer_name} on {self.document_id}"

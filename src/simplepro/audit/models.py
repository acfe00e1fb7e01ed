from __future__ import annotations

import uuid
from typing import ClassVar

from django.conf import settings
from django.core.serializers.json import DjangoJSONEncoder
from django.db import models
from django.utils import timezone


class AuditRecord(models.Model):
    """Who did what to which record, when, and the fields before and after.

    Written by `audit.services.audit_record` inside the same transaction as the change, so a
    change without its record (or a record of a change that rolled back) cannot exist.
    """

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    at = models.DateTimeField(default=timezone.now, db_index=True)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    # Kept as text too, so the record still says who it was after the user is gone.
    actor_username = models.CharField(max_length=150, blank=True)
    action = models.CharField(max_length=50)
    entity_type = models.CharField(max_length=50)
    entity_id = models.CharField(max_length=64, blank=True)
    # Decimals, dates and ids in before/after values are written as text (DjangoJSONEncoder).
    changes = models.JSONField(default=dict, blank=True, encoder=DjangoJSONEncoder)
    request_id = models.CharField(max_length=128, blank=True)
    ip_address = models.GenericIPAddressField(null=True, blank=True)

    class Meta:
        ordering = ("-at",)
        indexes: ClassVar = [models.Index(fields=["entity_type", "entity_id", "-at"])]

    def __str__(self) -> str:
        return f"{self.action} {self.entity_type} {self.entity_id}"

from __future__ import annotations

from datetime import datetime
from uuid import UUID

from django.db.models import QuerySet

from simplepro.audit.models import AuditRecord


def audit_records(
    *,
    entity_type: str | None = None,
    entity_id: str | None = None,
    actor_id: UUID | None = None,
    action: str | None = None,
    since: datetime | None = None,
    until: datetime | None = None,
) -> QuerySet[AuditRecord]:
    records = AuditRecord.objects.select_related("actor")
    if entity_type:
        records = records.filter(entity_type=entity_type)
    if entity_id:
        records = records.filter(entity_id=entity_id)
    if actor_id:
        records = records.filter(actor_id=actor_id)
    if action:
        records = records.filter(action=action)
    if since:
        records = records.filter(at__gte=since)
    if until:
        records = records.filter(at__lt=until)
    return records

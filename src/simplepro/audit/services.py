"""Writing audit records. Call inside the transaction that makes the change."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from simplepro.audit.models import AuditRecord
from simplepro.core.context import current_request_id

Changes = dict[str, dict[str, Any]]


def field_changes(
    before: Mapping[str, Any], after: Mapping[str, Any], fields: Iterable[str]
) -> Changes:
    """{field: {"before", "after"}} for the fields whose value differs."""
    return {
        name: {"before": before.get(name), "after": after.get(name)}
        for name in fields
        if before.get(name) != after.get(name)
    }


def audit_record(
    *,
    actor: Any,
    action: str,
    entity_type: str,
    entity_id: object = "",
    changes: Changes | None = None,
    ip_address: str | None = None,
) -> AuditRecord:
    return AuditRecord.objects.create(
        actor=actor if getattr(actor, "pk", None) else None,
        actor_username=getattr(actor, "username", "") or "",
        action=action,
        entity_type=entity_type,
        entity_id=str(entity_id or ""),
        changes=changes or {},
        request_id=current_request_id() or "",
        ip_address=ip_address,
    )

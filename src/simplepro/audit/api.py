from __future__ import annotations

from datetime import datetime
from typing import Any
from uuid import UUID

from django.http import HttpRequest
from ninja import Query, Router, Schema

from simplepro.accounts.schemas import Out, UserBriefOut
from simplepro.audit.models import AuditRecord
from simplepro.audit.selectors import audit_records
from simplepro.core.api import DEFAULT_PAGE_SIZE, PROBLEM, paginate, require

router = Router(tags=["audit"])


class AuditOut(Out):
    id: UUID
    at: datetime
    actor: UserBriefOut | None
    action: str
    entity_type: str
    entity_id: str
    changes: dict[str, Any]
    request_id: str


class AuditPageOut(Out):
    items: list[AuditOut]
    count: int
    page: int
    page_size: int
    next: str | None
    previous: str | None


class AuditQuery(Schema):
    entity_type: str = ""
    entity_id: str = ""
    actor_id: UUID | None = None
    action: str = ""
    since: datetime | None = None
    until: datetime | None = None
    page: int = 1
    page_size: int = DEFAULT_PAGE_SIZE


def audit_out(record: AuditRecord) -> dict[str, Any]:
    return {
        "id": record.id,
        "at": record.at,
        "actor": (
            {"id": record.actor.id, "username": record.actor.username} if record.actor else None
        ),
        "action": record.action,
        "entity_type": record.entity_type,
        "entity_id": record.entity_id,
        "changes": record.changes,
        "request_id": record.request_id,
    }


@router.get("", response={200: AuditPageOut, **PROBLEM})
def list_audit(request: HttpRequest, query: Query[AuditQuery]) -> dict[str, Any]:
    require(request, "audit.view")
    records = audit_records(
        entity_type=query.entity_type or None,
        entity_id=query.entity_id or None,
        actor_id=query.actor_id,
        action=query.action or None,
        since=query.since,
        until=query.until,
    )
    page = paginate(request, records, query.page, query.page_size)
    page["items"] = [audit_out(r) for r in page["items"]]
    return page

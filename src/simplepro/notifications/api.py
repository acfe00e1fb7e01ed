"""The notification centre over the API: the same list, counts and marks as the bell."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest
from ninja import Query, Router

from simplepro.core.api import PROBLEM, require
from simplepro.notifications import selectors, services
from simplepro.notifications.schemas import (
    InboxQuery,
    NotificationOut,
    NotificationPageOut,
    UnreadOut,
)

router = Router(tags=["notifications"])


@router.get("", response={200: NotificationPageOut, **PROBLEM})
def notification_list(request: HttpRequest, query: Query[InboxQuery]) -> dict[str, Any]:
    """Newest first; pass `before=<next_before>` for the next page."""
    user = require(request, "notifications.view")
    page = selectors.inbox(user=user, before=query.before, limit=query.limit)
    page["items"] = [services.notification_summary(n) for n in page["items"]]
    page["unread"] = selectors.unread_count(user=user)
    return page


@router.get("/unread-count", response={200: UnreadOut, **PROBLEM})
def notification_unread(request: HttpRequest) -> dict[str, int]:
    user = require(request, "notifications.view")
    return {"unread": selectors.unread_count(user=user)}


@router.post("/{notification_id}/read", response={200: NotificationOut, **PROBLEM})
def notification_read(request: HttpRequest, notification_id: int) -> dict[str, Any]:
    user = require(request, "notifications.view")
    notification = services.notification_read(user=user, notification_id=notification_id)
    return services.notification_summary(notification)


@router.post("/read-all", response={200: UnreadOut, **PROBLEM})
def notification_read_all(request: HttpRequest) -> dict[str, int]:
    user = require(request, "notifications.view")
    services.notifications_read_all(user=user)
    return {"unread": 0}

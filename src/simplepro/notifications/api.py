"""The notification centre over the API: the same list, counts and marks as the bell."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest
from ninja import Query, Router

from simplepro.core.api import PROBLEM, require
from simplepro.notifications import preferences, selectors, services
from simplepro.notifications.schemas import (
    DeliveryOut,
    InboxQuery,
    NotificationOut,
    NotificationPageOut,
    PreferenceIn,
    PreferenceOut,
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


@router.get("/preferences", response={200: list[PreferenceOut], **PROBLEM})
def preference_list(request: HttpRequest) -> list[dict[str, Any]]:
    """Per event, which channels beside the app tell you (your choice, else your role's default)."""
    user = require(request, "notifications.view")
    return preferences.preference_table(user=user)


@router.put("/preferences", response={200: list[PreferenceOut], **PROBLEM})
def preference_save(request: HttpRequest, payload: list[PreferenceIn]) -> list[dict[str, Any]]:
    user = require(request, "notifications.view")
    preferences.preferences_save(
        user=user, choices={(p.event, p.channel): p.enabled for p in payload}
    )
    return preferences.preference_table(user=user)


@router.get("/deliveries", response={200: list[DeliveryOut], **PROBLEM})
def delivery_list(request: HttpRequest, status: str = "", limit: int = 100) -> list[dict[str, Any]]:
    """Administrators: the newest deliveries outside the app and what became of them."""
    require(request, "notifications.deliveries")
    rows = selectors.delivery_log(status=status)[: min(max(1, limit), 500)]
    return [
        {**{f: getattr(d, f) for f in ("id", "notification_id", "channel", "address", "status",
                                        "attempts", "provider_id", "error", "created_at",
                                        "sent_at")},
         "recipient": d.notification.recipient.display_name}
        for d in rows
    ]  # fmt: skip


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

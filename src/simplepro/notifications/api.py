"""The notification centre over the API: the same list, counts and marks as the bell."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest
from ninja import Query, Router, Status

from simplepro.core.api import PROBLEM, require
from simplepro.notifications import preferences, push, selectors, services, wording
from simplepro.notifications.models import QuietHours
from simplepro.notifications.schemas import (
    DeliveryOut,
    InboxQuery,
    NotificationOut,
    NotificationPageOut,
    NotificationPreviewOut,
    NotificationTemplateIn,
    NotificationTemplateOut,
    PreferenceIn,
    PreferenceOut,
    PushKeyOut,
    PushRemoveIn,
    PushSubscriptionIn,
    QuietHoursIn,
    QuietHoursOut,
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


@router.get("/quiet-hours", response={200: QuietHoursOut, **PROBLEM})
def quiet_hours_get(request: HttpRequest) -> dict[str, Any]:
    """When texts and push wait for you (all empty: they come at any time)."""
    user = require(request, "notifications.view")
    quiet = QuietHours.objects.filter(user=user).first()
    if quiet is None:
        return {"start": None, "end": None, "time_zone": ""}
    return {"start": quiet.start, "end": quiet.end, "time_zone": quiet.time_zone}


@router.put("/quiet-hours", response={200: QuietHoursOut, **PROBLEM})
def quiet_hours_put(request: HttpRequest, payload: QuietHoursIn) -> QuietHours:
    user = require(request, "notifications.view")
    return preferences.quiet_hours_save(
        user=user, start=payload.start, end=payload.end, time_zone=payload.time_zone
    )


@router.delete("/quiet-hours", response={204: None, **PROBLEM})
def quiet_hours_delete(request: HttpRequest) -> Status[None]:
    user = require(request, "notifications.view")
    preferences.quiet_hours_clear(user=user)
    return Status(204, None)


@router.get("/push-key", response={200: PushKeyOut, **PROBLEM})
def push_key(request: HttpRequest) -> dict[str, Any]:
    """The key a device subscribes to push with (`applicationServerKey`); push may be off."""
    require(request, "notifications.view")
    on = push.push_enabled()
    return {"enabled": on, "public_key": push.public_key() if on else ""}


@router.post("/push-subscriptions", response={201: None, **PROBLEM})
def push_subscribe(request: HttpRequest, payload: PushSubscriptionIn) -> Status[None]:
    """This device accepts push messages for you (a PushSubscription's endpoint and keys)."""
    user = require(request, "notifications.view")
    push.subscription_save(user=user, endpoint=payload.endpoint, p256dh=payload.keys.p256dh,
                           auth=payload.keys.auth,
                           user_agent=request.headers.get("User-Agent", ""))  # fmt: skip
    return Status(201, None)


@router.post("/push-subscriptions/remove", response={204: None, **PROBLEM})
def push_unsubscribe(request: HttpRequest, payload: PushRemoveIn) -> Status[None]:
    user = require(request, "notifications.view")
    push.subscription_delete(user=user, endpoint=payload.endpoint)
    return Status(204, None)


@router.get("/templates", response={200: list[NotificationTemplateOut], **PROBLEM})
def template_list(request: HttpRequest) -> list[dict[str, Any]]:
    """Administrators: every event on every channel, the company's wording or the default."""
    require(request, "notifications.templates")
    return wording.template_table()


@router.put("/templates/{event}/{channel}", response={200: NotificationTemplateOut, **PROBLEM})
def template_put(
    request: HttpRequest, event: str, channel: str, payload: NotificationTemplateIn
) -> dict[str, Any]:
    """Replace the wording; refused (422) naming an unknown variable or a syntax error."""
    user = require(request, "notifications.templates")
    wording.template_save(user=user, event_key=event, channel=channel, parts=payload.dict())
    return wording.template_row(event, channel)


@router.post(
    "/templates/{event}/{channel}/preview", response={200: NotificationPreviewOut, **PROBLEM}
)
def template_preview(
    request: HttpRequest, event: str, channel: str, payload: NotificationTemplateIn
) -> wording.Wording:
    """What the wording would say, with sample data; nothing is saved."""
    require(request, "notifications.templates")
    return wording.template_check(event, channel, payload.dict())


@router.delete("/templates/{event}/{channel}", response={200: NotificationTemplateOut, **PROBLEM})
def template_delete(request: HttpRequest, event: str, channel: str) -> dict[str, Any]:
    """Back to the default wording."""
    user = require(request, "notifications.templates")
    wording.template_row(event, channel)  # 404 for what does not exist
    wording.template_reset(user=user, event_key=event, channel=channel)
    return wording.template_row(event, channel)


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

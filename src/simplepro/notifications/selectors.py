"""Reads of a person's notification centre: always their own, newest first, by cursor."""

from __future__ import annotations

from typing import Any

from django.db.models import Count

from simplepro.notifications.models import Notification

DEFAULT_LIMIT = 20
MAX_LIMIT = 100
BIGINT_LIMIT = 2**63  # ids are 64-bit: anything larger matches nothing (and SQLite would fail)


def inbox(*, user: Any, before: int | None = None, limit: int = DEFAULT_LIMIT) -> dict[str, Any]:
    """A page of the user's notifications older than `before` (the id of the last one seen),
    with `next_before` to ask for the next page. Keyset on the id: no count, no offset."""
    limit = min(max(1, limit), MAX_LIMIT)
    rows = Notification.objects.filter(recipient=user)
    if before is not None:
        rows = rows.filter(id__lt=min(before, BIGINT_LIMIT - 1))
    page = list(rows.order_by("-id")[: limit + 1])
    has_more = len(page) > limit
    items = page[:limit]
    return {
        "items": items,
        "has_more": has_more,
        "next_before": items[-1].id if has_more else None,
    }


def unread_count(*, user: Any) -> int:
    return Notification.objects.filter(recipient=user, read_at__isnull=True).count()


def unread_counts(*, user_ids: list[Any]) -> dict[Any, int]:
    """Unread notifications of several people, in one query (those with none: 0)."""
    counts = dict(
        Notification.objects.filter(recipient__in=user_ids, read_at__isnull=True)
        .values("recipient")
        .annotate(unread=Count("id"))
        .values_list("recipient", "unread")
    )
    return {user_id: counts.get(user_id, 0) for user_id in user_ids}


def delivery_log(*, status: str = "", channel: str = "") -> Any:
    """Every delivery outside the app, newest first, with whom it was for."""
    from simplepro.notifications.models import Delivery

    rows = Delivery.objects.select_related("notification__recipient")
    if status:
        rows = rows.filter(status=status)
    if channel:
        rows = rows.filter(channel=channel)
    return rows.order_by("-id")


def push_devices(user_ids: list[Any]) -> dict[Any, int]:
    """How many devices of each person accept push messages (one query)."""
    from simplepro.notifications.models import PushSubscription

    return dict(
        PushSubscription.objects.filter(user__in=user_ids)
        .values("user")
        .annotate(devices=Count("id"))
        .values_list("user", "devices")
    )

"""The bell on every page: the signed-in person's unread count (one indexed count)."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.http import HttpRequest

from simplepro.notifications.selectors import unread_count


def bell(request: HttpRequest) -> dict[str, Any]:
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {}
    return {"unread_notifications": unread_count(user=user), "realtime": settings.REALTIME_ENABLED}

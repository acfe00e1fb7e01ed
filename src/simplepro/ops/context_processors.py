from __future__ import annotations

from typing import Any

from django.http import HttpRequest

from simplepro.accounts.permissions import has_permission


def backup_alarms(request: HttpRequest) -> dict[str, Any]:
    """Backup problems, for the banner administrators see on every page."""
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated or not has_permission(user, "tasks.view"):
        return {"backup_alarms": []}
    from simplepro.ops.backup.alarms import cached_problems

    return {"backup_alarms": cached_problems()}

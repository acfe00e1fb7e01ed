"""Background work of the notifications app: sending outside the app."""

from __future__ import annotations

from simplepro.core.queue import task
from simplepro.notifications.delivery import delivery_attempt


@task(name="notifications.deliver")
def deliver(delivery_id: int) -> str:
    """One notification on one channel; retried with backoff while it fails."""
    return delivery_attempt(delivery_id=delivery_id)

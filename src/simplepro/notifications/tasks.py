"""Background work of the notifications app: sending outside the app."""

from __future__ import annotations

import datetime as dt

from simplepro.core.queue import task
from simplepro.notifications.delivery import delivery_attempt


@task(name="notifications.deliver")
def deliver(delivery_id: int) -> str:
    """One notification on one channel; retried with backoff while it fails, and queued again
    for the end of the recipient's quiet hours when they hold."""
    outcome = delivery_attempt(delivery_id=delivery_id)
    if isinstance(outcome, dt.datetime):
        deliver.schedule((delivery_id,), eta=outcome)
        return f"deferred until {outcome.isoformat()}"
    return outcome

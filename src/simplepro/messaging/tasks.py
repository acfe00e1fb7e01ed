"""Background work of messaging: the customers' evening-before message."""

from __future__ import annotations

from simplepro.core.queue import periodic
from simplepro.messaging.automatic import day_before_send


@periodic("SIMPLEPRO_SCHEDULE_CUSTOMER_REMINDERS", name="messaging.customer_reminders")
def customer_reminders() -> int:
    """Tell customers moving tomorrow when the crew arrives (from 5 pm; never twice)."""
    return day_before_send()

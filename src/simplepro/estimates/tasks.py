"""Periodic work of the estimates app, run by `simplepro worker`, enqueued by the scheduler."""

from __future__ import annotations

from simplepro.core.queue import periodic
from simplepro.estimates.services import estimates_expire_due


@periodic("SIMPLEPRO_SCHEDULE_EXPIRE_ESTIMATES", name="estimates.expire_due")
def expire_estimates() -> int:
    """Write down the expiry of sent quotes past their validity (pages already show it)."""
    return estimates_expire_due()

"""Periodic work of the real-time app."""

from __future__ import annotations

from simplepro.core.queue import periodic
from simplepro.realtime.services import outbox_prune


@periodic("SIMPLEPRO_SCHEDULE_REALTIME_PRUNE", name="realtime.prune")
def prune_outbox() -> int:
    """Forget stream events past the replay window (SIMPLEPRO_REALTIME_OUTBOX_HOURS)."""
    return outbox_prune()

"""Periodic work of the jobs app."""

from __future__ import annotations

from simplepro.core.queue import periodic
from simplepro.jobs.reminders import shift_reminders_send


@periodic("SIMPLEPRO_SCHEDULE_SHIFT_REMINDERS", name="jobs.shift_reminders")
def shift_reminders() -> int:
    """Remind crews of tomorrow's jobs (from 5 pm company time; never twice)."""
    return shift_reminders_send()

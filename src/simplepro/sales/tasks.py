"""Periodic work of the sales pipeline (schedules in settings.SCHEDULES, UTC cron; the
company-time hours are checked inside)."""

from __future__ import annotations

from simplepro.core.queue import periodic
from simplepro.sales import automation, reminders


@periodic("SIMPLEPRO_SCHEDULE_FOLLOW_UPS", name="sales.follow_ups")
def follow_ups() -> dict[str, int]:
    """Delayed rule steps the queue lost, and the no-activity rules."""
    return {"steps": automation.due_steps_run(), "quiet": automation.quiet_opportunities_fire()}


@periodic("SIMPLEPRO_SCHEDULE_SALES_REMINDERS", name="sales.reminders")
def task_reminders() -> dict[str, int]:
    """Sales tasks coming up in half an hour, and the ones that became overdue."""
    return {"upcoming": reminders.upcoming_remind(), "overdue": reminders.overdue_remind()}


@periodic("SIMPLEPRO_SCHEDULE_SALES_MORNING", name="sales.morning")
def morning() -> dict[str, int]:
    """From 08:00 company time the day's summary; from 09:00 the quote reminders."""
    return {"summaries": reminders.daily_summaries_send(),
            "quotes": reminders.quote_reminders_send()}  # fmt: skip


@periodic("SIMPLEPRO_SCHEDULE_STALE_OPPORTUNITIES", name="sales.stale")
def stale() -> int:
    """Open opportunities with no activity for a week: their salesperson is told."""
    return reminders.stale_opportunities_flag()

"""The evening-before reminder: from REMINDER_HOUR in the company's time zone, everyone booked
on a job that starts tomorrow is told where and when. Run hourly by a task; the reminder's key
names the job and its day, so a second run reminds nobody twice, and a job moved to another
day is reminded again."""

from __future__ import annotations

import datetime as dt
import zoneinfo

from django.db import transaction
from django.utils import timezone

from simplepro.accounts.models import User
from simplepro.accounts.services import company_get
from simplepro.jobs.events import job_context
from simplepro.jobs.models import Job, JobStatus
from simplepro.notifications.services import notify

REMINDER_HOUR = 17  # 5 pm, the company's time
REMINDED_STATUSES = (JobStatus.SCHEDULED, JobStatus.CONFIRMED)


def shift_reminders_send(*, now: dt.datetime | None = None) -> int:
    """How many people were reminded now."""
    zone = zoneinfo.ZoneInfo(company_get().time_zone)
    local = (now or timezone.now()).astimezone(zone)
    if local.hour < REMINDER_HOUR:
        return 0
    tomorrow = local.date() + dt.timedelta(days=1)
    start = dt.datetime.combine(tomorrow, dt.time(0), tzinfo=zone)
    jobs = (
        Job.objects.filter(
            scheduled_start__gte=start,
            scheduled_start__lt=start + dt.timedelta(days=1),
            status__in=REMINDED_STATUSES,
        )
        .select_related("customer")
        .prefetch_related("assignments__crew_member")
    )
    told = 0
    for job in jobs:
        members = [a.crew_member for a in job.assignments.all() if a.crew_member]
        people = User.objects.filter(crew_member__in=members)
        with transaction.atomic(durable=True):
            told += len(
                notify(
                    recipients=people,
                    event="shift_reminder",
                    context={**job_context(job), "crew": ", ".join(m.name for m in members)},
                    link=f"/jobs/{job.pk}/",
                    key=f"shift:{job.pk}:{tomorrow.isoformat()}",
                )
            )
    return told

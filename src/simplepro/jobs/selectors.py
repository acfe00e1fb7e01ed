"""Reads, always scoped to the viewer: crew see the jobs they are on; sales and customer
service their customers' jobs; the office everything."""

from __future__ import annotations

import datetime as dt
from uuid import UUID

from django.db.models import Prefetch, QuerySet

from simplepro.accounts.models import User
from simplepro.accounts.permissions import OWN_JOBS_ONLY, has_permission
from simplepro.customers.selectors import visible_customers
from simplepro.jobs.models import Assignment, Job


def visible_jobs(*, viewer: User) -> QuerySet[Job]:
    jobs = Job.objects.all()
    if viewer.role in OWN_JOBS_ONLY:
        return jobs.filter(assignments__crew_member__user=viewer).distinct()
    if not has_permission(viewer, "jobs.manage"):
        return jobs.filter(customer__in=visible_customers(viewer=viewer))
    return jobs


def with_assignments(jobs: QuerySet[Job]) -> QuerySet[Job]:
    return jobs.select_related("customer", "estimate_version").prefetch_related(
        Prefetch(
            "assignments",
            queryset=Assignment.objects.select_related("crew_member", "truck").order_by("role"),
        )
    )


def job_get(*, viewer: User, job_id: UUID) -> Job | None:
    return with_assignments(visible_jobs(viewer=viewer)).filter(pk=job_id).first()


def jobs_between(*, viewer: User, start: dt.datetime, end: dt.datetime) -> QuerySet[Job]:
    """Jobs whose booked block overlaps [start, end), with assignments: two queries whatever
    the number of jobs."""
    return with_assignments(
        visible_jobs(viewer=viewer).filter(scheduled_start__lt=end, scheduled_end__gt=start)
    ).order_by("scheduled_start", "number")

"""Reads, always scoped to the viewer: crew see the jobs they are on; sales and customer
service their customers' jobs; the office everything."""

from __future__ import annotations

import datetime as dt
from typing import Any
from uuid import UUID

from django.db import connection
from django.db.models import FloatField, Func, Prefetch, QuerySet

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


CALENDAR_JOB_FIELDS = (
    "id", "number", "status", "job_type", "customer_id", "customer__name", "scheduled_start",
    "scheduled_end", "arrival_window_start", "arrival_window_end", "pickup_address",
    "delivery_address", "required_crew", "required_trucks",
)  # fmt: skip
# An assignment's block is always its job's (job_reschedule moves both), so the board takes
# it from the job: reading timestamps is the costliest part of these rows.
CALENDAR_ASSIGNMENT_FIELDS = (
    "id", "job_id", "crew_member_id", "crew_member__name", "truck_id", "truck__name", "role",
    "blocks",
)  # fmt: skip


TIMESTAMPS = ("scheduled_start", "scheduled_end", "arrival_window_start", "arrival_window_end")


class EpochSeconds(Func):
    """A timestamp as seconds since 1970 (a double). psycopg reads doubles in C, while Django's
    timestamptz loader parses each timestamp in Python: on a week of 2,000 jobs that parsing
    was most of the query's time (bench/README.md)."""

    template = "EXTRACT(EPOCH FROM %(expressions)s)::float8"
    output_field = FloatField()


def _job_rows(jobs: QuerySet[Job]) -> list[dict[str, Any]]:
    if connection.vendor != "postgresql":
        return list(jobs.values(*CALENDAR_JOB_FIELDS))
    plain = [name for name in CALENDAR_JOB_FIELDS if name not in TIMESTAMPS]
    epochs = {f"{name}_epoch": EpochSeconds(name) for name in TIMESTAMPS}
    rows = list(jobs.annotate(**epochs).values(*plain, *epochs))
    from_epoch = dt.datetime.fromtimestamp
    for row in rows:
        for name in TIMESTAMPS:
            seconds = row.pop(f"{name}_epoch")
            row[name] = None if seconds is None else from_epoch(seconds, dt.UTC)
    return rows


def calendar_rows(
    *, viewer: User, start: dt.datetime, end: dt.datetime
) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """The board's data as plain rows — jobs overlapping [start, end) and their assignments —
    in two queries, without building model instances (2,000 jobs a week stay cheap)."""
    in_range = visible_jobs(viewer=viewer).filter(scheduled_start__lt=end, scheduled_end__gt=start)
    jobs = _job_rows(in_range.order_by("scheduled_start", "number"))
    assignments = list(
        Assignment.objects.filter(job__in=in_range.values("pk"))
        .order_by("role", "crew_member__name", "truck__name")
        .values(*CALENDAR_ASSIGNMENT_FIELDS)
    )
    return jobs, assignments

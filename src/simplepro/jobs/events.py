"""What the jobs app announces in real time, and to whom.

The audience of a job is the inverse of `selectors.visible_jobs`: the office (jobs.manage),
the people who may read the job's customer (sales, customer service), and the crew booked on
it. tests/realtime/test_audience.py checks the two agree for every persona.
"""

from __future__ import annotations

from typing import Any
from uuid import UUID

from django.db.models import Q

from simplepro.accounts.models import User
from simplepro.accounts.permissions import OWN_JOBS_ONLY, customer_readers, roles_with
from simplepro.core.events import publish_on_commit
from simplepro.jobs.models import Job, TimeOff


def job_audience(job: Job) -> list[UUID]:
    viewers = roles_with("jobs.view")
    office = viewers & roles_with("jobs.manage")
    crew = viewers & OWN_JOBS_ONLY
    by_customer = viewers - office - crew
    who = (
        Q(role__in=office)
        | Q(role__in=crew, crew_member__assignments__job=job)
        | (Q(role__in=by_customer) & customer_readers(job.customer))
    )
    return list(User.objects.filter(who, is_active=True).values_list("pk", flat=True).distinct())


def time_off_audience(time_off: TimeOff) -> list[UUID]:
    """The person asking, and whoever answers (crew.manage)."""
    who = Q(role__in=roles_with("crew.manage")) | Q(crew_member__pk=time_off.crew_member_id)
    return list(User.objects.filter(who, is_active=True).values_list("pk", flat=True).distinct())


def job_summary(job: Job) -> dict[str, Any]:
    return {
        "id": job.pk,
        "number": job.number,
        "status": job.status,
        "scheduled_start": job.scheduled_start,
        "scheduled_end": job.scheduled_end,
    }


def announce_job(
    kind: str, job: Job, *, actor: User | None, audience: list[UUID] | None = None, **extra: Any
) -> None:
    """Tell the job's audience (as it is now, or as given: an unassigned person is told too)."""
    data = {"job": job_summary(job), "by": actor.display_name if actor else None, **extra}
    publish_on_commit(kind, job_audience(job) if audience is None else audience, data)


def announce_time_off(kind: str, time_off: TimeOff, *, actor: User | None) -> None:
    data = {
        "time_off": {
            "id": time_off.pk,
            "crew_member": time_off.crew_member.name,
            "start": time_off.start,
            "end": time_off.end,
            "status": time_off.status,
        },
        "by": actor.display_name if actor else None,
    }
    publish_on_commit(kind, time_off_audience(time_off), data)

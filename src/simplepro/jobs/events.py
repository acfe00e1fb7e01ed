"""What the jobs app announces in real time, and to whom.

The audience of a job is the inverse of `selectors.visible_jobs`: the office (jobs.manage),
the people who may read the job's customer (sales, customer service), and the crew booked on
it. tests/realtime/test_audience.py checks the two agree for every persona.
"""

from __future__ import annotations

import datetime as dt
import zoneinfo
from typing import Any
from uuid import UUID

from django.db.models import Q

from simplepro.accounts.models import User
from simplepro.accounts.permissions import OWN_JOBS_ONLY, customer_readers, roles_with
from simplepro.accounts.services import company_get
from simplepro.core.events import publish_on_commit
from simplepro.jobs.models import Assignment, Job, TimeOff
from simplepro.notifications.services import notify


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


# --- Notifications: what people are told, beyond the live update -------------------------


def _zone() -> zoneinfo.ZoneInfo:
    return zoneinfo.ZoneInfo(company_get().time_zone)


def _local(moment: dt.datetime | None, fmt: str, zone: zoneinfo.ZoneInfo) -> str:
    return moment.astimezone(zone).strftime(fmt) if moment is not None else ""


def _place(address: dict[str, Any]) -> str:
    return ", ".join(str(address[k]) for k in ("line1", "city") if address.get(k))


def job_context(job: Job) -> dict[str, Any]:
    """The variables every job notification may use (docs/notifications.md)."""
    zone = _zone()
    window = ""
    if job.arrival_window_start and job.arrival_window_end:
        window = (
            f"{_local(job.arrival_window_start, '%H:%M', zone)}–"
            f"{_local(job.arrival_window_end, '%H:%M', zone)}"
        )
    return {
        "job": {
            "number": job.number,
            "customer": job.customer.name,
            "start": _local(job.scheduled_start, "%a %d %b, %H:%M", zone),
            "window": window or "at the booked time",
            "pickup": _place(job.pickup_address) or "the pickup address",
            "delivery": _place(job.delivery_address),
        }
    }


def _job_link(job: Job) -> str:
    return f"/jobs/{job.pk}/"


def _crew_users(job: Job) -> list[User]:
    return list(User.objects.filter(crew_member__assignments__job=job).distinct())


def notify_assignment(
    job: Job, assignment: Assignment, *, actor: User | None, taken_off: bool
) -> None:
    """The person put on (or taken off) a job is told; trucks are nobody to tell."""
    member = assignment.crew_member
    if member is None or member.user is None:
        return
    notify(
        recipients=[member.user],
        event="job_unassigned" if taken_off else "job_assigned",
        context={**job_context(job), "role": assignment.get_role_display(),
                 "by": actor.display_name if actor else "the office"},
        link="" if taken_off else _job_link(job),
    )  # fmt: skip


def notify_schedule_change(job: Job, *, actor: User | None) -> None:
    notify(
        recipients=_crew_users(job),
        event="schedule_changed",
        context={**job_context(job), "by": actor.display_name if actor else "the office"},
        link=_job_link(job),
    )


def _period(time_off: TimeOff) -> str:
    zone, fmt = _zone(), "%a %d %b %H:%M"
    return f"{_local(time_off.start, fmt, zone)} – {_local(time_off.end, fmt, zone)}"


def notify_time_off(time_off: TimeOff, *, actor: User | None) -> None:
    """A request goes to whoever answers (crew.manage, not administrators); the answer goes
    back to the person who asked."""
    if time_off.status == "requested":
        answerers = User.objects.filter(
            role__in=roles_with("crew.manage") - roles_with("users.manage"), is_active=True
        )
        notify(
            recipients=answerers,
            event="time_off_requested",
            context={"crew_member": time_off.crew_member.name, "period": _period(time_off),
                     "reason": time_off.reason},
            link="/dispatch/time-off/",
        )  # fmt: skip
        return
    asker = time_off.crew_member.user
    notify(
        recipients=[asker] if asker else [],
        event="time_off_answered",
        context={"status": time_off.status, "period": _period(time_off),
                 "by": actor.display_name if actor else "the office"},
        link="/my-jobs/",
    )  # fmt: skip

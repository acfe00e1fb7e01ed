"""The one guard every booking path goes through: assigning, rescheduling or extending a job,
approving time off, adding a truck's maintenance window.

It locks the people and trucks involved (PostgreSQL: row locks; SQLite: every write
transaction is already serialised), then looks for what would overlap the block — another
blocking assignment, approved time off, maintenance — and checks driver licenses. On
PostgreSQL the exclusion constraints of migration 0002 back it up inside the database.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from typing import Any

from django.db import connection

from simplepro.core.problems import ProblemError, invalid
from simplepro.jobs.models import (
    Assignment,
    CrewMember,
    LicenseClass,
    MaintenanceWindow,
    TimeOff,
    TimeOffStatus,
    Truck,
)

LICENSE_ORDER = [c.value for c in LicenseClass]  # A covers B, C, D; B covers C, D; …


class BookingConflict(ProblemError):
    def __init__(self, detail: str, conflicts: list[dict[str, Any]]) -> None:
        super().__init__(409, detail, extra={"conflicts": conflicts})
        self.conflicts = conflicts


def lock(crew_ids: Iterable[Any] = (), truck_ids: Iterable[Any] = ()) -> None:
    """Serialise bookings of the same people and trucks (inside the caller's transaction)."""
    if connection.vendor != "postgresql":
        return  # SQLite: BEGIN IMMEDIATE already lets one writer in at a time
    crew, trucks = sorted(map(str, crew_ids)), sorted(map(str, truck_ids))
    if crew:
        list(CrewMember.objects.select_for_update().filter(pk__in=crew).order_by("pk"))
    if trucks:
        list(Truck.objects.select_for_update().filter(pk__in=trucks).order_by("pk"))


def _job_clash(a: Assignment) -> dict[str, Any]:
    return {
        "kind": "job",
        "job_id": str(a.job_id),
        "job_number": a.job.number,
        "start": a.start.isoformat(),
        "end": a.end.isoformat(),
    }


def clashes(
    *,
    start: dt.datetime,
    end: dt.datetime,
    crew_member: CrewMember | None = None,
    truck: Truck | None = None,
    exclude_job_id: Any = None,
) -> list[dict[str, Any]]:
    """Everything that stops this person or truck from working [start, end)."""
    found: list[dict[str, Any]] = []
    bookings = Assignment.objects.select_related("job").filter(
        blocks=True, start__lt=end, end__gt=start
    )
    if crew_member is not None:
        bookings = bookings.filter(crew_member=crew_member)
    else:
        bookings = bookings.filter(truck=truck)
    if exclude_job_id is not None:
        bookings = bookings.exclude(job_id=exclude_job_id)
    found += [_job_clash(a) for a in bookings.order_by("start")]
    if crew_member is not None:
        found += [
            {"kind": "time_off", "time_off_id": t.pk, "start": t.start.isoformat(),
             "end": t.end.isoformat()}
            for t in TimeOff.objects.filter(
                crew_member=crew_member, status=TimeOffStatus.APPROVED, start__lt=end, end__gt=start
            )
        ]  # fmt: skip
    if truck is not None:
        found += [
            {"kind": "maintenance", "maintenance_id": m.pk, "start": m.start.isoformat(),
             "end": m.end.isoformat()}
            for m in MaintenanceWindow.objects.filter(truck=truck, start__lt=end, end__gt=start)
        ]  # fmt: skip
    return found


def license_covers(held: str, required: str, expires: dt.date | None, on: dt.date) -> bool:
    if not held or held not in LICENSE_ORDER or required not in LICENSE_ORDER:
        return False
    if expires is not None and expires < on:
        return False
    return LICENSE_ORDER.index(held) <= LICENSE_ORDER.index(required)


def _license_problem(driver: CrewMember, truck: Truck) -> dict[str, Any]:
    return {
        "kind": "license",
        "crew_member_id": str(driver.pk),
        "truck_id": str(truck.pk),
        "required": truck.required_license_class,
        "held": driver.license_class or None,
        "expires": driver.license_expires.isoformat() if driver.license_expires else None,
    }


def license_problems(
    drivers: Iterable[CrewMember], trucks: Iterable[Truck], on: dt.date
) -> list[dict[str, Any]]:
    """Each driver × truck pair where the driver's license does not cover the truck on `on`."""
    trucks = list(trucks)
    return [
        _license_problem(driver, truck)
        for driver in drivers
        for truck in trucks
        if not license_covers(
            driver.license_class, truck.required_license_class, driver.license_expires, on
        )
    ]


def ensure_free(
    *,
    start: dt.datetime,
    end: dt.datetime,
    crew_member: CrewMember | None = None,
    truck: Truck | None = None,
    exclude_job_id: Any = None,
) -> None:
    found = clashes(
        start=start, end=end, crew_member=crew_member, truck=truck, exclude_job_id=exclude_job_id
    )
    if found:
        who = crew_member.name if crew_member is not None else truck.name if truck else "?"
        raise BookingConflict(f"{who} is not free for this block.", found)


def check_block(start: dt.datetime, end: dt.datetime, field: str = "scheduled_end") -> None:
    """A booked block (a job, time off, maintenance) ends after it starts, within 31 days."""
    if end <= start:
        raise invalid(field, "before_start", "The end must be after the start.")
    if end - start > dt.timedelta(days=31):
        raise invalid(field, "too_long", "A booked block is at most 31 days.")

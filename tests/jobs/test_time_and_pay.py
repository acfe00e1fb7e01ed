"""Clock in / out from the crew app, office corrections (audited), actual against estimated
hours, and payroll with weekly overtime (and its CSV)."""

from __future__ import annotations

import csv
import datetime as dt
import io
from decimal import Decimal
from typing import Any

import pytest

from simplepro.accounts.models import Company
from simplepro.audit.models import AuditRecord
from simplepro.jobs.models import Job, TimeEntry
from tests.jobs.conftest import job_body

pytestmark = pytest.mark.django_db
ET = dt.timezone(dt.timedelta(hours=-5))


def _job_with(api: Any, customer: Any, member: Any, **extra: Any) -> dict[str, Any]:
    job = api.post_json("/api/jobs", job_body(customer, **extra)).json()
    api.post_json(f"/api/jobs/{job['id']}/assignments", {"crew_member_id": str(member.pk)})
    return dict(job)


def test_clock_in_and_out_on_a_booked_job_only(
    personas: Any, api_as: Any, customer: Any, crew: Any
) -> None:
    office = api_as(personas["dispatcher"])
    job = _job_with(office, customer, crew["ben"], estimated_hours="6")
    other = _job_with(office, customer, crew["ana"], day=9)
    mover = api_as(personas["crew_member"])  # Ben's account
    assert mover.post(f"/api/jobs/{other['id']}/clock-in").status_code == 404  # not his job
    started = mover.post(f"/api/jobs/{job['id']}/clock-in")
    assert started.status_code == 201 and started.json()["clock_out"] is None
    twice = mover.post(f"/api/jobs/{job['id']}/clock-in")
    assert twice.status_code == 409 and twice.json()["open_job_id"] == job["id"]
    ended = mover.post(f"/api/jobs/{job['id']}/clock-out")
    assert ended.status_code == 200 and ended.json()["clock_out"] is not None
    assert mover.post(f"/api/jobs/{job['id']}/clock-out").status_code == 409
    # no crew profile, no clock: a salesperson is not crew
    assert (
        api_as(personas["customer_service"]).post(f"/api/jobs/{job['id']}/clock-in").status_code
        == 404
    )


def test_office_corrections_are_audited_and_actual_hours_add_up(
    personas: Any, api_as: Any, customer: Any, crew: Any
) -> None:
    office = api_as(personas["dispatcher"])
    job = _job_with(office, customer, crew["ben"])
    entry = TimeEntry.objects.create(
        job=Job.objects.get(pk=job["id"]), crew_member=crew["ben"],
        clock_in=dt.datetime(2027, 3, 2, 8, tzinfo=ET),
    )  # fmt: skip
    fixed = office.patch_json(
        f"/api/time-entries/{entry.pk}",
        {"clock_in": "2027-03-02T08:00:00-05:00", "clock_out": "2027-03-02T14:30:00-05:00",
         "reason": "Forgot to clock out"},
    )  # fmt: skip
    assert fixed.status_code == 200 and fixed.json()["hours"] == "6.50"
    record = AuditRecord.objects.get(action="edit_time", entity_id=str(entry.pk))
    assert record.changes["reason"]["after"] == "Forgot to clock out"
    no_reason = office.patch_json(
        f"/api/time-entries/{entry.pk}", {"clock_in": "2027-03-02T08:00:00-05:00", "reason": ""}
    )
    assert no_reason.status_code == 422
    times = office.get(f"/api/jobs/{job['id']}/time-entries").json()
    assert times["actual_hours"] == "6.50" and len(times["items"]) == 1
    assert (
        api_as(personas["crew_member"])
        .patch_json(
            f"/api/time-entries/{entry.pk}",
            {"clock_in": "2027-03-02T07:00:00-05:00", "reason": "x"},
        )
        .status_code
        == 403
    )


def _worked(job: Job, member: Any, day: int, start: int, hours: float) -> None:
    begin = dt.datetime(2027, 3, day, start, tzinfo=ET)
    TimeEntry.objects.create(
        job=job, crew_member=member, clock_in=begin, clock_out=begin + dt.timedelta(hours=hours)
    )


def test_weekly_overtime_and_the_csv(personas: Any, api_as: Any, customer: Any, crew: Any) -> None:
    office = api_as(personas["dispatcher"])
    Company.objects.update(time_zone="America/New_York")
    job = Job.objects.get(pk=_job_with(office, customer, crew["ben"])["id"])
    ben = crew["ben"]
    ben.hourly_rate = Decimal("24.00")
    ben.save()
    # Monday 1 March to Friday 5 March 2027: 9 h a day = 45 h → 40 regular + 5 overtime
    for day in range(1, 6):
        _worked(job, ben, day, 8, 9)
    _worked(job, ben, 8, 8, 8)  # the next Monday: a new week, 8 regular hours
    summary = office.get("/api/payroll", {"start": "2027-03-01", "end": "2027-03-15"}).json()
    [line] = summary["items"]
    assert (line["regular_hours"], line["overtime_hours"]) == ("48.00", "5.00")
    assert line["regular_pay"] == "1152.00"  # 48 × 24
    assert line["overtime_pay"] == "180.00"  # 5 × 24 × 1.5
    assert line["total_pay"] == "1332.00" and line["entries"] == 6
    # a period starting mid-week still knows the week's earlier hours: Thursday and Friday
    # are hours 28–45 of the week, so 5 of Friday's 9 are overtime
    late = office.get("/api/payroll", {"start": "2027-03-04", "end": "2027-03-06"}).json()
    assert (late["items"][0]["regular_hours"], late["items"][0]["overtime_hours"]) == (
        "13.00",
        "5.00",
    )
    # the threshold and the multiplier are the company's
    office_admin = api_as(personas["admin"])
    assert (
        office_admin.patch_json(
            "/api/company", {"overtime_after_hours": "44", "overtime_multiplier": "2"}
        ).status_code
        == 200
    )
    changed = office.get("/api/payroll", {"start": "2027-03-01", "end": "2027-03-08"}).json()
    assert (changed["items"][0]["overtime_hours"], changed["items"][0]["overtime_pay"]) == (
        "1.00",
        "48.00",
    )
    exported = office.get("/api/payroll/export.csv", {"start": "2027-03-01", "end": "2027-03-15"})
    rows = list(csv.DictReader(io.StringIO(exported.content.decode())))
    assert rows[0]["name"] == "Ben Mover" and rows[0]["total_pay"] == "1296.00"  # 52 × 24 + 1 × 48
    assert (
        api_as(personas["sales"])
        .get("/api/payroll", {"start": "2027-03-01", "end": "2027-03-08"})
        .status_code
        == 403
    )

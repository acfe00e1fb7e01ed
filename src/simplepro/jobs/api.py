"""Jobs, crew, trucks, time off and the dispatch calendar (the contract in docs/api.md)."""

from __future__ import annotations

import csv
import datetime as dt
import hashlib
import io
import zoneinfo
from collections import defaultdict
from decimal import Decimal
from typing import Any, Literal
from uuid import UUID

import orjson
from django.core.cache import cache
from django.db.models import Count, Max, QuerySet
from django.http import HttpRequest, HttpResponse
from ninja import Router, Status

from simplepro.accounts.models import User
from simplepro.accounts.permissions import has_permission
from simplepro.accounts.services import company_get
from simplepro.core.api import DEFAULT_PAGE_SIZE, PROBLEM, actor, paginate, reject_nulls, require
from simplepro.core.problems import Forbidden, NotFound, invalid
from simplepro.core.spreadsheet import safe_cell
from simplepro.customers.selectors import customer_get
from simplepro.estimates.models import Estimate
from simplepro.jobs import selectors, services
from simplepro.jobs.lifecycle import allowed_next
from simplepro.jobs.models import (
    Assignment,
    CrewMember,
    Job,
    TimeEntry,
    Truck,
)
from simplepro.jobs.payroll import hours as payroll_hours
from simplepro.jobs.payroll import payroll
from simplepro.jobs.schemas import (
    Address,
    AssignmentIn,
    AssignmentOut,
    CalendarOut,
    ChecklistTemplateIn,
    ChecklistTickIn,
    JobIn,
    JobOut,
    JobPageOut,
    JobPatch,
    JobTimeOut,
    PayrollOut,
    SignoffIn,
    StatusName,
    SuggestedCrewOut,
    TimeEntryOut,
    TimeEntryPatch,
    TransitionIn,
)
from simplepro.jobs.suggest import suggest_crew

jobs_router = Router(tags=["jobs"])
dispatch_router = Router(tags=["dispatch"])
time_entries_router = Router(tags=["time"])
checklist_router = Router(tags=["jobs"])
payroll_router = Router(tags=["time"])
CALENDAR_MAX_DAYS = 62


def _address(value: Address | None) -> dict[str, Any]:
    if value is None or value == "":
        return {}
    if isinstance(value, str):
        return {"line1": value.strip()[:200]}
    return value.model_dump(exclude_none=True)


def assignment_out(a: Any) -> dict[str, Any]:
    return {
        "id": a.id,
        "crew_member_id": a.crew_member_id,
        "truck_id": a.truck_id,
        "name": a.crew_member.name if a.crew_member_id else a.truck.name,
        "role": a.role,
        "start": a.start,
        "end": a.end,
        "blocks": a.blocks,
    }


def job_out(job: Job) -> dict[str, Any]:
    return {
        "id": job.id,
        "number": job.number,
        "customer_id": job.customer_id,
        "customer_name": job.customer.name,
        "estimate_id": job.estimate_id,
        "estimate_version": job.estimate_version.number if job.estimate_version_id else None,  # type: ignore[union-attr]
        "job_type": job.job_type,
        "status": job.status,
        "status_reason": job.status_reason,
        "scheduled_start": job.scheduled_start,
        "scheduled_end": job.scheduled_end,
        "arrival_window_start": job.arrival_window_start,
        "arrival_window_end": job.arrival_window_end,
        "pickup_address": job.pickup_address,
        "delivery_address": job.delivery_address,
        "stops": job.stops,
        "required_crew": job.required_crew,
        "required_trucks": job.required_trucks,
        "estimated_hours": job.estimated_hours,
        "total": job.total,
        "required_skills": job.required_skills,
        "required_signoffs": job.required_signoffs,
        "signoffs": job.signoffs,
        "missing_signoffs": job.missing_signoffs,
        "checklist": job.checklist,
        "allowed_transitions": allowed_next(job.status),
        "assignments": [assignment_out(a) for a in job.assignments.all()],
        "notes": job.notes,
        "created_at": job.created_at,
    }


def _job(request: HttpRequest, job_id: UUID, permission: str = "jobs.view") -> Job:
    user = require(request, permission)
    job = selectors.job_get(viewer=user, job_id=job_id)
    if job is None:
        raise NotFound("job")
    return job


def _fresh(request: HttpRequest, job: Job) -> dict[str, Any]:
    found = selectors.job_get(viewer=actor(request), job_id=job.pk)
    assert found is not None
    return job_out(found)


# --- Jobs ---------------------------------------------------------------------------------


@jobs_router.post("", response={201: JobOut, **PROBLEM})
def create_job(request: HttpRequest, payload: JobIn) -> Status[dict[str, Any]]:
    user = require(request, "jobs.manage")
    customer = customer_get(viewer=user, customer_id=payload.customer_id)
    if customer is None:
        raise invalid("customer_id", "not_found", "No customer with this id is visible to you.")
    data = payload.model_dump(exclude={"customer_id", "estimate_id"}, exclude_none=True)
    data["pickup_address"] = _address(payload.pickup_address)
    data["delivery_address"] = _address(payload.delivery_address)
    data["stops"] = [_address(stop) for stop in payload.stops]
    data["preferred_crew"] = [str(p) for p in payload.preferred_crew]
    if payload.estimate_id is not None:
        estimate = Estimate.objects.filter(pk=payload.estimate_id, customer=customer).first()
        if estimate is None:
            raise invalid("estimate_id", "not_found", "No estimate with this id for this customer.")
        data["estimate"] = estimate
    job = services.job_create(actor=user, customer=customer, data=data)
    return Status(201, _fresh(request, job))


@jobs_router.get("", response={200: JobPageOut, **PROBLEM})
def list_jobs(
    request: HttpRequest,
    status: StatusName | None = None,
    customer_id: UUID | None = None,
    page: int = 1,
    page_size: int = DEFAULT_PAGE_SIZE,
) -> dict[str, Any]:
    user = require(request, "jobs.view")
    jobs: QuerySet[Job] = selectors.with_assignments(selectors.visible_jobs(viewer=user))
    if status:
        jobs = jobs.filter(status=status)
    if customer_id:
        jobs = jobs.filter(customer_id=customer_id)
    result = paginate(request, jobs.order_by("-scheduled_start", "number"), page, page_size)
    result["items"] = [job_out(j) for j in result["items"]]
    return result


@jobs_router.get("/{job_id}", response={200: JobOut, **PROBLEM})
def get_job(request: HttpRequest, job_id: UUID) -> dict[str, Any]:
    return job_out(_job(request, job_id))


@jobs_router.patch("/{job_id}", response={200: JobOut, **PROBLEM})
def update_job(request: HttpRequest, job_id: UUID, payload: JobPatch) -> dict[str, Any]:
    job = _job(request, job_id, "jobs.manage")
    changes = payload.model_dump(exclude_unset=True)
    reject_nulls(changes, nullable=frozenset({"arrival_window_start", "arrival_window_end"}))
    start, end = changes.pop("scheduled_start", None), changes.pop("scheduled_end", None)
    if start or end:
        job = services.job_reschedule(
            actor=actor(request), job=job, start=start or job.scheduled_start,
            end=end or job.scheduled_end,
        )  # fmt: skip
    for name in ("pickup_address", "delivery_address"):
        if name in changes:
            changes[name] = _address(getattr(payload, name))
    if "stops" in changes:
        changes["stops"] = [_address(s) for s in payload.stops or []]
    if "preferred_crew" in changes:
        changes["preferred_crew"] = [str(p) for p in payload.preferred_crew or []]
    if changes:
        services.job_update(actor=actor(request), job=job, fields=changes)
    return _fresh(request, job)


@jobs_router.post("/{job_id}/transition", response={200: JobOut, **PROBLEM})
def transition_job(request: HttpRequest, job_id: UUID, payload: TransitionIn) -> dict[str, Any]:
    user = require(request, "jobs.view")
    job = _job(request, job_id)
    if has_permission(user, "jobs.manage"):
        field_only = False
    elif has_permission(user, "jobs.progress") and _leads(user, job):
        field_only = True
    else:
        raise Forbidden("Only the office, or the lead on this job, may change its status.")
    services.job_transition(
        actor=user, job=job, to=payload.to, reason=payload.reason, field_only=field_only
    )
    return _fresh(request, job)


def _leads(user: User, job: Job) -> bool:
    return any(
        a.crew_member is not None and a.crew_member.user_id == user.pk and a.role == "lead"
        for a in job.assignments.all()
    )


@jobs_router.post("/{job_id}/signoffs", response={200: JobOut, **PROBLEM})
def sign_off(request: HttpRequest, job_id: UUID, payload: SignoffIn) -> dict[str, Any]:
    job = _job(request, job_id, "jobs.manage")
    services.job_signoff(actor=actor(request), job=job, name=payload.name)
    return _fresh(request, job)


@jobs_router.post("/{job_id}/checklist", response={200: JobOut, **PROBLEM})
def tick_checklist(request: HttpRequest, job_id: UUID, payload: ChecklistTickIn) -> dict[str, Any]:
    """The office, or anyone booked on the job, ticks an item off (or back on)."""
    job = _job(request, job_id)
    user = actor(request)
    if (
        not has_permission(user, "jobs.manage")
        and not job.assignments.filter(crew_member__user=user).exists()
    ):
        raise Forbidden("Only the office or the crew on this job keep its checklist.")
    services.checklist_tick(actor=user, job=job, index=payload.index, done=payload.done)
    return _fresh(request, job)


@checklist_router.get("", response={200: dict[str, list[str]], **PROBLEM})
def list_checklist_templates(request: HttpRequest) -> dict[str, list[str]]:
    require(request, "jobs.view")
    return services.checklist_templates()


@checklist_router.put("/{phase}", response={200: dict[str, list[str]], **PROBLEM})
def save_checklist_template(
    request: HttpRequest,
    phase: Literal["pre_move", "on_site", "post_move"],
    payload: ChecklistTemplateIn,
) -> dict[str, list[str]]:
    """Administrators edit what new jobs' crews tick off; jobs already made keep theirs."""
    user = require(request, "company.change")
    items = [item.strip()[:200] for item in payload.items if item.strip()]
    services.checklist_template_save(actor=user, phase=phase, items=items)
    return services.checklist_templates()


@jobs_router.post("/{job_id}/assignments", response={201: AssignmentOut, **PROBLEM})
def assign(request: HttpRequest, job_id: UUID, payload: AssignmentIn) -> Status[dict[str, Any]]:
    job = _job(request, job_id, "jobs.manage")
    crew_member = truck = None
    if payload.crew_member_id is not None:
        crew_member = CrewMember.objects.filter(pk=payload.crew_member_id).first()
        if crew_member is None:
            raise invalid("crew_member_id", "not_found", "No crew member with this id.")
    if payload.truck_id is not None:
        truck = Truck.objects.filter(pk=payload.truck_id).first()
        if truck is None:
            raise invalid("truck_id", "not_found", "No truck with this id.")
    assignment = services.assignment_create(
        actor=actor(request), job=job, crew_member=crew_member, truck=truck, role=payload.role
    )
    return Status(201, assignment_out(assignment))


@jobs_router.delete("/{job_id}/assignments/{assignment_id}", response={204: None, **PROBLEM})
def unassign(request: HttpRequest, job_id: UUID, assignment_id: UUID) -> Status[None]:
    job = _job(request, job_id, "jobs.manage")
    assignment = job.assignments.filter(pk=assignment_id).first()
    if assignment is None:
        raise NotFound("assignment")
    services.assignment_delete(actor=actor(request), assignment=assignment)
    return Status(204, None)


@jobs_router.get("/{job_id}/suggested-crew", response={200: SuggestedCrewOut, **PROBLEM})
def suggested_crew(request: HttpRequest, job_id: UUID) -> dict[str, Any]:
    job = _job(request, job_id, "jobs.manage")
    return {
        "required_crew": job.required_crew,
        "items": [
            {
                "crew_member_id": s.crew_member.pk,
                "name": s.crew_member.name,
                "score": s.score,
                "available": s.available,
                "parts": s.parts,
                "notes": s.notes,
            }
            for s in suggest_crew(job)
        ],
    }


@jobs_router.post("/{job_id}/assign-suggested", response={200: JobOut, **PROBLEM})
def assign_suggested(request: HttpRequest, job_id: UUID) -> dict[str, Any]:
    """Book the best-scored available people until the job has its required crew."""
    job = _job(request, job_id, "jobs.manage")
    services.assign_suggested(actor=actor(request), job=job, ranked=suggest_crew(job))
    return _fresh(request, job)


# --- Time ---------------------------------------------------------------------------------

HOURS = Decimal("0.01")


def _entry_out(entry: TimeEntry) -> dict[str, Any]:
    length = payroll_hours(entry).quantize(HOURS) if entry.clock_out else None
    return {
        "id": entry.pk, "crew_member_id": entry.crew_member_id, "name": entry.crew_member.name,
        "clock_in": entry.clock_in, "clock_out": entry.clock_out, "hours": length,
    }  # fmt: skip


def _my_member(user: User) -> CrewMember:
    member = CrewMember.objects.filter(user=user, active=True).first()
    if member is None:
        raise NotFound("crew profile for your account")
    return member


@jobs_router.post("/{job_id}/clock-in", response={201: TimeEntryOut, **PROBLEM})
def clock_in(request: HttpRequest, job_id: UUID) -> Status[dict[str, Any]]:
    """The crew app: the signed-in person starts work on a job they are booked on."""
    job = _job(request, job_id)
    entry = services.clock_in(actor=actor(request), job=job, member=_my_member(actor(request)))
    return Status(201, _entry_out(entry))


@jobs_router.post("/{job_id}/clock-out", response={200: TimeEntryOut, **PROBLEM})
def clock_out(request: HttpRequest, job_id: UUID) -> dict[str, Any]:
    job = _job(request, job_id)
    return _entry_out(
        services.clock_out(actor=actor(request), job=job, member=_my_member(actor(request)))
    )


@jobs_router.get("/{job_id}/time-entries", response={200: JobTimeOut, **PROBLEM})
def job_time(request: HttpRequest, job_id: UUID) -> dict[str, Any]:
    """Who worked how long on the job: actual against estimated hours (per person-hour)."""
    job = _job(request, job_id)
    entries = list(job.time_entries.select_related("crew_member"))
    actual = sum((payroll_hours(e) for e in entries if e.clock_out), Decimal(0))
    return {
        "estimated_hours": job.estimated_hours,
        "actual_hours": actual.quantize(HOURS),
        "items": [_entry_out(e) for e in entries],
    }


@time_entries_router.patch("/{entry_id}", response={200: TimeEntryOut, **PROBLEM})
def edit_time_entry(request: HttpRequest, entry_id: int, payload: TimeEntryPatch) -> dict[str, Any]:
    user = require(request, "crew.manage")
    entry = TimeEntry.objects.select_related("crew_member").filter(pk=entry_id).first()
    if entry is None:
        raise NotFound("time entry")
    return _entry_out(
        services.time_entry_edit(
            actor=user, entry=entry, clock_in=payload.clock_in, clock_out=payload.clock_out,
            reason=payload.reason,
        )
    )  # fmt: skip


def _payroll_rows(start: dt.date, end: dt.date) -> tuple[Any, list[dict[str, Any]]]:
    if end <= start:
        raise invalid("end", "before_start", "The end date must be after the start date.")
    if (end - start).days > 92:
        raise invalid("end", "too_long", "At most 92 days at a time.")
    company = company_get()
    rows = []
    for line in payroll(company, start, end):
        regular, overtime, total = line.pay(company.overtime_multiplier)
        rows.append(
            {
                "crew_member_id": line.crew_member.pk, "name": line.crew_member.name,
                "hourly_rate": line.rate, "regular_hours": line.regular_hours.quantize(HOURS),
                "overtime_hours": line.overtime_hours.quantize(HOURS), "regular_pay": regular,
                "overtime_pay": overtime, "total_pay": total, "entries": line.entries,
            }
        )  # fmt: skip
    return company, rows


@payroll_router.get("", response={200: PayrollOut, **PROBLEM})
def payroll_summary(request: HttpRequest, start: dt.date, end: dt.date) -> dict[str, Any]:
    """Regular and overtime hours and pay per person for [start, end) (company dates)."""
    require(request, "crew.manage")
    company, rows = _payroll_rows(start, end)
    return {
        "start": start, "end": end, "overtime_after_hours": company.overtime_after_hours,
        "overtime_multiplier": company.overtime_multiplier, "items": rows,
    }  # fmt: skip


@payroll_router.get("/export.csv", response={200: None, **PROBLEM})
def payroll_csv(request: HttpRequest, start: dt.date, end: dt.date) -> HttpResponse:
    require(request, "crew.manage")
    _, rows = _payroll_rows(start, end)
    out = io.StringIO()
    writer = csv.writer(out)
    columns = ["name", "hourly_rate", "regular_hours", "overtime_hours", "regular_pay",
               "overtime_pay", "total_pay", "entries", "crew_member_id"]  # fmt: skip
    writer.writerow(columns)
    for row in rows:
        writer.writerow([safe_cell(str(row[c])) for c in columns])
    response = HttpResponse(out.getvalue(), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="payroll-{start}-{end}.csv"'
    return response


# --- Dispatch -----------------------------------------------------------------------------


def conflicts_among(
    assignments: list[dict[str, Any]], jobs: dict[Any, dict[str, Any]]
) -> dict[Any, list[dict[str, Any]]]:
    """Per job, other jobs sharing a blocking person or truck at an overlapping time (none,
    normally: the guard and the database prevent them; shown if data ever says otherwise)."""
    by_resource: dict[Any, list[dict[str, Any]]] = defaultdict(list)
    for a in assignments:
        if a["blocks"]:
            by_resource[a["crew_member_id"] or a["truck_id"]].append(jobs[a["job_id"]])
    found: dict[Any, list[dict[str, Any]]] = defaultdict(list)
    for booked in by_resource.values():
        booked.sort(key=lambda job: job["scheduled_start"])
        for i, first in enumerate(booked):
            for second in booked[i + 1 :]:
                if second["scheduled_start"] >= first["scheduled_end"]:
                    break
                for mine, other in ((first, second), (second, first)):
                    found[mine["id"]].append(
                        {"job_id": other["id"], "job_number": other["number"],
                         "start": other["scheduled_start"], "end": other["scheduled_end"]}
                    )  # fmt: skip
    return found


def _calendar_item(
    job: dict[str, Any], assignments: list[dict[str, Any]], conflicts: list[Any]
) -> dict[str, Any]:
    return {
        "id": job["id"], "number": job["number"], "status": job["status"],
        "job_type": job["job_type"], "customer_id": job["customer_id"],
        "customer_name": job["customer__name"], "scheduled_start": job["scheduled_start"],
        "scheduled_end": job["scheduled_end"], "arrival_window_start": job["arrival_window_start"],
        "arrival_window_end": job["arrival_window_end"], "pickup_address": job["pickup_address"],
        "delivery_address": job["delivery_address"], "required_crew": job["required_crew"],
        "required_trucks": job["required_trucks"],
        "assignments": [
            {"id": a["id"], "crew_member_id": a["crew_member_id"], "truck_id": a["truck_id"],
             "name": a["crew_member__name"] or a["truck__name"], "role": a["role"],
             "start": job["scheduled_start"], "end": job["scheduled_end"], "blocks": a["blocks"]}
            for a in assignments
        ],
        "conflicts": conflicts,
    }  # fmt: skip


CALENDAR_CACHE_SECONDS = 120


def _calendar_version(since: dt.datetime, until: dt.datetime) -> str:
    """Changes whenever anything the calendar shows changes: a job (its status, block,
    addresses — every write saves `updated_at`), a booking made or removed, a person, a truck,
    or the name of a customer with a job in the range. Read from the data itself, so no write
    path can forget to invalidate the cached calendar."""
    jobs = Job.objects.aggregate(changed=Max("updated_at"), count=Count("id"))
    bookings = Assignment.objects.aggregate(changed=Max("created_at"), count=Count("id"))
    people = CrewMember.objects.aggregate(changed=Max("updated_at"))
    trucks = Truck.objects.aggregate(changed=Max("updated_at"))
    customers = Job.objects.filter(scheduled_start__lt=until, scheduled_end__gt=since).aggregate(
        changed=Max("customer__updated_at")
    )
    return repr((jobs, bookings, people, trucks, customers))


@dispatch_router.get("/calendar", response={200: CalendarOut, **PROBLEM})
def calendar(request: HttpRequest, start: dt.date, end: dt.date) -> HttpResponse:
    """Jobs overlapping [start, end) in the company's time zone, with their assignments and
    any conflicts; at most 62 days. Built from two row queries (no model instances) and
    cached per range and viewer scope under a version read from the data (a dispatch board is
    read far more often than it changes): see bench/dispatch_bench.py."""
    user = require(request, "jobs.view")
    if end <= start:
        raise invalid("end", "before_start", "The end date must be after the start date.")
    if (end - start).days > CALENDAR_MAX_DAYS:
        raise invalid("end", "too_long", f"At most {CALENDAR_MAX_DAYS} days at a time.")
    time_zone = company_get().time_zone
    zone = zoneinfo.ZoneInfo(time_zone)
    since = dt.datetime.combine(start, dt.time(), tzinfo=zone)
    until = dt.datetime.combine(end, dt.time(), tzinfo=zone)
    scope = "office" if has_permission(user, "jobs.manage") else f"user:{user.pk}"
    version = hashlib.sha256(_calendar_version(since, until).encode()).hexdigest()[:24]
    key = f"dispatch-calendar:{scope}:{time_zone}:{start}:{end}:{version}"
    body = cache.get(key)
    if body is None:
        body = _calendar_body(user, start, end, since, until)
        cache.set(key, body, CALENDAR_CACHE_SECONDS)
    return HttpResponse(body, content_type="application/json")


def _calendar_body(
    user: User, start: dt.date, end: dt.date, since: dt.datetime, until: dt.datetime
) -> bytes:
    jobs, assignments = selectors.calendar_rows(viewer=user, start=since, end=until)
    by_job: dict[Any, list[dict[str, Any]]] = defaultdict(list)
    for a in assignments:
        by_job[a["job_id"]].append(a)
    conflicts = conflicts_among(assignments, {j["id"]: j for j in jobs})
    body = {
        "start": start,
        "end": end,
        "items": [_calendar_item(j, by_job[j["id"]], conflicts.get(j["id"], [])) for j in jobs],
    }
    # Straight to JSON: the rows are already the documented shape, and validating 2,000 jobs
    # against the schema again cost more than everything else together.
    return orjson.dumps(body, option=orjson.OPT_UTC_Z)

"""Every write to jobs, crews and trucks: validated, guarded against double booking, audited,
in one transaction."""

from __future__ import annotations

import datetime as dt
import zoneinfo
from decimal import Decimal
from typing import Any

from django.db import IntegrityError, connection, transaction
from django.utils import timezone

from simplepro.accounts.models import User
from simplepro.accounts.policies import EVIDENCED_SIGNOFFS, required_signoffs
from simplepro.accounts.services import company_get
from simplepro.audit.services import audit_record
from simplepro.core import metrics
from simplepro.core.problems import Conflict, Forbidden, ProblemError, invalid
from simplepro.customers.models import Customer
from simplepro.estimates.models import Estimate, EstimateStatus
from simplepro.jobs import booking, events
from simplepro.jobs.events import announce_job, job_audience
from simplepro.jobs.lifecycle import (
    FIELD_STATUSES,
    NEEDS_REASON,
    TRANSITIONS,
    allowed_next,
)
from simplepro.jobs.models import (
    DEFAULT_CHECKLISTS,
    NOT_BLOCKING,
    Assignment,
    AssignmentRole,
    ChecklistTemplate,
    CrewMember,
    Job,
    JobStatus,
    TimeEntry,
    Truck,
)

_NEXT_NUMBER_SQL = (
    "INSERT INTO jobs_jobsequence (year, last) VALUES (%s, 1) "
    "ON CONFLICT (year) DO UPDATE SET last = jobs_jobsequence.last + 1 RETURNING last"
)


def next_job_number(year: int) -> str:
    """One atomic statement (PostgreSQL and SQLite ≥ 3.35): concurrent callers each get
    their own number, and a rolled-back creation leaves a gap rather than a duplicate."""
    with connection.cursor() as cursor:
        cursor.execute(_NEXT_NUMBER_SQL, [year])
        (last,) = cursor.fetchone()
    return f"J-{year}-{last:05d}"


def job_create(*, actor: User, customer: Customer, data: dict[str, Any]) -> Job:
    """A job from scratch, or (with `estimate`) from an accepted estimate: customer, addresses,
    inventory, services, crew size, trucks, hours, price and the estimate version carried over."""
    estimate: Estimate | None = data.pop("estimate", None)
    booking.check_block(data["scheduled_start"], data["scheduled_end"])
    window = (data.get("arrival_window_start"), data.get("arrival_window_end"))
    if all(window) and window[1] <= window[0]:  # type: ignore[operator]
        raise invalid("arrival_window_end", "before_start", "The window must end after it starts.")
    if estimate is not None:
        data = {**_from_estimate(estimate, customer), **{k: v for k, v in data.items() if v}}
    signoffs = required_signoffs(company_get())
    data.setdefault("required_signoffs", signoffs.get(data.get("job_type", "local"), []))
    data.setdefault("checklist", checklist_for_new_job())
    year = timezone.localdate(timezone=zoneinfo.ZoneInfo(company_get().time_zone)).year
    with transaction.atomic(durable=True):
        job = Job.objects.create(
            number=next_job_number(year), customer=customer, created_by=actor, **data
        )
        audit_record(
            actor=actor,
            action="create",
            entity_type="job",
            entity_id=job.pk,
            changes={
                "number": {"before": None, "after": job.number},
                "estimate": {"before": None, "after": str(estimate.pk) if estimate else None},
            },
        )
        announce_job("job.created", job, actor=actor)
    metrics.JOBS_CREATED.inc()
    return job


def _from_estimate(estimate: Estimate, customer: Customer) -> dict[str, Any]:
    if estimate.customer_id != customer.pk:
        raise invalid("estimate_id", "other_customer", "The estimate is for another customer.")
    if estimate.status != EstimateStatus.ACCEPTED:
        raise Conflict(f"Only an accepted estimate becomes a job; this one is {estimate.status}.")
    version = estimate.versions.order_by("-number").first()
    assert version is not None
    estimate_input, result = version.input, version.result
    derived = result.get("derived") or {}
    decided = estimate.decided_at
    signed = {"estimate_accepted": {"by": "estimate", "at": decided.isoformat()}} if decided else {}
    return {
        "estimate": estimate,
        "estimate_version": version,
        "job_type": estimate_input["service"],
        "pickup_address": {"line1": estimate.pickup_address} if estimate.pickup_address else {},
        "delivery_address": {"line1": estimate.delivery_address}
        if estimate.delivery_address
        else {},
        "required_crew": estimate_input.get("crew_size", 2),
        "required_trucks": derived.get("trucks") or 1,
        "estimated_hours": Decimal(str(estimate_input.get("estimated_hours", "0"))),
        "total": version.total,
        "services": estimate_input.get("services", {}),
        "inventory": version.inventory,
        "required_skills": ["piano"]
        if estimate_input.get("special_items", {}).get("piano")
        else [],
        "signoffs": signed,
    }


def job_transition(
    *, actor: User, job: Job, to: str, reason: str = "", field_only: bool = False
) -> Job:
    with transaction.atomic(durable=True):
        job = Job.objects.select_for_update().get(pk=job.pk)
        allowed = allowed_next(job.status)
        if to not in TRANSITIONS.get(job.status, ()):
            raise ProblemError(
                409,
                f"A job that is {job.status} cannot become {to}.",
                extra={"allowed": allowed},
            )
        if field_only and to not in FIELD_STATUSES:
            raise Forbidden("From the field you may only mark en route, in progress or completed.")
        if to in NEEDS_REASON and not reason.strip():
            raise invalid("reason", "required", f"Say why the job is {to.replace('_', ' ')}.")
        if to == JobStatus.IN_PROGRESS and job.missing_signoffs:
            raise ProblemError(
                409,
                "The customer's sign-offs are missing; work cannot start.",
                extra={"missing_signoffs": job.missing_signoffs, "allowed": allowed},
            )
        before = job.status
        job.status = to
        job.status_reason = reason.strip()
        job.save(update_fields=["status", "status_reason", "updated_at"])
        if to in NOT_BLOCKING:
            job.assignments.update(blocks=False)  # frees people and trucks for other jobs
        audit_record(
            actor=actor,
            action="transition",
            entity_type="job",
            entity_id=job.pk,
            changes={
                "status": {"before": before, "after": to},
                "reason": {"before": None, "after": reason or None},
            },
        )
        announce_job("job.status_changed", job, actor=actor, before=before)
    metrics.JOB_TRANSITIONS.labels(to=to).inc()
    return job


def job_signoff(*, actor: User, job: Job, name: str, evidence: dict[str, Any] | None = None) -> Job:
    """Record a sign-off. Those that need evidence (EVIDENCED_SIGNOFFS) come only with it, from
    the paperwork (a signed document, the booklet's delivery); a tick cannot stand in for them.
    Joins the caller's transaction, so the evidence and its sign-off are written together."""
    if name in EVIDENCED_SIGNOFFS and evidence is None:
        raise ProblemError(
            409,
            f"“{name.replace('_', ' ').capitalize()}” is satisfied by the signed document or "
            "the recorded booklet on the job's paperwork page, not by a tick.",
            extra={"paperwork": f"/jobs/{job.pk}/paperwork/"},
        )
    with transaction.atomic():
        job = Job.objects.select_for_update().get(pk=job.pk)
        if name not in job.required_signoffs:
            raise invalid("name", "unknown", f"This job needs: {', '.join(job.required_signoffs)}.")
        job.signoffs = {
            **job.signoffs,
            name: {"by": str(actor.pk), "at": timezone.now().isoformat(), **(evidence or {})},
        }
        job.save(update_fields=["signoffs", "updated_at"])
        audit_record(
            actor=actor, action="signoff", entity_type="job", entity_id=job.pk,
            changes={name: {"before": None, "after": evidence or "signed"}},
        )  # fmt: skip
    return job


def job_reschedule(*, actor: User, job: Job, start: dt.datetime, end: dt.datetime) -> Job:
    """Move or extend the booked block; every person and truck on the job must be free for
    the new block (409 naming each clash), or nothing moves."""
    booking.check_block(start, end)
    with transaction.atomic(durable=True):
        job = Job.objects.select_for_update().get(pk=job.pk)
        assignments = list(job.assignments.select_related("crew_member", "truck"))
        booking.lock(
            [a.crew_member_id for a in assignments if a.crew_member_id],
            [a.truck_id for a in assignments if a.truck_id],
        )
        found: list[dict[str, Any]] = []
        for a in assignments:
            if a.blocks:
                found += booking.clashes(
                    start=start, end=end, crew_member=a.crew_member, truck=a.truck,
                    exclude_job_id=job.pk,
                )  # fmt: skip
        if found:
            raise booking.BookingConflict("The new time clashes with other bookings.", found)
        before = (job.scheduled_start.isoformat(), job.scheduled_end.isoformat())
        job.scheduled_start, job.scheduled_end = start, end
        job.save(update_fields=["scheduled_start", "scheduled_end", "updated_at"])
        job.assignments.update(start=start, end=end)
        audit_record(
            actor=actor, action="reschedule", entity_type="job", entity_id=job.pk,
            changes={"block": {"before": list(before), "after": [start.isoformat(), end.isoformat()]}},
        )  # fmt: skip
        announce_job("job.rescheduled", job, actor=actor)
        events.notify_schedule_change(job, actor=actor)
    return job


def assignment_create(
    *,
    actor: User,
    job: Job,
    crew_member: CrewMember | None = None,
    truck: Truck | None = None,
    role: str = AssignmentRole.MOVER,
) -> Assignment:
    with transaction.atomic(durable=True):
        return _book(actor=actor, job=job, crew_member=crew_member, truck=truck, role=role)


def assignment_move(
    *, actor: User, assignment: Assignment, crew_member: CrewMember | None = None,
    truck: Truck | None = None,
) -> Assignment:  # fmt: skip
    """The dispatch board's drag: the same job to another person or truck, in one transaction
    through the same guard — refused as a whole (nothing moves) when the target is busy."""
    with transaction.atomic(durable=True):
        job, role = assignment.job, assignment.role
        was_told = job_audience(job)
        Assignment.objects.filter(pk=assignment.pk).delete()
        moved = _book(actor=actor, job=job, crew_member=crew_member, truck=truck, role=role)
        audit_record(
            actor=actor, action="unassign", entity_type="job", entity_id=job.pk,
            changes={"assigned": {"before": str(assignment.crew_member or assignment.truck), "after": None}},
        )  # fmt: skip
        announce_job("job.unassigned", job, actor=actor, audience=was_told,
                     assignment=_assignment_summary(assignment))  # fmt: skip
        events.notify_assignment(job, assignment, actor=actor, taken_off=True)
    return moved


def _book(
    *, actor: User, job: Job, crew_member: CrewMember | None, truck: Truck | None, role: str
) -> Assignment:
    """Book one person or truck on a job, inside the caller's transaction."""
    if (crew_member is None) == (truck is None):
        raise invalid("crew_member_id", "one_of", "Give a crew_member_id or a truck_id.")
    job = Job.objects.select_for_update().get(pk=job.pk)
    if job.status in NOT_BLOCKING:
        raise Conflict(f"Nobody can be assigned to a job that is {job.status}.")
    booking.lock([crew_member.pk] if crew_member else [], [truck.pk] if truck else [])
    if (crew_member and not crew_member.active) or (truck and not truck.active):
        raise Conflict("Inactive crew members and trucks cannot be assigned.")
    booking.ensure_free(
        start=job.scheduled_start, end=job.scheduled_end, crew_member=crew_member,
        truck=truck, exclude_job_id=job.pk,
    )  # fmt: skip
    on = timezone.localtime(job.scheduled_end).date()
    current = list(job.assignments.select_related("crew_member", "truck"))
    if crew_member is not None and role == AssignmentRole.DRIVER:
        trucks = [a.truck for a in current if a.truck is not None]
        problems = booking.license_problems([crew_member], trucks, on)
    elif truck is not None:
        drivers = [
            a.crew_member for a in current if a.crew_member and a.role == AssignmentRole.DRIVER
        ]
        problems = booking.license_problems(drivers, [truck], on)
    else:
        problems = []
    if problems:
        raise booking.BookingConflict("A driver does not hold the truck's license class.", problems)
    try:
        with transaction.atomic():
            assignment = Assignment.objects.create(
                job=job, crew_member=crew_member, truck=truck, role=role,
                start=job.scheduled_start, end=job.scheduled_end, created_by=actor,
            )  # fmt: skip
    except IntegrityError:
        # The database's own rule (exclusion constraint, or already on this job) caught what
        # the check above could not see: report it as the conflict it is.
        raise booking.BookingConflict(
            "Already booked (the database refused an overlapping booking).",
            booking.clashes(start=job.scheduled_start, end=job.scheduled_end,
                            crew_member=crew_member, truck=truck),
        ) from None  # fmt: skip
    audit_record(
        actor=actor, action="assign", entity_type="job", entity_id=job.pk,
        changes={"assigned": {"before": None, "after": str(crew_member or truck)}, "role": {"before": None, "after": role}},
    )  # fmt: skip
    announce_job("job.assigned", job, actor=actor, assignment=_assignment_summary(assignment))
    events.notify_assignment(job, assignment, actor=actor, taken_off=False)
    return assignment


def _assignment_summary(assignment: Assignment) -> dict[str, Any]:
    return {
        "id": assignment.pk,
        "crew_member": assignment.crew_member.name if assignment.crew_member else None,
        "truck": assignment.truck.name if assignment.truck else None,
        "role": assignment.role,
    }


def assignment_delete(*, actor: User, assignment: Assignment) -> None:
    with transaction.atomic(durable=True):
        job_id, who = assignment.job_id, str(assignment.crew_member or assignment.truck)
        was_told = job_audience(assignment.job)
        assignment.delete()
        audit_record(
            actor=actor, action="unassign", entity_type="job", entity_id=job_id,
            changes={"assigned": {"before": who, "after": None}},
        )  # fmt: skip
        announce_job("job.unassigned", assignment.job, actor=actor, audience=was_told,
                     assignment=_assignment_summary(assignment))  # fmt: skip
        events.notify_assignment(assignment.job, assignment, actor=actor, taken_off=True)


JOB_EDITABLE = frozenset(
    {
        "arrival_window_start", "arrival_window_end", "pickup_address", "delivery_address",
        "stops", "required_crew", "required_trucks", "required_skills", "preferred_crew", "notes",
    }
)  # fmt: skip


def job_update(*, actor: User, job: Job, fields: dict[str, Any]) -> Job:
    """Everything but the booked block (job_reschedule) and the status (job_transition)."""
    unknown = set(fields) - JOB_EDITABLE
    if unknown:
        raise invalid(sorted(unknown)[0], "not_editable", "Not changed here.")
    with transaction.atomic(durable=True):
        job = Job.objects.select_for_update().get(pk=job.pk)
        before = {name: getattr(job, name) for name in fields}
        for name, value in fields.items():
            setattr(job, name, value)
        start, end = job.arrival_window_start, job.arrival_window_end
        if start and end and end <= start:
            raise invalid(
                "arrival_window_end", "before_start", "The window must end after it starts."
            )
        job.save()
        audit_record(
            actor=actor, action="update", entity_type="job", entity_id=job.pk,
            changes={n: {"before": str(before[n]), "after": str(v)} for n, v in fields.items() if before[n] != v},
        )  # fmt: skip
    return job


def assign_suggested(*, actor: User, job: Job, ranked: list[Any]) -> list[Assignment]:
    """Book the best-ranked available people until the job has its required crew; the first
    becomes lead when the job has none. Each booking goes through the same guard."""
    current = list(job.assignments.filter(crew_member__isnull=False))
    on_job = {a.crew_member_id for a in current}
    missing = job.required_crew - len(current)
    has_lead = any(a.role == AssignmentRole.LEAD for a in current)
    made: list[Assignment] = []
    for suggestion in ranked:
        if missing <= 0:
            break
        if not suggestion.available or suggestion.crew_member.pk in on_job:
            continue
        role = AssignmentRole.MOVER if has_lead or made else AssignmentRole.LEAD
        made.append(
            assignment_create(actor=actor, job=job, crew_member=suggestion.crew_member, role=role)
        )
        missing -= 1
    if missing > 0:
        raise ProblemError(
            409,
            f"Only {len(made)} more available people; the job still needs {missing}.",
            extra={"assigned": [str(a.crew_member_id) for a in made]},
        )
    return made


def clock_in(*, actor: User, job: Job, member: CrewMember) -> TimeEntry:
    """Start work on a job the person is booked on; one open entry per person at a time."""
    with transaction.atomic(durable=True):
        if not job.assignments.filter(crew_member=member).exists():
            raise Conflict("You are not on this job.")
        if job.status in NOT_BLOCKING:
            raise Conflict(f"The job is {job.status}.")
        try:
            with transaction.atomic():
                entry = TimeEntry.objects.create(
                    job=job, crew_member=member, clock_in=timezone.now()
                )
        except IntegrityError:
            open_entry = TimeEntry.objects.select_related("job").get(
                crew_member=member, clock_out__isnull=True
            )
            raise ProblemError(
                409,
                f"Already clocked in on {open_entry.job.number}; clock out there first.",
                extra={"open_job_id": str(open_entry.job_id)},
            ) from None
        audit_record(
            actor=actor, action="clock_in", entity_type="job", entity_id=job.pk,
            changes={"crew_member": {"before": None, "after": member.name}},
        )  # fmt: skip
    return entry


def clock_out(*, actor: User, job: Job, member: CrewMember) -> TimeEntry:
    with transaction.atomic(durable=True):
        entry = (
            TimeEntry.objects.select_for_update()
            .filter(job=job, crew_member=member, clock_out__isnull=True)
            .first()
        )
        if entry is None:
            raise Conflict("You are not clocked in on this job.")
        entry.clock_out = max(timezone.now(), entry.clock_in + dt.timedelta(seconds=1))
        entry.save()
        audit_record(
            actor=actor, action="clock_out", entity_type="job", entity_id=job.pk,
            changes={"crew_member": {"before": member.name, "after": None}},
        )  # fmt: skip
    return entry


def time_entry_edit(
    *, actor: User, entry: TimeEntry, clock_in: dt.datetime, clock_out: dt.datetime | None,
    reason: str,
) -> TimeEntry:  # fmt: skip
    """The office corrects a forgotten clock-out or a wrong time; audited with the reason."""
    if not reason.strip():
        raise invalid("reason", "required", "Say why the times change.")
    if clock_out is not None and clock_out <= clock_in:
        raise invalid("clock_out", "before_start", "Clock-out must be after clock-in.")
    with transaction.atomic(durable=True):
        entry = TimeEntry.objects.select_for_update().get(pk=entry.pk)
        before = (
            entry.clock_in.isoformat(),
            entry.clock_out.isoformat() if entry.clock_out else None,
        )
        entry.clock_in, entry.clock_out = clock_in, clock_out
        try:
            with transaction.atomic():
                entry.save()
        except IntegrityError:
            raise Conflict("The person already has another open entry.") from None
        audit_record(
            actor=actor, action="edit_time", entity_type="time_entry", entity_id=entry.pk,
            changes={
                "times": {"before": list(before), "after": [clock_in.isoformat(), clock_out.isoformat() if clock_out else None]},
                "reason": {"before": None, "after": reason.strip()},
            },
        )  # fmt: skip
    return entry


def checklist_templates() -> dict[str, list[str]]:
    """Each phase's items: the administrators' template, or the defaults until they edit it."""
    stored = {t.phase: list(t.items) for t in ChecklistTemplate.objects.all()}
    return {phase: stored.get(phase, list(items)) for phase, items in DEFAULT_CHECKLISTS.items()}


def checklist_for_new_job() -> list[dict[str, Any]]:
    return [
        {"phase": phase, "item": item, "done_by": None, "done_at": None}
        for phase, items in checklist_templates().items()
        for item in items
    ]


def checklist_template_save(*, actor: User, phase: str, items: list[str]) -> ChecklistTemplate:
    with transaction.atomic(durable=True):
        template, _ = ChecklistTemplate.objects.get_or_create(phase=phase)
        before = list(template.items)
        template.items = items
        template.save()
        audit_record(
            actor=actor, action="update", entity_type="checklist_template", entity_id=template.pk,
            changes={"items": {"before": before, "after": items}},
        )  # fmt: skip
    return template


def checklist_tick(*, actor: User, job: Job, index: int, done: bool) -> Job:
    with transaction.atomic(durable=True):
        job = Job.objects.select_for_update().get(pk=job.pk)
        if not 0 <= index < len(job.checklist):
            raise invalid("index", "out_of_range", "No such checklist item.")
        item = dict(job.checklist[index])
        item["done_by"] = actor.display_name if done else None
        item["done_at"] = timezone.now().isoformat() if done else None
        job.checklist = [*job.checklist[:index], item, *job.checklist[index + 1 :]]
        job.save(update_fields=["checklist", "updated_at"])
        audit_record(
            actor=actor, action="checklist", entity_type="job", entity_id=job.pk,
            changes={item["item"]: {"before": None if done else "done", "after": "done" if done else None}},
        )  # fmt: skip
    return job

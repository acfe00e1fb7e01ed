"""Pages and feeds of jobs and dispatch."""

from __future__ import annotations

import datetime as dt
import re
import zoneinfo
from collections import defaultdict
from typing import Any
from uuid import UUID

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views import View

from simplepro.accounts.models import User
from simplepro.accounts.permissions import has_permission
from simplepro.accounts.policies import required_signoffs
from simplepro.accounts.services import company_get, company_update
from simplepro.audit.selectors import audit_records
from simplepro.core.problems import ProblemError
from simplepro.core.views import PermissionRequiredMixin
from simplepro.customers.selectors import visible_customers
from simplepro.estimates.models import Estimate
from simplepro.jobs import crew_services, ical, selectors, services
from simplepro.jobs.lifecycle import allowed_next
from simplepro.jobs.models import (
    Assignment,
    ChecklistPhase,
    CrewMember,
    Job,
    JobStatus,
    TimeEntry,
    TimeOff,
    TimeOffStatus,
    Truck,
)


def calendar_feed(request: HttpRequest, token: str) -> HttpResponse:
    """A crew member's bookings for their phone's calendar: no account, a secret URL."""
    member = ical.member_for_token(token)
    if member is None:
        raise Http404("This calendar link is not valid (it may have been replaced or revoked).")
    response = HttpResponse(
        ical.render(member, company_get().name), content_type="text/calendar; charset=utf-8"
    )
    response["Cache-Control"] = "private, max-age=300"
    return response


def _user(request: HttpRequest) -> User:
    assert isinstance(request.user, User)
    return request.user


def _day(value: str | None, default: dt.date) -> dt.date:
    try:
        return dt.date.fromisoformat(value) if value else default
    except ValueError:
        return default


class DispatchBoardView(PermissionRequiredMixin, View):
    """A day or a week of jobs by truck or by crew member; drag a job card to another row to
    reassign it (the server decides; a conflict is shown and nothing moves)."""

    permission = "jobs.manage"

    def get(self, request: HttpRequest) -> HttpResponse:
        zone = zoneinfo.ZoneInfo(company_get().time_zone)
        first = _day(request.GET.get("date"), timezone.localdate(timezone=zone))
        days = 7 if request.GET.get("days") == "7" else 1
        kind = "crew" if request.GET.get("by") == "crew" else "truck"
        status = request.GET.get("status", "")
        since = dt.datetime.combine(first, dt.time(), zone)
        until = since + dt.timedelta(days=days)
        jobs, assignments = selectors.calendar_rows(viewer=_user(request), start=since, end=until)
        if status in JobStatus.values:
            jobs = [j for j in jobs if j["status"] == status]
        resources = (
            list(Truck.objects.filter(active=True).values("id", "name"))
            if kind == "truck"
            else list(CrewMember.objects.filter(active=True).values("id", "name"))
        )
        column_days = [first + dt.timedelta(days=n) for n in range(days)]
        jobs_by_id = {j["id"]: j for j in jobs}
        cells: dict[tuple[Any, dt.date], list[dict[str, Any]]] = defaultdict(list)
        covered: dict[Any, int] = defaultdict(int)
        key = "truck_id" if kind == "truck" else "crew_member_id"
        for a in assignments:
            job = jobs_by_id.get(a["job_id"])
            if job is None or a[key] is None:
                continue
            covered[job["id"]] += 1
            day = job["scheduled_start"].astimezone(zone).date()
            cells[(a[key], day)].append({**job, "assignment_id": a["id"], "resource": a[key]})
        needed = "required_trucks" if kind == "truck" else "required_crew"
        unassigned = [j for j in jobs if covered[j["id"]] < j[needed]]
        rows = [
            {
                "resource": r,
                "cells": [
                    {
                        "day": day,
                        "cards": sorted(cells[(r["id"], day)], key=lambda c: c["scheduled_start"]),
                    }
                    for day in column_days
                ],
            }
            for r in resources
        ]
        return render(
            request,
            "jobs/board.html",
            {
                "rows": rows, "days": column_days, "kind": kind, "unassigned": unassigned,
                "first": first, "span": days, "status": status, "statuses": JobStatus.choices,
                "previous": first - dt.timedelta(days=days), "next": first + dt.timedelta(days=days),
                "resources": resources,
            },
        )  # fmt: skip


class DispatchMoveView(PermissionRequiredMixin, View):
    """Reassign a job from the board: JSON for the drag (fetch), a redirect for the form."""

    permission = "jobs.manage"

    def post(self, request: HttpRequest) -> HttpResponse:
        wants_json = "application/json" in request.headers.get("Accept", "")
        kind = "crew" if request.POST.get("kind") == "crew" else "truck"
        try:
            moved = self._move(request, kind)
        except ProblemError as problem:
            if wants_json:
                return JsonResponse(
                    {"detail": problem.detail, **problem.extra}, status=problem.status
                )
            messages.error(request, problem.explanation)
            return redirect(request.POST.get("next") or "dispatch-board")
        message = f"{moved.job.number} now with {moved.truck or moved.crew_member}."
        if wants_json:
            return JsonResponse({"assignment_id": str(moved.pk), "message": message})
        messages.success(request, message)
        return redirect(request.POST.get("next") or "dispatch-board")

    def _move(self, request: HttpRequest, kind: str) -> Any:
        user = _user(request)
        try:
            target_id = UUID(request.POST.get("target_id", ""))
            job = selectors.visible_jobs(viewer=user).get(pk=UUID(request.POST.get("job_id", "")))
        except (ValueError, Job.DoesNotExist):
            raise ProblemError(422, "Unknown job or target.") from None
        target: Truck | CrewMember | None = (
            Truck.objects.filter(pk=target_id).first()
            if kind == "truck"
            else CrewMember.objects.filter(pk=target_id).first()
        )
        if target is None:
            raise ProblemError(422, "Unknown job or target.")
        truck = target if isinstance(target, Truck) else None
        person = target if isinstance(target, CrewMember) else None
        assignment_id = request.POST.get("assignment_id")
        if assignment_id:
            try:
                assignment = job.assignments.get(pk=UUID(assignment_id))
            except (ValueError, Assignment.DoesNotExist):
                raise ProblemError(
                    422, "That booking no longer exists; reload the board."
                ) from None
            return services.assignment_move(
                actor=user, assignment=assignment, crew_member=person, truck=truck
            )
        return services.assignment_create(actor=user, job=job, crew_member=person, truck=truck)


def _visible_job(request: HttpRequest, job_id: UUID) -> Job:
    job = selectors.job_get(viewer=_user(request), job_id=job_id)
    if job is None:
        raise Http404("No such job.")
    return job


def _on_job(user: User, job: Job) -> bool:
    return any(
        a.crew_member is not None and a.crew_member.user_id == user.pk
        for a in job.assignments.all()
    )


class JobDetailView(PermissionRequiredMixin, View):
    """Everything about one job: timeline, checklist, crew and trucks, the estimate."""

    permission = "jobs.view"

    def get(self, request: HttpRequest, job_id: UUID) -> HttpResponse:
        job = _visible_job(request, job_id)
        user = _user(request)
        manages = has_permission(user, "jobs.manage")
        phases = dict(ChecklistPhase.choices)
        checklist = [
            {"index": i, "phase": phases.get(item["phase"], item["phase"]), **item}
            for i, item in enumerate(job.checklist)
        ]
        mine = CrewMember.objects.filter(user=user).first()
        clocked_in = (
            mine is not None
            and TimeEntry.objects.filter(job=job, crew_member=mine, clock_out__isnull=True).exists()
        )
        return render(
            request,
            "jobs/detail.html",
            {
                "job": job, "checklist": checklist, "manages": manages,
                "can_tick": manages or _on_job(user, job),
                "can_clock": mine is not None and _on_job(user, job), "clocked_in": clocked_in,
                "transitions": allowed_next(job.status) if manages else [],
                "history": audit_records(entity_type="job", entity_id=str(job.pk))[:50],
                "entries": job.time_entries.select_related("crew_member"),
            },
        )  # fmt: skip


class JobActionView(PermissionRequiredMixin, View):
    """The job page's buttons: tick the checklist, change status, clock in or out."""

    permission = "jobs.view"

    def post(self, request: HttpRequest, job_id: UUID, action: str) -> HttpResponse:
        job = _visible_job(request, job_id)
        user = _user(request)
        try:
            if action == "checklist":
                if not (has_permission(user, "jobs.manage") or _on_job(user, job)):
                    raise PermissionDenied
                index = int(request.POST.get("index", "-1"))
                services.checklist_tick(
                    actor=user, job=job, index=index, done=request.POST.get("done") == "1"
                )
            elif action == "transition":
                if not has_permission(user, "jobs.manage"):
                    raise PermissionDenied
                services.job_transition(
                    actor=user, job=job, to=request.POST.get("to", ""),
                    reason=request.POST.get("reason", "")[:500],
                )  # fmt: skip
                messages.success(request, "Status changed.")
            elif action in {"clock-in", "clock-out"}:
                member = CrewMember.objects.filter(user=user, active=True).first()
                if member is None:
                    raise PermissionDenied
                clock = services.clock_in if action == "clock-in" else services.clock_out
                clock(actor=user, job=job, member=member)
                messages.success(request, "Clocked in." if action == "clock-in" else "Clocked out.")
            else:
                raise Http404("No such action.")
        except ValueError:
            messages.error(request, "That checklist item does not exist.")
        except ProblemError as problem:
            messages.error(request, problem.explanation)
        return redirect(request.POST.get("next") or reverse("job-detail", args=[job.pk]))


class MyJobsView(PermissionRequiredMixin, View):
    """The crew's phone screen: today's and upcoming jobs with addresses, contact, clock."""

    permission = "jobs.view"

    def get(self, request: HttpRequest) -> HttpResponse:
        user = _user(request)
        zone = zoneinfo.ZoneInfo(company_get().time_zone)
        today = dt.datetime.combine(timezone.localdate(timezone=zone), dt.time(), zone)
        jobs = (
            selectors.with_assignments(Job.objects.filter(assignments__crew_member__user=user))
            .filter(scheduled_end__gt=today, scheduled_start__lt=today + dt.timedelta(days=14))
            .exclude(status__in=[JobStatus.CANCELLED, JobStatus.CLOSED])
            .distinct()
            .order_by("scheduled_start")
        )
        open_entries = set(
            TimeEntry.objects.filter(crew_member__user=user, clock_out__isnull=True).values_list(
                "job_id", flat=True
            )
        )
        tomorrow = today + dt.timedelta(days=1)
        cards = [
            {
                "job": job, "today": job.scheduled_start < tomorrow, "clocked_in": job.pk in open_entries,
                "pickup": _one_line(job.pickup_address), "delivery": _one_line(job.delivery_address),
                "phone": (job.customer.phones or [""])[0],
                "done": sum(1 for i in job.checklist if i.get("done_at")), "items": len(job.checklist),
            }
            for job in jobs
        ]  # fmt: skip
        return render(request, "jobs/mine.html", {"cards": cards})


def _one_line(address: dict[str, Any]) -> str:
    return ", ".join(str(address[k]) for k in ("line1", "city", "region") if address.get(k))


class JobFromEstimateView(PermissionRequiredMixin, View):
    """The accepted estimate's "Schedule the job" form: a start (company time) and hours."""

    permission = "jobs.manage"

    def post(self, request: HttpRequest, estimate_id: UUID) -> HttpResponse:
        user = _user(request)
        estimate = (
            Estimate.objects.filter(pk=estimate_id, customer__in=visible_customers(viewer=user))
            .select_related("customer")
            .first()
        )
        if estimate is None:
            raise Http404("No such estimate.")
        zone = zoneinfo.ZoneInfo(company_get().time_zone)
        try:
            start = dt.datetime.fromisoformat(request.POST.get("start", "")).replace(tzinfo=zone)
            hours = float(request.POST.get("hours", "0"))
            if not 0.5 <= hours <= 24 * 31:
                raise ValueError
        except ValueError:
            messages.error(request, "Give the start (date and time) and the booked hours.")
            return redirect("estimate-detail", estimate.pk)
        end = start + dt.timedelta(hours=hours)
        try:
            job = services.job_create(
                actor=user, customer=estimate.customer,
                data={"estimate": estimate, "scheduled_start": start, "scheduled_end": end,
                      "arrival_window_start": start, "arrival_window_end": start + dt.timedelta(hours=1)},
            )  # fmt: skip
        except ProblemError as problem:
            messages.error(request, problem.explanation)
            return redirect("estimate-detail", estimate.pk)
        messages.success(request, f"Job {job.number} scheduled.")
        return redirect("job-detail", job.pk)


class TimeOffRequestView(PermissionRequiredMixin, View):
    """From the crew's phone: ask for days off (whole days, company time)."""

    permission = "time_off.request"

    def post(self, request: HttpRequest) -> HttpResponse:
        user = _user(request)
        member = CrewMember.objects.filter(user=user, active=True).first()
        if member is None:
            raise Http404("No crew profile for your account.")
        zone = zoneinfo.ZoneInfo(company_get().time_zone)
        try:
            first = dt.date.fromisoformat(request.POST.get("first_day", ""))
            last = dt.date.fromisoformat(request.POST.get("last_day", ""))
        except ValueError:
            messages.error(request, "Give the first and the last day off.")
            return redirect("my-jobs")
        start = dt.datetime.combine(first, dt.time(), zone)
        end = dt.datetime.combine(last + dt.timedelta(days=1), dt.time(), zone)
        try:
            crew_services.time_off_request(
                actor=user, member=member, start=start, end=end,
                reason=request.POST.get("reason", "")[:200],
            )  # fmt: skip
        except ProblemError as problem:
            messages.error(request, problem.explanation)
        else:
            messages.success(request, "Time off requested; the dispatcher will answer.")
        return redirect("my-jobs")


class TimeOffReviewView(PermissionRequiredMixin, View):
    """The dispatcher's list of requests: approve (only if the person is free) or decline."""

    permission = "crew.manage"

    def get(self, request: HttpRequest) -> HttpResponse:
        pending = TimeOff.objects.filter(status=TimeOffStatus.REQUESTED).select_related(
            "crew_member"
        )
        recent = (
            TimeOff.objects.exclude(status=TimeOffStatus.REQUESTED)
            .select_related("crew_member")
            .order_by("-reviewed_at")[:20]
        )
        return render(request, "jobs/time_off.html", {"pending": pending, "recent": recent})

    def post(self, request: HttpRequest) -> HttpResponse:
        raw_id = request.POST.get("time_off_id", "")
        period = TimeOff.objects.filter(pk=int(raw_id)).first() if raw_id.isdigit() else None
        if period is None:
            raise Http404("No such request.")
        try:
            crew_services.time_off_review(
                actor=_user(request), time_off=period, approve=request.POST.get("approve") == "1"
            )
        except ProblemError as problem:
            jobs = ", ".join(c["job_number"] for c in problem.extra.get("conflicts", []))
            messages.error(request, f"{problem.detail} {jobs}".strip())
        else:
            messages.success(request, "Answered.")
        return redirect("time-off-review")


class ChecklistTemplatesView(PermissionRequiredMixin, View):
    """Administrators edit the checklists new jobs start with, one item per line."""

    permission = "company.change"

    def get(self, request: HttpRequest) -> HttpResponse:
        phases = [
            {"key": key, "label": label, "text": "\n".join(items)}
            for (key, label), items in zip(
                ChecklistPhase.choices, services.checklist_templates().values(), strict=True
            )
        ]
        signoffs = [
            {"key": kind, "text": "\n".join(names)}
            for kind, names in required_signoffs(company_get()).items()
        ]
        return render(request, "jobs/checklists.html", {"phases": phases, "signoffs": signoffs})

    def post(self, request: HttpRequest) -> HttpResponse:
        for key in ChecklistPhase.values:
            items = _lines(request.POST.get(key, ""), 200)
            if items != services.checklist_templates()[key]:
                services.checklist_template_save(actor=_user(request), phase=key, items=items)
        wanted = {
            kind: [SIGNOFF_NAME.sub("_", line.lower()).strip("_") for line in
                   _lines(request.POST.get(f"signoffs_{kind}", ""), 60)]
            for kind in required_signoffs(company_get())
        }  # fmt: skip
        if wanted != required_signoffs(company_get()):
            company_update(actor=_user(request), required_signoffs=wanted)
        messages.success(request, "Saved; jobs made from now on use these lists.")
        return redirect("checklist-templates")


SIGNOFF_NAME = re.compile(r"[^a-z0-9]+")


def _lines(text: str, width: int) -> list[str]:
    return [line.strip()[:width] for line in text.splitlines() if line.strip()][:50]

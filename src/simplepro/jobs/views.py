"""Pages and feeds of jobs and dispatch."""

from __future__ import annotations

import datetime as dt
import zoneinfo
from collections import defaultdict
from typing import Any
from uuid import UUID

from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.views import View

from simplepro.accounts.models import User
from simplepro.accounts.services import company_get
from simplepro.core.problems import ProblemError
from simplepro.core.views import PermissionRequiredMixin
from simplepro.jobs import ical, selectors, services
from simplepro.jobs.models import Assignment, CrewMember, Job, JobStatus, Truck


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
            messages.error(request, problem.detail)
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

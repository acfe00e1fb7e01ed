"""The crew side of the API: crew members, their time off, working hours and calendar feeds,
and trucks with their maintenance. (Moves with its models to a `crews` app.)"""

from __future__ import annotations

from decimal import Decimal
from typing import Any
from uuid import UUID

from django.conf import settings
from django.http import HttpRequest
from django.urls import reverse
from ninja import Router, Status

from simplepro.accounts.models import User
from simplepro.accounts.permissions import OWN_JOBS_ONLY, has_permission
from simplepro.core.api import PROBLEM, actor, reject_nulls, require
from simplepro.core.problems import Conflict, NotFound, invalid
from simplepro.jobs import crew_services
from simplepro.jobs.models import (
    CrewMember,
    TimeOff,
    TimeOffStatus,
    Truck,
)
from simplepro.jobs.payroll import CENT
from simplepro.jobs.schemas import (
    CrewMemberIn,
    CrewMemberOut,
    CrewMemberPatch,
    FeedOut,
    PeriodIn,
    PeriodOut,
    ReviewIn,
    TruckIn,
    TruckOut,
    TruckPatch,
    WorkingDay,
    WorkingHoursIn,
)

crew_router = Router(tags=["crew"])
trucks_router = Router(tags=["trucks"])
time_off_router = Router(tags=["crew"])


# --- Crew, trucks, time off ---------------------------------------------------------------


def _crew_member(crew_member_id: UUID) -> CrewMember:
    member = CrewMember.objects.filter(pk=crew_member_id).first()
    if member is None:
        raise NotFound("crew member")
    return member


def _truck(truck_id: UUID) -> Truck:
    truck = Truck.objects.filter(pk=truck_id).first()
    if truck is None:
        raise NotFound("truck")
    return truck


def crew_out(c: CrewMember) -> dict[str, Any]:
    return {
        "id": c.id, "name": c.name, "user_id": c.user_id, "skills": c.skills,
        "license_class": c.license_class, "license_expires": c.license_expires,
        "hourly_rate": Decimal(c.hourly_rate).quantize(CENT), "home_base": c.home_base,
        "rating": Decimal(c.rating).quantize(Decimal("0.1")),
        "active": c.active,
    }  # fmt: skip


def truck_out(t: Truck) -> dict[str, Any]:
    return {
        "id": t.id, "name": t.name, "capacity_cuft": t.capacity_cuft,
        "license_plate": t.license_plate, "required_license_class": t.required_license_class,
        "active": t.active,
    }  # fmt: skip


def _crew_fields(data: dict[str, Any]) -> dict[str, Any]:
    if "home_base" in data:
        data["home_base"] = data["home_base"] or {}
    if "user_id" in data:
        user_id = data.pop("user_id")
        user = User.objects.filter(pk=user_id).first() if user_id else None
        if user_id and user is None:
            raise invalid("user_id", "not_found", "No user with this id.")
        if user is not None and CrewMember.objects.filter(user=user).exists():
            raise Conflict("This user already has a crew profile.")
        if user is not None and user.role not in OWN_JOBS_ONLY:
            raise invalid(
                "user_id", "not_crew", "Link crew profiles to crew lead or crew member users."
            )
        data["user"] = user
    return data


@crew_router.get("", response={200: list[CrewMemberOut], **PROBLEM})
def list_crew(request: HttpRequest, active: bool | None = None) -> list[dict[str, Any]]:
    require(request, "crew.view")
    people = CrewMember.objects.all()
    if active is not None:
        people = people.filter(active=active)
    return [crew_out(c) for c in people]


@crew_router.post("", response={201: CrewMemberOut, **PROBLEM})
def create_crew_member(request: HttpRequest, payload: CrewMemberIn) -> Status[dict[str, Any]]:
    user = require(request, "crew.manage")
    fields = _crew_fields(payload.model_dump(mode="json"))
    fields["hourly_rate"], fields["rating"] = payload.hourly_rate, payload.rating
    fields["license_expires"] = payload.license_expires
    member = crew_services.save_resource(actor=user, instance=CrewMember(), fields=fields)
    return Status(201, crew_out(member))


@crew_router.get("/{crew_member_id}", response={200: CrewMemberOut, **PROBLEM})
def get_crew_member(request: HttpRequest, crew_member_id: UUID) -> dict[str, Any]:
    require(request, "crew.view")
    member = _crew_member(crew_member_id)
    return crew_out(member)


@crew_router.patch("/{crew_member_id}", response={200: CrewMemberOut, **PROBLEM})
def update_crew_member(
    request: HttpRequest, crew_member_id: UUID, payload: CrewMemberPatch
) -> dict[str, Any]:
    user = require(request, "crew.manage")
    member = _crew_member(crew_member_id)
    fields = payload.model_dump(exclude_unset=True)
    reject_nulls(fields, nullable=frozenset({"license_expires", "home_base"}))
    if "home_base" in fields:
        fields["home_base"] = payload.home_base.model_dump() if payload.home_base else {}
    return crew_out(crew_services.save_resource(actor=user, instance=member, fields=fields))


@crew_router.post("/{crew_member_id}/time-off", response={201: PeriodOut, **PROBLEM})
def request_time_off(
    request: HttpRequest, crew_member_id: UUID, payload: PeriodIn
) -> Status[dict[str, Any]]:
    """Crew ask for their own time off; the office may file it for anyone."""
    if not has_permission(actor(request), "crew.manage"):
        require(request, "time_off.request")
    user, member = _own_or_managed(request, crew_member_id)
    period = crew_services.time_off_request(
        actor=user, member=member, start=payload.start, end=payload.end, reason=payload.reason
    )
    return Status(201, _period_out(period))


def _own_or_managed(request: HttpRequest, crew_member_id: UUID) -> tuple[User, CrewMember]:
    """The office manages everyone; crew only themselves (others are simply not found)."""
    user = require(request, "jobs.view")
    member = _crew_member(crew_member_id)
    if not has_permission(user, "crew.manage") and member.user_id != user.pk:
        raise NotFound("crew member")
    return user, member


def _hours_out(member: CrewMember) -> list[dict[str, Any]]:
    return [
        {"weekday": h.weekday, "start": h.start, "end": h.end} for h in member.working_hours.all()
    ]


@crew_router.get("/{crew_member_id}/working-hours", response={200: list[WorkingDay], **PROBLEM})
def get_working_hours(request: HttpRequest, crew_member_id: UUID) -> list[dict[str, Any]]:
    require(request, "crew.view")
    member = _crew_member(crew_member_id)
    return _hours_out(member)


@crew_router.put("/{crew_member_id}/working-hours", response={200: list[WorkingDay], **PROBLEM})
def set_working_hours(
    request: HttpRequest, crew_member_id: UUID, payload: WorkingHoursIn
) -> list[dict[str, Any]]:
    """Replace the person's weekly hours (an empty list: any time)."""
    user = require(request, "crew.manage")
    member = _crew_member(crew_member_id)
    crew_services.working_hours_set(
        actor=user, member=member, days=[d.model_dump() for d in payload.days]
    )
    return _hours_out(member)


@crew_router.post("/{crew_member_id}/calendar-feed", response={201: FeedOut, **PROBLEM})
def issue_calendar_feed(request: HttpRequest, crew_member_id: UUID) -> Status[dict[str, str]]:
    """A new secret iCalendar URL for this person (the previous one stops working)."""
    user, member = _own_or_managed(request, crew_member_id)
    token = crew_services.calendar_feed_issue(actor=user, member=member)
    return Status(201, {"url": settings.PUBLIC_URL + reverse("calendar-feed", args=[token])})


@crew_router.delete("/{crew_member_id}/calendar-feed", response={204: None, **PROBLEM})
def revoke_calendar_feed(request: HttpRequest, crew_member_id: UUID) -> Status[None]:
    user, member = _own_or_managed(request, crew_member_id)
    crew_services.calendar_feed_revoke(actor=user, member=member)
    return Status(204, None)


def _period_out(p: Any) -> dict[str, Any]:
    return {"id": p.pk, "start": p.start, "end": p.end, "reason": p.reason,
            "status": getattr(p, "status", None)}  # fmt: skip


@time_off_router.get("", response={200: list[PeriodOut], **PROBLEM})
def list_time_off(request: HttpRequest, status: str | None = None) -> list[dict[str, Any]]:
    require(request, "crew.manage")
    periods = TimeOff.objects.all()
    if status in TimeOffStatus.values:
        periods = periods.filter(status=status)
    return [_period_out(p) for p in periods[:500]]


@time_off_router.post("/{time_off_id}/review", response={200: PeriodOut, **PROBLEM})
def review_time_off(request: HttpRequest, time_off_id: int, payload: ReviewIn) -> dict[str, Any]:
    user = require(request, "crew.manage")
    period = TimeOff.objects.filter(pk=time_off_id).first()
    if period is None:
        raise NotFound("time-off request")
    return _period_out(
        crew_services.time_off_review(actor=user, time_off=period, approve=payload.approve)
    )


@trucks_router.get("", response={200: list[TruckOut], **PROBLEM})
def list_trucks(request: HttpRequest) -> list[dict[str, Any]]:
    require(request, "crew.view")
    return [truck_out(t) for t in Truck.objects.all()]


@trucks_router.post("", response={201: TruckOut, **PROBLEM})
def create_truck(request: HttpRequest, payload: TruckIn) -> Status[dict[str, Any]]:
    user = require(request, "crew.manage")
    truck = crew_services.save_resource(actor=user, instance=Truck(), fields=payload.model_dump())
    return Status(201, truck_out(truck))


@trucks_router.get("/{truck_id}", response={200: TruckOut, **PROBLEM})
def get_truck(request: HttpRequest, truck_id: UUID) -> dict[str, Any]:
    require(request, "crew.view")
    truck = _truck(truck_id)
    return truck_out(truck)


@trucks_router.patch("/{truck_id}", response={200: TruckOut, **PROBLEM})
def update_truck(request: HttpRequest, truck_id: UUID, payload: TruckPatch) -> dict[str, Any]:
    user = require(request, "crew.manage")
    truck = _truck(truck_id)
    fields = payload.model_dump(exclude_unset=True)
    reject_nulls(fields)
    return truck_out(crew_services.save_resource(actor=user, instance=truck, fields=fields))


@trucks_router.post("/{truck_id}/maintenance", response={201: PeriodOut, **PROBLEM})
def add_maintenance(
    request: HttpRequest, truck_id: UUID, payload: PeriodIn
) -> Status[dict[str, Any]]:
    user = require(request, "crew.manage")
    truck = _truck(truck_id)
    window = crew_services.maintenance_create(
        actor=user, truck=truck, start=payload.start, end=payload.end, reason=payload.reason
    )
    return Status(201, _period_out(window))

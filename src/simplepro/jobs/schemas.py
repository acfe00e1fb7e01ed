"""API shapes for jobs, crew, trucks and dispatch. Times must carry an offset: a naive time is
ambiguous for a company in one zone and a crew in another (422)."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any, Literal
from uuid import UUID

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field, field_validator

from simplepro.customers.schemas import AddressIn

JobType = Literal["local", "long_distance", "storage", "packing_only"]
SkillName = Literal["driver", "packer", "piano", "crating", "supervisor"]
LicenseName = Literal["A", "B", "C", "D"]
RoleName = Literal["lead", "mover", "driver", "specialist"]
StatusName = Literal[
    "scheduled",
    "confirmed",
    "en_route",
    "in_progress",
    "completed",
    "closed",
    "cancelled",
    "on_hold",
]


class StrictIn(BaseModel):
    model_config = ConfigDict(extra="forbid")


class GeoAddressIn(AddressIn):
    """An address as for customers, with optional coordinates (for crew proximity)."""

    latitude: float | None = Field(default=None, ge=-90, le=90)
    longitude: float | None = Field(default=None, ge=-180, le=180)


Address = str | GeoAddressIn


class JobIn(StrictIn):
    customer_id: UUID
    estimate_id: UUID | None = None
    job_type: JobType = "local"
    scheduled_start: AwareDatetime
    scheduled_end: AwareDatetime
    arrival_window_start: AwareDatetime | None = None
    arrival_window_end: AwareDatetime | None = None
    pickup_address: Address = Field(default="", union_mode="left_to_right")
    delivery_address: Address = Field(default="", union_mode="left_to_right")
    stops: list[Address] = Field(default_factory=list, max_length=20)
    required_crew: int | None = Field(default=None, ge=1, le=20)
    required_trucks: int | None = Field(default=None, ge=0, le=10)
    estimated_hours: Decimal | None = Field(default=None, ge=0, le=500, decimal_places=2)
    required_skills: list[SkillName] = Field(default_factory=list, max_length=5)
    preferred_crew: list[UUID] = Field(default_factory=list, max_length=20)
    notes: str = Field(default="", max_length=5000)


class JobPatch(StrictIn):
    scheduled_start: AwareDatetime | None = None
    scheduled_end: AwareDatetime | None = None
    arrival_window_start: AwareDatetime | None = None
    arrival_window_end: AwareDatetime | None = None
    pickup_address: Address | None = None
    delivery_address: Address | None = None
    stops: list[Address] | None = Field(default=None, max_length=20)
    required_crew: int | None = Field(default=None, ge=1, le=20)
    required_trucks: int | None = Field(default=None, ge=0, le=10)
    required_skills: list[SkillName] | None = Field(default=None, max_length=5)
    preferred_crew: list[UUID] | None = Field(default=None, max_length=20)
    notes: str | None = Field(default=None, max_length=5000)


class TransitionIn(StrictIn):
    to: StatusName
    reason: str = Field(default="", max_length=500)


class SignoffIn(StrictIn):
    name: str = Field(min_length=1, max_length=60)


class AssignmentIn(StrictIn):
    crew_member_id: UUID | None = None
    truck_id: UUID | None = None
    role: RoleName = "mover"


class AssignmentOut(BaseModel):
    id: UUID
    crew_member_id: UUID | None
    truck_id: UUID | None
    name: str
    role: str
    start: dt.datetime
    end: dt.datetime
    blocks: bool


class JobOut(BaseModel):
    id: UUID
    number: str
    customer_id: UUID
    customer_name: str
    estimate_id: UUID | None
    estimate_version: int | None
    job_type: str
    status: str
    status_reason: str
    scheduled_start: dt.datetime
    scheduled_end: dt.datetime
    arrival_window_start: dt.datetime | None
    arrival_window_end: dt.datetime | None
    pickup_address: dict[str, Any]
    delivery_address: dict[str, Any]
    stops: list[dict[str, Any]]
    required_crew: int
    required_trucks: int
    estimated_hours: Decimal
    total: Decimal | None
    required_skills: list[str]
    required_signoffs: list[str]
    signoffs: dict[str, Any]
    missing_signoffs: list[str]
    checklist: list[dict[str, Any]]
    allowed_transitions: list[str]
    assignments: list[AssignmentOut]
    notes: str
    created_at: dt.datetime


class JobPageOut(BaseModel):
    items: list[JobOut]
    count: int
    page: int
    page_size: int
    next: str | None
    previous: str | None


class CrewMemberIn(StrictIn):
    name: str = Field(min_length=1, max_length=200)
    user_id: UUID | None = None
    skills: list[SkillName] = Field(default_factory=list, max_length=5)
    license_class: LicenseName | Literal[""] = ""
    license_expires: dt.date | None = None
    hourly_rate: Decimal = Field(default=Decimal(0), ge=0, le=1000, decimal_places=2)
    home_base: GeoAddressIn | None = None
    rating: Decimal = Field(default=Decimal(3), ge=0, le=5, decimal_places=1)
    active: bool = True


class CrewMemberPatch(StrictIn):
    name: str | None = Field(default=None, min_length=1, max_length=200)
    skills: list[SkillName] | None = Field(default=None, max_length=5)
    license_class: LicenseName | Literal[""] | None = None
    license_expires: dt.date | None = None
    hourly_rate: Decimal | None = Field(default=None, ge=0, le=1000, decimal_places=2)
    home_base: GeoAddressIn | None = None
    rating: Decimal | None = Field(default=None, ge=0, le=5, decimal_places=1)
    active: bool | None = None


class CrewMemberOut(BaseModel):
    id: UUID
    name: str
    user_id: UUID | None
    skills: list[str]
    license_class: str
    license_expires: dt.date | None
    hourly_rate: Decimal
    home_base: dict[str, Any]
    rating: Decimal
    active: bool


class TruckIn(StrictIn):
    name: str = Field(min_length=1, max_length=100)
    capacity_cuft: int = Field(ge=1, le=10_000)
    license_plate: str = Field(min_length=1, max_length=20)
    required_license_class: LicenseName = "D"
    active: bool = True


class TruckPatch(StrictIn):
    name: str | None = Field(default=None, min_length=1, max_length=100)
    capacity_cuft: int | None = Field(default=None, ge=1, le=10_000)
    license_plate: str | None = Field(default=None, min_length=1, max_length=20)
    required_license_class: LicenseName | None = None
    active: bool | None = None


class TruckOut(BaseModel):
    id: UUID
    name: str
    capacity_cuft: int
    license_plate: str
    required_license_class: str
    active: bool


class PeriodIn(StrictIn):
    start: AwareDatetime
    end: AwareDatetime
    reason: str = Field(default="", max_length=200)


class PeriodOut(BaseModel):
    id: int
    start: dt.datetime
    end: dt.datetime
    reason: str
    status: str | None = None


class ReviewIn(StrictIn):
    approve: bool


class SuggestionOut(BaseModel):
    crew_member_id: UUID
    name: str
    score: float
    available: bool
    parts: dict[str, float]
    notes: list[str]


class SuggestedCrewOut(BaseModel):
    required_crew: int
    items: list[SuggestionOut]


class CalendarOut(BaseModel):
    start: dt.date
    end: dt.date
    items: list[dict[str, Any]]


class FeedOut(BaseModel):
    url: str


class TimeEntryOut(BaseModel):
    id: int
    crew_member_id: UUID
    name: str
    clock_in: dt.datetime
    clock_out: dt.datetime | None
    hours: Decimal | None


class JobTimeOut(BaseModel):
    estimated_hours: Decimal
    actual_hours: Decimal
    items: list[TimeEntryOut]


class TimeEntryPatch(StrictIn):
    clock_in: AwareDatetime
    clock_out: AwareDatetime | None = None
    reason: str = Field(min_length=1, max_length=300)


class PayLineOut(BaseModel):
    crew_member_id: UUID
    name: str
    hourly_rate: Decimal
    regular_hours: Decimal
    overtime_hours: Decimal
    regular_pay: Decimal
    overtime_pay: Decimal
    total_pay: Decimal
    entries: int


class PayrollOut(BaseModel):
    start: dt.date
    end: dt.date
    overtime_after_hours: Decimal
    overtime_multiplier: Decimal
    items: list[PayLineOut]


class ChecklistTickIn(StrictIn):
    index: int = Field(ge=0, le=200)
    done: bool = True


class ChecklistTemplateIn(StrictIn):
    items: list[str] = Field(max_length=50)


class WorkingDay(BaseModel):
    model_config = ConfigDict(extra="forbid")

    weekday: int = Field(ge=0, le=6, description="0 Monday … 6 Sunday")
    start: dt.time = Field(description="Wall-clock time in the company's time zone, no offset")
    end: dt.time

    @field_validator("start", "end")
    @classmethod
    def _wall_clock(cls, value: dt.time) -> dt.time:
        # Working hours are the company's local clock; a time with an offset has no meaning
        # here (and the database could not store it).
        if value.tzinfo is not None:
            raise ValueError("a time of day without a UTC offset, e.g. 08:00")
        return value


class WorkingHoursIn(StrictIn):
    days: list[WorkingDay] = Field(max_length=7)

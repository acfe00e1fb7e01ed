"""Jobs, the crew and trucks that do them, and the bookings that must never overlap.

A booking (`Assignment`) carries its own copy of the job's booked block (`start`, `end`): the
overlap rule is then a rule about assignment rows alone, which PostgreSQL enforces with an
exclusion constraint (migration 0002) and every write path checks first (`booking.py`).
Intervals are half-open: a job ending at 12:00 and one starting at 12:00 do not overlap.
"""

from __future__ import annotations

import uuid
from typing import ClassVar

from django.conf import settings
from django.db import models


class Skill(models.TextChoices):
    DRIVER = "driver", "Driver"
    PACKER = "packer", "Packer"
    PIANO = "piano", "Piano"
    CRATING = "crating", "Crating"
    SUPERVISOR = "supervisor", "Supervisor"


class LicenseClass(models.TextChoices):
    """US driver's license classes, heaviest first: A covers B, C and D; B covers C and D…"""

    A = "A", "CDL class A"
    B = "B", "CDL class B"
    C = "C", "CDL class C"
    D = "D", "Regular (class D)"


class CrewMember(models.Model):
    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    user = models.OneToOneField(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="crew_member",
    )
    name = models.CharField(max_length=200)
    skills = models.JSONField(default=list, blank=True)
    license_class = models.CharField(max_length=1, choices=LicenseClass.choices, blank=True)
    license_expires = models.DateField(null=True, blank=True)
    hourly_rate = models.DecimalField(max_digits=8, decimal_places=2, default=0)
    # {"line1", "city", "region", "postal_code", "latitude", "longitude"}; coordinates optional
    home_base = models.JSONField(default=dict, blank=True)
    rating = models.DecimalField(max_digits=2, decimal_places=1, default=3)
    active = models.BooleanField(default=True)
    # SHA-256 of the secret in the person's iCalendar feed URL; empty: no feed (revoked).
    calendar_token_hash = models.CharField(max_length=64, blank=True, db_index=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ("name",)

    def __str__(self) -> str:
        return self.name


class Truck(models.Model):
    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    name = models.CharField(max_length=100)
    capacity_cuft = models.PositiveIntegerField()
    license_plate = models.CharField(max_length=20)
    required_license_class = models.CharField(
        max_length=1, choices=LicenseClass.choices, default=LicenseClass.D
    )
    active = models.BooleanField(default=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ("name",)

    def __str__(self) -> str:
        return self.name


class WorkingHours(models.Model):
    """When a person usually works, per weekday (company time); no rows: any time. Used by the
    crew suggestions (outside these hours a person is not offered)."""

    crew_member = models.ForeignKey(
        CrewMember, on_delete=models.CASCADE, related_name="working_hours"
    )
    weekday = models.PositiveSmallIntegerField(help_text="0 Monday … 6 Sunday")
    start = models.TimeField()
    end = models.TimeField()

    class Meta:
        ordering = ("weekday", "start")
        constraints: ClassVar = [
            models.UniqueConstraint(fields=["crew_member", "weekday"], name="hours_one_per_day"),
            models.CheckConstraint(
                condition=models.Q(end__gt=models.F("start")), name="hours_positive"
            ),
            models.CheckConstraint(condition=models.Q(weekday__lte=6), name="hours_weekday"),
        ]

    def __str__(self) -> str:
        return f"{self.crew_member} {self.weekday} {self.start}-{self.end}"


class MaintenanceWindow(models.Model):
    truck = models.ForeignKey(Truck, on_delete=models.CASCADE, related_name="maintenance")
    start = models.DateTimeField()
    end = models.DateTimeField()
    reason = models.CharField(max_length=200, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ("start",)

    def __str__(self) -> str:
        return f"{self.truck} {self.start:%Y-%m-%d}"


class TimeOffStatus(models.TextChoices):
    REQUESTED = "requested", "Requested"
    APPROVED = "approved", "Approved"
    DECLINED = "declined", "Declined"


class TimeOff(models.Model):
    crew_member = models.ForeignKey(CrewMember, on_delete=models.CASCADE, related_name="time_off")
    start = models.DateTimeField()
    end = models.DateTimeField()
    reason = models.CharField(max_length=200, blank=True)
    status = models.CharField(
        max_length=10, choices=TimeOffStatus.choices, default=TimeOffStatus.REQUESTED
    )
    reviewed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    reviewed_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ("start",)

    def __str__(self) -> str:
        return f"{self.crew_member} {self.start:%Y-%m-%d}"


class JobStatus(models.TextChoices):
    SCHEDULED = "scheduled", "Scheduled"
    CONFIRMED = "confirmed", "Confirmed"
    EN_ROUTE = "en_route", "En route"
    IN_PROGRESS = "in_progress", "In progress"
    COMPLETED = "completed", "Completed"
    CLOSED = "closed", "Closed"
    CANCELLED = "cancelled", "Cancelled"
    ON_HOLD = "on_hold", "On hold"


# Jobs in these states book nobody: their assignments stay for history but stop blocking.
NOT_BLOCKING = frozenset({JobStatus.CANCELLED, JobStatus.CLOSED})


class JobSequence(models.Model):
    """The last job number handed out per year (`J-2027-00042`), advanced by one atomic
    UPSERT so concurrent creations never share a number."""

    year = models.PositiveIntegerField(primary_key=True)
    last = models.PositiveIntegerField(default=0)

    def __str__(self) -> str:
        return f"{self.year}: {self.last}"


class Job(models.Model):
    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    number = models.CharField(max_length=20, unique=True)
    customer = models.ForeignKey(
        "customers.Customer", on_delete=models.PROTECT, related_name="jobs"
    )
    estimate = models.ForeignKey(
        "estimates.Estimate", null=True, blank=True, on_delete=models.PROTECT, related_name="jobs"
    )
    estimate_version = models.ForeignKey(
        "estimates.EstimateVersion",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    job_type = models.CharField(max_length=20, default="local")
    status = models.CharField(max_length=12, choices=JobStatus.choices, default=JobStatus.SCHEDULED)
    # The crew's booked block (conflicts are computed on it) and the window promised to the
    # customer for the crew's arrival.
    scheduled_start = models.DateTimeField()
    scheduled_end = models.DateTimeField()
    arrival_window_start = models.DateTimeField(null=True, blank=True)
    arrival_window_end = models.DateTimeField(null=True, blank=True)
    pickup_address = models.JSONField(default=dict)
    delivery_address = models.JSONField(default=dict)
    stops = models.JSONField(default=list, blank=True)
    required_crew = models.PositiveSmallIntegerField(default=2)
    required_trucks = models.PositiveSmallIntegerField(default=1)
    estimated_hours = models.DecimalField(max_digits=6, decimal_places=2, default=0)
    total = models.DecimalField(max_digits=12, decimal_places=2, null=True, blank=True)
    services = models.JSONField(default=dict, blank=True)
    inventory = models.JSONField(default=list, blank=True)
    required_skills = models.JSONField(default=list, blank=True)
    preferred_crew = models.JSONField(default=list, blank=True)
    # Sign-offs the customer must give before the clock may start (name → who and when).
    required_signoffs = models.JSONField(default=list, blank=True)
    signoffs = models.JSONField(default=dict, blank=True)
    # Copied from the checklist templates when the job is made: [{phase, item, done_by, done_at}]
    checklist = models.JSONField(default=list, blank=True)
    status_reason = models.CharField(max_length=500, blank=True)
    notes = models.TextField(blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ("scheduled_start", "number")
        indexes: ClassVar = [
            models.Index(fields=["scheduled_start", "scheduled_end"], name="job_block_idx"),
            models.Index(fields=["status"], name="job_status_idx"),
        ]
        constraints: ClassVar = [
            models.CheckConstraint(
                condition=models.Q(scheduled_end__gt=models.F("scheduled_start")),
                name="job_block_positive",
            )
        ]

    def __str__(self) -> str:
        return self.number

    @property
    def missing_signoffs(self) -> list[str]:
        return [name for name in self.required_signoffs if name not in self.signoffs]


class AssignmentRole(models.TextChoices):
    LEAD = "lead", "Lead"
    MOVER = "mover", "Mover"
    DRIVER = "driver", "Driver"
    SPECIALIST = "specialist", "Specialist"


class Assignment(models.Model):
    """One person or one truck booked on a job, with a copy of the job's booked block."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    job = models.ForeignKey(Job, on_delete=models.CASCADE, related_name="assignments")
    crew_member = models.ForeignKey(
        CrewMember, null=True, blank=True, on_delete=models.PROTECT, related_name="assignments"
    )
    truck = models.ForeignKey(
        Truck, null=True, blank=True, on_delete=models.PROTECT, related_name="assignments"
    )
    role = models.CharField(
        max_length=12, choices=AssignmentRole.choices, default=AssignmentRole.MOVER
    )
    start = models.DateTimeField()
    end = models.DateTimeField()
    blocks = models.BooleanField(default=True, help_text="False once the job is cancelled/closed")
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ("start",)
        indexes: ClassVar = [
            models.Index(fields=["crew_member", "start", "end"], name="assignment_person_idx"),
            models.Index(fields=["truck", "start", "end"], name="assignment_truck_idx"),
        ]
        constraints: ClassVar = [
            models.CheckConstraint(
                condition=(
                    models.Q(crew_member__isnull=False, truck__isnull=True)
                    | models.Q(crew_member__isnull=True, truck__isnull=False)
                ),
                name="assignment_person_or_truck",
            ),
            models.CheckConstraint(
                condition=models.Q(end__gt=models.F("start")), name="assignment_block_positive"
            ),
            models.UniqueConstraint(
                fields=["job", "crew_member"], name="assignment_person_once_per_job"
            ),
            models.UniqueConstraint(fields=["job", "truck"], name="assignment_truck_once_per_job"),
        ]

    def __str__(self) -> str:
        return f"{self.job} {self.crew_member or self.truck}"


class TimeEntry(models.Model):
    """One stretch of work by one person on one job: clock in, clock out (open until then).
    Changes by the office are audited with their reason."""

    job = models.ForeignKey(Job, on_delete=models.PROTECT, related_name="time_entries")
    crew_member = models.ForeignKey(
        CrewMember, on_delete=models.PROTECT, related_name="time_entries"
    )
    clock_in = models.DateTimeField()
    clock_out = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ("clock_in",)
        indexes: ClassVar = [
            models.Index(fields=["crew_member", "clock_in"], name="time_person_idx")
        ]
        constraints: ClassVar = [
            # one open entry per person: nobody is clocked in twice
            models.UniqueConstraint(
                fields=["crew_member"],
                condition=models.Q(clock_out__isnull=True),
                name="time_one_open_entry",
            ),
            models.CheckConstraint(
                condition=models.Q(clock_out__isnull=True)
                | models.Q(clock_out__gt=models.F("clock_in")),
                name="time_out_after_in",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.crew_member} {self.clock_in:%Y-%m-%d %H:%M}"


class ChecklistPhase(models.TextChoices):
    PRE_MOVE = "pre_move", "Before the move"
    ON_SITE = "on_site", "On site"
    POST_MOVE = "post_move", "After the move"


class ChecklistTemplate(models.Model):
    """What the crew ticks off in each phase of a job; administrators edit it. New jobs copy
    it, so changing a template never rewrites the checklist of a job already made."""

    phase = models.CharField(max_length=10, choices=ChecklistPhase.choices, unique=True)
    items = models.JSONField(default=list)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ("phase",)

    def __str__(self) -> str:
        return self.phase


# Until an administrator edits them: a sensible start for a moving crew.
DEFAULT_CHECKLISTS = {
    ChecklistPhase.PRE_MOVE: [
        "Confirm the arrival window with the customer",
        "Truck fuelled, pads, dollies and straps loaded",
        "Parking or elevator reserved where needed",
    ],
    ChecklistPhase.ON_SITE: [
        "Walk-through with the customer; note existing damage",
        "Floors and door frames protected",
        "Inventory checked against the estimate",
        "Bill of lading signed",
    ],
    ChecklistPhase.POST_MOVE: [
        "Final walk-through with the customer",
        "Customer signed delivery receipt",
        "Equipment counted back onto the truck",
    ],
}

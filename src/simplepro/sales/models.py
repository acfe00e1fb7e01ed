"""Leads, opportunities, activities and the funnel events they leave behind.

A lead is what arrived (from the web form or typed in by the office), kept as it came; the
opportunity is the move a customer is considering, worked by one salesperson through an
explicit pipeline (`TRANSITIONS`). Funnel figures are counted from `FunnelEvent` rows written
when each step happens, never recomputed from the current state of the records.
"""

from __future__ import annotations

import secrets
import uuid
from typing import ClassVar

from django.conf import settings
from django.db import models
from django.utils import timezone

from simplepro.customers.models import LeadSource


class MoveSize(models.TextChoices):
    STUDIO = "studio", "Studio"
    ONE_BEDROOM = "one_bedroom", "1 bedroom"
    TWO_BEDROOMS = "two_bedrooms", "2 bedrooms"
    THREE_BEDROOMS = "three_bedrooms", "3 bedrooms"
    FOUR_BEDROOMS = "four_bedrooms", "4 bedrooms"
    FIVE_BEDROOMS = "five_bedrooms", "5 bedrooms"
    OFFICE = "office", "Office"


class Service(models.TextChoices):
    LOCAL = "local", "Local move"
    LONG_DISTANCE = "long_distance", "Long-distance move"
    STORAGE = "storage", "Storage"
    PACKING_ONLY = "packing_only", "Packing only"


class Flexibility(models.TextChoices):
    EXACT = "exact", "This date"
    WEEK = "week", "Within a week"
    MONTH = "month", "Within a month"
    FLEXIBLE = "flexible", "Flexible"


class Priority(models.TextChoices):
    LOW = "low", "Low"
    MEDIUM = "medium", "Medium"
    HIGH = "high", "High"
    URGENT = "urgent", "Urgent"


class OpportunityStatus(models.TextChoices):
    OPEN = "open", "Open"
    CONTACTED = "contacted", "Contacted"
    QUOTED = "quoted", "Quoted"
    NEGOTIATING = "negotiating", "Negotiating"
    WON = "won", "Won"
    LOST = "lost", "Lost"
    CANCELLED = "cancelled", "Cancelled"


S = OpportunityStatus
# The pipeline: where an opportunity may go from each status. Anything else is a 409 that
# lists these. A lost or cancelled move may be reopened (the customer calls back); a won one
# is finished here, its job carries on.
TRANSITIONS: dict[str, tuple[str, ...]] = {
    S.OPEN: (S.CONTACTED, S.QUOTED, S.WON, S.LOST, S.CANCELLED),
    S.CONTACTED: (S.QUOTED, S.NEGOTIATING, S.WON, S.LOST, S.CANCELLED),
    S.QUOTED: (S.NEGOTIATING, S.WON, S.LOST, S.CANCELLED),
    S.NEGOTIATING: (S.QUOTED, S.WON, S.LOST, S.CANCELLED),
    S.WON: (),
    S.LOST: (S.OPEN,),
    S.CANCELLED: (S.OPEN,),
}
OPEN_STATUSES = (S.OPEN, S.CONTACTED, S.QUOTED, S.NEGOTIATING)
CLOSED_STATUSES = (S.WON, S.LOST, S.CANCELLED)
# Board columns, in pipeline order; weights for the pipeline value (a quoted move is more
# likely to close than one nobody has called yet). docs/sales.md explains the figures.
STAGE_WEIGHTS: dict[str, int] = {
    S.OPEN: 10,
    S.CONTACTED: 25,
    S.QUOTED: 50,
    S.NEGOTIATING: 70,
    S.WON: 100,
    S.LOST: 0,
    S.CANCELLED: 0,
}


def _public_key() -> str:
    return "lf_" + secrets.token_urlsafe(18)


class LeadForm(models.Model):
    """A web form the company puts on its own site. The public key identifies the form, it
    is not a secret (it sits in the site's HTML); what protects the endpoint is the origin
    list, the rate limits, the honeypot and the optional challenge."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    name = models.CharField(max_length=120)
    public_key = models.CharField(max_length=40, unique=True, default=_public_key)
    # Sites that may embed or post to the form ("https://www.example-movers.com").
    allowed_origins = models.JSONField(default=list, blank=True)
    source = models.CharField(max_length=20, choices=LeadSource.choices, default=LeadSource.WEBSITE)
    # Who works its leads: this person, else the customer's salesperson, else the rotation.
    salesperson = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
        related_name="+",
    )  # fmt: skip
    show_price_range = models.BooleanField(default=False)
    is_active = models.BooleanField(default=True)
    created_at = models.DateTimeField(auto_now_add=True)

    def __str__(self) -> str:
        return self.name


class Opportunity(models.Model):
    """A move a customer is considering, from first contact to won (with its job) or lost."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    customer = models.ForeignKey(
        "customers.Customer", on_delete=models.PROTECT, related_name="opportunities"
    )
    service = models.CharField(max_length=16, choices=Service.choices, default=Service.LOCAL)
    move_date = models.DateField(null=True, blank=True)
    flexibility = models.CharField(
        max_length=10, choices=Flexibility.choices, default=Flexibility.EXACT
    )
    move_size = models.CharField(max_length=16, choices=MoveSize.choices, blank=True)
    # {postal_code, address, floor, elevator, stairs_flights, long_carry_feet, notes}
    origin = models.JSONField(default=dict, blank=True)
    destination = models.JSONField(default=dict, blank=True)
    source = models.CharField(max_length=20, choices=LeadSource.choices, blank=True)
    campaign = models.CharField(max_length=120, blank=True)
    salesperson = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
        related_name="opportunities",
    )  # fmt: skip
    priority = models.CharField(max_length=8, choices=Priority.choices, default=Priority.MEDIUM)
    estimated_value = models.DecimalField(max_digits=12, decimal_places=2, null=True, blank=True)
    status = models.CharField(max_length=12, choices=S.choices, default=S.OPEN)
    # Why it was lost or cancelled (a key of close_reasons), and the won/lost analysis.
    close_reason = models.CharField(max_length=40, blank=True)
    close_note = models.CharField(max_length=500, blank=True)
    competitor = models.CharField(max_length=120, blank=True)
    price_difference = models.DecimalField(max_digits=12, decimal_places=2, null=True, blank=True)
    job = models.ForeignKey(
        "jobs.Job", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    notes = models.TextField(blank=True)
    closed_at = models.DateTimeField(null=True, blank=True)
    # The last thing anyone did about it: stale detection and "no activity for N days".
    last_activity_at = models.DateTimeField(default=timezone.now)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
        related_name="+",
    )  # fmt: skip
    created_at = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ("-created_at",)
        indexes: ClassVar = [
            models.Index(fields=["status", "-updated_at"], name="opportunity_board_idx"),
            models.Index(
                fields=["salesperson", "status", "-updated_at"], name="opportunity_sales_idx"
            ),
            models.Index(fields=["customer", "status"], name="opportunity_customer_idx"),
            # The board's sums read these alone (PostgreSQL: index-only, with the value).
            models.Index(
                fields=["status", "closed_at"],
                include=["estimated_value"],
                name="opportunity_closed_idx",
            ),
            models.Index(
                fields=["status", "salesperson"],
                include=["estimated_value"],
                name="opportunity_value_idx",
            ),
        ]
        verbose_name_plural = "opportunities"

    def __str__(self) -> str:
        return f"{self.customer_id} {self.get_move_size_display() or self.service}"

    @property
    def is_open(self) -> bool:
        return self.status in OPEN_STATUSES

    def allowed_next(self) -> tuple[str, ...]:
        return TRANSITIONS[self.status]


class OpportunityEstimate(models.Model):
    """An estimate quoted for an opportunity (an estimate belongs to at most one)."""

    opportunity = models.ForeignKey(Opportunity, on_delete=models.CASCADE, related_name="quotes")
    estimate = models.OneToOneField(
        "estimates.Estimate", on_delete=models.CASCADE, related_name="opportunity_link"
    )
    linked_at = models.DateTimeField(default=timezone.now)

    def __str__(self) -> str:
        return f"{self.opportunity_id} ← {self.estimate_id}"


class Lead(models.Model):
    """What arrived, as it arrived: the form's fields, its campaign (UTM parameters), and
    which customer and opportunity it became. Never edited afterwards."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    form = models.ForeignKey(
        LeadForm, null=True, blank=True, on_delete=models.SET_NULL, related_name="leads"
    )
    received_at = models.DateTimeField(default=timezone.now)
    fields = models.JSONField(default=dict)
    utm = models.JSONField(default=dict, blank=True)
    customer = models.ForeignKey("customers.Customer", on_delete=models.PROTECT, related_name="+")
    opportunity = models.ForeignKey(Opportunity, on_delete=models.PROTECT, related_name="leads")
    # It matched an existing customer (by what), so it was attached rather than made anew.
    matched_by = models.CharField(max_length=10, blank=True)
    entered_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
        related_name="+",
    )  # fmt: skip

    class Meta:
        ordering = ("-received_at",)

    def __str__(self) -> str:
        return f"lead {self.pk}"

    @property
    def is_duplicate(self) -> bool:
        return bool(self.matched_by)


class ActivityKind(models.TextChoices):
    CALL = "call", "Call"
    EMAIL = "email", "E-mail"
    TEXT = "text", "Text"
    MEETING = "meeting", "Meeting"
    TASK = "task", "Task"
    NOTE = "note", "Note"
    QUOTE_SENT = "quote_sent", "Quote sent"
    FOLLOW_UP = "follow_up", "Follow-up"


class Outcome(models.TextChoices):
    REACHED = "reached", "Reached"
    NO_ANSWER = "no_answer", "No answer"
    VOICEMAIL = "voicemail", "Left a voicemail"
    CALLBACK_REQUESTED = "callback_requested", "Callback requested"
    NOT_INTERESTED = "not_interested", "Not interested"
    CONVERTED = "converted", "Converted"
    DONE = "done", "Done"


class ActivityQuerySet(models.QuerySet["Activity"]):
    def pending(self) -> ActivityQuerySet:
        return self.filter(completed_at__isnull=True)


class Activity(models.Model):
    """Something done or to do about an opportunity: a call, a meeting, a task, a note."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    opportunity = models.ForeignKey(
        Opportunity, on_delete=models.CASCADE, related_name="activities"
    )
    kind = models.CharField(max_length=12, choices=ActivityKind.choices)
    subject = models.CharField(max_length=200)
    description = models.TextField(blank=True)
    due_at = models.DateTimeField(null=True, blank=True)
    assignee = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
        related_name="activities",
    )  # fmt: skip
    outcome = models.CharField(max_length=20, choices=Outcome.choices, blank=True)
    completed_at = models.DateTimeField(null=True, blank=True)
    completed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
        related_name="+",
    )  # fmt: skip
    # Made by a follow-up rule (its key), not by a person.
    automatic = models.CharField(max_length=60, blank=True)
    # When its assignee was told it is coming up, and that it is overdue (each once).
    upcoming_reminded_at = models.DateTimeField(null=True, blank=True)
    overdue_reminded_at = models.DateTimeField(null=True, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
        related_name="+",
    )  # fmt: skip
    created_at = models.DateTimeField(default=timezone.now)

    objects = ActivityQuerySet.as_manager()

    class Meta:
        ordering = ("due_at", "created_at")
        verbose_name_plural = "activities"
        indexes: ClassVar = [
            models.Index(fields=["assignee", "completed_at", "due_at"], name="activity_day_idx"),
            # A person's open tasks in the order lists show them: PostgreSQL cannot read
            # "completed_at IS NULL, ORDER BY due_at" in order from the index above, so it
            # sorted every open task (and hashed every opportunity) for a page of 20: 32 ms →
            # 0.8 ms for 650 overdue of 1,000,000 (bench/sales_bench.py).
            models.Index(
                fields=["assignee", "due_at", "created_at"],
                condition=models.Q(completed_at__isnull=True),
                name="activity_pending_idx",
            ),
            models.Index(fields=["opportunity", "-created_at"], name="activity_timeline_idx"),
        ]

    def __str__(self) -> str:
        return self.subject

    @property
    def is_done(self) -> bool:
        return self.completed_at is not None


class FunnelStage(models.TextChoices):
    LEAD = "lead", "Leads"
    OPPORTUNITY = "opportunity", "Opportunities"
    QUOTE_SENT = "quote_sent", "Quotes sent"
    QUOTE_ACCEPTED = "quote_accepted", "Quotes accepted"
    JOB_CREATED = "job_created", "Jobs booked"
    JOB_COMPLETED = "job_completed", "Moves completed"
    WON = "won", "Won"
    LOST = "lost", "Lost"


class FunnelEvent(models.Model):
    """One step of one opportunity, recorded when it happened (once per stage), with the
    dimensions the funnel groups by as they were then: later reassignment does not rewrite
    last month's figures."""

    id = models.BigAutoField(primary_key=True)
    stage = models.CharField(max_length=16, choices=FunnelStage.choices)
    at = models.DateTimeField(default=timezone.now)
    opportunity = models.ForeignKey(
        Opportunity, on_delete=models.CASCADE, related_name="funnel_events"
    )
    source = models.CharField(max_length=20, blank=True)
    salesperson = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
        related_name="+",
    )  # fmt: skip
    move_size = models.CharField(max_length=16, blank=True)
    value = models.DecimalField(max_digits=12, decimal_places=2, null=True, blank=True)

    class Meta:
        constraints: ClassVar = [
            models.UniqueConstraint(fields=["opportunity", "stage"], name="funnel_stage_once")
        ]
        indexes: ClassVar = [models.Index(fields=["stage", "at"], name="funnel_period_idx")]

    def __str__(self) -> str:
        return f"{self.stage} {self.opportunity_id}"


class SalesTurn(models.Model):
    """Whose turn it is in the round-robin (one row, locked while a lead is assigned, so
    two leads arriving together go to two people)."""

    id = models.PositiveSmallIntegerField(primary_key=True, default=1)
    last_user = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
        related_name="+",
    )  # fmt: skip

    def __str__(self) -> str:
        return f"turn after {self.last_user_id}"


class CloseReason(models.Model):
    """Why moves are lost or cancelled: a list the company edits (seeded with defaults), so
    the won/lost analysis groups by the same words every time."""

    class Kind(models.TextChoices):
        LOST = "lost", "Lost"
        CANCELLED = "cancelled", "Cancelled"

    kind = models.CharField(max_length=10, choices=Kind.choices)
    key = models.SlugField(max_length=40)
    label = models.CharField(max_length=120)
    position = models.PositiveSmallIntegerField(default=0)
    is_active = models.BooleanField(default=True)

    class Meta:
        ordering = ("kind", "position", "label")
        constraints: ClassVar = [
            models.UniqueConstraint(fields=["kind", "key"], name="close_reason_once")
        ]

    def __str__(self) -> str:
        return self.label


class RuleTrigger(models.TextChoices):
    OPPORTUNITY_CREATED = "opportunity_created", "An opportunity is created"
    STATUS_CHANGED = "status_changed", "Its status changes"
    QUOTE_SENT = "quote_sent", "A quote is sent"
    QUOTE_VIEWED = "quote_viewed", "The customer opens the quote"
    ACTIVITY_COMPLETED = "activity_completed", "An activity is completed"
    NO_ACTIVITY = "no_activity", "Nothing happens for some days"


class FollowUpRule(models.Model):
    """When `trigger` happens to an opportunity and every condition holds, do the actions in
    order, each after its delay (simplepro.sales.rules says what they may contain). The
    shipped defaults have a `key`; the company edits them like its own."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    key = models.SlugField(max_length=60, blank=True)
    name = models.CharField(max_length=120)
    description = models.CharField(max_length=500, blank=True)
    trigger = models.CharField(max_length=20, choices=RuleTrigger.choices)
    # For no_activity: how many quiet days before it fires.
    inactive_days = models.PositiveSmallIntegerField(null=True, blank=True)
    conditions = models.JSONField(default=list, blank=True)
    actions = models.JSONField(default=list)
    # Lower runs first when several rules answer one event.
    position = models.PositiveSmallIntegerField(default=10)
    is_active = models.BooleanField(default=True)
    updated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
        related_name="+",
    )  # fmt: skip
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ("position", "name")
        indexes: ClassVar = [models.Index(fields=["trigger", "is_active"], name="rule_trigger_idx")]

    def __str__(self) -> str:
        return self.name


class RuleRun(models.Model):
    """One rule answering one event for one opportunity: whether it matched (and why not),
    and its actions as steps. `occasion` makes a run happen once per event (a retried
    task, a no-activity spell seen by two sweeps)."""

    id = models.BigAutoField(primary_key=True)
    rule = models.ForeignKey(FollowUpRule, on_delete=models.CASCADE, related_name="runs")
    opportunity = models.ForeignKey(Opportunity, on_delete=models.CASCADE, related_name="rule_runs")
    trigger = models.CharField(max_length=20, choices=RuleTrigger.choices)
    occasion = models.CharField(max_length=120)
    # The event's facts (event.new_status…) and the opportunity's status at the time, read
    # again when a delayed step is due.
    event = models.JSONField(default=dict)
    matched = models.BooleanField()
    why_not = models.CharField(max_length=300, blank=True)
    at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ("-at",)
        constraints: ClassVar = [
            models.UniqueConstraint(
                fields=["rule", "opportunity", "occasion"], name="rule_run_once"
            )
        ]
        indexes: ClassVar = [models.Index(fields=["opportunity", "-at"], name="rule_run_opp_idx")]

    def __str__(self) -> str:
        return f"{self.rule_id} on {self.opportunity_id}"


class RuleStep(models.Model):
    """One action of a run, done when due: by a scheduled task at `due_at`, or by the sweep
    that catches any the queue lost. Only a pending step is ever done, under a row lock."""

    class Status(models.TextChoices):
        PENDING = "pending", "Waiting"
        DONE = "done", "Done"
        SKIPPED = "skipped", "Skipped"
        FAILED = "failed", "Failed"

    id = models.BigAutoField(primary_key=True)
    run = models.ForeignKey(RuleRun, on_delete=models.CASCADE, related_name="steps")
    position = models.PositiveSmallIntegerField()
    action = models.JSONField()
    due_at = models.DateTimeField()
    status = models.CharField(max_length=8, choices=Status.choices, default=Status.PENDING)
    # What it did ("call 'Call new website lead' for Dana") or why it was skipped.
    outcome = models.CharField(max_length=300, blank=True)
    done_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ("run", "position")
        constraints: ClassVar = [
            models.UniqueConstraint(fields=["run", "position"], name="rule_step_once")
        ]
        indexes: ClassVar = [models.Index(fields=["status", "due_at"], name="rule_step_due_idx")]

    def __str__(self) -> str:
        return f"{self.run_id}#{self.position} {self.status}"


class FunnelDay(models.Model):
    """The funnel events of one company day, summed by stage: for everyone (`scope` "") and
    for each salesperson's own figures (`scope` their id), in total (`dimension` "") and by
    each thing the funnel groups by (`dimension` source, salesperson or move size, `key` its
    value). The funnel of a year grouped by source reads a few thousand of these rows
    instead of every event (bench/sales_bench.py measured both, and a first rollup keyed by
    every dimension at once, which hardly summed anything). Kept by
    `services.funnel_record` in the event's own transaction; `funnel.rollup_rebuild` remakes
    them from the events."""

    id = models.BigAutoField(primary_key=True)
    scope = models.CharField(max_length=36, blank=True)
    dimension = models.CharField(max_length=12, blank=True)
    key = models.CharField(max_length=36, blank=True)
    day = models.DateField()
    stage = models.CharField(max_length=16, choices=FunnelStage.choices)
    count = models.PositiveIntegerField(default=0)
    value = models.DecimalField(max_digits=14, decimal_places=2, default=0)
    # Seconds from the opportunity's previous stage, summed over `timed` events.
    seconds = models.BigIntegerField(default=0)
    timed = models.PositiveIntegerField(default=0)

    class Meta:
        constraints: ClassVar = [
            models.UniqueConstraint(
                fields=["scope", "dimension", "day", "stage", "key"], name="funnel_day_once"
            )
        ]

    def __str__(self) -> str:
        return f"{self.day} {self.stage} {self.dimension}={self.key} {self.count}"

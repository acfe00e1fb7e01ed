"""Reads of the sales pipeline, always through the viewer's scope: a salesperson sees the
opportunities they work (and their activities); managers, administrators and customer
service see all; everyone else nothing. Outside the scope a record is simply not found."""

from __future__ import annotations

import datetime as dt
import zoneinfo
from dataclasses import dataclass
from decimal import Decimal
from typing import Any, Literal
from uuid import UUID

from django.db.models import Count, Q, QuerySet, Sum, Value
from django.utils import timezone

from simplepro.accounts.models import User
from simplepro.accounts.permissions import OWN_OPPORTUNITIES_ONLY, has_permission
from simplepro.accounts.services import company_get
from simplepro.audit.models import AuditRecord
from simplepro.core.queries import first_rows_of_each, union_of_slices
from simplepro.pricing.money import cents
from simplepro.sales.models import (
    CLOSED_STATUSES,
    OPEN_STATUSES,
    STAGE_WEIGHTS,
    TRANSITIONS,
    Activity,
    ActivityKind,
    CloseReason,
    LeadForm,
    MoveSize,
    Opportunity,
    OpportunityStatus,
    Priority,
    Service,
)


def visible_opportunities(*, viewer: User) -> QuerySet[Opportunity]:
    if not has_permission(viewer, "opportunities.view"):
        return Opportunity.objects.none()
    if viewer.role in OWN_OPPORTUNITIES_ONLY:
        return Opportunity.objects.filter(salesperson=viewer)
    return Opportunity.objects.all()


def opportunity_get(*, viewer: User, opportunity_id: UUID) -> Opportunity | None:
    return (
        visible_opportunities(viewer=viewer)
        .select_related("customer", "salesperson", "job")
        .filter(pk=opportunity_id)
        .first()
    )


@dataclass(frozen=True)
class OpportunityFilters:
    status: str = ""
    salesperson: str = ""  # a user id, or "me", or "none"
    source: str = ""
    priority: str = ""
    search: str = ""
    move_from: dt.date | None = None
    move_to: dt.date | None = None
    open_only: bool = False


def opportunity_list(*, viewer: User, filters: OpportunityFilters) -> QuerySet[Opportunity]:
    rows = visible_opportunities(viewer=viewer).select_related("customer", "salesperson")
    if filters.status:
        rows = rows.filter(status=filters.status)
    if filters.open_only:
        rows = rows.filter(status__in=OPEN_STATUSES)
    if filters.salesperson == "me":
        rows = rows.filter(salesperson=viewer)
    elif filters.salesperson == "none":
        rows = rows.filter(salesperson__isnull=True)
    elif filters.salesperson:
        rows = rows.filter(salesperson_id=UUID(filters.salesperson))
    if filters.source:
        rows = rows.filter(source=filters.source)
    if filters.priority:
        rows = rows.filter(priority=filters.priority)
    if filters.move_from:
        rows = rows.filter(move_date__gte=filters.move_from)
    if filters.move_to:
        rows = rows.filter(move_date__lte=filters.move_to)
    if filters.search:
        text = filters.search.strip().lower()
        rows = rows.filter(Q(customer__search_text__contains=text) | Q(campaign__icontains=text))
    return rows.order_by("-updated_at", "-created_at")


# Cards per column (the column's count and value are of all of them; the list page has
# them all, searchable): the newest moves to triage, and the closed ones as a recent record.
# Each card costs ~0.07 ms of server CPU; 700 made the board ~50 ms (bench/sales_bench.py).
BOARD_LIMIT = 25
BOARD_CLOSED_LIMIT = 10


# What a card shows, read as plain rows: model instances for the customer and salesperson
# of every card cost more than the rest of the board request (bench/sales_bench.py).
CARD_FIELDS = (
    "id", "status", "service", "move_size", "move_date", "estimated_value", "priority",
    "source", "updated_at", "customer_id", "customer__name", "salesperson_id",
    "salesperson__username", "salesperson__first_name", "salesperson__last_name",
)  # fmt: skip
SIZE_LABELS = dict(MoveSize.choices)
SERVICE_LABELS = dict(Service.choices)
PRIORITY_LABELS = dict(Priority.choices)
KIND_LABELS = dict(ActivityKind.choices)


def _person_name(row: dict[str, Any], person: str) -> str | None:
    """User.display_name of the user `person` (a relation in .values() rows), or None."""
    if row[f"{person}_id"] is None:
        return None
    full = f"{row[f'{person}__first_name']} {row[f'{person}__last_name']}".strip()
    return full or str(row[f"{person}__username"])


def _card(row: dict[str, Any]) -> dict[str, Any]:
    name = _person_name(row, "salesperson")
    seller = None if name is None else {"id": row["salesperson_id"], "name": name}
    return {
        **{key: row[key] for key in ("id", "status", "service", "move_size", "move_date",
                                     "estimated_value", "priority", "source", "updated_at")},
        "customer": {"id": row["customer_id"], "name": row["customer__name"]},
        "salesperson": seller,
        "allowed": list(TRANSITIONS[row["status"]]),
        "move_label": SIZE_LABELS.get(row["move_size"]) or SERVICE_LABELS[row["service"]],
        "priority_label": PRIORITY_LABELS[row["priority"]],
    }  # fmt: skip


def board(*, viewer: User, filters: OpportunityFilters) -> list[dict[str, Any]]:
    """The pipeline board: a column per status, with its cards (most recently changed
    first: up to BOARD_LIMIT open, BOARD_CLOSED_LIMIT of the last 30 days closed) and the
    whole column's count and value, however many cards are shown. Two queries, whatever the
    number of opportunities: the sums and the cards (one query a column on SQLite)."""
    since = timezone.now() - dt.timedelta(days=30)
    rows = opportunity_list(viewer=viewer, filters=filters)
    # Two sums, open and recently closed, so each reads its own index: one OR over both
    # scanned every opportunity (9 ms of 50,000; bench/sales_bench.py). COUNT(*), not of
    # the id, keeps them index-only (2.5 and 5.9 ms → 1.3 and 1.8 ms), and cheap enough that
    # their UNION ALL is not planned in parallel (a Gather of two workers took 11.6 ms).
    open_sums, closed_sums = (
        part.order_by().values("status").annotate(count=Count("*"), value=Sum("estimated_value"))
        for part in (
            rows.filter(status__in=OPEN_STATUSES),
            rows.filter(status__in=CLOSED_STATUSES, closed_at__gte=since),
        )
    )
    sums = {row["status"]: row for row in open_sums.union(closed_sums, all=True)}
    cards = _board_cards(rows.filter(Q(status__in=OPEN_STATUSES) | Q(closed_at__gte=since)))
    columns = []
    for status in OpportunityStatus.values:
        total: dict[str, Any] = dict(sums.get(status) or {})
        value = cents(total.get("value") or Decimal(0))
        columns.append({
            "status": status, "label": OpportunityStatus(status).label,
            "cards": cards.get(status, []), "count": total.get("count") or 0, "value": value,
            "weighted_value": cents(value * STAGE_WEIGHTS[status] / 100),
        })  # fmt: skip
    return columns


def _board_cards(shown: QuerySet[Opportunity]) -> dict[str, list[dict[str, Any]]]:
    """Each column's newest cards, in one query (core.queries): a LIMITed read per column,
    each from the status index. ROW_NUMBER() over every shown card instead took PostgreSQL
    65 ms of 50,000 opportunities (bench/sales_bench.py)."""
    limits = {status: BOARD_LIMIT if status in OPEN_STATUSES else BOARD_CLOSED_LIMIT
              for status in OpportunityStatus.values}  # fmt: skip
    found = first_rows_of_each(shown.values(*CARD_FIELDS, "created_at"), "status", limits)
    found.sort(key=lambda row: (row["updated_at"], row["created_at"]), reverse=True)
    cards: dict[str, list[dict[str, Any]]] = {}
    for row in found:
        cards.setdefault(row["status"], []).append(_card(row))
    return cards


# An activity as lists show it: its own fields, its customer's name, its assignee.
ACTIVITY_FIELDS = (
    "id", "opportunity_id", "kind", "subject", "description", "due_at", "assignee_id", "outcome",
    "completed_at", "automatic", "created_at", "opportunity__customer_id",
    "opportunity__customer__name", "assignee__username", "assignee__first_name",
    "assignee__last_name",
)  # fmt: skip


def visible_activities(*, viewer: User) -> QuerySet[Activity]:
    if not has_permission(viewer, "opportunities.view"):
        return Activity.objects.none()
    if viewer.role in OWN_OPPORTUNITIES_ONLY:
        return Activity.objects.filter(Q(opportunity__salesperson=viewer) | Q(assignee=viewer))
    return Activity.objects.all()


def activity_get(*, viewer: User, activity_id: UUID) -> Activity | None:
    return (
        visible_activities(viewer=viewer)
        .select_related("opportunity__customer", "assignee")
        .filter(pk=activity_id)
        .first()
    )


ActivityState = Literal["overdue", "due_today", "upcoming", "done", "pending"]


def _day_bounds(now: dt.datetime) -> tuple[dt.datetime, dt.datetime]:
    """Today in the company's time zone, as UTC instants."""
    zone = zoneinfo.ZoneInfo(company_get().time_zone)
    local = now.astimezone(zone)
    start = local.replace(hour=0, minute=0, second=0, microsecond=0)
    return start, start + dt.timedelta(days=1)


def activity_list(
    *,
    viewer: User,
    assignee: str = "",
    state: str = "",
    opportunity_id: UUID | None = None,
    now: dt.datetime | None = None,
) -> QuerySet[Activity]:
    """`state`: overdue (due before now, not done), due_today (due later today), upcoming
    (due after today), pending (not done), done."""
    now = now or timezone.now()
    # Your own tasks are always yours to see: no scope join (an OR across the opportunity's
    # salesperson kept the (assignee, completed_at, due_at) index unused).
    own = assignee == "me" and has_permission(viewer, "opportunities.view")
    rows: QuerySet[Activity] = (
        Activity.objects.filter(assignee=viewer) if own else visible_activities(viewer=viewer)
    )
    rows = rows.select_related("opportunity__customer", "assignee").only(*ACTIVITY_FIELDS)
    if assignee and assignee != "me":
        rows = rows.filter(assignee_id=UUID(assignee))
    if opportunity_id is not None:
        rows = rows.filter(opportunity_id=opportunity_id)
    today_start, tomorrow = _day_bounds(now)
    if state == "done":
        return rows.filter(completed_at__isnull=False).order_by("-completed_at")
    if state:
        rows = rows.filter(completed_at__isnull=True)
    if state == "overdue":
        rows = rows.filter(due_at__lt=now)
    elif state == "due_today":
        rows = rows.filter(due_at__gte=now, due_at__lt=tomorrow)
    elif state == "upcoming":
        rows = rows.filter(due_at__gte=tomorrow)
    return rows.order_by("due_at", "created_at")


# "My day" shows the oldest overdue tasks, today's, and the next week's, each capped (the
# counts say how many there are): a salesperson works from the top, and a page of 150 forms
# cost ~50 ms of CPU to render (bench/sales_bench.py).
MY_DAY_SHOWN = {"overdue": 20, "due_today": 40, "upcoming": 20}


def my_day(*, viewer: User, now: dt.datetime | None = None) -> dict[str, Any]:
    """A salesperson's day: overdue, due today, and the next week's, each capped, with how
    many each has. The lists are plain rows (activity_row), read in one query."""
    now = now or timezone.now()
    _, tomorrow = _day_bounds(now)
    week = tomorrow + dt.timedelta(days=7)
    windows = {
        "overdue": Q(due_at__lt=now),
        "due_today": Q(due_at__gte=now, due_at__lt=tomorrow),
        "upcoming": Q(due_at__gte=tomorrow, due_at__lt=week),
    }
    mine = Activity.objects.filter(assignee=viewer, completed_at__isnull=True)
    found = union_of_slices([
        mine.filter(window).order_by("due_at", "created_at")
        .values(*ACTIVITY_FIELDS, state=Value(state))[: MY_DAY_SHOWN[state]]
        for state, window in windows.items()
    ])  # fmt: skip
    found.sort(key=lambda row: (row["due_at"], row["created_at"]))
    day: dict[str, Any] = {state: [] for state in windows}
    for row in found:
        day[row["state"]].append(activity_row(row))
    # How many each list has, in one query, read from the open-tasks index alone.
    counts = mine.filter(due_at__lt=week).aggregate(
        **{f"{state}_count": Count("due_at", filter=window) for state, window in windows.items()}
    )
    return {**day, **counts}


def activity_row(row: dict[str, Any]) -> dict[str, Any]:
    """An activity as the task lists show it, from its ACTIVITY_FIELDS values: model
    instances of the activity, its opportunity, customer and assignee cost 180 objects for
    My day's 45 tasks."""
    return {
        **{key: row[key] for key in ("id", "opportunity_id", "kind", "subject", "description",
                                     "due_at", "automatic", "outcome", "completed_at")},
        "kind_label": KIND_LABELS[row["kind"]],
        "assignee_name": _person_name(row, "assignee"),
        "customer_id": row["opportunity__customer_id"],
        "customer_name": row["opportunity__customer__name"],
    }  # fmt: skip


def pending_activities(opportunity: Opportunity) -> list[dict[str, Any]]:
    """An opportunity's open tasks, soonest first, as activity_row()s."""
    rows = opportunity.activities.pending().order_by("due_at", "created_at")
    return [activity_row(row) for row in rows.values(*ACTIVITY_FIELDS)]


def timeline(opportunity: Opportunity) -> list[dict[str, Any]]:
    """What happened to an opportunity, newest first: its activities, its quotes and the
    audit trail of its changes (status moves, reassignments)."""
    activities = opportunity.activities.select_related("assignee", "completed_by")
    records = AuditRecord.objects.filter(
        entity_type="opportunity", entity_id=str(opportunity.pk)
    ).select_related("actor")
    entries: list[dict[str, Any]] = [
        *({"at": a.completed_at or a.created_at, "kind": "activity", "activity": a}
          for a in activities),
        *({"at": link.linked_at, "kind": "quote", "estimate": link.estimate}
          for link in opportunity.quotes.select_related("estimate")),
        *({"at": record.at, "kind": "change", "record": record} for record in records),
    ]  # fmt: skip
    entries.sort(key=lambda entry: entry["at"], reverse=True)
    return entries


def close_reasons(kind: str) -> list[CloseReason]:
    return list(CloseReason.objects.filter(kind=kind, is_active=True))


def lead_form_for_key(public_key: str) -> LeadForm | None:
    if not public_key or len(public_key) > 40:
        return None
    return LeadForm.objects.filter(public_key=public_key, is_active=True).first()

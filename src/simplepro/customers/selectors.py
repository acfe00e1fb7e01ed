"""Reads of customers, always through the viewer's scope (`customer_scope`)."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, Literal, get_args
from uuid import UUID

from django.db.models import Exists, OuterRef, Q, QuerySet
from django.utils import timezone

from simplepro.accounts.models import User
from simplepro.accounts.permissions import customer_scope
from simplepro.customers.models import Customer, CustomerLookup

CustomerOrdering = Literal[
    "name", "-name", "created_at", "-created_at", "updated_at", "-updated_at", "status", "-status"
]
ORDERINGS = frozenset(get_args(CustomerOrdering))
_PHONE_QUERY = re.compile(r"^[\d\s().+-]+$")


@dataclass(frozen=True)
class CustomerFilters:
    search: str = ""
    status: str = ""
    type: str = ""
    source: str = ""
    salesperson: UUID | None = None
    tag: str = ""
    created_after: datetime | None = None
    created_before: datetime | None = None
    archived: str = "false"  # "false" (default), "true" (archived only) or "all"
    ordering: str = "-created_at"


def visible_customers(*, viewer: User) -> QuerySet[Customer]:
    return customer_scope(viewer, Customer.objects.all())


def customer_get(*, viewer: User, customer_id: UUID) -> Customer | None:
    return (
        visible_customers(viewer=viewer)
        .select_related("assigned_salesperson")
        .filter(pk=customer_id)
        .first()
    )


def search_condition(text: str) -> Q:
    """Name, company and e-mail by substring; a phone-shaped query by its digits."""
    text = text.strip().lower()
    digits = re.sub(r"\D", "", text)
    if _PHONE_QUERY.match(text) and len(digits) >= 3:
        return Q(search_text__contains=digits)
    return Q(search_text__contains=text)


# What a list page shows; leaves out search_text and the salesperson's other columns, which
# made building 50 rows cost twice as much.
LIST_FIELDS = (
    *Customer.SHOWN_FIELDS,
    "assigned_salesperson__id",
    "assigned_salesperson__username",
    "assigned_salesperson__first_name",
    "assigned_salesperson__last_name",
)


def customer_list(*, viewer: User, filters: CustomerFilters) -> QuerySet[Customer]:
    customers = (
        visible_customers(viewer=viewer).select_related("assigned_salesperson").only(*LIST_FIELDS)
    )
    if filters.archived == "false":
        customers = customers.filter(archived_at__isnull=True)
    elif filters.archived == "true":
        customers = customers.filter(archived_at__isnull=False)
    if filters.search.strip():
        customers = customers.filter(search_condition(filters.search))
    if filters.status:
        customers = customers.filter(status=filters.status)
    if filters.type:
        customers = customers.filter(type=filters.type)
    if filters.source:
        customers = customers.filter(source=filters.source)
    if filters.salesperson:
        customers = customers.filter(assigned_salesperson_id=filters.salesperson)
    if filters.tag:
        customers = customers.filter(
            Exists(
                CustomerLookup.objects.filter(
                    customer=OuterRef("pk"), kind="tag", value=filters.tag.strip().lower()
                )
            )
        )
    if filters.created_after:
        customers = customers.filter(created_at__gte=filters.created_after)
    if filters.created_before:
        customers = customers.filter(created_at__lt=filters.created_before)
    ordering = filters.ordering if filters.ordering in ORDERINGS else "-created_at"
    return customers.order_by(ordering, "id")


def duplicates_of(customer: Customer) -> list[dict[str, Any]]:
    """Other customers (archived ones too) that share an e-mail or a phone with `customer`."""
    keys = Q()
    if customer.emails:
        keys |= Q(kind="email", value__in=customer.emails)
    if customer.phones:
        keys |= Q(kind="phone", value__in=customer.phones)
    if not keys:
        return []
    matches = (
        CustomerLookup.objects.filter(keys)
        .exclude(customer_id=customer.pk)
        .select_related("customer")
        .order_by("customer__name")[:20]
    )
    return [
        {"id": m.customer_id, "name": m.customer.name, "matched_on": m.kind, "value": m.value}
        for m in matches
    ]


def customer_counts(*, viewer: User) -> dict[str, int]:
    """The dashboard's tiles: the viewer's customers now, leads, active, new this week."""
    customers = visible_customers(viewer=viewer).filter(archived_at__isnull=True)
    week_ago = timezone.now() - timedelta(days=7)
    return {
        "customers": customers.count(),
        "leads": customers.filter(status="lead").count(),
        "active": customers.filter(status="active").count(),
        "new_this_week": customers.filter(created_at__gte=week_ago).count(),
    }

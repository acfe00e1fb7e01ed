from __future__ import annotations

import datetime as dt
from uuid import UUID

from django.db.models import Prefetch, Q, QuerySet
from django.utils import timezone

from simplepro.accounts.models import User
from simplepro.customers.selectors import visible_customers
from simplepro.estimates.models import Estimate, EstimateStatus, EstimateVersion


def effective_status(estimate: Estimate, today: dt.date) -> str:
    """A sent estimate past its validity reads as expired before the nightly sweep
    (`simplepro expire-estimates`) or a decision writes it down."""
    if (
        estimate.status == EstimateStatus.SENT
        and estimate.valid_until is not None
        and estimate.valid_until < today
    ):
        return EstimateStatus.EXPIRED
    return estimate.status


def status_filter(status: str, today: dt.date) -> Q:
    overdue = Q(status=EstimateStatus.SENT, valid_until__lt=today)
    if status == EstimateStatus.EXPIRED:
        return Q(status=status) | overdue
    if status == EstimateStatus.SENT:
        return Q(status=status) & ~overdue
    return Q(status=status)


def estimate_list(
    *,
    viewer: User,
    customer_id: UUID | None = None,
    status: str | None = None,
    today: dt.date | None = None,
) -> QuerySet[Estimate]:
    """Estimates of the customers the viewer may see, newest first, versions prefetched."""
    today = today or timezone.localdate()
    estimates = (
        Estimate.objects.select_related("customer")
        .filter(customer__in=visible_customers(viewer=viewer))
        .prefetch_related(
            Prefetch(
                "versions",
                queryset=EstimateVersion.objects.select_related("ruleset").order_by("-number"),
            )
        )
    )
    if customer_id:
        estimates = estimates.filter(customer_id=customer_id)
    if status:
        estimates = estimates.filter(status_filter(status, today))
    return estimates.order_by("-created_at", "id")

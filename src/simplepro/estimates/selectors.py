from __future__ import annotations

from uuid import UUID

from django.db.models import Prefetch, QuerySet

from simplepro.accounts.models import User
from simplepro.customers.selectors import visible_customers
from simplepro.estimates.models import Estimate, EstimateVersion


def estimate_list(
    *, viewer: User, customer_id: UUID | None = None, status: str | None = None
) -> QuerySet[Estimate]:
    """Estimates of the customers the viewer may see, newest first, versions prefetched."""
    estimates = Estimate.objects.filter(
        customer__in=visible_customers(viewer=viewer)
    ).prefetch_related(
        Prefetch(
            "versions",
            queryset=EstimateVersion.objects.select_related("ruleset").order_by("-number"),
        )
    )
    if customer_id:
        estimates = estimates.filter(customer_id=customer_id)
    if status:
        estimates = estimates.filter(status=status)
    return estimates.order_by("-created_at", "id")

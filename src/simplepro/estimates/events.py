"""What the estimates app announces in real time, and to whom: the people who may read the
estimate (estimates.view) within their customer scope — so a salesperson never hears of
another salesperson's customer's estimate."""

from __future__ import annotations

from typing import Any
from uuid import UUID

from django.db.models import Q

from simplepro.accounts.models import User
from simplepro.accounts.permissions import customer_readers, roles_with
from simplepro.core.events import publish_on_commit
from simplepro.estimates.models import Estimate


def estimate_audience(estimate: Estimate) -> list[UUID]:
    who = Q(role__in=roles_with("estimates.view")) & customer_readers(estimate.customer)
    return list(User.objects.filter(who, is_active=True).values_list("pk", flat=True))


def announce_estimate(kind: str, estimate: Estimate, *, actor: User | None, **extra: Any) -> None:
    data = {
        "estimate": {
            "id": estimate.pk,
            "status": estimate.status,
            "customer": {"id": estimate.customer_id, "name": estimate.customer.name},
        },
        "by": actor.display_name if actor else None,
        **extra,
    }
    publish_on_commit(kind, estimate_audience(estimate), data)

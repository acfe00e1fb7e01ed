"""What the estimates app announces in real time, and to whom: the people who may read the
estimate (estimates.view) within their customer scope — so a salesperson never hears of
another salesperson's customer's estimate."""

from __future__ import annotations

from typing import Any
from uuid import UUID

from django.db.models import Q

from simplepro.accounts.models import User
from simplepro.accounts.permissions import customer_readers, roles_with
from simplepro.accounts.services import company_get
from simplepro.core.events import publish_on_commit
from simplepro.estimates.models import Estimate
from simplepro.notifications.services import notify
from simplepro.pricing.money import money_text

# Estimate events the salesperson is told of, beyond the live update.
NOTIFIED = {
    "estimate.viewed": "estimate_viewed",
    "estimate.accepted": "quote_accepted",
    "estimate.declined": "quote_declined",
}


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
    if kind in NOTIFIED:
        _notify_salesperson(NOTIFIED[kind], estimate, actor=actor, **extra)


def _notify_salesperson(
    event: str, estimate: Estimate, *, actor: User | None, **extra: Any
) -> None:
    """The customer's salesperson hears of it (else whoever wrote the estimate), unless they
    did it themselves."""
    person = estimate.customer.assigned_salesperson or estimate.created_by
    if person is None or (actor is not None and person.pk == actor.pk):
        return
    latest = estimate.versions.order_by("-number").values_list("total", flat=True).first()
    notify(
        recipients=[person],
        event=event,
        context={"customer": estimate.customer.name, "version": extra.get("version", ""),
                 "note": extra.get("note", ""), "by": actor.display_name if actor else "",
                 "total": money_text(latest, company_get().currency) if latest is not None else ""},
        link=f"/estimates/{estimate.pk}/",
    )  # fmt: skip

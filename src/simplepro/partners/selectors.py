from __future__ import annotations

from decimal import Decimal
from typing import Any

from django.db.models import QuerySet, Sum

from simplepro.accounts.models import User
from simplepro.accounts.permissions import OWN_OPPORTUNITIES_ONLY, has_permission
from simplepro.partners.models import CommissionStatus, Partner, Referral
from simplepro.pricing.money import cents


def visible_referrals(*, viewer: User) -> QuerySet[Referral]:
    """What a staff member may read: everything, or (sales) the referrals of their own
    opportunities."""
    if not has_permission(viewer, "referrals.view"):
        return Referral.objects.none()
    referrals = Referral.objects.select_related(
        "partner", "customer", "opportunity", "job", "paid_by"
    )
    if viewer.role in OWN_OPPORTUNITIES_ONLY:
        referrals = referrals.filter(opportunity__salesperson=viewer)
    return referrals


def partner_referrals(partner: Partner) -> QuerySet[Referral]:
    """A partner's own referrals (their portal): nothing of anyone else's."""
    return Referral.objects.filter(partner=partner).select_related("customer", "opportunity")


def commission_totals(referrals: QuerySet[Referral]) -> dict[str, Any]:
    sums = {
        row["commission_status"]: row["total"]
        for row in referrals.values("commission_status").annotate(total=Sum("commission_amount"))
    }
    # Rounded again: SQLite sums decimals as floats.
    return {
        "pending": cents(sums.get(CommissionStatus.PENDING) or Decimal(0)),
        "paid": cents(sums.get(CommissionStatus.PAID) or Decimal(0)),
    }

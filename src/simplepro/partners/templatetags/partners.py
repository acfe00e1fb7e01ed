"""`{% referral_box opportunity %}`: on the opportunity page (the sales app's template), who
referred the move, or a way to say so. A template tag, so the sales app's Python never
imports this higher app."""

from __future__ import annotations

from typing import Any

from django import template

from simplepro.accounts.permissions import has_permission
from simplepro.accounts.services import company_get
from simplepro.partners.models import Partner, Referral

register = template.Library()


@register.inclusion_tag("partners/referral_box.html", takes_context=True)
def referral_box(context: template.Context, opportunity: Any) -> dict[str, Any]:
    user = context["request"].user
    referral = (
        Referral.objects.select_related("partner").filter(opportunity_id=opportunity.pk).first()
    )
    can_attach = referral is None and has_permission(user, "referrals.enter")
    return {
        "referral": referral, "opportunity": opportunity, "currency": company_get().currency,
        "partners": Partner.objects.filter(is_active=True) if can_attach else [],
        "csrf_token": context.get("csrf_token"),
    }  # fmt: skip

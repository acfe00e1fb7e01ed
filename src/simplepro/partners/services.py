"""Every write about partners: the partner and its commission structure, portal accounts,
referrals (from the office or the portal: they enter the pipeline as a lead with the
partner attached), the commission worked out when the move is completed, and its payment
(once: a second payment is a 409). Each in one transaction with its audit record."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from decimal import Decimal
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from simplepro.accounts.models import User
from simplepro.audit.services import audit_record, field_changes
from simplepro.core.problems import Conflict, ProblemError, invalid
from simplepro.jobs.models import Job
from simplepro.partners.commission import commission_for, structure_clean
from simplepro.partners.models import (
    CommissionStatus,
    Partner,
    PartnerAccount,
    Referral,
    ReferralStatus,
)
from simplepro.pricing.money import cents
from simplepro.sales.intake import lead_insert
from simplepro.sales.models import Opportunity

PARTNER_FIELDS = ("name", "kind", "contact_name", "email", "phone", "is_active", "notes",
                  "commission_type", "commission_rate", "commission_flat", "commission_tiers")  # fmt: skip
MIN_PASSWORD = 10


def _snapshot(partner: Partner) -> dict[str, Any]:
    return {name: (str(v) if isinstance(v, Decimal) else v)
            for name in PARTNER_FIELDS for v in [getattr(partner, name)]}  # fmt: skip


def partner_save(*, actor: User, partner: Partner | None, data: Mapping[str, Any]) -> Partner:
    """Create (`partner` None) or change a partner; the commission is checked as a whole."""
    merged = {**(_snapshot(partner) if partner else {}), **data}
    if not str(merged.get("name") or "").strip():
        raise invalid("name", "required", "A partner needs a name.")
    commission = structure_clean(merged)
    with transaction.atomic(durable=True):
        made = partner is None
        partner = partner or Partner()
        before = {} if made else _snapshot(partner)
        for name in ("name", "kind", "contact_name", "email", "phone", "notes"):
            if name in merged:
                setattr(partner, name, str(merged[name] or "").strip())
        partner.is_active = bool(merged.get("is_active", True))
        for name, value in commission.items():
            setattr(partner, name, value)
        try:
            partner.full_clean(exclude=["commission_tiers"])
        except ValidationError as exc:
            raise ProblemError(422, "The partner has invalid fields.", errors=[
                {"field": field, "code": "invalid", "message": " ".join(messages)}
                for field, messages in exc.message_dict.items()
            ]) from None  # fmt: skip
        partner.save()
        audit_record(
            actor=actor, action="create" if made else "update", entity_type="partner",
            entity_id=partner.pk, changes=field_changes(before, _snapshot(partner),
                                                        PARTNER_FIELDS),
        )  # fmt: skip
    return partner


def account_create(
    *, actor: User, partner: Partner, name: str, email: str, password: str
) -> PartnerAccount:
    """Portal access for someone at `partner`."""
    if len(password) < MIN_PASSWORD:
        raise invalid("password", "too_short", f"At least {MIN_PASSWORD} characters.")
    email = email.strip().lower()
    with transaction.atomic(durable=True):
        if PartnerAccount.objects.filter(email=email).exists():
            raise Conflict("A partner account with this e-mail exists.")
        account = PartnerAccount(partner=partner, name=name.strip()[:200], email=email)
        account.set_password(password)
        account.save()
        audit_record(
            actor=actor, action="create", entity_type="partner_account", entity_id=account.pk,
            changes={"email": {"before": None, "after": email},
                     "partner": {"before": None, "after": str(partner.pk)}},
        )  # fmt: skip
    return account


def account_set_active(*, actor: User, account: PartnerAccount, active: bool) -> None:
    """Turn portal access off (or on): off signs every session out at once."""
    with transaction.atomic(durable=True):
        PartnerAccount.objects.filter(pk=account.pk).update(
            is_active=active, session_version=account.session_version + 1
        )
        audit_record(
            actor=actor, action="update", entity_type="partner_account", entity_id=account.pk,
            changes={"is_active": {"before": account.is_active, "after": active}},
        )  # fmt: skip


def referral_create(
    *, partner: Partner, fields: Mapping[str, Any], notes: str = "",
    account: PartnerAccount | None = None, actor: User | None = None,
) -> Referral:  # fmt: skip
    """A customer sent by `partner`: taken as a lead (the same checks and duplicate match
    as the web form; source "partner"), its opportunity tied to the partner. 409 when the
    move is already someone's referral."""
    if not partner.is_active:
        raise Conflict("This partner is not active.")
    with transaction.atomic(durable=True):
        lead = lead_insert(fields=fields, actor=actor, source="partner")
        opportunity = lead.opportunity
        if Referral.objects.filter(opportunity=opportunity).exists():
            raise Conflict("This move has already been referred.")
        referral = Referral.objects.create(
            partner=partner, opportunity=opportunity, customer=lead.customer,
            notes=notes.strip()[:2000], by_account=account, by_user=actor,
            status=_status_of(opportunity.status),
        )  # fmt: skip
        audit_record(
            actor=actor, action="create", entity_type="referral", entity_id=referral.pk,
            changes={"partner": {"before": None, "after": partner.name},
                     "by": {"before": None,
                            "after": account.email if account else "the office"}},
        )  # fmt: skip
    return referral


def referral_attach(*, partner: Partner, opportunity: Opportunity, actor: User) -> Referral:
    """The customer says a partner sent them: tie the opportunity being worked to it."""
    if not partner.is_active:
        raise Conflict("This partner is not active.")
    with transaction.atomic(durable=True):
        if Referral.objects.filter(opportunity=opportunity).exists():
            raise Conflict("This move has already been referred.")
        referral = Referral.objects.create(
            partner=partner, opportunity=opportunity, customer_id=opportunity.customer_id,
            by_user=actor, status=_status_of(opportunity.status), job_id=opportunity.job_id,
        )  # fmt: skip
        audit_record(
            actor=actor, action="create", entity_type="referral", entity_id=referral.pk,
            changes={"partner": {"before": None, "after": partner.name},
                     "opportunity": {"before": None, "after": str(opportunity.pk)}},
        )  # fmt: skip
    return referral


STATUS_FROM_PIPELINE = {
    "open": ReferralStatus.RECEIVED,
    "contacted": ReferralStatus.CONTACTED,
    "quoted": ReferralStatus.QUOTED,
    "negotiating": ReferralStatus.QUOTED,
    "won": ReferralStatus.WON,
    "lost": ReferralStatus.LOST,
    "cancelled": ReferralStatus.CANCELLED,
}


def _status_of(pipeline_status: str) -> str:
    return STATUS_FROM_PIPELINE.get(pipeline_status, ReferralStatus.RECEIVED)


def referral_follow(referral: Referral, pipeline_status: str, job_id: Any = None) -> None:
    """The referral's status follows its opportunity (inside the change's transaction); a
    completed move stays completed."""
    if referral.status == ReferralStatus.COMPLETED:
        return
    Referral.objects.filter(pk=referral.pk).update(
        status=_status_of(pipeline_status), job_id=job_id or referral.job_id
    )


def commission_earn(referral: Referral, job: Job, *, at: dt.datetime | None = None) -> None:
    """The move was completed: work out the commission from the job's final price (once;
    inside the job's transaction)."""
    if referral.commission_status in (CommissionStatus.PENDING, CommissionStatus.PAID):
        return
    partner = referral.partner
    price = cents(job.total or 0)
    amount, rule = commission_for(
        {"commission_type": partner.commission_type, "commission_rate": partner.commission_rate,
         "commission_flat": partner.commission_flat,
         "commission_tiers": partner.commission_tiers},
        price,
    )  # fmt: skip
    referral.status = ReferralStatus.COMPLETED
    referral.job = job
    referral.commission_base = price
    referral.commission_amount = amount
    referral.commission_rule = rule[:200]
    referral.commission_status = CommissionStatus.MANUAL if amount is None else (
        CommissionStatus.PENDING)  # fmt: skip
    referral.commission_at = at or timezone.now()
    referral.save()
    audit_record(
        actor=None, action="commission", entity_type="referral", entity_id=referral.pk,
        changes={"commission_amount": {"before": None,
                                       "after": str(amount) if amount is not None else None},
                 "commission_rule": {"before": None, "after": rule}},
    )  # fmt: skip


def commission_pay(
    *, actor: User, referral: Referral, reference: str = "", amount: Decimal | None = None,
) -> Referral:  # fmt: skip
    """Mark the commission paid, once. A manual one takes its amount now."""
    with transaction.atomic(durable=True):
        referral = Referral.objects.select_for_update(of=("self",)).get(pk=referral.pk)
        if referral.commission_status == CommissionStatus.PAID:
            raise Conflict(f"This commission was paid on {referral.paid_at:%d %b %Y}.")
        if referral.commission_status == CommissionStatus.NONE:
            raise ProblemError(409, "No commission is due yet: the move is not completed.")
        if referral.commission_status == CommissionStatus.MANUAL:
            if amount is None or amount < 0:
                raise invalid("amount", "required", "A commission agreed case by case needs "
                                                    "the amount paid.")  # fmt: skip
            referral.commission_amount = cents(amount)
        elif amount is not None and cents(amount) != referral.commission_amount:
            raise invalid("amount", "mismatch",
                          f"The commission due is {referral.commission_amount}.")  # fmt: skip
        referral.commission_status = CommissionStatus.PAID
        referral.paid_at = timezone.now()
        referral.paid_by = actor
        referral.payment_reference = reference.strip()[:120]
        referral.save()
        audit_record(
            actor=actor, action="commission_paid", entity_type="referral",
            entity_id=referral.pk,
            changes={"commission_status": {"before": "pending", "after": "paid"},
                     "amount": {"before": None, "after": str(referral.commission_amount)},
                     "reference": {"before": None, "after": referral.payment_reference}},
        )  # fmt: skip
    return referral
